"""Reads of the clinic-wide reports (the CSV export and the real-world performance), shared by pages and API."""

from dermplatform.accounts.models import Clinic, Role
from patients.models import Case


def report_cases(*, user, clinic_id: int | None = None):
    """The cases the user may see (visible_to), narrowed to one clinic when asked: an admin's choice among every
    clinic; for a dermatologist, another clinic's id leaves nothing."""
    cases = Case.objects.visible_to(user)
    if clinic_id is not None:
        cases = cases.filter(patient__clinic_id=clinic_id)
    return cases


def report_scope(*, user, clinic_id: int | None = None) -> str:
    """What the figures cover, in words: the user's clinic, the admin's chosen clinic, or all clinics."""
    if user.role != Role.ADMIN:
        return str(user.clinic or "")
    if clinic_id is None:
        return "all clinics"
    return str(Clinic.objects.filter(pk=clinic_id).first() or "")
