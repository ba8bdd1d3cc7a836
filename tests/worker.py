"""A real Celery worker process on the Redis broker, against the test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

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


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory, tiny_model_dir):
    """Start `celery worker` as a separate process for one test module, then stop it.

    Module scope: tests that inspect the broker's queues run with no worker consuming them.
    """
    _require_redis_broker()
    with django_db_blocker.unblock():
        test_db_name = connection.settings_dict["NAME"]
    env = dict(os.environ, DERM_MODEL_DIR=str(tiny_model_dir))
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = settings_db_url(test_db_name)
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dermplatform", "worker", "-Q", "default,inference",
             "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(proc, log_path)
        proc.log_path = log_path
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def settings_db_url(db_name: str) -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db_name}"
