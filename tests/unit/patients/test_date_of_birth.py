"""A date of birth in the future is refused wherever it comes from: the page, the API, the model itself.

"Today" is the platform's local date (TIME_ZONE), so a birth today is still accepted.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from patients import services
from patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

MESSAGE = "The date of birth cannot be in the future."
NEW = {"medical_record_number": "DOB-1", "first_name": "Ada", "last_name": "Lovelace", "sex": "female"}


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def test_model_validation_refuses_a_future_date(clinic, staff):
    patient = PatientFactory.build(clinic=clinic, created_by=staff, date_of_birth=tomorrow())
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert error.value.message_dict == {"date_of_birth": [MESSAGE]}


def test_a_birth_today_is_accepted(staff):
    patient = services.patient_create(created_by=staff, date_of_birth=timezone.localdate(), **NEW)
    assert patient.pk is not None


def test_service_refuses_create_and_update(staff, patient):
    with pytest.raises(ValidationError):
        services.patient_create(created_by=staff, date_of_birth=tomorrow(), **NEW)
    with pytest.raises(ValidationError):
        services.patient_update(patient=patient, user=staff, date_of_birth=tomorrow())
    assert not Patient.objects.filter(medical_record_number="DOB-1").exists()


def test_registration_page_refuses_it_and_caps_the_date_picker(staff_client):
    page = staff_client.get(reverse("patients:create")).content.decode()
    assert f'max="{timezone.localdate().isoformat()}"' in page
    response = staff_client.post(reverse("patients:create"), {**NEW, "date_of_birth": tomorrow().isoformat()})
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Patient.objects.filter(medical_record_number="DOB-1").exists()


def test_edit_page_refuses_it(staff_client, patient):
    before = patient.date_of_birth
    data = {**NEW, "medical_record_number": patient.medical_record_number, "date_of_birth": tomorrow().isoformat()}
    response = staff_client.post(reverse("patients:update", args=[patient.public_id]), data)
    assert MESSAGE in response.content.decode()
    patient.refresh_from_db()
    assert patient.date_of_birth == before


def test_api_refuses_it_on_create_and_update(staff, patient):
    api = APIClient()
    api.force_login(staff)
    response = api.post("/api/patients/", {**NEW, "date_of_birth": tomorrow().isoformat()}, format="json")
    assert response.status_code == 422  # a valid date for the schema: the rule is the service's
    assert response.json() == {"date_of_birth": [MESSAGE]}
    response = api.patch(f"/api/patients/{patient.public_id}/", {"date_of_birth": tomorrow().isoformat()}, format="json")
    assert response.status_code == 422
    assert response.json() == {"date_of_birth": [MESSAGE]}


def test_edit_page_writes_the_date_in_iso_and_an_unchanged_save_keeps_it(staff_client, clinic, staff):
    """The browser's date input takes only yyyy-mm-dd; any other format is shown blank and lost on save."""
    import datetime
    import re

    patient = PatientFactory(clinic=clinic, created_by=staff, date_of_birth=datetime.date(1986, 3, 14))
    url = reverse("patients:update", args=[patient.public_id])
    page = staff_client.get(url).content.decode()
    tag = re.search(r'<input[^>]*name="date_of_birth"[^>]*>', page).group(0)
    assert 'type="date"' in tag and 'value="1986-03-14"' in tag
    # Save as the browser would send the page back, nothing retyped.
    value = re.search(r'value="([^"]*)"', tag).group(1)
    data = {
        "medical_record_number": patient.medical_record_number,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": value,
        "sex": patient.sex,
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.date_of_birth == datetime.date(1986, 3, 14)
