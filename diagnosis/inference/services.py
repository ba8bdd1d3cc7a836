"""The inference pipeline's writes: enqueue, classify (alone or in a batch), record predictions, count
attempts and failures, retry. Each function holds its transaction."""


import io
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from dermplatform.audit.services import Action, event_record
from diagnosis.inference.model_registry import model_version_active, predictor_for
from diagnosis.inference.worker_identity import worker_gone
from diagnosis.models import ClassificationJob, ClinicThresholds, ModelVersion, Prediction
from diagnosis.models.prediction import FLAG_KEYS
from diagnosis.models.review import MALIGNANT
from diagnosis.not_assessable import reason_store
from diagnosis.opinion import case_metadata
from diagnosis.triage import triage_refresh
from ml.serving.classification import Classification
from patients.models import Case, CaseStatus, LesionImage

FLAG_CLASSES = {"mel": ("mel",), "malignant": tuple(sorted(MALIGNANT))}


logger = logging.getLogger(__name__)


AI_WORKER = "ai-worker"  # the audit trail's actor name for what the inference worker writes


# classify_image's hard time limit: no live worker holds an image's claim longer, so an older claim is a dead one's.
CLAIM_SECONDS = 60


def _case_status_after_image(case: Case, version: ModelVersion) -> None:
    """Once no image of the case waits for the AI, the case goes to review if any image has a prediction from
    the version, and is "AI failed" if the AI gave up on every one (failure is per image)."""
    if case.status not in (CaseStatus.AWAITING_AI, CaseStatus.AI_FAILED):
        return
    unclassified = case.images.exclude(predictions__model_version=version)
    if unclassified.exclude(ai_job__failed_at__isnull=False).exists():
        return
    classified = case.images.filter(predictions__model_version=version).exists()
    status = CaseStatus.AWAITING_REVIEW if classified else CaseStatus.AI_FAILED
    if case.status != status:
        case.move_to(status)


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


def _picture_open(image: LesionImage) -> Image.Image:
    with image.image.open("rb") as handle:
        picture = Image.open(io.BytesIO(handle.read()))
        picture.load()
    return picture


def image_classify(*, image_id: int, companion_ids: Sequence[int] = (), worker: str = "") -> Prediction | None:
    """Classify a stored image with the active model and record the result (idempotent).

    `companion_ids`: images whose first task waits in the queue behind this one. Those that can join (first
    try, nothing recorded, stored file readable, not claimed) are claimed for `worker` and classified in the same
    pass and recorded too (the task then takes their messages out of the queue). The others are left to their own
    deliveries.
    """
    image = LesionImage.objects.select_related("case__patient").filter(pk=image_id).first()
    if image is None:
        logger.warning("image %s no longer exists; nothing to classify", image_id)
        return None
    version = model_version_active()
    existing = Prediction.objects.filter(image=image, model_version=version).first()
    if existing is not None:
        return existing
    if ClassificationJob.objects.filter(image=image, failed_at__isnull=False).exists():
        return None  # the AI gave up on it; only staff asking again (case_retry_classification) clears that
    batch = [(image, _picture_open(image))]
    batch += _companions_join(companion_ids, version, exclude=image.pk, worker=worker)
    return images_classify_together(batch, version)[0]


def _companions_join(image_ids: Sequence[int], version: ModelVersion, *, exclude: int, worker: str) -> list[tuple]:
    """The companions that join a batch, each with its decoded picture, claimed for `worker`. The batch counts as
    every member's first try and marks it `batch_pending`: if the pass does not finish (a kill: nobody can tell
    which image caused it), each member's next try goes alone and is not counted again, so only an image whose
    solitary try fails or dies is charged. A member is never a companion again."""
    image_ids = [i for i in image_ids if i != exclude]
    if not image_ids:
        return []
    eligible = (
        ClassificationJob.objects.filter(image_id__in=image_ids, attempts=0, failed_at__isnull=True)
        .exclude(image__predictions__model_version=version)
        .values_list("image_id", flat=True)
    )
    pictures = {}
    for image in LesionImage.objects.select_related("case__patient").filter(pk__in=list(eligible)):
        try:
            pictures[image.pk] = (image, _picture_open(image))
        except Exception:  # noqa: BLE001  its own delivery records what is wrong with it
            logger.info("image %s cannot join a batch; left to its own task", image.pk)
    now = timezone.now()
    with transaction.atomic():
        # skip_locked: an image another worker is counting right now is that worker's; so is one it claimed.
        joined = list(
            ClassificationJob.objects.select_for_update(skip_locked=True)
            .filter(image_id__in=list(pictures), attempts=0, failed_at__isnull=True)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(seconds=CLAIM_SECONDS)))
            .values_list("image_id", flat=True)
        )
        if joined:
            ClassificationJob.objects.filter(image_id__in=joined).update(
                attempts=1, batch_pending=True, claimed_by=worker, claimed_at=now
            )
            ClassificationJob.objects.filter(image_id=exclude).update(batch_pending=True)
    return [pictures[i] for i in image_ids if i in joined]


