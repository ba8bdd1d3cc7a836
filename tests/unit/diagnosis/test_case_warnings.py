"""Warnings that concern the decision stay on the case until someone acts: a file also stored for another
patient, an image the AI could not assess, an image the AI failed on. Each shows on the case page, the review
page, the queue row and in the case API, survives a refresh, and leaves when acted on (checked, retaken,
retried)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dermplatform.audit.models import AuditEvent
from diagnosis.models import ClassificationJob, Prediction
from diagnosis.triage import triage_refresh
from patients import services as patient_services
from patients.models import Case, CaseStatus
from tests.clinical_world import add_prediction
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


def _case_with(staff, capture, data: bytes, *, mel=0.6):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    with capture():
        (image,) = patient_services.images_upload(case=case, files=[upload(data)], uploaded_by=staff)
    if mel is not None:
        add_prediction(image, mel=mel)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.AWAITING_REVIEW)
    triage_refresh(case_ids=[case.pk])
    case.refresh_from_db()
    return case, image


def _kinds_everywhere(case, staff, dermatologist) -> dict[str, list[str]]:
    """The warning kinds each place shows: case page (staff), review page and queue (dermatologist), API."""
    from django.test import Client

    def kinds(html, testid):
        import re

        return sorted(re.findall(rf'data-testid="{testid}" data-kind="(\w+)"', html))

    staff_client, derm_client, api = Client(), Client(), APIClient()
    staff_client.force_login(staff)
    derm_client.force_login(dermatologist)
    api.force_login(dermatologist)
    case_page = staff_client.get(case.get_absolute_url()).content.decode()
    review_page = derm_client.get(reverse("diagnosis:case_review", args=[case.public_id])).content.decode()
    queue = derm_client.get(reverse("diagnosis:queue")).content.decode()
    row = next((r for r in queue.split("<tr") if str(case.public_id) in r), "")
    return {
        "case": kinds(case_page, "case-warning"),
        "review": kinds(review_page, "case-warning"),
        "queue": kinds(row, "queue-warning"),
        "api": sorted(w["kind"] for w in api.get(f"/api/cases/{case.public_id}/ai/").json()["warnings"]),
        "api_list": sorted(w["kind"] for w in api.get(f"/api/cases/{case.public_id}/warnings/").json()),
    }


def _everywhere(kinds: list[str], *, queue=True) -> dict[str, list[str]]:
    return {"case": kinds, "review": kinds, "queue": kinds if queue else [], "api": kinds, "api_list": kinds}


def test_a_duplicate_of_another_patient_stays_until_checked(
    client, staff, dermatologist, django_capture_on_commit_callbacks
):
    same = jpeg_bytes(seed=10)
    _case_with(staff, django_capture_on_commit_callbacks, same)
    case, image = _case_with(staff, django_capture_on_commit_callbacks, same)

    # Not a one-off message: every page shows it, after any number of refreshes.
    assert _kinds_everywhere(case, staff, dermatologist) == _everywhere(["duplicate"])
    assert _kinds_everywhere(case, staff, dermatologist) == _everywhere(["duplicate"])

    client.force_login(staff)
    answer = client.post(reverse("diagnosis:warning_check", args=[case.public_id]),
                         {"image": str(image.public_id), "kind": "duplicate"})
    assert answer.status_code == 302
    assert _kinds_everywhere(case, staff, dermatologist) == _everywhere([])
    checks = AuditEvent.objects.filter(action="warning.check", object_id=case.public_id, outcome="allowed")
    assert list(checks.values_list("username", flat=True)) == [staff.username]


def test_a_not_assessable_image_stays_until_retaken(staff, dermatologist, django_capture_on_commit_callbacks):
    case, image = _case_with(staff, django_capture_on_commit_callbacks, jpeg_bytes(seed=30))
    Prediction.objects.filter(image=image).update(assessable=False, not_assessable_reason="out of focus")
    assert _kinds_everywhere(case, staff, dermatologist) == _everywhere(["not_assessable"])

    # The retake: a new image of the case that the AI can assess.
    with django_capture_on_commit_callbacks():
        (retake,) = patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=80))], uploaded_by=staff)
    add_prediction(retake, mel=0.6)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.AWAITING_REVIEW)
    triage_refresh(case_ids=[case.pk])
    assert _kinds_everywhere(case, staff, dermatologist) == _everywhere([])


def test_a_not_assessable_image_can_be_marked_checked_in_the_api(
    staff, dermatologist, django_capture_on_commit_callbacks
):
    case, image = _case_with(staff, django_capture_on_commit_callbacks, jpeg_bytes(seed=50))
    Prediction.objects.filter(image=image).update(assessable=False, not_assessable_reason="out of focus")
    api = APIClient()
    api.force_login(dermatologist)
    url = f"/api/cases/{case.public_id}/warnings/"
    answer = api.post(url, {"image": str(image.public_id), "kind": "not_assessable"}, format="json")
    assert answer.status_code == 200 and answer.json() == []
    again = api.post(url, {"image": str(image.public_id), "kind": "not_assessable"}, format="json")
    assert again.status_code == 422  # not open any more
    assert _kinds_everywhere(case, staff, dermatologist) == _everywhere([])


def test_an_ai_failure_stays_until_a_retry_succeeds(client, staff, dermatologist, django_capture_on_commit_callbacks):
    case, good = _case_with(staff, django_capture_on_commit_callbacks, jpeg_bytes(seed=100))
    with django_capture_on_commit_callbacks():
        (failed,) = patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=150))], uploaded_by=staff)
    ClassificationJob.objects.update_or_create(image=failed, defaults={
        "attempts": 3, "failed_at": timezone.now(), "failure_reason": "The stored image could not be read"})
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.AWAITING_REVIEW)
    triage_refresh(case_ids=[case.pk])
    # The queue row already says "AI failed on an image": no second badge there.
    assert _kinds_everywhere(case, staff, dermatologist) == _everywhere(["ai_failed"], queue=False)

    # Nobody can tick it away ...
    api = APIClient()
    api.force_login(staff)
    refused = api.post(f"/api/cases/{case.public_id}/warnings/", {"image": str(failed.public_id), "kind": "ai_failed"},
                       format="json")
    assert refused.status_code == 400
    # ... a retry that succeeds removes it.
    client.force_login(staff)
    with django_capture_on_commit_callbacks():
        assert client.post(reverse("diagnosis:retry", args=[case.public_id])).status_code == 302
    add_prediction(failed, mel=0.6)
    assert _kinds_everywhere(case, staff, dermatologist) == _everywhere([])


@pytest.mark.parametrize(("who", "status"), [("outsider_staff", 404), ("outsider_dermatologist", 404), ("admin_user", 403)])
def test_checking_a_warning_is_for_the_clinic_only(
    client, request, staff, dermatologist, who, status, django_capture_on_commit_callbacks
):
    same = jpeg_bytes(seed=200)
    _case_with(staff, django_capture_on_commit_callbacks, same)
    case, image = _case_with(staff, django_capture_on_commit_callbacks, same)
    client.force_login(request.getfixturevalue(who))
    answer = client.post(reverse("diagnosis:warning_check", args=[case.public_id]),
                         {"image": str(image.public_id), "kind": "duplicate"})
    assert answer.status_code == status
    assert _kinds_everywhere(case, staff, dermatologist)["case"] == ["duplicate"]  # still open
