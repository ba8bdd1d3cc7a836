"""Clinical records are read-only in the admin: admins read patients, cases, images, predictions and reviews,
but cannot add, change or delete them there (no moving a patient to another clinic, no "Reviewed" without a
review)."""

import pytest

from tests.factories import CaseFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_patients_and_cases_are_read_only(admin_client_, staff):
    patient = PatientFactory(clinic=staff.clinic, created_by=staff)
    case = CaseFactory(patient=patient, created_by=staff)
    for model, obj in [("patient", patient), ("case", case)]:
        assert admin_client_.get(f"/admin/patients/{model}/").status_code == 200
        page = admin_client_.get(f"/admin/patients/{model}/{obj.pk}/change/")
        assert page.status_code == 200 and b'name="_save"' not in page.content
        assert admin_client_.get(f"/admin/patients/{model}/add/").status_code == 403
        assert admin_client_.post(f"/admin/patients/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403

    other = PatientFactory()
    admin_client_.post(f"/admin/patients/patient/{patient.pk}/change/", {"clinic": other.clinic.pk})
    admin_client_.post(f"/admin/patients/case/{case.pk}/change/", {"status": "reviewed", "patient": other.pk})
    patient.refresh_from_db()
    case.refresh_from_db()
    assert patient.clinic == staff.clinic
    assert (case.patient, case.status) == (patient, "draft")


@pytest.mark.parametrize("path", ["patients/lesionimage", "diagnosis/prediction", "diagnosis/review"])
def test_images_predictions_and_reviews_cannot_be_added(admin_client_, path):
    assert admin_client_.get(f"/admin/{path}/").status_code == 200
    assert admin_client_.get(f"/admin/{path}/add/").status_code == 403