def images_classify_together(batch: list[tuple], version: ModelVersion) -> list[Prediction | None]:
    """Classify (image, picture) pairs in one pass of the model and record each result in its own transaction.

    A pass that raises is tried again for the first image alone (the others go back to their own tasks), so
    that one bad image fails only itself; for a single image the error propagates.
    """
    predictor = predictor_for(version)
    started = time.perf_counter()
    try:
        # One pass gives probabilities, flags, the guard's verdict and the heat-map.
        results = predictor.classify(
            [picture for _, picture in batch], metadata=[case_metadata(image.case) for image, _ in batch]
        )
    except Exception:
        if len(batch) == 1:
            raise
        logger.warning("a batch of %d images failed; classifying image %s alone", len(batch), batch[0][0].pk,
                       exc_info=True)
        # The first image's solitary try is the one the batch counted; the others' own deliveries get theirs.
        ClassificationJob.objects.filter(image_id=batch[0][0].pk).update(batch_pending=False)
        return images_classify_together(batch[:1], version)
    duration_ms = round((time.perf_counter() - started) * 1000 / len(batch))  # each image's share of the pass
    if len(batch) > 1:
        logger.info("classified %d images in one pass (%d ms each)", len(batch), duration_ms)
    return _predictions_record([(image, result) for (image, _), result in zip(batch, results, strict=True)], version, duration_ms)


MODEL_CARD = "model card"


def flags_at_clinic_thresholds(probabilities: dict, flags: dict, clinic: ClinicThresholds | None) -> dict:
    """The model's flags, with the clinic's adopted threshold in place of the card's for each flag it set (the
    same rule as the card's: flagged when the score reaches the threshold)."""
    if clinic is None:
        return flags
    flags = {key: dict(value) for key, value in flags.items()}
    for key in FLAG_KEYS:
        threshold = clinic.threshold(key)
        if threshold is None:
            continue
        score = (flags.get(key) or {}).get("score")
        if score is None:
            score = sum(float(probabilities.get(c, 0.0)) for c in FLAG_CLASSES[key])
        flags[key] = {"score": float(score), "threshold": float(threshold), "flagged": float(score) >= threshold}
    return flags


def _clinic_thresholds_in_force(clinic_id: int, version: ModelVersion) -> ClinicThresholds | None:
    """The clinic's adopted thresholds for this version; None when the model card's apply (never adopted, or
    restored)."""
    current = ClinicThresholds.objects.in_force(clinic_id=clinic_id, model_version_id=version.pk)
    if current is None or (current.mel_threshold is None and current.malignant_threshold is None):
        return None
    return current


def _operating_point_source(clinic: ClinicThresholds | None) -> str:
    if clinic is None:
        return MODEL_CARD
    if clinic.mel_threshold is not None and clinic.malignant_threshold is not None:
        return clinic.label
    only = "melanoma" if clinic.mel_threshold is not None else "malignancy"
    return f"{clinic.label} ({only} flag), model card (the other)"


