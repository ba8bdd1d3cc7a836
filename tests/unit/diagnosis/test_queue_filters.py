"""The review queue's filters, counts, keyset pages and the "my reviews" and "reviewed" lists, page and API."""

import base64
import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from diagnosis.models import CaseTriage, ClassificationJob, ModelVersion, Prediction
from diagnosis.review import queue, services
from diagnosis.triage import triage_refresh
from patients import services as patient_services
from patients.models import Case, CaseStatus
from tests.factories import CaseFactory, DermatologistFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(db):
    return ModelVersion.objects.create(name="test", sha256="d" * 64, directory="/nowhere", classes=["mel", "nv"])


@pytest.fixture
def make(staff, version, django_capture_on_commit_callbacks):
    """make(risk=, mel=, malignant=, assessable=, site=, days=, failed=): a case awaiting review with one image
    and the AI's opinion on it (written, not computed), placed in the queue as the services place it."""
    seeds = iter(range(3, 100_000, 37))  # far apart: neighbouring seeds can give the same JPEG bytes

    def build(*, risk=0.1, mel=False, malignant=False, assessable=True, site="back", days=0, failed=False, user=None):
        user = user or staff
        case = CaseFactory(patient=PatientFactory(clinic=user.clinic, created_by=user), created_by=user, body_site=site)
        files = [upload(jpeg_bytes(seed=next(seeds)))] * (2 if failed else 1)
        files = [upload(jpeg_bytes(seed=next(seeds))) for _ in files]
        with django_capture_on_commit_callbacks():
            images = patient_services.images_upload(case=case, files=files, uploaded_by=user)
        Prediction.objects.create(
            image=images[0], model_version=version, probabilities={"mel": risk, "nv": 1 - risk}, top_class="mel",
            confidence=max(risk, 1 - risk), malignancy_risk=risk, mel_score=risk, duration_ms=1,
            mel_flag=mel, mel_threshold=0.5, malignant_flag=malignant, malignant_threshold=0.5,
            assessable=assessable, not_assessable_reason="" if assessable else "too dark",
        )
        if failed:
            ClassificationJob.objects.create(image=images[1], failed_at=timezone.now(), failure_reason="worker died")
        Case.objects.filter(pk=case.pk).update(
            status=CaseStatus.AWAITING_REVIEW, created_at=timezone.now() - timedelta(days=days)
        )
        triage_refresh(case_ids=[case.pk])
        case.refresh_from_db()
        return case

    return build


@pytest.fixture
def world(make):
    return {
        "mel": make(risk=0.7, mel=True, malignant=True, site="face", days=1),
        "malignant": make(risk=0.45, malignant=True, days=10),
        "refused": make(risk=0.9, assessable=False, site="face", days=3),
        "low": make(risk=0.05, days=20, failed=True),
        "medium": make(risk=0.3, site="chest"),
    }


def _queue(user, **params):
    return queue.queue_page(user=user, filters=queue.QueueFilters.from_query(params)).object_list


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["mel", "malignant", "refused", "medium", "low"]),
    ({"flag": "mel"}, ["mel"]),
    ({"flag": "malignant"}, ["malignant"]),
    ({"flag": "not_assessable"}, ["refused"]),
    ({"flag": "none"}, ["medium", "low"]),
    ({"risk": "high"}, ["mel"]),
    ({"risk": "medium"}, ["malignant", "medium"]),
    ({"risk": "low"}, ["low"]),  # the refused case has no risk: in no band
    ({"body_site": "face"}, ["mel", "refused"]),
    ({"waiting_days": "5"}, ["malignant", "low"]),
    ({"ai_failed": "1"}, ["low"]),
    ({"body_site": "face", "risk": "high"}, ["mel"]),
    ({"flag": "bogus", "risk": "x", "waiting_days": "-3"}, ["mel", "malignant", "refused", "medium", "low"]),
    ({"waiting_days": "²"}, ["mel", "malignant", "refused", "medium", "low"]),
])
def test_filters(dermatologist, world, params, expected):
    names = {case.pk: name for name, case in world.items()}
    assert [names[case.pk] for case in _queue(dermatologist, **params)] == expected
    counts = queue.queue_counts(user=dermatologist, filters=queue.QueueFilters.from_query(params))
    assert counts["matching"] == len(expected)


def test_counts_at_the_top_of_the_page(dermatologist_client, world):
    response = dermatologist_client.get(reverse("diagnosis:queue"), {"body_site": "face"})
    assert response.context["counts"] == {
        "total": 5, "mel": 1, "malignant": 1, "not_assessable": 1, "none": 2, "ai_failed": 1, "matching": 2,
    }
    content = response.content.decode()
    assert '<strong>5</strong> waiting' in content and '<strong>1</strong> suspicious for melanoma' in content
    assert "2 cases match the filters" in content
    assert content.count('data-testid="queue-flag"') == 2


def test_the_api_filters_and_counts_too(dermatologist, world):
    api = APIClient()
    api.force_authenticate(dermatologist)
    data = api.get("/api/review-queue/", {"flag": "none", "ai_failed": "true"}).json()
    assert [row["public_id"] for row in data["results"]] == [str(world["low"].public_id)]
    assert data["count"] == 1 and data["counts"]["total"] == 5 and data["counts"]["ai_failed"] == 1


