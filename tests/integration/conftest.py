"""Integration tests use the celery_worker_process fixture from tests/conftest.py; fault tests use these."""

import pytest

from dermplatform.celery import app
from tests import faults


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of the test's own, on 127.0.0.1, that it may stop and restart; this process publishes to it."""
    server = faults.PrivateRedis(tmp_path)
    server.start()
    try:
        with faults.celery_app_on(app, server.url):
            yield server
    finally:
        server.stop()


@pytest.fixture
def pipeline(private_redis, tiny_model_dir, tmp_path, django_db_blocker):
    """Start and stop the platform's processes on the private Redis: `pipeline.worker(...)`, `pipeline.beat()`.

    Every process started is stopped at the end, whatever happened.
    """
    started = []

    class Pipeline:
        redis = private_redis

        def worker(self, pool="solo", name="worker", env=None, app="dermplatform"):
            process = faults.worker(
                private_redis.url, tmp_path / f"{name}.log", model_dir=tiny_model_dir, pool=pool, env=env, app=app
            )
            started.append(process)
            with django_db_blocker.unblock():
                return process.start()

        def beat(self, env=None):
            process = faults.beat(private_redis.url, tmp_path / "beat.log", tmp_path, env=env)
            started.append(process)
            with django_db_blocker.unblock():
                return process.start(wait_ready=False)

        def logs(self) -> str:
            return "\n".join(f"--- {p.log_path.name}\n{p.log_tail()}" for p in started)

    try:
        yield Pipeline()
    finally:
        for process in reversed(started):
            process.stop()
