"""Writes are recorded by the services that make them, in their transaction: the object's public id and, for
updates, the NAMES of the fields that changed (never their values). A write that wrote nothing is recorded once,
as denied or refused."""

import pytest

from dermplatform.audit.models import Action, Outcome
from diagnosis.inference import services as diagnosis_services
from patients import services
from tests.unit.api.conftest import make_case, make_image

pytestmark = pytest.mark.django_db


def _summary(events):
    return [(e.action, e.object_type, str(e.object_id), e.outcome) for e in events if not e.action.startswith("auth.")]


def test_patient_and_case_writes_through_the_pages(client, staff, new_events):
    client.force_login(staff)
    new_events()
    response = client.post("/patients/new/", {
        "medical_record_number": "W-1", "first_name": "Mary", "last_name": "Seacole", "date_of_birth": "1960-01-02",
        "sex": "female",
    })
    assert response.status_code == 302
    [created] = new_events()
    patient = staff.clinic.patients.get()
    assert _summary([created]) == [(Action.PATIENT_CREATE, "patient", str(patient.public_id), Outcome.ALLOWED)]
    assert created.request_id == response["X-Request-ID"]

    client.post(f"/patients/{patient.public_id}/edit/", {
        "medical_record_number": "W-1", "first_name": "Mary Jane", "last_name": "Seacole",
        "date_of_birth": "1960-01-03", "sex": "female",
    })
    [updated] = new_events()
    assert _summary([updated]) == [(Action.PATIENT_UPDATE, "patient", str(patient.public_id), Outcome.ALLOWED)]
    assert updated.changed_fields == ["date_of_birth", "first_name"]
    assert "Mary" not in repr(list(updated.__dict__.values()))

    client.post(f"/patients/{patient.public_id}/cases/new/", {"body_site": "back", "clinical_notes": "Itchy."})
    case = patient.cases.get()
    assert _summary(new_events()) == [(Action.CASE_CREATE, "case", str(case.public_id), Outcome.ALLOWED)]

    client.post(f"/cases/{case.public_id}/edit/", {"body_site": "face", "clinical_notes": "Itchy."})
    [updated] = new_events()
    assert (updated.action, updated.changed_fields) == (Action.CASE_UPDATE, ["body_site"])

    client.post(f"/patients/{patient.public_id}/archive/", {"reason": "Moved away"})
    assert _summary(new_events()) == [
        (Action.PATIENT_ARCHIVE, "patient", str(patient.public_id), Outcome.ALLOWED),
        (Action.CASE_ARCHIVE, "case", str(case.public_id), Outcome.ALLOWED),  # its open case went with it
    ]


def test_writes_through_the_api(api_as, staff, patient, new_events, django_capture_on_commit_callbacks):
    from tests.unit.api.conftest import jpeg_bytes, upload

    api = api_as(staff)
    new_events()
    api.patch(f"/api/patients/{patient.public_id}/", {"last_name": "Byron"}, format="json")
    [updated] = new_events()
    assert (updated.action, updated.object_id, updated.changed_fields) == (
        Action.PATIENT_UPDATE, patient.public_id, ["last_name"]
    )

    response = api.post("/api/cases/", {"patient": str(patient.public_id), "body_site": "back"}, format="json")
    case_id = response.json()["public_id"]
    assert _summary(new_events()) == [(Action.CASE_CREATE, "case", case_id, Outcome.ALLOWED)]

    with django_capture_on_commit_callbacks():
        response = api.post(f"/api/cases/{case_id}/images/", {"images": [upload(jpeg_bytes(), "a.jpg")]})
    [image] = response.json()["images"]
    assert _summary(new_events()) == [(Action.IMAGE_UPLOAD, "image", image["public_id"], Outcome.ALLOWED)]

    api.post(f"/api/cases/{case_id}/archive/", {"reason": "Duplicate"}, format="json")
    assert _summary(new_events()) == [(Action.CASE_ARCHIVE, "case", case_id, Outcome.ALLOWED)]


def test_review_and_ai_retry(api_as, staff, dermatologist, classified, new_events):
    case = classified["case"]
    api = api_as(dermatologist)
    new_events()
    assert api.post(f"/api/cases/{case.public_id}/reviews/", {"plan": "excision", "decision": "confirm"}, format="json").status_code == 201
    assert _summary(new_events()) == [(Action.REVIEW_CREATE, "case", str(case.public_id), Outcome.ALLOWED)]

    failed = make_case(staff, classified["patient"])
    diagnosis_services.image_classification_failed(image_id=make_image(staff, failed).pk, error="test: worker died")
    new_events()
    response = api_as(staff).post(f"/api/cases/{failed.public_id}/retry-ai/")
    assert response.status_code == 202
    assert _summary(new_events()) == [(Action.AI_RETRY, "case", str(failed.public_id), Outcome.ALLOWED)]


def test_an_invalid_write_is_recorded_as_refused_and_changes_nothing(api_as, staff, patient, new_events):
    api = api_as(staff)
    new_events()
    response = api.patch(f"/api/patients/{patient.public_id}/", {"date_of_birth": "not a date"}, format="json")
    assert response.status_code == 400
    [event] = new_events()
    assert _summary([event]) == [(Action.PATIENT_UPDATE, "patient", str(patient.public_id), Outcome.REFUSED)]
    assert event.changed_fields == []


def test_a_write_to_another_clinics_record_is_recorded_as_denied(api_as, outsider_staff, patient, new_events):
    api = api_as(outsider_staff)
    new_events()
    response = api.post(f"/api/patients/{patient.public_id}/archive/", {"reason": "x"}, format="json")
    assert response.status_code == 404
    [event] = new_events()
    assert _summary([event]) == [(Action.PATIENT_ARCHIVE, "patient", str(patient.public_id), Outcome.DENIED)]
    assert event.actor == outsider_staff


def test_a_service_write_outside_a_request_is_recorded_without_request_details(staff, patient, new_events):
    services.patient_update(patient=patient, user=staff, sex="male")
    [event] = new_events()
    assert (event.action, event.changed_fields, event.request_id, event.client_address) == (
        Action.PATIENT_UPDATE, ["sex"], "", None
    )
