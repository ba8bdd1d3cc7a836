"""Writes of local validation: runs (from an upload or the clinic's cases with histology), their scoring by the
worker, and the clinic's thresholds (adopted or restored: a new row each time, audited)."""

import csv
import io
import logging
import time
import uuid
import zipfile
from pathlib import PurePosixPath

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from dermplatform.accounts.models import Role
from dermplatform.audit.services import Action, event_record
from diagnosis.inference.model_registry import model_version_active, predictor_for
from diagnosis.models import ClinicThresholds, ModelVersion, ValidationImage, ValidationRun
from diagnosis.models.prediction import image_storage
from diagnosis.models.review import DIAGNOSES
from diagnosis.opinion import case_metadata
from diagnosis.reports.local_validation import FLAG_POSITIVES, MIN_POSITIVES_TO_ADOPT, POSITIVES_NAMES
from diagnosis.validation import selectors
from patients.imaging import clean_image
from patients.models import LesionImage, Sex

logger = logging.getLogger(__name__)
CLASSES = [code for code, _ in DIAGNOSES]
MAX_IMAGES = 5000
MAX_ZIP_BYTES = 1024 * 1024 * 1024
MAX_ERRORS_SHOWN = 20
CHUNK = 16  # images scored per task: each task stays well inside its time limit, and progress moves
AI_WORKER = "ai-worker"

FILE_COLUMNS = ("file_name", "filename", "file", "image", "image_id")
DIAGNOSIS_COLUMNS = ("diagnosis", "dx")
AGE_COLUMNS = ("age",)
SEX_COLUMNS = ("sex",)
SITE_COLUMNS = ("body_site", "localization", "site")


# --- who may do what -------------------------------------------------------------------------------------------

def can_run(user, clinic_id: int) -> bool:
    """Start, read and delete runs: the clinic's dermatologists, and admins (second factor verified)."""
    if user.role == Role.ADMIN:
        return second_factor_verified(user)
    return user.role == Role.DERMATOLOGIST and user.clinic_id == clinic_id


def second_factor_verified(user) -> bool:
    # Pages: django-otp marks the session. API tokens are issued to such users only with their code.
    is_verified = getattr(user, "is_verified", None)
    return True if is_verified is None else bool(is_verified())


def can_adopt(user) -> bool:
    return user.role == Role.ADMIN and second_factor_verified(user)


# --- creating a run ---------------------------------------------------------------------------------------------

def _column(header: list[str], names: tuple, *, required: str | None = None) -> int | None:
    for index, name in enumerate(header):
        if name in names:
            return index
    if required:
        raise ValidationError({"labels": f"The CSV has no {required} column (a header row naming e.g. "
                                         f"{', '.join(names[:2])})."})
    return None


def _rows(csv_file) -> list[dict]:
    """The CSV's rows as {file_name, truth, age, sex, localization}, or every problem at once."""
    if csv_file is None:
        raise ValidationError({"labels": "Add the CSV of labels (file name, diagnosis; optional age, sex, body site)."})
    raw = csv_file.read(5 * 1024 * 1024 + 1)
    if len(raw) > 5 * 1024 * 1024:
        raise ValidationError({"labels": "The CSV is larger than 5 MB."})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"labels": "The CSV is not UTF-8 text."}) from None
    try:
        table = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ValidationError({"labels": f"The CSV cannot be read ({exc})."}) from None
    if len(table) < 2:
        raise ValidationError({"labels": "The CSV needs a header row and at least one image."})
    header = [cell.strip().lower().replace(" ", "_") for cell in table[0]]
    file_at = _column(header, FILE_COLUMNS, required="file name")
    dx_at = _column(header, DIAGNOSIS_COLUMNS, required="diagnosis")
    age_at, sex_at, site_at = _column(header, AGE_COLUMNS), _column(header, SEX_COLUMNS), _column(header, SITE_COLUMNS)
    if len(table) - 1 > MAX_IMAGES:
        raise ValidationError({"labels": f"At most {MAX_IMAGES} images per run."})
    rows, errors, seen = [], [], set()

    def cell(row, at):
        return row[at].strip() if at is not None and at < len(row) else ""

    for number, row in enumerate(table[1:], start=2):
        name, truth = cell(row, file_at), cell(row, dx_at).lower()
        if not name:
            errors.append(f"Line {number}: no file name.")
            continue
        if name in seen:
            errors.append(f"Line {number}: {name} is listed twice.")
        seen.add(name)
        if truth not in CLASSES:
            errors.append(f"Line {number} ({name}): unknown diagnosis {truth!r}; use one of {', '.join(CLASSES)}.")
        age = None
        if cell(row, age_at):
            try:
                age = float(cell(row, age_at))
            except ValueError:
                age = -1.0
            if not 0 <= age <= 120:
                errors.append(f"Line {number} ({name}): age {cell(row, age_at)!r} is not a number of years (0–120).")
        sex = cell(row, sex_at).lower()
        rows.append({
            "file_name": name[-255:], "truth": truth, "age": age,
            "sex": sex if sex in (Sex.MALE, Sex.FEMALE) else "",
            "localization": cell(row, site_at).lower()[:40] if cell(row, site_at).lower() != "unknown" else "",
        })
    if errors:
        raise ValidationError({"labels": _shortened(errors)})
    return rows


