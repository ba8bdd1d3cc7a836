"""The worker loads and warms the active model before it takes its first task."""

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_is_warm_before_its_first_task(celery_worker_process):
    log = Path(celery_worker_process.log_path).read_text()
    warm = re.search(r"model .+ warm on (litert|keras) in \d+ ms", log)
    assert warm, log[-3000:]
    assert warm.group(1) == "litert"
    assert log.index(warm.group(0)) < log.index("ready.")