def _prediction_build(image: LesionImage, version: ModelVersion, result: Classification, duration_ms: int,
                      clinic: ClinicThresholds | None = None) -> Prediction:
    probabilities = {str(c): float(p) for c, p in result.probabilities.items()}
    flags = flags_at_clinic_thresholds(probabilities, result.flags or {}, clinic)
    mel_flag, mel_threshold = _flag_fields(flags, "mel")
    malignant_flag, malignant_threshold = _flag_fields(flags, "malignant")
    return Prediction(
        clinic_thresholds=clinic,
        operating_point_source=_operating_point_source(clinic),
        image=image,
        model_version=version,
        probabilities=probabilities,
        top_class=result.top_class,
        confidence=float(result.confidence),
        malignancy_risk=float(result.malignancy_risk),
        mel_score=probabilities.get("mel"),
        mel_flag=mel_flag,
        mel_threshold=mel_threshold,
        malignant_flag=malignant_flag,
        malignant_threshold=malignant_threshold,
        assessable=bool(result.assessable),
        # Each reason with its numbers in parentheses: pages show the plain sentence and the numbers apart.
        not_assessable_reason=reason_store(result.not_assessable_reasons, result.not_assessable_details),
        guard=_jsonable(result.guard or {}),
        metadata_used=_jsonable(result.metadata_used or {}),
        duration_ms=duration_ms,
    )


def _predictions_record(results: list[tuple], version: ModelVersion, duration_ms: int) -> list[Prediction | None]:
    """Store each (image, result) with its audit event; one transaction per case (its row locked once, its status
    settled once), cases in id order so that two workers never wait on each other in a circle.

    The first image's case propagates an error (its task counts it); another case's error leaves those images to
    their own tasks."""
    by_case: dict[int, list] = {}
    for image, result in results:
        by_case.setdefault(image.case_id, []).append((image, result))
    first = results[0][0]
    stored: dict[int, Prediction] = {}
    for case_id in sorted(by_case):
        try:
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=case_id)
                for image, result in by_case[case_id]:
                    stored[image.pk] = _prediction_store(image, version, result, duration_ms)
                # A not-assessable image still goes to the dermatologist, with its reason.
                _case_status_after_image(case, version)
                triage_refresh(case_ids=[case.pk])
        except Exception:
            if case_id == first.case_id:
                raise
            logger.warning("could not store the batch's predictions for case %s; left to their own tasks", case_id,
                           exc_info=True)
            for image, _ in by_case[case_id]:
                stored.pop(image.pk, None)
    return [stored.get(image.pk) for image, _ in results]


def _prediction_store(image: LesionImage, version: ModelVersion, result: Classification, duration_ms: int) -> Prediction:
    """Inside the case's transaction: the prediction and its heat-map, or the one a re-delivered task stored first."""
    # The clinic's adopted thresholds are read in the case's transaction: an adoption commits before or after it.
    clinic = _clinic_thresholds_in_force(image.case.patient.clinic_id, version)
    prediction = _prediction_build(image, version, result, duration_ms, clinic)
    heatmap = result.heatmap_png or b""
    try:
        with transaction.atomic():
            if heatmap:
                prediction.heatmap.save(f"heatmaps/{prediction.public_id.hex}.png", ContentFile(heatmap), save=False)
            prediction.save()
    except IntegrityError:
        # A re-delivered task finished first: keep its result.
        return Prediction.objects.get(image=image, model_version=version)
    # The worker writes patient data too: recorded in the same transaction as the opinion.
    event_record(action=Action.PREDICTION_CREATE, obj=prediction, username=AI_WORKER,
                 clinic_id=image.case.patient.clinic_id)
    return prediction


def _image_failed(*, image_id: int, error: str, final: bool, counted: bool = False) -> ClassificationJob | None:
    image = LesionImage.objects.filter(pk=image_id).first()
    if image is None:
        return None
    version = model_version_active()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=image.case_id)
        if Prediction.objects.filter(image=image, model_version=version).exists():
            return None  # another delivery of its task succeeded
        job, _ = ClassificationJob.objects.select_for_update().get_or_create(image=image)
        if job.failed:
            return job
        if not counted or not job.attempts:
            job.attempts += 1
        job.last_error = error
        if final or job.attempts >= settings.DERM_AI_MAX_ATTEMPTS:
            job.failed_at = timezone.now()
            job.failure_reason = error
        job.save()
        if job.failed:
            _case_status_after_image(case, version)
            triage_refresh(case_ids=[case.pk])
            event_record(action=Action.PREDICTION_FAILED, obj=image, username=AI_WORKER,
                         clinic_id=case.patient.clinic_id)
    logger.error("classification of image %s failed (attempt %d%s): %s", image_id, job.attempts,
                 ", giving up" if job.failed else "", error)
    return job


