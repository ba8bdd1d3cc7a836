"""Reads: every object a user reaches goes through its model's visible_to()."""

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


def case_list(*, user, patient=None, status=None, include_archived: bool = False):
    cases = Case.objects.visible_to(user).select_related("patient", "lesion")
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
