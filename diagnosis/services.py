"""Writes for predictions and reviews. Each function holds its transaction."""

import io
import logging
import time
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from dermplatform.accounts.models import Role
from patients.models import Case, CaseStatus, LesionImage

from .model_registry import model_version_active, predictor_for
from .models import ModelVersion, Prediction, Review, ReviewDecision

logger = logging.getLogger(__name__)


def _case_status_after_prediction(case: Case, version: ModelVersion) -> None:
    """A case is ready for review once every one of its images has a prediction from the version."""
    if case.status not in (CaseStatus.AWAITING_AI, CaseStatus.AI_FAILED):
        return
    pending = case.images.exclude(predictions__model_version=version).exists()
    if not pending:
        case.status = CaseStatus.AWAITING_REVIEW
        case.save(update_fields=["status", "updated_at"])


def image_classify(*, image_id: int) -> Prediction | None:
    """Classify a stored image with the active model and record the result (idempotent)."""
    image = LesionImage.objects.select_related("case").filter(pk=image_id).first()
    if image is None:
        logger.warning("image %s no longer exists; nothing to classify", image_id)
        return None
    version = model_version_active()
    existing = Prediction.objects.filter(image=image, model_version=version).first()
    if existing is not None:
        return existing

    from ml import malignancy_risk
    from ml.explain import gradcam_png

    predictor = predictor_for(version)
    started = time.perf_counter()
    with image.image.open("rb") as handle:
        picture = Image.open(io.BytesIO(handle.read()))
        picture.load()
    probs = predictor.predict([picture])[0]
    heatmap = gradcam_png(predictor, picture) if predictor.gradcam_layer else b""
    duration_ms = round((time.perf_counter() - started) * 1000)

    probabilities = {c: float(p) for c, p in zip(predictor.classes, probs)}
    top_class = max(probabilities, key=probabilities.get)
    prediction = Prediction(
        image=image,
        model_version=version,
        probabilities=probabilities,
        top_class=top_class,
        confidence=probabilities[top_class],
        malignancy_risk=malignancy_risk(probabilities),
        duration_ms=duration_ms,
    )
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=image.case_id)
        try:
            with transaction.atomic():
                if heatmap:
                    prediction.heatmap.save(f"heatmaps/{prediction.public_id.hex}.png", ContentFile(heatmap), save=False)
                prediction.save()
        except IntegrityError:
            # A re-delivered task finished first: keep its result.
            return Prediction.objects.get(image=image, model_version=version)
        _case_status_after_prediction(case, version)
    return prediction


@transaction.atomic
def image_classification_failed(*, image_id: int, error: str) -> None:
    image = LesionImage.objects.filter(pk=image_id).first()
    if image is None:
        return
    case = Case.objects.select_for_update().get(pk=image.case_id)
    if case.status == CaseStatus.AWAITING_AI:
        case.status = CaseStatus.AI_FAILED
        case.save(update_fields=["status", "updated_at"])
    logger.error("classification of image %s failed: %s", image_id, error)


def images_awaiting_classification(*, older_than: timedelta = timedelta(minutes=5)):
    """Images of open cases still without a prediction from the active version (lost or failed tasks)."""
    version = model_version_active()
    return (
        LesionImage.objects.filter(
            case__archived_at__isnull=True,
            case__status__in=[CaseStatus.AWAITING_AI, CaseStatus.AI_FAILED],
            uploaded_at__lt=timezone.now() - older_than,
        )
        .exclude(predictions__model_version=version)
        .order_by("uploaded_at")
    )


def case_retry_classification(*, case: Case, user) -> int:
    """Staff ask the AI again for a case whose classification failed."""
    from patients.services import enqueue_classification

    if user.role != Role.STAFF or user.clinic_id != case.patient.clinic_id:
        raise PermissionDenied("Only the clinic's staff can retry the AI.")
    version = model_version_active()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.is_archived or case.status != CaseStatus.AI_FAILED:
            raise ValidationError("Only an open case whose AI classification failed can be retried.")
        pending = list(case.images.exclude(predictions__model_version=version).values_list("pk", flat=True))
        # Nothing left to classify (the failure was on a copy of a finished task): it is ready for review.
        case.status = CaseStatus.AWAITING_AI if pending else CaseStatus.AWAITING_REVIEW
        case.save(update_fields=["status", "updated_at"])
        for image_id in pending:
            transaction.on_commit(lambda image_id=image_id: enqueue_classification(image_id), robust=True)
    return len(pending)


def case_ai_summary(case: Case) -> dict | None:
    """The AI's opinion on the whole case: each class's probability averaged over its images' latest predictions."""
    latest = {}
    for prediction in Prediction.objects.filter(image__case=case).select_related("model_version").order_by("created_at"):
        latest[prediction.image_id] = prediction
    if not latest:
        return None
    predictions = list(latest.values())
    classes = list(predictions[0].probabilities)
    mean = {c: sum(p.probabilities.get(c, 0.0) for p in predictions) / len(predictions) for c in classes}
    top = max(mean, key=mean.get)
    return {
        "probabilities": sorted(mean.items(), key=lambda item: item[1], reverse=True),
        "top_class": top,
        "confidence": mean[top],
        "malignancy_risk": max(p.malignancy_risk for p in predictions),
        "predictions": predictions,
        "model_versions": sorted({str(p.model_version) for p in predictions}),
    }


def review_submit(*, case: Case, reviewer, decision: str, diagnosis: str = "", notes: str = "") -> Review:
    """Record a dermatologist's decision; it supersedes the case's previous review."""
    if reviewer.role != Role.DERMATOLOGIST or reviewer.clinic_id != case.patient.clinic_id:
        raise PermissionDenied("Only a dermatologist of the case's clinic can review it.")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.is_archived:
            raise ValidationError("An archived case cannot be reviewed.")
        if case.status not in (CaseStatus.AWAITING_REVIEW, CaseStatus.REVIEWED):
            raise ValidationError("This case has no AI result to review yet.")
        summary = case_ai_summary(case)
        ai_diagnosis = summary["top_class"]
        if decision == ReviewDecision.CONFIRM:
            diagnosis = ai_diagnosis
        elif decision == ReviewDecision.OVERRIDE:
            if not diagnosis:
                raise ValidationError({"diagnosis": "Choose the diagnosis that replaces the AI's."})
            if diagnosis == ai_diagnosis:
                raise ValidationError({"diagnosis": "That is the AI's diagnosis: confirm it instead."})
        else:
            raise ValidationError({"decision": "Confirm or override."})
        previous = case.reviews.filter(superseded_by__isnull=True).first()
        review = Review(
            case=case, reviewer=reviewer, decision=decision, diagnosis=diagnosis,
            ai_diagnosis=ai_diagnosis, notes=notes.strip(), supersedes=previous,
        )
        review.full_clean()
        review.save()
        case.status = CaseStatus.REVIEWED
        case.save(update_fields=["status", "updated_at"])
    return review