class ImageClaimed(Exception):
    """Another live worker is passing the image through the model now: try again once its claim lapses."""

    def __init__(self, seconds_left: float):
        super().__init__(f"claimed by another worker for {seconds_left:.0f} s more")
        self.seconds_left = seconds_left


class Delivery(NamedTuple):
    attempt: int  # the attempt's number
    may_batch: bool  # a first try: it may take the images waiting behind it along


def _claim_seconds_left(job: ClassificationJob, worker: str, now) -> float:
    """How long another worker's claim on the image still holds; 0 when free, ours, lapsed or its holder died."""
    if job.claimed_at is None or job.claimed_by == worker or worker_gone(job.claimed_by):
        return 0.0
    return max(0.0, CLAIM_SECONDS - (now - job.claimed_at).total_seconds())


def image_delivery_started(*, image_id: int, worker: str = "") -> Delivery | None:
    """A delivery of the image's task starts: the image is claimed for `worker` (so that no other worker passes it
    through the model at the same time; ImageClaimed while another live one holds it) and the try counts as an
    attempt now, not when it ends, so that a message whose worker dies while classifying it (SIGKILL, out of
    memory, a crash in native code) cannot come back for ever. The exception: the solitary try after a batch pass
    that did not finish is the one that batch counted (a kill mid-batch charges no image of it; only the image
    whose own try dies again is charged).

    None when there is nothing to classify: the image is gone, already has a prediction from the active version (a
    re-delivered task, or one classified along in a batch: nothing counted), or was given up on. With
    DERM_AI_MAX_ATTEMPTS attempts already counted and no outcome recorded, the worker stopped each time: the image
    is failed with that reason. A message a worker reserved but never started is not counted, nor one that finds
    the database down (nothing is written).
    """
    version = model_version_active()
    # First and without a lock: the cheap answer for a task whose image was classified in another's batch.
    if Prediction.objects.filter(image_id=image_id, model_version=version).exists():
        return None
    image = LesionImage.objects.filter(pk=image_id).first()
    if image is None:
        logger.warning("image %s no longer exists; nothing to classify", image_id)
        return None
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=image.case_id)
        if Prediction.objects.filter(image=image, model_version=version).exists():
            return None  # a re-delivered task
        job, _ = ClassificationJob.objects.select_for_update().get_or_create(image=image)
        if job.failed:
            return None
        now = timezone.now()
        seconds_left = _claim_seconds_left(job, worker, now)
        if seconds_left > 0:
            raise ImageClaimed(seconds_left)
        first_try = job.attempts == 0
        if job.batch_pending:
            job.batch_pending = False
        elif job.attempts < settings.DERM_AI_MAX_ATTEMPTS:
            job.attempts += 1
        else:
            job.failed_at = now
            job.failure_reason = job.last_error = f"the worker stopped while classifying it {job.attempts} times"
            job.claimed_by, job.claimed_at = "", None
            job.save()
            _case_status_after_image(case, version)
            triage_refresh(case_ids=[case.pk])
            event_record(action=Action.PREDICTION_FAILED, obj=image, username=AI_WORKER,
                         clinic_id=case.patient.clinic_id)
            logger.error("classification of image %s failed, giving up: %s", image_id, job.failure_reason)
            return None
        job.claimed_by, job.claimed_at = worker, now
        job.save(update_fields=["attempts", "batch_pending", "claimed_by", "claimed_at"])
    return Delivery(attempt=job.attempts, may_batch=first_try)


def images_release(*, image_ids: Sequence[int], worker: str) -> None:
    """The pass of `worker` is over (stored, failed, or given back): its claims on these images end."""
    ClassificationJob.objects.filter(image_id__in=list(image_ids), claimed_by=worker).update(
        claimed_by="", claimed_at=None
    )


def image_attempt_failed(*, image_id: int, error: str, counted: bool = False) -> ClassificationJob | None:
    """Count a failed try (`counted`: image_delivery_started counted it already); after DERM_AI_MAX_ATTEMPTS of
    them the image is failed (its case's other images go on)."""
    return _image_failed(image_id=image_id, error=error, final=False, counted=counted)


def image_classification_failed(*, image_id: int, error: str) -> ClassificationJob | None:
    """Give up on one image now, with the reason; its case's other images still go to review."""
    return _image_failed(image_id=image_id, error=error, final=True)
