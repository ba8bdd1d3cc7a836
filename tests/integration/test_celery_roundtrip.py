import time
import uuid

import pytest

from dermplatform.celery import ping

pytestmark = pytest.mark.integration


def test_worker_round_trips_a_task_through_redis(celery_worker_process):
    payload = uuid.uuid4().hex
    result = ping.delay(payload)
    assert result.get(timeout=60) == payload
    # The worker stores the result before it logs success: on busy cores the line may follow the result a moment later.
    line = f"dermplatform.ping[{result.id}] succeeded"
    deadline = time.monotonic() + 10
    while line not in celery_worker_process.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert line in celery_worker_process.log_path.read_text()
