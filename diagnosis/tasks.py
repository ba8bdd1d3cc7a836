import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="diagnosis.tasks.classify_image", soft_time_limit=120, time_limit=180)
def classify_image(image_id: int) -> None:
    """Classify one stored LesionImage with the current model (inference: next step of the roadmap)."""
    logger.info("classify_image received image %s", image_id)
