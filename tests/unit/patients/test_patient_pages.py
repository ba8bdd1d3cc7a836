import pytest
from django.urls import reverse

from patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NEW = {
    "medical_record_number": "A-1001",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "date_of_birth": "1980-12-10",
    "sex": "female",
}


def test_staff_registers_a_patient(staff_client, staff):
    response = staff_client.post(reverse("patients:create"), NEW)
    patient = Patient.objects.get(medical_record_number="A-1001")
    assert response.status_code == 302 and response["Location"] == patient.get_absolute_url()
    assert patient.clinic == staff.clinic and patient.created_by == staff
    assert str(patient.public_id) in response["Location"] and f"/{patient.pk}/" not in response["Location"]


def test_duplicate_record_number_in_clinic_is_refused(staff_client, patient):
    response = staff_client.post(reverse("patients:create"), {**NEW, "medical_record_number": patient.medical_record_number})
    assert response.status_code == 200
    assert b"already exists in your clinic" in response.content
    assert Patient.objects.filter(medical_record_number=patient.medical_record_number).count() == 1


def test_same_record_number_in_another_clinic_is_fine(staff_client, other_patient):
    response = staff_client.post(reverse("patients:create"), {**NEW, "medical_record_number": other_patient.medical_record_number})
    assert response.status_code == 302
    assert Patient.objects.filter(medical_record_number=other_patient.medical_record_number).count() == 2


def test_search_by_record_number_or_name(staff_client, clinic, staff):
    PatientFactory(clinic=clinic, created_by=staff, medical_record_number="Z-9", first_name="Grace", last_name="Hopper")
    PatientFactory(clinic=clinic, created_by=staff, medical_record_number="Z-10", first_name="Alan", last_name="Turing")
    by_mrn = staff_client.post(reverse("patients:list"), {"q": "Z-9"}, follow=True).content
    assert b"Hopper" in by_mrn and b"Turing" not in by_mrn
    by_name = staff_client.post(reverse("patients:list"), {"q": "turing"}, follow=True).content
    assert b"Turing" in by_name and b"Hopper" not in by_name


def test_list_is_paginated(staff_client, clinic, staff):
    PatientFactory.create_batch(30, clinic=clinic, created_by=staff)
    first = staff_client.get(reverse("patients:list"))
    assert first.context["page"].paginator.count == 30 and len(first.context["page"].object_list) == 25
    second = staff_client.get(reverse("patients:list"), {"page": 2})
    assert len(second.context["page"].object_list) == 5


def test_archive_needs_a_reason_and_hides_the_patient(staff_client, patient, case):
    staff_client.post(reverse("patients:archive", args=[patient.public_id]), {"reason": ""})
    patient.refresh_from_db()
    assert not patient.is_archived
    staff_client.post(reverse("patients:archive", args=[patient.public_id]), {"reason": "Duplicate record"})
    patient.refresh_from_db()
    case.refresh_from_db()
    assert patient.is_archived and patient.archive_reason == "Duplicate record"
    assert case.is_archived  # open cases go with the patient
    assert patient.medical_record_number.encode() not in staff_client.get(reverse("patients:list")).content
    listed = staff_client.get(reverse("patients:list"), {"archived": "1"}).content
    assert patient.medical_record_number.encode() in listed
    assert Patient.objects.filter(pk=patient.pk).exists()  # archived, never deleted


def test_edit_patient(staff_client, patient):
    response = staff_client.post(reverse("patients:update", args=[patient.public_id]), {**NEW, "first_name": "Augusta"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.first_name == "Augusta"
