"""Writes for patients, cases and images. Each function holds its transaction.

Views check the role; these functions also refuse objects outside the user's
clinic, so a mistake in a view cannot write across clinics.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from dermplatform import slots
from dermplatform.api.errors import StateConflict
from dermplatform.audit.services import Action, changed_field_names, event_record

from .imaging import clean_image, read_upload
from .models import Case, CaseStatus, Lesion, LesionImage, Patient
from .signals import images_stored

MAX_FILES_PER_UPLOAD = 20
BUSY = "busy"  # the code of a file refused only because every large-decode slot was taken


def _require_same_clinic(user, clinic_id):
    if user.clinic_id is None or user.clinic_id != clinic_id:
        raise PermissionDenied("This record belongs to another clinic.")


DUPLICATE_MRN = {"medical_record_number": "A patient with this medical record number already exists in your clinic."}


def _text(value: str) -> str:
    """Free text as stored: stripped, line breaks as \n. A browser sends a textarea's breaks as \r\n, so without
    this a note saved unchanged from its form differs from the one the API or the form stored before."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _save_validated(instance, *, exclude=None):
    if isinstance(instance, Patient):
        taken = Patient.objects.filter(clinic_id=instance.clinic_id, medical_record_number=instance.medical_record_number)
        if taken.exclude(pk=instance.pk).exists():
            raise StateConflict(DUPLICATE_MRN)
    instance.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        if "unique_mrn_per_clinic" in str(exc):
            raise StateConflict(DUPLICATE_MRN) from None
        raise
    return instance


@transaction.atomic
def patient_create(*, created_by, medical_record_number, first_name, last_name, date_of_birth, sex) -> Patient:
    patient = Patient(
        clinic_id=created_by.clinic_id,
        created_by=created_by,
        medical_record_number=medical_record_number.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
    )
    _require_same_clinic(created_by, patient.clinic_id)
    _save_validated(patient)
    event_record(action=Action.PATIENT_CREATE, actor=created_by, obj=patient)
    return patient


PATIENT_EDITABLE = ("medical_record_number", "first_name", "last_name", "date_of_birth", "sex")


@transaction.atomic
def patient_update(*, patient: Patient, user, **changes) -> Patient:
    _require_same_clinic(user, patient.clinic_id)
    if patient.is_archived:
        raise StateConflict("An archived patient cannot be changed.")
    for field in changes:
        if field not in PATIENT_EDITABLE:
            raise ValidationError(f"{field} cannot be changed.")
    changes = {field: value.strip() if isinstance(value, str) else value for field, value in changes.items()}
    # A form reads the instance it edits: compare with the stored row, not with the form's copy.
    changed = changed_field_names(Patient.objects.get(pk=patient.pk), changes)
    for field, value in changes.items():
        setattr(patient, field, value)
    _save_validated(patient)
    event_record(action=Action.PATIENT_UPDATE, actor=user, obj=patient, changed_fields=changed)
    return patient


def _archive(instance, *, user, reason: str):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason for archiving."})
    if instance.is_archived:
        raise StateConflict("Already archived.")
    instance.archived_at = timezone.now()
    instance.archived_by = user
    instance.archive_reason = reason
    instance.save(update_fields=["archived_at", "archived_by", "archive_reason", "updated_at"])
    return instance


@transaction.atomic
def patient_archive(*, patient: Patient, user, reason: str) -> Patient:
    _require_same_clinic(user, patient.clinic_id)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    _archive(patient, user=user, reason=reason)
    event_record(action=Action.PATIENT_ARCHIVE, actor=user, obj=patient)
    # A patient's open cases go with them.
    for case in patient.cases.filter(archived_at__isnull=True):
        _archive(case, user=user, reason=f"Patient archived: {reason.strip()}")
        event_record(action=Action.CASE_ARCHIVE, actor=user, obj=case)
    return patient


@transaction.atomic
@transaction.atomic
def case_create(
    *, patient: Patient, created_by, body_site: str = "", clinical_notes: str = "", lesion: Lesion | None = None,
    side: str = "", label: str = "",
) -> Case:
    """Open a case: one visit of a lesion. With `lesion`, a follow-up visit of that lesion of the patient (it keeps
    the lesion's body site); without, a new lesion at `body_site` (with its side and short label)."""
    _require_same_clinic(created_by, patient.clinic_id)
    if patient.is_archived:
        raise StateConflict("Cases cannot be opened for an archived patient.")
    if lesion is not None:
        if lesion.patient_id != patient.pk:
            raise ValidationError({"lesion": "That lesion is not this patient's."})
        body_site = lesion.body_site
    else:
        if not body_site:
            raise ValidationError({"body_site": "Choose the body site of the new lesion."})
        lesion = Lesion(patient=patient, body_site=body_site, side=side, label=(label or "").strip(), created_by=created_by)
        _save_validated(lesion)
    case = Case(patient=patient, lesion=lesion, created_by=created_by, body_site=body_site, clinical_notes=_text(clinical_notes))
    _save_validated(case)
    event_record(action=Action.CASE_CREATE, actor=created_by, obj=case)
    return case


CASE_EDITABLE = ("body_site", "clinical_notes")


