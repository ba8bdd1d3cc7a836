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
from patients.models import BodySite, Case, CaseStatus, LesionImage, Sex

from .model_registry import model_version_active, predictor_for
from .models import ModelVersion, Prediction, Review, ReviewDecision
from .models.prediction import FLAG_KEYS, Flag

logger = logging.getLogger(__name__)


def _case_status_after_prediction(case: Case, version: ModelVersion) -> None:
    """A case is ready for review once every one of its images has a prediction from the version."""
    if case.status not in (CaseStatus.AWAITING_AI, CaseStatus.AI_FAILED):
        return
    pending = case.images.exclude(predictions__model_version=version).exists()
    if not pending:
        case.status = CaseStatus.AWAITING_REVIEW
        case.save(update_fields=["status", "updated_at"])


def case_metadata(case: Case) -> dict:
    """What the clinic recorded, in the model's vocabulary: age at the visit, sex, body site (None when unknown)."""
    patient = case.patient
    visit = timezone.localdate(case.created_at) if case.created_at else timezone.localdate()
    born = patient.date_of_birth
    age = None
    if born is not None:
        years = visit.year - born.year - ((visit.month, visit.day) < (born.month, born.day))
        age = float(years) if years >= 0 else None
    return {
        "age": age,
        "sex": patient.sex if patient.sex in (Sex.MALE, Sex.FEMALE) else None,
        "localization": case.body_site if case.body_site and case.body_site != BodySite.UNKNOWN else None,
    }


def _jsonable(value):
    """numpy scalars and tuples from ml become plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return float(value)


def _flag_fields(flags: dict, key: str) -> tuple[bool | None, float | None]:
    point = flags.get(key) or {}
    if "flagged" not in point:
        return None, None  # the model card has no such operating point
    threshold = point.get("threshold")
    return bool(point["flagged"]), None if threshold is None else float(threshold)


def image_classify(*, image_id: int) -> Prediction | None:
    """Classify a stored image with the active model and record the result (idempotent)."""
    image = LesionImage.objects.select_related("case__patient").filter(pk=image_id).first()
    if image is None:
        logger.warning("image %s no longer exists; nothing to classify", image_id)
        return None
    version = model_version_active()
    existing = Prediction.objects.filter(image=image, model_version=version).first()
    if existing is not None:
        return existing

    predictor = predictor_for(version)
    started = time.perf_counter()
    with image.image.open("rb") as handle:
        picture = Image.open(io.BytesIO(handle.read()))
        picture.load()
    # One pass gives probabilities, flags, the guard's verdict and the heat-map.
    result = predictor.classify([picture], metadata=[case_metadata(image.case)])[0]
    duration_ms = round((time.perf_counter() - started) * 1000)

    probabilities = {str(c): float(p) for c, p in result["probabilities"].items()}
    flags = result.get("flags") or {}
    mel_flag, mel_threshold = _flag_fields(flags, "mel")
    malignant_flag, malignant_threshold = _flag_fields(flags, "malignant")
    heatmap = result.get("heatmap_png") or b""
    prediction = Prediction(
        image=image,
        model_version=version,
        probabilities=probabilities,
        top_class=result["top_class"],
        confidence=float(result["confidence"]),
        malignancy_risk=float(result["malignancy_risk"]),
        mel_score=probabilities.get("mel"),
        mel_flag=mel_flag,
        mel_threshold=mel_threshold,
        malignant_flag=malignant_flag,
        malignant_threshold=malignant_threshold,
        assessable=bool(result.get("assessable", True)),
        not_assessable_reason="; ".join(result.get("not_assessable_reasons") or []),
        guard=_jsonable(result.get("guard") or {}),
        metadata_used=_jsonable(result.get("metadata_used") or {}),
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
        # A not-assessable image still goes to the dermatologist, with its reason.
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


def _case_flag(assessed: list[Prediction], key: str) -> bool | None:
    """True when any assessed image is flagged, False when some were evaluated and none is, None without an operating point."""
    values = [getattr(p, f"{key}_flag") for p in assessed]
    if any(values):
        return True
    return False if any(v is not None for v in values) else None


def case_ai_summary(case: Case) -> dict | None:
    """The AI's opinion on the whole case, led by its flag.

    Built from the latest prediction of each image. Only assessable images count towards the flag and the
    probabilities (averaged over them); with none assessable there is no AI diagnosis (top_class None).
    """
    latest = {}
    for prediction in Prediction.objects.filter(image__case=case).select_related("model_version", "image").order_by("created_at"):
        latest[prediction.image_id] = prediction
    if not latest:
        return None
    predictions = list(latest.values())
    assessed = [p for p in predictions if p.assessable]
    flags = {key: _case_flag(assessed, key) for key in FLAG_KEYS}
    if not assessed:
        flag = Flag.NOT_ASSESSABLE
    elif flags["mel"]:
        flag = Flag.MEL
    elif flags["malignant"]:
        flag = Flag.MALIGNANT
    elif flags["mel"] is None and flags["malignant"] is None:
        flag = Flag.UNAVAILABLE
    else:
        flag = Flag.NONE
    # The operating point that raised the flag (or, unflagged, the ones the images were held against).
    source = next((p for p in assessed if p.flag == flag), None) or next((p for p in assessed if p.flag == Flag.NONE), None)
    summary = {
        "flag": flag,
        "flag_text": Flag.TEXT[flag],
        "operating_point": source.operating_points if source else "",
        "flags": flags,
        "assessable": bool(assessed),
        "not_assessable": [p for p in predictions if not p.assessable],
        "probabilities": [],
        "top_class": None,
        "confidence": None,
        "malignancy_risk": None,
        "predictions": predictions,
        "model_versions": sorted({str(p.model_version) for p in predictions}),
    }
    if assessed:
        classes = list(assessed[0].probabilities)
        mean = {c: sum(p.probabilities.get(c, 0.0) for p in assessed) / len(assessed) for c in classes}
        top = max(mean, key=mean.get)
        summary.update(
            probabilities=sorted(mean.items(), key=lambda item: item[1], reverse=True),
            top_class=top,
            confidence=mean[top],
            malignancy_risk=max(p.malignancy_risk for p in assessed),
        )
    return summary


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
        ai_diagnosis = (summary or {}).get("top_class") or ""
        if decision == ReviewDecision.CONFIRM:
            if not ai_diagnosis:
                raise ValidationError(
                    {"decision": "The AI could not assess any image of this case, so there is no AI diagnosis to confirm: "
                     "override with your diagnosis."}
                )
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