def _shortened(errors: list[str]) -> list[str]:
    if len(errors) <= MAX_ERRORS_SHOWN:
        return errors
    return [*errors[:MAX_ERRORS_SHOWN], f"… and {len(errors) - MAX_ERRORS_SHOWN} more."]


def _zip_members(archive) -> tuple[zipfile.ZipFile, dict]:
    if archive is None:
        raise ValidationError({"images": "Add the ZIP of images."})
    limit = getattr(settings, "DERM_VALIDATION_MAX_ZIP_BYTES", MAX_ZIP_BYTES)
    if getattr(archive, "size", 0) > limit:
        raise ValidationError({"images": f"The ZIP is larger than the {limit / 1024 ** 2:g} MB limit."})
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise ValidationError({"images": "The images file is not a ZIP archive."}) from None
    members = {}
    for info in bundle.infolist():
        path = PurePosixPath(info.filename)
        if info.is_dir() or path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        members.setdefault(path.name, info)
        members.setdefault(info.filename, info)
    return bundle, members


def _member_for(members: dict, name: str):
    found = members.get(name) or members.get(PurePosixPath(name).name)
    if found is None and not PurePosixPath(name).suffix:
        found = next((members[name + ext] for ext in (".jpg", ".jpeg", ".png", ".JPG", ".PNG") if name + ext in members),
                     None)
    return found


def _run_new(*, user, clinic_id: int, source: str, name: str) -> ValidationRun:
    if not can_run(user, clinic_id):
        raise PermissionDenied("Only the clinic's dermatologists and administrators run local validations.")
    return ValidationRun(clinic_id=clinic_id, model_version=model_version_active(), source=source,
                         name=(name or "").strip()[:200], created_by=user)


def validation_run_create_from_upload(*, user, clinic_id: int, archive, labels, name: str = "") -> ValidationRun:
    """A run over a ZIP of images labelled by a CSV. Every image is validated as an upload is (decoded by Pillow,
    size and pixel limits, metadata stripped); any problem refuses the whole set and stores nothing."""
    run = _run_new(user=user, clinic_id=clinic_id, source=ValidationRun.Source.UPLOAD, name=name)
    rows = _rows(labels)
    bundle, members = _zip_members(archive)
    limit = settings.DERM_MAX_UPLOAD_BYTES
    errors, cleaned = [], []
    with bundle:
        for row in rows:
            info = _member_for(members, row["file_name"])
            if info is None:
                errors.append(f"{row['file_name']}: listed in the CSV but not in the ZIP.")
                continue
            if info.file_size > limit:
                errors.append(f"{row['file_name']}: larger than the {limit / 1024 ** 2:g} MB limit.")
                continue
            try:
                with bundle.open(info) as handle:
                    data = handle.read(limit + 1)
                cleaned.append((row, clean_image(data, row["file_name"])))
            except ValidationError as exc:
                errors.append(f"{row['file_name']}: {' '.join(exc.messages)}")
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                errors.append(f"{row['file_name']}: cannot be read from the ZIP ({exc}).")
    if errors:
        raise ValidationError({"images": _shortened(errors)})
    stored = []
    try:
        with transaction.atomic():
            run.total = len(cleaned)
            run.save()
            for position, (row, clean) in enumerate(cleaned):
                image = ValidationImage(run=run, position=position, sha256=clean.sha256, **row)
                image.image.save(f"validation/{uuid.uuid4().hex}.{clean.extension}", ContentFile(clean.content),
                                 save=False)
                stored.append(image.image.name)
                image.save()
            event_record(action=Action.VALIDATION_CREATE, actor=user, obj=run, clinic_id=clinic_id)
            transaction.on_commit(lambda: validation_run_enqueue(run_id=run.pk), robust=True)
    except Exception:
        _storage_forget(stored)  # outside the database storage the bytes do not roll back by themselves
        raise
    return run


