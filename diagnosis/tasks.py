"""Celery's autodiscovery reads each app's `tasks` module: the diagnosis tasks live with what they run, and are
gathered here under their registered names (diagnosis.tasks.*, which queued messages and the beat schedule carry)."""

from diagnosis.inference.tasks import classify_image, requeue_unclassified
from diagnosis.validation.tasks import score_validation_run

__all__ = ["classify_image", "requeue_unclassified", "score_validation_run"]
