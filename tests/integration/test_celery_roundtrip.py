import uuid

import pytest

from dermplatform.celery import ping

pytestmark = pytest.mark.integration


def test_worker_round_trips_a_task_through_redis(celery_worker_process):
    payload = uuid.uuid4().hex
    result = ping.delay(payload)
    assert result.get(timeout=60) == payload
    assert f"dermplatform.ping[{result.id}] succeeded" in celery_worker_process.log_path.read_text()
