"""An uploaded file whose SHA-256 is already stored for another patient of the same clinic (the classic
wrong-patient error) is stored, but the uploader is warned, on the page and in the API's answer, and the audit
trail records it. The same file for the same patient, or in another clinic, says nothing."""

import pytest

from dermplatform.audit.models import Action, AuditEvent
from patients import services
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

PICTURE = jpeg_bytes(seed=11)


def _case(user, patient=None):
    patient = patient or PatientFactory(clinic=user.clinic, created_by=user)
    return CaseFactory(patient=patient, created_by=user)


@pytest.fixture
def first_upload(staff, django_capture_on_commit_callbacks):
    case = _case(staff)
    with django_capture_on_commit_callbacks():
        (image,) = services.images_upload(case=case, files=[upload(PICTURE)], uploaded_by=staff)
    assert image.duplicate_warning == ""
    return image


def _duplicate_events():
    return list(AuditEvent.objects.filter(action=Action.IMAGE_DUPLICATE))


def test_page_warns_when_the_file_is_stored_for_another_patient(client, staff, first_upload, django_capture_on_commit_callbacks):
    other_case = _case(staff)
    client.force_login(staff)
    with django_capture_on_commit_callbacks():
        answer = client.post(f"/cases/{other_case.public_id}/images/", {"images": [upload(PICTURE, name="mole.jpg")]}, follow=True)
    warnings = [str(m) for m in answer.context["messages"] if m.level_tag == "warning"]
    assert warnings == ["mole.jpg: the same file is already stored for another patient of this clinic. "
                        "Check that it was uploaded to the right patient."]
    assert b"already stored for another patient" in answer.content
    assert other_case.images.count() == 1  # stored all the same
    (event,) = _duplicate_events()
    assert (event.actor, event.object_type, event.object_id) == (staff, "image", other_case.images.get().public_id)
    assert "mole" not in repr(event.__dict__)


def test_api_answer_carries_the_warning(client, staff, first_upload, django_capture_on_commit_callbacks):
    second, third = _case(staff), _case(staff)
    client.force_login(staff)
    with django_capture_on_commit_callbacks():
        client.post(f"/api/cases/{second.public_id}/images/", {"images": [upload(PICTURE)]})
        answer = client.post(f"/api/cases/{third.public_id}/images/", {"images": [upload(PICTURE, name="x.jpg")]})
    assert answer.status_code == 201
    assert answer.json()["warnings"] == ["x.jpg: the same file is already stored for 2 other patients of this clinic. "
                                         "Check that it was uploaded to the right patient."]
    assert len(_duplicate_events()) == 2


def test_no_warning_for_the_same_patient_or_another_clinic(client, staff, outsider_staff, first_upload, django_capture_on_commit_callbacks):
    follow_up = _case(staff, patient=first_upload.case.patient)  # the same patient's next visit
    foreign = _case(outsider_staff)
    with django_capture_on_commit_callbacks():
        client.force_login(staff)
        same = client.post(f"/api/cases/{follow_up.public_id}/images/", {"images": [upload(PICTURE)]})
        client.force_login(outsider_staff)
        other = client.post(f"/api/cases/{foreign.public_id}/images/", {"images": [upload(PICTURE)]})
    assert same.json()["warnings"] == [] and other.json()["warnings"] == []
    assert _duplicate_events() == []