@transaction.atomic
def case_update(*, case: Case, user, **changes) -> Case:
    _require_same_clinic(user, case.patient.clinic_id)
    if case.is_archived:
        raise StateConflict("An archived case cannot be changed.")
    for field in changes:
        if field not in CASE_EDITABLE:
            raise ValidationError(f"{field} cannot be changed.")
    if "clinical_notes" in changes:
        changes["clinical_notes"] = _text(changes["clinical_notes"])
    changed = changed_field_names(Case.objects.get(pk=case.pk), changes)
    for field, value in changes.items():
        setattr(case, field, value)
    _save_validated(case)
    if "body_site" in changed and not case.lesion.cases.exclude(pk=case.pk).exists():
        # A lesion's only visit corrects the lesion's site too; a lesion followed across visits keeps its own.
        Lesion.objects.filter(pk=case.lesion_id).update(body_site=case.body_site)
    event_record(action=Action.CASE_UPDATE, actor=user, obj=case, changed_fields=changed)
    return case


@transaction.atomic
def case_archive(*, case: Case, user, reason: str) -> Case:
    _require_same_clinic(user, case.patient.clinic_id)
    case = Case.objects.select_for_update().get(pk=case.pk)
    _archive(case, user=user, reason=reason)
    event_record(action=Action.CASE_ARCHIVE, actor=user, obj=case)
    return case


def _validate_uploads(case: Case, files) -> list:
    if not files:
        raise ValidationError("Choose at least one image.", code="required")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise ValidationError(f"Upload at most {MAX_FILES_PER_UPLOAD} images at once.", code="too_many")
    known = set(case.images.values_list("sha256", flat=True))
    cleaned, errors, busy = [], [], None
    for upload in files:
        name = getattr(upload, "name", "") or "upload"
        try:
            image = clean_image(read_upload(upload), name)
            if image.sha256 in known:
                raise ValidationError("This exact image is already in the case.", code="duplicate")
        except slots.Busy as exc:
            busy = exc
            errors.extend(ValidationError(f"{name}: {message}", code=BUSY) for message in exc.messages)
            continue
        except ValidationError as exc:
            errors.extend(ValidationError(f"{name}: {message}", code=exc.code) for message in exc.messages)
            continue
        known.add(image.sha256)
        cleaned.append(image)
    if busy is not None and all(error.code == BUSY for error in errors):
        # Nothing wrong with the files: the same upload goes through later.
        raise busy.with_messages([error.message for error in errors])
    if errors:
        # All or nothing: a batch with one bad file stores none of them (sending it again would not help).
        raise ValidationError(errors)
    return cleaned


def images_upload(*, case: Case, files, uploaded_by) -> list[LesionImage]:
    """Store validated images with the case in one transaction, then queue each for the AI."""
    _require_same_clinic(uploaded_by, case.patient.clinic_id)
    if case.is_archived:
        raise StateConflict("Images cannot be added to an archived case.", code="archived")
    cleaned = _validate_uploads(case, files)
    try:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case.pk)
            stored = [_store_image(case, image, uploaded_by) for image in cleaned]
            case.move_to(CaseStatus.AWAITING_AI)
            image_ids = [lesion_image.pk for lesion_image in stored]
            # robust: nothing that happens after the commit (a broker outage) turns a stored upload into an error.
            transaction.on_commit(lambda: _announce_stored(image_ids), robust=True)
    except IntegrityError:
        # A concurrent upload of the same bytes won the race.
        raise ValidationError("This exact image is already in the case.", code="duplicate") from None
    return stored


def _store_image(case: Case, image, uploaded_by) -> LesionImage:
    stem = f"lesions/{uuid.uuid4().hex}"
    lesion_image = LesionImage(
        case=case,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        sha256=image.sha256,
        original_filename=image.original_filename,
        size_bytes=len(image.content),
        uploaded_by=uploaded_by,
    )
    lesion_image.image.save(f"{stem}.{image.extension}", ContentFile(image.content), save=False)
    lesion_image.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(image.thumbnail), save=False)
    lesion_image.save()
    event_record(action=Action.IMAGE_UPLOAD, actor=uploaded_by, obj=lesion_image)
    _warn_if_stored_for_another_patient(lesion_image, uploaded_by)
    return lesion_image


def _warn_if_stored_for_another_patient(lesion_image: LesionImage, uploaded_by) -> None:
    """The same file already filed under another patient of the clinic is the classic wrong-patient error: the
    upload stands (it may be deliberate), but the uploader is told and the audit trail keeps it.
    Sets lesion_image.duplicate_warning (a sentence for the uploader, or "")."""
    others = (
        LesionImage.objects.filter(sha256=lesion_image.sha256, case__patient__clinic_id=lesion_image.case.patient.clinic_id)
        .exclude(case__patient_id=lesion_image.case.patient_id)
        .values("case__patient_id").distinct().count()
    )
    lesion_image.duplicate_warning = ""
    if others:
        event_record(action=Action.IMAGE_DUPLICATE, actor=uploaded_by, obj=lesion_image)
        lesion_image.duplicate_warning = (
            f"{lesion_image.original_filename}: the same file is already stored for "
            f"{'another patient' if others == 1 else f'{others} other patients'} of this clinic. "
            "Check that it was uploaded to the right patient."
        )


def _announce_stored(image_ids: list[int]) -> None:
    """After commit: the AI pipeline (diagnosis) queues the images; what it cannot queue, its sweep finds."""
    images_stored.send(sender=LesionImage, image_ids=image_ids)
