"""The sweep of lost tasks: run by beat (diagnosis.inference.tasks.requeue_unclassified) and, when beat is
missing, by a worker in its place (diagnosis.inference.scheduler_heartbeat)."""

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.utils import timezone

from diagnosis.inference import broker, selectors
from diagnosis.inference.enqueue import images_enqueue

logger = logging.getLogger(__name__)

# Without a view into the broker (the file-system broker of `make run`), an image counts as lost this long
# after it was queued.
LOST_WITHOUT_BROKER_VIEW = timedelta(minutes=10)


def lost_images_requeue(*, grace_seconds: int | None = None) -> int:
    """Send again the images whose task was lost (broker restarted without persistence, worker killed, broker
    down at upload): waiting for the AI, last queued more than the grace ago, and with no message in the broker.

    Images merely waiting in a backlog have their message in the queue, and those a worker holds (running, or
    waiting out a retry's countdown) are in the broker's unacknowledged set: both are left alone.
    """
    grace = timedelta(seconds=settings.DERM_SWEEP_GRACE if grace_seconds is None else grace_seconds)
    # The broker first, then the database: an image finished in between has its prediction by then.
    try:
        in_broker = broker.queued_image_ids(current_app)
    except Exception:
        logger.warning("broker unreachable: no sweep this time", exc_info=True)
        return 0
    now = timezone.now()
    due = selectors.images_awaiting_classification(
        queued_before=now - (grace if in_broker is not None else max(grace, LOST_WITHOUT_BROKER_VIEW))
    )
    if in_broker:
        due = due.exclude(pk__in=in_broker)
    image_ids = list(due.values_list("pk", flat=True)[:1000])
    if not image_ids:
        return 0
    sent = images_enqueue(image_ids=image_ids)
    logger.warning("re-queued %d lost image(s)", sent)
    return sent
