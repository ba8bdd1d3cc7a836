import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dermplatform.settings")

app = Celery("dermplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
# "inference" is served by workers that hold the CNN in memory.
app.conf.task_queues = (Queue("default"), Queue("inference"))
app.autodiscover_tasks()
# The sweep of lost tasks is CELERY_BEAT_SCHEDULE in the settings, run by one `celery beat` per deployment.
# Apps connect their worker signals in AppConfig.ready (django.setup runs before the worker sends worker_init).


@app.task(name="dermplatform.ping", soft_time_limit=10, time_limit=20)
def ping(payload: str = "pong") -> str:
    """Round-trip check for the broker and a worker (used by health checks and tests)."""
    return payload
