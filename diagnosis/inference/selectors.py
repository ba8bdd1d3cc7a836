"""Reads of the inference pipeline: images waiting for, failed by or classified by the AI."""

from django.db.models import Q

from diagnosis.inference.ai_waiting import images_waiting
from diagnosis.inference.model_registry import model_version_active
from diagnosis.models import ClassificationJob, Prediction


def images_awaiting_classification(*, queued_before):
    """Images still waiting for the AI (diagnosis.inference.ai_waiting: of open cases, not given up on; a case in review
    only for the images staff sent again), last sent to the queue before `queued_before` (never sent: uploaded
    before it)."""
    return (
        images_waiting()
        .filter(Q(ai_job__queued_at__lt=queued_before) | Q(ai_job__queued_at__isnull=True, uploaded_at__lt=queued_before))
        .order_by("uploaded_at", "pk")
    )


def images_failed(*, case):
    """The case's images the AI gave up on, with the reason and attempt count (the case was scoped by the caller)."""
    return ClassificationJob.objects.filter(image__case=case, failed_at__isnull=False).select_related("image")


def images_classified(*, image_ids) -> set[int]:
    """Those of the images that have a prediction from the active model version."""
    version = model_version_active()
    return set(
        Prediction.objects.filter(image_id__in=list(image_ids), model_version=version).values_list("image_id", flat=True)
    )
