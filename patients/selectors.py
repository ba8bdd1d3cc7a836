"""Reads: every object a user reaches goes through its model's visible_to()."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404

from .models import Case, Lesion, LesionImage, Patient


def patient_get(*, user, public_id) -> Patient:
    return get_object_or_404(Patient.objects.visible_to(user).select_related("clinic"), public_id=public_id)


def case_get(*, user, public_id) -> Case:
    return get_object_or_404(Case.objects.visible_to(user).select_related("patient", "patient__clinic"), public_id=public_id)


def image_get(*, user, public_id) -> LesionImage:
    return get_object_or_404(LesionImage.objects.visible_to(user).select_related("case__patient"), public_id=public_id)


def patient_list(*, user, search: str = "", include_archived: bool = False):
    patients = Patient.objects.visible_to(user).search(search)
    return patients if include_archived else patients.active()


def with_open_cases(patients):
    """Patients with `open_cases`: their cases not archived, newest first (one more query for a whole page)."""
    open_cases = Case.objects.active().order_by("-created_at", "-pk")
    return patients.prefetch_related(Prefetch("cases", queryset=open_cases, to_attr="open_cases"))


def case_list(*, user, patient=None, status=None, include_archived: bool = False, with_image_count: bool = False):
    """Cases with their patient and lesion; `with_image_count`: and their `image_count`, in the same query."""
    cases = Case.objects.visible_to(user).select_related("patient", "lesion")
    if with_image_count:
        cases = cases.annotate(image_count=Count("images"))
    if patient is not None:
        cases = cases.filter(patient=patient)
    if status:
        cases = cases.filter(status=status)
    return cases if include_archived else cases.active()


def lesion_get(*, user, public_id) -> Lesion:
    return get_object_or_404(Lesion.objects.visible_to(user).select_related("patient"), public_id=public_id)


def lesion_visits(*, lesion):
    """The lesion's cases (visits), oldest first, with their images (the lesion was scoped by the caller)."""
    return lesion.cases.active().select_related("created_by").prefetch_related("images").order_by("created_at", "pk")


def lesions_of(*, patient):
    """A patient's lesions (the patient was scoped by the caller), for picking one when opening a case."""
    return Lesion.objects.filter(patient=patient).order_by("created_at", "pk")
