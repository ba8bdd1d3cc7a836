import logging
import random

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from diagnosis.inference import broker, selectors, sweep
from diagnosis.inference import services as inference_services
from diagnosis.inference.failure_reasons import failure_reason
from diagnosis.inference.scheduler_heartbeat import beat_sweep_record
from diagnosis.inference.worker_identity import worker_name

logger = logging.getLogger(__name__)

def retry_delay(retries: int) -> float:
    """Exponential back-off with jitter: 5 s, 10 s, 20 s ... capped, each drawn from its upper half so that a
    backlog failing together does not come back together."""
    ceiling = min(settings.DERM_AI_RETRY_MAX_DELAY, 5 * 2**retries)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311  (jitter, not a secret)


# ignore_result: nobody reads it, and a result backend would talk to Redis before every publish.
# Time limits below the visibility timeout (CELERY_VISIBILITY_TIMEOUT): see settings.
@shared_task(
    bind=True, name="diagnosis.tasks.classify_image", soft_time_limit=50, time_limit=inference_services.CLAIM_SECONDS,
    ignore_result=True, max_retries=None,
)
def classify_image(self, image_id: int) -> str | None:
    """Classify one stored LesionImage with the active model (acknowledged late: a dying worker loses nothing)."""
    worker = worker_name()
    held = [image_id]  # what this pass may have claimed, released at the end however it ends
    try:
        # Claimed, and counted as an attempt as it starts: a worker killed while classifying it every time ends in
        # a failure.
        delivery = inference_services.image_delivery_started(image_id=image_id, worker=worker)
        if delivery is None:
            return None
        # Only a first try takes companions along: after a failure each image goes alone.
        companions = _waiting_behind(self, image_id) if delivery.may_batch else []
        held += [i for i, _, _ in companions]
        prediction = inference_services.image_classify(image_id=image_id, companion_ids=held[1:], worker=worker)
    except inference_services.ImageClaimed as claimed:
        # Another worker is passing it through the model: by the time its claim lapses the image has its
        # prediction (this message is then only acknowledged) or that worker died and this one classifies it.
        raise self.retry(countdown=claimed.seconds_left + random.uniform(1, 5)) from claimed  # noqa: S311
    except (OperationalError, InterfaceError) as exc:
        # The database is restarting or failing over: the same task does the whole job again later. Only a try
        # that had started (counted) when the database went away is charged, not the waits.
        if self.request.retries < settings.DERM_AI_DB_RETRIES:
            raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc
        # Past the budget the image is failed with the reason, if the database answers that; while it does not,
        # the message is kept and tried again every DERM_AI_RETRY_MAX_DELAY (classified once the database is back),
        # never acknowledged with the image unmarked.
        logger.error("image %s: database unavailable after %d retries: %r", image_id, self.request.retries, exc)
        if _give_up(image_id, failure_reason(exc)):
            raise
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc
    except Exception as exc:  # the technical text to the log, the plain reason to the job (and staff)
        logger.warning("image %s: classification try failed: %r", image_id, exc, exc_info=True)
        _attempt_failed(self, image_id, failure_reason(exc))
        raise
    finally:
        _release(worker, held)
    _drop_done(self, companions)
    return str(prediction.public_id) if prediction else None


def _waiting_behind(task, image_id: int) -> list[tuple[int, str, bytes]]:
    """Images whose first task is next in the queue, with their messages, to classify in the same pass (a deep
    queue is drained in batches; an idle worker's single upload goes alone, at no extra cost)."""
    limit = settings.DERM_AI_BATCH_SIZE - 1
    if limit <= 0 or task.request.is_eager:
        return []
    try:
        return [m for m in broker.next_fresh_messages(task.app, limit + 1) if m[0] != image_id][:limit]
    except SoftTimeLimitExceeded:
        raise
    except Exception:  # noqa: BLE001  batching is an optimisation: without a view into the queue, go alone
        logger.warning("could not look into the queue; classifying image %s alone", image_id, exc_info=True)
        return []


def _drop_done(task, companions: list[tuple[int, str, bytes]]) -> None:
    """The messages of the companions now classified (committed) leave the queue: nobody needs to receive them.
    Best effort: a message left behind only finds its prediction and is acknowledged."""
    if not companions:
        return
    try:
        done = selectors.images_classified(image_ids=[i for i, _, _ in companions])
        broker.messages_drop(task.app, [(key, raw) for i, key, raw in companions if i in done])
    except SoftTimeLimitExceeded:
        raise
    except Exception:  # noqa: BLE001  the work is stored; only the shortcut is lost
        logger.warning("could not take classified images' messages out of the queue", exc_info=True)


def _attempt_failed(task, image_id: int, error: str) -> None:
    """Count the failed try against the image; try again after a back-off unless that was its last."""
    try:
        job = inference_services.image_attempt_failed(image_id=image_id, error=error, counted=True)
    except DatabaseError:
        # Its try was counted as it started: the message is kept and tried again, never acknowledged unmarked.
        logger.warning("could not record the failure of image %s; trying it again later", image_id)
        raise task.retry(countdown=retry_delay(task.request.retries)) from None
    if job is not None and not job.failed:
        raise task.retry(countdown=retry_delay(job.attempts - 1))


def _release(worker: str, image_ids: list[int]) -> None:
    try:
        inference_services.images_release(image_ids=image_ids, worker=worker)
    except DatabaseError:  # the claims lapse by themselves (inference_services.CLAIM_SECONDS)
        logger.warning("could not release the claims on image(s) %s", image_ids)


def _give_up(image_id: int, error: str) -> bool:
    """Fail the image with the reason; False when the database cannot record it."""
    try:
        inference_services.image_classification_failed(image_id=image_id, error=error)
    except DatabaseError:
        logger.error("image %s: database still unavailable; its task keeps its message and tries again", image_id)
        return False
    return True


@shared_task(name="diagnosis.tasks.requeue_unclassified", soft_time_limit=60, time_limit=90, ignore_result=True)
def requeue_unclassified(grace_seconds: int | None = None) -> int:
    """Beat's sweep of lost tasks (diagnosis.inference.sweep); each run is the scheduler's heartbeat."""
    beat_sweep_record(requeue_unclassified.request)
    return sweep.lost_images_requeue(grace_seconds=grace_seconds)
