import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from . import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="diagnosis.tasks.classify_image", soft_time_limit=120, time_limit=180, max_retries=3)
def classify_image(self, image_id: int) -> str | None:
    """Classify one stored LesionImage with the active model (acknowledged late: a dying worker loses nothing)."""
    try:
        prediction = services.image_classify(image_id=image_id)
    except (OperationalError, InterfaceError) as exc:
        # The database blinked: the same task later does the whole job again.
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries)
    except SoftTimeLimitExceeded:
        services.image_classification_failed(image_id=image_id, error="time limit exceeded")
        raise
    except Exception as exc:
        services.image_classification_failed(image_id=image_id, error=repr(exc))
        raise
    return str(prediction.public_id) if prediction else None


@shared_task(name="diagnosis.tasks.requeue_unclassified", soft_time_limit=60, time_limit=90)
def requeue_unclassified(older_than_minutes: int = 5) -> int:
    """Send again images whose task was lost (a Redis restart, a broker outage at upload time)."""
    from patients.services import enqueue_classification

    image_ids = list(
        services.images_awaiting_classification(older_than=timedelta(minutes=older_than_minutes)).values_list("pk", flat=True)
    )
    for image_id in image_ids:
        enqueue_classification(image_id)
    if image_ids:
        logger.warning("re-queued %d image(s) without a prediction", len(image_ids))
    return len(image_ids)
