"""The validation run's Celery task: scores a run chunk by chunk on the inference queue (the model is there)."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from diagnosis.inference.tasks import retry_delay
from diagnosis.validation import services as validation


@shared_task(bind=True, name="diagnosis.tasks.score_validation_run", soft_time_limit=50, time_limit=60,
             ignore_result=True, max_retries=5)
def score_validation_run(self, run_id: int) -> None:
    """Score the next chunk of a local validation run, then send the run on for the chunk after (so each task
    stays inside its time limit and the page's progress moves). Sent to the inference queue (the model is there)."""
    try:
        more = validation.validation_run_score_next(run_id=run_id)
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc
    except SoftTimeLimitExceeded:
        validation.validation_run_failed(run_id=run_id, error="time limit exceeded")
        raise
    except Exception as exc:
        validation.validation_run_failed(run_id=run_id, error=repr(exc))
        raise
    if more:
        validation.validation_run_enqueue(run_id=run_id)