def _storage_forget(names: list[str]) -> None:
    storage = image_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # noqa: BLE001  best effort: the row that named it does not exist
            logger.warning("could not delete stored validation image %s", name)


def validation_run_create_from_histology(*, user, clinic_id: int, name: str = "", case_ids=None) -> ValidationRun:
    """A run over the images of the clinic's open cases whose histology (in force) is one of the seven classes
    (those picked by public id, or all): the patients' images are read where they are, never copied; the truth is
    the histology."""
    run = _run_new(user=user, clinic_id=clinic_id, source=ValidationRun.Source.HISTOLOGY, name=name)
    images = selectors.histology_images(clinic_id=clinic_id, case_ids=case_ids)
    if not images:
        raise ValidationError("The clinic has no case with a histology result in the seven classes yet.")
    with transaction.atomic():
        run.total = len(images)
        run.save()
        ValidationImage.objects.bulk_create([
            ValidationImage(run=run, position=position, lesion_image=image, sha256=image.sha256, truth=truth,
                            file_name=f"case {str(image.case.public_id)[:8]}", **_metadata_fields(image))
            for position, (image, truth) in enumerate(images)
        ])
        event_record(action=Action.VALIDATION_CREATE, actor=user, obj=run, clinic_id=clinic_id)
        transaction.on_commit(lambda: validation_run_enqueue(run_id=run.pk), robust=True)
    return run


def _metadata_fields(image: LesionImage) -> dict:
    meta = case_metadata(image.case)
    return {"age": meta["age"], "sex": meta["sex"] or "", "localization": meta["localization"] or ""}


def validation_run_enqueue(*, run_id: int) -> bool:
    """Send the run's next chunk to the inference queue (after commit: a broker outage is logged, never raised)."""
    try:
        # diagnosis.validation.tasks, sent by name: the task module imports this one.
        current_app.send_task("diagnosis.tasks.score_validation_run", args=[run_id], queue="inference")
    except Exception:
        logger.warning("broker unreachable: local validation run %s not sent", run_id, exc_info=True)
        return False
    return True


def validation_run_delete(*, run: ValidationRun, user) -> None:
    """Delete a run with its images (the uploaded bytes too; images of the clinic's cases stay where they are)."""
    if not can_run(user, run.clinic_id):
        raise PermissionDenied("Only the clinic's dermatologists and administrators delete local validations.")
    names = list(run.images.exclude(image="").values_list("image", flat=True))
    with transaction.atomic():
        event_record(action=Action.VALIDATION_DELETE, actor=user, obj=run, clinic_id=run.clinic_id)
        run.delete()
        transaction.on_commit(lambda: _storage_forget(names), robust=True)


# --- scoring (the worker) ---------------------------------------------------------------------------------------

def _picture(image: ValidationImage) -> Image.Image:
    field = image.image if image.image else image.lesion_image.image
    with field.open("rb") as handle:
        picture = Image.open(io.BytesIO(handle.read()))
        picture.load()
    return picture.convert("RGB")


