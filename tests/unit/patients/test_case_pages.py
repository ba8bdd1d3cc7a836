import pytest
from django.urls import reverse

from patients.models import Case, CaseStatus

pytestmark = pytest.mark.django_db


def test_staff_opens_a_case(staff_client, patient, staff):
    response = staff_client.post(
        reverse("patients:case_create", args=[patient.public_id]), {"body_site": "upper extremity", "clinical_notes": "New"}
    )
    case = Case.objects.get(patient=patient)
    assert response["Location"] == case.get_absolute_url()
    assert case.status == CaseStatus.DRAFT and case.created_by == staff and case.body_site == "upper extremity"


def test_body_site_must_be_from_the_vocabulary(staff_client, patient):
    response = staff_client.post(reverse("patients:case_create", args=[patient.public_id]), {"body_site": "elbow"})
    assert response.status_code == 200
    assert not Case.objects.exists()


def test_case_page_lists_images(dermatologist_client, image):
    response = dermatologist_client.get(image.case.get_absolute_url())
    assert response.status_code == 200
    assert image.thumbnail_url().encode() in response.content
    assert b"Upload images" not in response.content  # dermatologists do not upload


def test_archive_case_with_reason(staff_client, case):
    staff_client.post(reverse("patients:case_archive", args=[case.public_id]), {"reason": "Wrong patient"})
    case.refresh_from_db()
    assert case.is_archived and case.archive_reason == "Wrong patient"


def test_archived_patient_gets_no_new_case(staff_client, patient, staff):
    from patients.services import patient_archive

    patient_archive(patient=patient, user=staff, reason="moved away")
    response = staff_client.post(reverse("patients:case_create", args=[patient.public_id]), {"body_site": "back"})
    assert response.status_code == 200
    assert b"archived patient" in response.content
    assert not Case.objects.filter(patient=patient).exists()