def test_cases_leave_the_queue_when_reviewed_archived_or_sent_back_to_the_ai(dermatologist, staff, world, django_capture_on_commit_callbacks):
    services.review_submit(case=world["mel"], reviewer=dermatologist, decision="confirm", plan="excision")
    patient_services.case_archive(case=world["malignant"], user=staff, reason="entered twice")
    with django_capture_on_commit_callbacks():
        patient_services.images_upload(case=world["medium"], files=[upload(jpeg_bytes(seed=9))], uploaded_by=staff)
    assert [c.pk for c in _queue(dermatologist)] == [world["refused"].pk, world["low"].pk]
    assert queue.queue_counts(user=dermatologist)["total"] == 2
    assert CaseTriage.objects.filter(waiting=True).count() == 2


def test_keyset_pages_walk_the_whole_queue_once_in_order(dermatologist, make, world):
    for risk in (0.3, 0.3, 0.3):  # ties on flag and risk: the waiting time and then the public id decide
        make(risk=risk)
    everything = list(queue.review_queue(user=dermatologist))
    walked, cursor = [], ""
    while True:
        page = queue.queue_page(user=dermatologist, cursor=cursor, size=3)
        walked += page.object_list
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert [c.pk for c in walked] == [c.pk for c in everything] and len(walked) == 8
    # A cursor that is not one (or a forged one out of the queue's range) shows the first page, not an error.
    forged = base64.urlsafe_b64encode(json.dumps([10**30, 0, "2026-01-01T00:00:00+00:00", str(uuid.uuid4())]).encode())
    for bad in ["not-a-cursor", forged.decode(), base64.urlsafe_b64encode(b'{"a": 1, "b": 2, "c": 3, "d": 4}').decode()]:
        assert [c.pk for c in queue.queue_page(user=dermatologist, cursor=bad, size=3).object_list] == [
            c.pk for c in everything[:3]
        ]


def test_next_link_keeps_the_filters(dermatologist_client, make, world, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 1)
    first = dermatologist_client.get(reverse("diagnosis:queue"), {"flag": "none"})
    assert [c.pk for c in first.context["page"].object_list] == [world["medium"].pk]
    link = first.context["page"].next_cursor
    second = dermatologist_client.get(reverse("diagnosis:queue"), {"flag": "none", "after": link})
    assert [c.pk for c in second.context["page"].object_list] == [world["low"].pk]
    assert f"flag=none&amp;after={link}" in first.content.decode()


def test_reviewed_and_my_reviews(client, dermatologist, world, clinic):
    colleague = DermatologistFactory(clinic=clinic)
    services.review_submit(case=world["mel"], reviewer=dermatologist, decision="confirm", plan="excision")
    services.review_submit(case=world["low"], reviewer=colleague, decision="confirm", plan="follow_up", follow_up_months=6)
    services.review_submit(case=world["mel"], reviewer=colleague, decision="override", diagnosis="nv", plan="reassure",
                           downgrade_reason="Dermoscopy benign on second look.")
    client.force_login(dermatologist)
    mine = client.get(reverse("diagnosis:my_reviews"))
    assert list(mine.context["page"].object_list) == []  # superseded by his colleague's
    everyone = client.get(reverse("diagnosis:reviewed"))
    reviews = list(everyone.context["page"].object_list)
    assert [(r.case_id, r.reviewer) for r in reviews] == [(world["mel"].pk, colleague), (world["low"].pk, colleague)]
    assert "Follow-up in 6 months" in everyone.content.decode()
    client.force_login(colleague)
    assert len(client.get(reverse("diagnosis:my_reviews")).context["page"].object_list) == 2
    api = APIClient()
    api.force_authenticate(colleague)
    rows = api.get("/api/reviews/", {"mine": "1"}).json()["results"]
    assert [row["case"] for row in rows] == [str(world["mel"].public_id), str(world["low"].public_id)]
    assert rows[0]["is_downgrade"] is True and rows[1]["plan_text"] == "Follow-up in 6 months"


# --- three people: the clinic's dermatologist, its staff, another clinic (and the admin) -------------------------


@pytest.mark.parametrize("url", ["/review/", "/review/mine/", "/review/reviewed/", "/api/review-queue/", "/api/reviews/"])
def test_lists_three_people(client, request, dermatologist, make, world, outsider_dermatologist, outsider_staff, url):
    services.review_submit(case=world["mel"], reviewer=dermatologist, decision="confirm", plan="excision")
    theirs = make(user=outsider_staff, risk=0.8, mel=True)
    services.review_submit(case=make(user=outsider_staff), reviewer=outsider_dermatologist, decision="confirm", plan="excision")
    for who, status in [("staff", 403), ("admin_user", 403)]:
        client.force_login(request.getfixturevalue(who))
        assert client.get(url).status_code == status
    client.force_login(outsider_dermatologist)
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    for case in world.values():
        assert str(case.public_id) not in text and case.patient.medical_record_number not in text
    if url in ("/review/", "/api/review-queue/"):
        assert str(theirs.public_id) in text  # their own queue, not an empty page


# --- a constant number of queries per page, whatever the length of the list ------------------------------------


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/review/", "/api/review-queue/", "/review/reviewed/", "/review/mine/", "/api/reviews/"])
def test_queries_do_not_grow_with_the_list(client, dermatologist, make, url):
    client.force_login(dermatologist)

    def grow_to(n):
        while Case.objects.count() < n:
            case = make(risk=0.2 + Case.objects.count() / 100)
            if Case.objects.count() % 2:
                services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision")

    grow_to(4)
    client.get(url)  # the session and user caches warm up
    few = _queries(client, url)
    grow_to(30)  # more than a page of each list
    many = _queries(client, url)
    assert few == many
    # A page's form sends an unticked box as nothing or empty; the API takes only a boolean (empty is a 400).
    ai_failed = "false" if url.startswith("/api/") else ""
    assert _queries(client, url, flag="none", body_site="back", waiting_days="0", ai_failed=ai_failed) == many