def _result_fields(result) -> dict:
    """The fields of a ValidationImage from the predictor's Classification (ml.serving.classification)."""
    probabilities = {str(c): float(p) for c, p in result.probabilities.items()}
    flags = result.flags or {}

    def flagged(key):
        point = flags.get(key) or {}
        return bool(point["flagged"]) if "flagged" in point else None

    return {
        "scored": True, "probabilities": probabilities,
        "mel_score": probabilities.get("mel"),
        "malignant_score": float(sum(probabilities.get(c, 0.0) for c in FLAG_POSITIVES["malignant"])),
        "mel_flag": flagged("mel"), "malignant_flag": flagged("malignant"),
        "assessable": bool(result.assessable),
        "not_assessable_reasons": [str(r) for r in result.not_assessable_reasons or []],
    }


def validation_run_score_next(*, run_id: int, chunk: int = CHUNK) -> bool:
    """Score the run's next unscored images with the run's model version; True when more remain.

    Idempotent: an image already scored (a re-delivered task) is left as it is. An image that cannot be read or
    scored records its error and counts as done (left out of the figures)."""
    run = ValidationRun.objects.select_related("model_version").filter(pk=run_id).first()
    if run is None or run.finished:
        return False
    if run.status == ValidationRun.Status.QUEUED:
        ValidationRun.objects.filter(pk=run.pk, status=ValidationRun.Status.QUEUED).update(
            status=ValidationRun.Status.RUNNING)
    pending = list(run.images.filter(scored=False, error="").select_related("lesion_image__case")[:chunk])
    results: dict[int, dict] = {}
    if pending:
        predictor = predictor_for(run.model_version)
        pictures = []
        for image in pending:
            try:
                pictures.append((image, _picture(image)))
            except Exception as exc:  # noqa: BLE001  one unreadable image fails only itself
                results[image.pk] = {"error": f"cannot be read ({exc!r})"[:2000]}
        started = time.perf_counter()
        if pictures:
            try:
                outcomes = predictor.classify([p for _, p in pictures], metadata=[i.metadata() for i, _ in pictures],
                                              heatmap=False)
                results.update({image.pk: _result_fields(r) for (image, _), r in zip(pictures, outcomes, strict=True)})
            except Exception:  # noqa: BLE001  score each alone so that one bad image fails only itself
                logger.warning("a validation chunk failed; scoring its images one by one", exc_info=True)
                for image, picture in pictures:
                    try:
                        (outcome,) = predictor.classify([picture], metadata=[image.metadata()], heatmap=False)
                        results[image.pk] = _result_fields(outcome)
                    except Exception as exc:  # noqa: BLE001
                        results[image.pk] = {"error": f"the model failed on it ({exc!r})"[:2000]}
        logger.info("local validation %s: scored %d image(s) in %.1f s", run.pk, len(pending),
                    time.perf_counter() - started)
    with transaction.atomic():
        run = ValidationRun.objects.select_for_update().get(pk=run.pk)
        for image in run.images.select_for_update().filter(pk__in=list(results), scored=False, error=""):
            for name, value in results[image.pk].items():
                setattr(image, name, value)
            image.save()
        run.done = run.images.exclude(scored=False, error="").count()
        more = run.done < run.total
        if not more:
            run.status = ValidationRun.Status.DONE
            run.finished_at = timezone.now()
        elif run.status == ValidationRun.Status.QUEUED:
            run.status = ValidationRun.Status.RUNNING
        run.save(update_fields=["done", "status", "finished_at"])
    return more


def validation_run_resume(*, run: ValidationRun, user) -> ValidationRun:
    """Send a stalled run to the worker again (its message lost while the broker was down, or failed): the images
    already scored are kept, the rest are scored."""
    if not can_run(user, run.clinic_id):
        raise PermissionDenied("Only the clinic's dermatologists and administrators run local validations.")
    with transaction.atomic():
        run = ValidationRun.objects.select_for_update().get(pk=run.pk)
        if not run.can_resume:
            raise ValidationError("This run is being scored or has finished: nothing to send again.")
        run.status, run.error, run.finished_at = ValidationRun.Status.QUEUED, "", None
        run.save(update_fields=["status", "error", "finished_at"])
        event_record(action=Action.VALIDATION_CREATE, actor=user, obj=run, clinic_id=run.clinic_id,
                     changed_fields=["status"])
        transaction.on_commit(lambda: validation_run_enqueue(run_id=run.pk), robust=True)
    return run


