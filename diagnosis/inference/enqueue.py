"""Sending images to the AI: after an upload, by the sweep, and when staff retry. Tasks are sent by their
registered name (diagnosis.tasks.*): the task module enqueues in its sweep, so it is never imported back."""



import logging

from celery import current_app
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from dermplatform.api import policy
from dermplatform.api.errors import StateConflict
from dermplatform.audit.services import Action, event_record
from diagnosis.inference.ai_waiting import case_images_to_retry, case_retry_allowed
from diagnosis.models import ClassificationJob
from diagnosis.triage import triage_refresh
from patients.models import Case, CaseStatus

logger = logging.getLogger(__name__)
# diagnosis.inference.tasks.classify_image; routed to the "inference" queue by CELERY_TASK_ROUTES.
CLASSIFY_IMAGE = "diagnosis.tasks.classify_image"


def images_enqueue(*, image_ids: list[int]) -> int:
    """Send each image to the inference queue and record when and how often it was sent; returns how many went.

    Runs after a commit (an upload or a retry already succeeded), so it never raises: at the first broker error
    it stops, and what it did not send has no fresh `queued_at`, so the sweep sends it once the broker is back.
    """
    sent = []
    try:
        with current_app.producer_or_acquire() as producer:
            for image_id in image_ids:
                current_app.send_task(CLASSIFY_IMAGE, args=[image_id], producer=producer)
                sent.append(image_id)
    except Exception:
        logger.warning(
            "broker unreachable: %d of %d image(s) left for the sweep", len(image_ids) - len(sent), len(image_ids),
            exc_info=True,
        )
    try:
        ClassificationJob.objects.bulk_create([ClassificationJob(image_id=i) for i in sent], ignore_conflicts=True)
        ClassificationJob.objects.filter(image_id__in=sent).update(
            queued_at=timezone.now(), times_queued=F("times_queued") + 1
        )
    except DatabaseError:
        logger.warning("could not record %d queued image(s)", len(sent), exc_info=True)
    return len(sent)


def case_retry_classification(*, case: Case, user) -> int:
    """Staff ask the AI again for the images it failed on or still owes in an open case (diagnosis.inference.ai_waiting
    says when: the page's Retry AI button asks the same). Classified images and their predictions are left as
    they are, and a case in review keeps its status and place in the queue while the retry runs."""
    if not policy.can_retry_ai(user, case.patient.clinic_id):
        raise PermissionDenied("Only the clinic's staff can retry the AI.")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case_retry_allowed(case):
            raise StateConflict(
                "Only an open case whose AI classification failed or is delayed can be sent to the AI again."
            )
        pending = case_images_to_retry(case=case)
        # A fresh start for each: the attempts count again from zero, and the "delayed" clock starts again.
        ClassificationJob.objects.bulk_create([ClassificationJob(image_id=i) for i in pending], ignore_conflicts=True)
        ClassificationJob.objects.filter(image_id__in=pending).update(
            attempts=0, last_error="", failed_at=None, failure_reason="", retried_at=timezone.now()
        )
        if case.status == CaseStatus.AI_FAILED:
            # Nothing left to classify (the failure was on a copy of a finished task): it is ready for review.
            case.move_to(CaseStatus.AWAITING_AI if pending else CaseStatus.AWAITING_REVIEW)
        else:
            triage_refresh(case_ids=[case.pk])  # its images are no longer failed: off the "AI failed" filter
        event_record(action=Action.AI_RETRY, actor=user, obj=case)
        if pending:
            transaction.on_commit(lambda: images_enqueue(image_ids=pending), robust=True)
    return len(pending)
