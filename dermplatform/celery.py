import os

from celery import Celery, signals
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dermplatform.settings")

app = Celery("dermplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
# "inference" is served by workers that hold the CNN in memory.
app.conf.task_queues = (Queue("default"), Queue("inference"))
app.autodiscover_tasks()
# The sweep of lost tasks is CELERY_BEAT_SCHEDULE in the settings, run by one `celery beat` per deployment.


def _connect_warmup() -> None:
    # The worker loads and warms the active model before its first task (no cold start for the first upload).
    from diagnosis import warmup

    signals.worker_init.connect(warmup.warm_in_main_process, weak=False)
    signals.worker_process_init.connect(warmup.warm_in_pool_process, weak=False)


_connect_warmup()


@app.task(name="dermplatform.ping", soft_time_limit=10, time_limit=20)
def ping(payload: str = "pong") -> str:
    """Round-trip check for the broker and a worker (used by health checks and tests)."""
    return payload
