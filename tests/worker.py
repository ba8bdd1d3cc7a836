"""A real Celery worker process on Redis, against the test database: one per test session (per pytest-xdist
process), shared.

Starting a worker (Django, TensorFlow/LiteRT, the model's warm-up) costs seconds of CPU; the tests that need a plain
worker share one. It listens on a redis-server of its own, so tests that read the session's broker queues, or
publish without wanting a worker to answer, never meet it; each test that asks for it has this process's Celery app
pointed at that Redis for the test's duration. Fault tests that stop, kill or configure a worker start their own
(tests/integration/conftest.py: `pipeline`).
"""

import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def _require_redis_broker():
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("integration tests need CELERY_BROKER_URL=redis://... (make test sets it)")


def _wait_until_ready(proc, log_path, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{Path(log_path).read_text()}")
        if "ready." in Path(log_path).read_text():
            return
        time.sleep(0.3)
    raise RuntimeError(f"worker not ready after {timeout}s:\n{Path(log_path).read_text()}")


@pytest.fixture(scope="session")
def shared_celery_worker(django_db_setup, django_db_blocker, tmp_path_factory, tiny_model_dir):
    """`celery worker` (solo pool, queues default and inference) on a private Redis, for the whole session."""
    _require_redis_broker()
    from dermplatform.celery import app
    from tests import faults

    directory = tmp_path_factory.mktemp("shared_worker")
    broker = faults.PrivateRedis(directory)
    broker.start()
    # Results go where this process's app reads them (its result backend is not switched with the broker).
    process = faults.worker(
        broker.url, directory / "worker.log", model_dir=tiny_model_dir,
        env={"CELERY_RESULT_BACKEND": str(app.conf.result_backend)},
    )
    try:
        with django_db_blocker.unblock():
            process.start()
        yield process
    finally:
        process.stop()
        broker.stop()


class WorkerForTest:
    """The shared worker as one test sees it: its process, its whole log, and the log since the test began."""

    def __init__(self, process):
        self.process = process
        self.proc = process.proc
        self.log_path = process.log_path
        self.broker_url = process.broker_url
        self._start = self.log_path.stat().st_size

    def log(self) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(self._start)
            return log.read().decode(errors="replace")


@pytest.fixture
def celery_worker_process(shared_celery_worker):
    """The session's worker, with this process's Celery app (uploads, the live server) publishing to its Redis."""
    from dermplatform.celery import app
    from tests import faults

    with faults.celery_app_on(app, shared_celery_worker.broker_url):
        yield WorkerForTest(shared_celery_worker)


def settings_db_url(db_name: str) -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db_name}"
