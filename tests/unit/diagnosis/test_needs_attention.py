"""Staff: the patient list shows each patient's open cases with their status, and the "needs attention" list
shows the cases the AI failed on and what was reviewed since their last visit."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diagnosis.models import AttentionSeen, ClassificationJob, Review
from diagnosis.review import services
from diagnosis.triage import triage_refresh
from patients import services as patient_services
from patients.models import Case, CaseStatus
from tests.clinical_world import add_prediction
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db
seeds = iter(range(5, 100_000, 37))  # far apart: neighbouring seeds can give the same JPEG bytes


def _case(staff, capture, *, status, images=1, failed=0, patient=None):
    patient = patient or PatientFactory(clinic=staff.clinic, created_by=staff)
    case = CaseFactory(patient=patient, created_by=staff)
    with capture():
        stored = patient_services.images_upload(
            case=case, files=[upload(jpeg_bytes(seed=next(seeds))) for _ in range(images)], uploaded_by=staff
        )
    for image in stored[failed:]:
        add_prediction(image)
    for image in stored[:failed]:
        ClassificationJob.objects.create(image=image, failed_at=timezone.now(), failure_reason="worker died")
    Case.objects.filter(pk=case.pk).update(status=status)
    triage_refresh(case_ids=[case.pk])
    case.refresh_from_db()
    return case


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_ai_failures_and_reviews_since_the_last_visit(client, staff, dermatologist, outsider_staff, capture):
    failed = _case(staff, capture, status=CaseStatus.AI_FAILED, failed=1)
    partly = _case(staff, capture, status=CaseStatus.AWAITING_REVIEW, images=2, failed=1)
    fine = _case(staff, capture, status=CaseStatus.AWAITING_REVIEW)
    theirs = _case(outsider_staff, capture, status=CaseStatus.AI_FAILED, failed=1)
    old_review = services.review_submit(case=fine, reviewer=dermatologist, decision="confirm", plan="excision")
    Review.objects.filter(pk=old_review.pk).update(created_at=timezone.now() - timedelta(days=8))

    client.force_login(staff)
    first = client.get(reverse("attention:list"))
    assert first.status_code == 200
    assert [c.pk for c in first.context["failed"]] == [failed.pk, partly.pk]
    assert theirs.patient.medical_record_number not in first.content.decode()
    assert first.context["reviews"] == []  # a first visit looks back 7 days: the 8-day-old review is not news

    review = services.review_submit(case=partly, reviewer=dermatologist, decision="override", diagnosis="nv",
                                    plan="follow_up", follow_up_months=3, downgrade_reason="Benign on dermoscopy")
    second = client.get(reverse("attention:list"))
    assert [r.pk for r in second.context["reviews"]] == [review.pk]
    assert "Follow-up in 3 months" in second.content.decode()
    # Looking is not dismissing: it stays, refresh after refresh, until marked seen.
    assert [r.pk for r in client.get(reverse("attention:list")).context["reviews"]] == [review.pk]
    up_to = second.context["reviews"][0].created_at.isoformat()
    # A review recorded while the page was open stays news after "Mark these as seen".
    later = services.review_submit(case=fine, reviewer=dermatologist, decision="confirm", plan="excision")
    assert client.post(reverse("attention:seen"), {"up_to": up_to}).status_code == 302
    assert [r.pk for r in client.get(reverse("attention:list")).context["reviews"]] == [later.pk]
    assert AttentionSeen.objects.get(user=staff).seen_at == review.created_at


def test_reviews_not_marked_seen_leave_after_30_days(client, staff, dermatologist, capture):
    case = _case(staff, capture, status=CaseStatus.AWAITING_REVIEW)
    review = services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision")
    AttentionSeen.objects.create(user=staff, seen_at=timezone.now() - timedelta(days=40))
    client.force_login(staff)
    Review.objects.filter(pk=review.pk).update(created_at=timezone.now() - timedelta(days=29))
    assert [r.pk for r in client.get(reverse("attention:list")).context["reviews"]] == [review.pk]
    Review.objects.filter(pk=review.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert client.get(reverse("attention:list")).context["reviews"] == []


@pytest.mark.parametrize(("who", "status"), [("dermatologist", 403), ("admin_user", 403), ("outsider_staff", 200)])
def test_attention_three_people(client, request, staff, dermatologist, capture, who, status):
    case = _case(staff, capture, status=CaseStatus.AWAITING_REVIEW, images=2, failed=1)
    services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision")
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("attention:list"))
    assert response.status_code == status
    if status == 200:
        assert response.context["failed"] == [] and response.context["reviews"] == []
        assert case.patient.medical_record_number not in response.content.decode()


def test_patient_list_shows_open_cases_with_status_in_constant_queries(client, staff, capture):
    patient = PatientFactory(clinic=staff.clinic, created_by=staff)
    waiting = _case(staff, capture, status=CaseStatus.AWAITING_REVIEW, patient=patient)
    archived = _case(staff, capture, status=CaseStatus.AI_FAILED, failed=1, patient=patient)
    patient_services.case_archive(case=archived, user=staff, reason="duplicate")
    client.force_login(staff)
    client.get(reverse("patients:list"))
    with CaptureQueriesContext(connection) as few:
        content = client.get(reverse("patients:list")).content.decode()
    assert "Back: awaiting review" in content and waiting.get_absolute_url() in content
    assert archived.get_absolute_url() not in content
    for _ in range(5):
        _case(staff, capture, status=CaseStatus.REVIEWED)
    with CaptureQueriesContext(connection) as many:
        content = client.get(reverse("patients:list")).content.decode()
    assert content.count("Back: reviewed") == 5
    assert len(many) == len(few)
