"""Every edit form, opened in a real browser and saved without touching anything, leaves its record exactly as it
was: a field the form writes in a shape its input cannot show (the date of birth in 14/03/1986 for a date input,
which the browser blanked), or a value the browser sends back differently (a note's line breaks), changes or loses
data on every save.

Forms: the patient and the case (staff pages), a user, a clinic and a model version (the admin). There is no lesion form: a lesion's
site is corrected through its only visit's case form.
"""

import datetime

import pytest
from django.db.models import DateTimeField

from dermplatform.accounts.models import Clinic, User
from diagnosis.models import ModelVersion
from patients.models import Case, Lesion, Patient
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, AdminFactory, CaseFactory, PatientFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _stored(obj) -> dict:
    """Every stored field of the row, but the times that say when it was saved."""
    obj = type(obj).objects.get(pk=obj.pk)
    return {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if not (isinstance(field, DateTimeField) and (field.auto_now or field.name in ("last_login",)))
    }


def _changes(before: dict, after: dict) -> dict:
    """record -> field -> (before, after), for the fields that differ."""
    return {
        record: changed
        for record in before
        if (changed := {f: (v, after[record][f]) for f, v in before[record].items() if after[record][f] != v})
    }


def _save_unchanged(page, url, save="button[type=submit]:has-text('Save')"):
    page.goto(url)
    page.wait_for_load_state("load")
    # The page after a save may register the model version on its first view: more than the default wait.
    with page.expect_navigation(timeout=60_000):
        page.locator(save).first.click()
    errors = page.locator(".errorlist, .errornote").all_inner_texts()
    assert not errors, (url, errors)


@pytest.fixture
def staff():
    return StaffFactory()


def test_patient_and_case_forms_save_unchanged(page, staff):
    patient = PatientFactory(clinic=staff.clinic, created_by=staff, medical_record_number="MRN-0042/7",
                             first_name="Zoë", last_name="O'Brien-Núñez", date_of_birth=datetime.date(1986, 3, 14),
                             sex="female")
    case = CaseFactory(patient=patient, created_by=staff, body_site="back",
                       # As the API and the case-opening form store it: the line break of a typed note.
                       clinical_notes="Pigmented, 6 mm, irregular border.\nItchy since spring.\n\nNo family history.")
    before = {"patient": _stored(patient), "case": _stored(case), "lesion": _stored(case.lesion)}

    sign_in(page, staff.username, PASSWORD)
    page.wait_for_url("**/patients/")
    _save_unchanged(page, f"{patient.get_absolute_url()}edit/")
    page.wait_for_url(f"**{patient.get_absolute_url()}")
    _save_unchanged(page, f"{case.get_absolute_url()}edit/")
    page.wait_for_url(f"**{case.get_absolute_url()}")

    after = {"patient": _stored(patient), "case": _stored(case), "lesion": _stored(Lesion.objects.get(pk=case.lesion_id))}
    assert _changes(before, after) == {}


def test_admin_user_clinic_and_model_version_forms_save_unchanged(page, staff):
    Clinic.objects.filter(pk=staff.clinic_id).update(name="Hautklinik Süd – Dermatologie")
    staff.refresh_from_db()
    version = ModelVersion.objects.create(
        name="test-model", sha256="0" * 64, directory="/nowhere", classes=["mel", "nv"], card={}, is_active=True,
        notes="Validated on the clinic's 2026 set.\nThresholds from the card.",
    )
    admin = AdminFactory()
    before = {"user": _stored(staff), "clinic": _stored(staff.clinic), "version": _stored(version)}

    sign_in(page, admin.username, PASSWORD)
    page.wait_for_url("**/admin/**")
    for url in (f"/admin/accounts/user/{staff.pk}/change/", f"/admin/accounts/clinic/{staff.clinic_id}/change/",
                f"/admin/diagnosis/modelversion/{version.pk}/change/"):
        _save_unchanged(page, url, save="input[name=_save]")
        assert page.locator(".messagelist .success").count() == 1, url

    after = {"user": _stored(User.objects.get(pk=staff.pk)), "clinic": _stored(Clinic.objects.get(pk=staff.clinic_id)),
             "version": _stored(ModelVersion.objects.get(pk=version.pk))}
    assert _changes(before, after) == {}


def test_saved_unchanged_records_no_change_in_the_trail(page, staff):
    """The audit trail lists the fields a save changed: an unchanged save names none."""
    from dermplatform.audit.models import Action, AuditEvent

    patient = PatientFactory(clinic=staff.clinic, created_by=staff, date_of_birth=datetime.date(1990, 1, 2))
    case = CaseFactory(patient=patient, created_by=staff, clinical_notes="One.\nTwo.")
    sign_in(page, staff.username, PASSWORD)
    page.wait_for_url("**/patients/")
    _save_unchanged(page, f"{patient.get_absolute_url()}edit/")
    _save_unchanged(page, f"{case.get_absolute_url()}edit/")
    for action in (Action.PATIENT_UPDATE, Action.CASE_UPDATE):
        event = AuditEvent.objects.filter(action=action).latest("pk")
        assert not event.changed_fields, (action, event.changed_fields)
    assert Case.objects.get(pk=case.pk).clinical_notes == "One.\nTwo."
    assert Patient.objects.get(pk=patient.pk).date_of_birth == datetime.date(1990, 1, 2)