def validation_run_failed(*, run_id: int, error: str) -> None:
    ValidationRun.objects.filter(pk=run_id).exclude(status=ValidationRun.Status.DONE).update(
        status=ValidationRun.Status.FAILED, error=error[:2000], finished_at=timezone.now())


# --- clinic thresholds ------------------------------------------------------------------------------------------

def clinic_thresholds_adopt(*, run: ValidationRun, user, keys) -> ClinicThresholds:
    """Adopt the run's proposed threshold for each flag in `keys` for the run's clinic and model version: a new
    row superseding the one in force (the other flag keeps its threshold in force). Refused for a flag with fewer
    than MIN_POSITIVES_TO_ADOPT positives in the run."""
    if not can_adopt(user):
        raise PermissionDenied("Only an administrator with a verified second factor adopts clinic thresholds.")
    keys = [key for key in FLAG_POSITIVES if key in set(keys or ())]
    if not keys:
        raise ValidationError("Choose the flag whose threshold to adopt: melanoma or malignancy.")
    if run.status != ValidationRun.Status.DONE:
        raise ValidationError("The run has not finished: its thresholds cannot be adopted yet.")
    figures = selectors.run_figures(run)
    errors = []
    for key in keys:
        flag = figures.flags[key]
        if flag.proposed_threshold is None or flag.positives < MIN_POSITIVES_TO_ADOPT:
            errors.append(f"The {flag.name}'s threshold cannot be adopted: the run holds {flag.positives} "
                          f"{POSITIVES_NAMES[key]}, fewer than the {MIN_POSITIVES_TO_ADOPT} needed to trust it.")
    if errors:
        raise ValidationError(errors)
    values = {f"{key}_threshold": figures.flags[key].proposed_threshold for key in keys}
    return _thresholds_record(clinic_id=run.clinic_id, version=run.model_version, user=user, run=run,
                              kind=ClinicThresholds.Kind.ADOPTED, values=values, action=Action.THRESHOLDS_ADOPT)


def clinic_thresholds_restore(*, clinic_id: int, version: ModelVersion, user, run: ValidationRun | None = None
                              ) -> ClinicThresholds:
    """Return the clinic to the model card's thresholds for this version (a new row: nothing is edited)."""
    if not can_adopt(user):
        raise PermissionDenied("Only an administrator with a verified second factor restores thresholds.")
    return _thresholds_record(clinic_id=clinic_id, version=version, user=user, run=run,
                              kind=ClinicThresholds.Kind.RESTORED,
                              values={"mel_threshold": None, "malignant_threshold": None},
                              action=Action.THRESHOLDS_RESTORE)


def _thresholds_record(*, clinic_id, version, user, run, kind, values, action) -> ClinicThresholds:
    with transaction.atomic():
        # The clinic row locked: two adoptions at once are put one after the other, each superseding the last.
        from dermplatform.accounts.models import Clinic

        Clinic.objects.select_for_update().get(pk=clinic_id)
        previous = ClinicThresholds.objects.in_force(clinic_id=clinic_id, model_version_id=version.pk)
        fields = {"mel_threshold": None, "malignant_threshold": None}
        if kind == ClinicThresholds.Kind.ADOPTED and previous is not None:
            fields.update(mel_threshold=previous.mel_threshold, malignant_threshold=previous.malignant_threshold)
        fields.update(values)
        row = ClinicThresholds.objects.create(clinic_id=clinic_id, model_version=version, kind=kind, run=run,
                                              decided_by=user, supersedes=previous, **fields)
        event_record(action=action, actor=user, obj=row, clinic_id=clinic_id,
                     changed_fields=[name for name, value in values.items()
                                     if previous is None or getattr(previous, name) != value])
    return row
