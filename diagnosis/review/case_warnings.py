"""Warnings about a case's images that concern the decision, kept on the case until someone acts.

- duplicate: the same file (SHA-256 of the upload) is stored for another patient of the clinic: the classic
  wrong-patient error. It leaves when a staff member or dermatologist marks it checked (audited).
- not_assessable: the AI's guard refused the image. It leaves when the image is retaken (an image of the case
  uploaded after it is assessable) or someone marks it checked.
- ai_failed: the AI gave up on the image. It leaves when a retry succeeds (the image then has a prediction);
  nobody can tick it away.

They are worked out from the records each time (images, predictions, AI jobs) plus the stored checks, so a
page refresh, another user or the API all see the same list until it is resolved."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from dermplatform.api import policy
from dermplatform.audit.services import Action, event_record
from diagnosis.models import ClassificationJob, Prediction, WarningCheck, WarningKind
from diagnosis.models.warning_check import CHECKABLE
from diagnosis.not_assessable import reason_in_words
from patients.models import Case, LesionImage


@dataclass(frozen=True)
class CaseWarning:
    kind: str
    image: LesionImage
    number: int  # the image's place in the case, from 1
    text: str
    checkable: bool

    @property
    def label(self) -> str:
        return WarningKind(self.kind).label


def _text(kind: str, number: int, image: LesionImage, detail: str = "") -> str:
    name = f"Image {number}" + (f" ({image.original_filename})" if image.original_filename else "")
    if kind == WarningKind.DUPLICATE:
        return (f"{name}: the same file is already stored for another patient of this clinic. Check that it belongs "
                "to this patient, then mark it checked.")
    if kind == WarningKind.NOT_ASSESSABLE:
        return (f"{name}: the AI could not assess it ({detail}). Retake it (upload a new image of the lesion), or "
                "mark it checked.")
    return f"{name}: the AI failed on it ({detail or 'no reason recorded'}). Retry the AI."


def warnings_by_case(case_ids) -> dict[int, list[CaseWarning]]:
    """The open warnings of each case (a fixed number of queries whatever the number of cases); the cases were
    scoped by the caller."""
    case_ids = list(case_ids)
    result: dict[int, list[CaseWarning]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return result
    same_file_elsewhere = LesionImage.objects.filter(
        sha256=OuterRef("sha256"), case__patient__clinic_id=OuterRef("case__patient__clinic_id")
    ).exclude(case__patient_id=OuterRef("case__patient_id"))
    images = list(
        LesionImage.objects.filter(case_id__in=case_ids)
        .annotate(duplicate=Exists(same_file_elsewhere))
        .order_by("case_id", "uploaded_at", "pk")
    )
    ids = [image.pk for image in images]
    latest = {  # each image's latest opinion, whichever model version gave it
        p.image_id: p for p in Prediction.objects.filter(image_id__in=ids).order_by("created_at", "pk")
    }
    failed = {
        job.image_id: job for job in ClassificationJob.objects.filter(image_id__in=ids, failed_at__isnull=False)
    }
    checked = set(WarningCheck.objects.filter(image_id__in=ids).values_list("image_id", "kind"))
    numbers: dict[int, int] = {}
    for image in images:
        number = numbers[image.case_id] = numbers.get(image.case_id, 0) + 1
        found = []
        if image.duplicate:
            found.append((WarningKind.DUPLICATE, ""))
        prediction = latest.get(image.pk)
        if prediction is not None and not prediction.assessable:
            retaken = any(
                other.case_id == image.case_id and other.uploaded_at > image.uploaded_at
                and latest.get(other.pk) is not None and latest[other.pk].assessable
                for other in images
            )
            if not retaken:
                found.append((WarningKind.NOT_ASSESSABLE, reason_in_words(prediction.not_assessable_reason)[0]))
        if prediction is None and image.pk in failed:
            found.append((WarningKind.AI_FAILED, failed[image.pk].failure_reason))
        for kind, detail in found:
            if (image.pk, kind) in checked:
                continue
            result[image.case_id].append(CaseWarning(
                kind=kind, image=image, number=number, text=_text(kind, number, image, detail),
                checkable=kind in CHECKABLE,
            ))
    return result


def case_warnings(*, case: Case) -> list[CaseWarning]:
    return warnings_by_case([case.pk])[case.pk]


def warning_check(*, case: Case, image_public_id, kind: str, user) -> WarningCheck:
    """A staff member or dermatologist of the case's clinic marks an image's warning checked (audited): it
    leaves the case's warnings. Only an open warning of a checkable kind can be checked."""
    if not policy.can_read_clinical(user, case.patient.clinic_id):
        raise PermissionDenied("Only the staff and dermatologists of the case's clinic can check its warnings.")
    if kind not in CHECKABLE:
        raise ValidationError({"kind": "This warning leaves by itself once resolved (retry the AI); it cannot be "
                                       "marked checked."})
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        warning = next((w for w in case_warnings(case=case)
                        if str(w.image.public_id) == str(image_public_id) and w.kind == kind), None)
        if warning is None:
            raise ValidationError("This warning is not open on the case (already checked or resolved).",
                                  code="not_open")
        try:
            with transaction.atomic():
                check = WarningCheck.objects.create(image=warning.image, kind=kind, checked_by=user)
        except IntegrityError:
            raise ValidationError("This warning was already checked.", code="not_open") from None
        event_record(action=Action.WARNING_CHECK, actor=user, obj=case)
    return check
