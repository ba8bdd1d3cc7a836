"""The staff worklist (diagnosis.review.worklist): each kind of item appears from the records, leaves when marked done
(audited, reopenable) or when its fact settles, and comes back only when its fact changes; scoped to the clinic."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dermplatform.audit.models import AuditEvent, Outcome
from diagnosis.inference import enqueue
from diagnosis.models import ClassificationJob, Review, WorklistMark
from diagnosis.review import services as review_services
from diagnosis.review.worklist import services
from diagnosis.review.worklist.selectors import worklist_items
from patients.models import CaseStatus
from tests.factories import CaseFactory, LesionImageFactory, ModelVersionFactory, PatientFactory, PredictionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as():
    from rest_framework.test import APIClient

    def sign_in(user):
        client = APIClient()
        client.force_login(user)
        return client

    return sign_in


def _case(user, **kwargs):
    return CaseFactory(patient=PatientFactory(clinic=user.clinic, created_by=user), created_by=user, **kwargs)


def _review(case, dermatologist, *, plan, diagnosis="bcc", months=None, days_ago=0):
    review = Review.objects.create(
        case=case, reviewer=dermatologist, decision="override", diagnosis=diagnosis, plan=plan,
        follow_up_months=months, supersedes=case.reviews.filter(superseded_by__isnull=True).first(),
    )
    if days_ago:
        Review.objects.filter(pk=review.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return review


def _histology(case, user, diagnosis="bcc"):
    return review_services.histology_record(
        case=case, user=user, diagnosis=diagnosis, reported_on=timezone.localdate(), report_reference="LAB-1"
    )


def _kinds(user, case=None):
    return [(item.kind, item.case.pk) for item in worklist_items(user=user, case=case)]


def _only(user, kind, case):
    (item,) = [item for item in worklist_items(user=user, case=case) if item.kind == kind]
    return item


def _done(user, item):
    return services.item_mark_done(case=item.case, user=user, kind=item.kind, fact=item.fact)


def test_image_to_retake_leaves_when_done_and_when_a_new_image_is_uploaded(staff):
    case = _case(staff)
    first = LesionImageFactory(case=case)
    PredictionFactory(image=first, assessable=False, not_assessable_reason="too blurred to judge (focus 3.2, needs ≥ 6.5)")
    item = _only(staff, "retake", case)
    assert "retake the image in focus" in item.text
    _done(staff, item)
    assert _kinds(staff) == []
    # Another image the guard refuses is a new fact: the item is back.
    second = LesionImageFactory(case=case)
    PredictionFactory(image=second, assessable=False, not_assessable_reason="too dark")
    assert _kinds(staff) == [("retake", case.pk)]
    # A newer image of the lesion (here at a later visit) settles it without a done mark.
    LesionImageFactory(case=CaseFactory(patient=case.patient, lesion=case.lesion, created_by=staff))
    assert _kinds(staff) == []


def test_excision_to_book_and_histology_outstanding(staff, dermatologist, settings):
    settings.DERM_WORKLIST_HISTOLOGY_DAYS = 10
    case = _case(staff)
    _review(case, dermatologist, plan="excision", days_ago=9)
    assert _kinds(staff) == [("book", case.pk)]  # not yet outstanding: planned 9 days ago
    _review(case, dermatologist, plan="excision", days_ago=0)  # the same plan again keeps the first day
    Review.objects.filter(case=case).update(created_at=timezone.now() - timedelta(days=12))
    assert sorted(_kinds(staff)) == [("book", case.pk), ("histology", case.pk)]
    outstanding = _only(staff, "histology", case)
    assert outstanding.due == timezone.localdate() - timedelta(days=2)
    assert outstanding.url == reverse("diagnosis:histology", args=[case.public_id])

    _done(staff, _only(staff, "book", case))
    assert _kinds(staff) == [("histology", case.pk)]
    # A new plan (biopsy instead of excision) is a new fact: booking is back.
    _review(case, dermatologist, plan="biopsy")
    assert ("book", case.pk) in _kinds(staff)
    # Histology entered settles both.
    _histology(case, staff)
    assert _kinds(staff) == []


def test_follow_up_due_shows_ahead_and_leaves_with_the_next_visit(staff, dermatologist):
    case = _case(staff)
    _review(case, dermatologist, plan="follow_up", diagnosis="nv", months=3, days_ago=30)
    assert _kinds(staff) == []  # due in about two months: not yet
    _review(case, dermatologist, plan="follow_up", diagnosis="nv", months=1, days_ago=20)
    item = _only(staff, "follow_up", case)
    reviewed_on = timezone.localdate(timezone.now() - timedelta(days=20))
    assert item.due == date(reviewed_on.year + reviewed_on.month // 12, reviewed_on.month % 12 + 1, reviewed_on.day)
    assert timezone.localdate() <= item.due <= timezone.localdate() + timedelta(days=14)
    assert item.url == case.lesion.get_absolute_url()
    CaseFactory(patient=case.patient, lesion=case.lesion, created_by=staff)  # the follow-up visit is opened
    assert _kinds(staff) == []


def test_follow_up_done_comes_back_when_the_date_changes(staff, dermatologist):
    case = _case(staff)
    _review(case, dermatologist, plan="follow_up", diagnosis="nv", months=1, days_ago=40)
    _done(staff, _only(staff, "follow_up", case))
    assert _kinds(staff) == []
    _review(case, dermatologist, plan="follow_up", diagnosis="nv", months=2, days_ago=50)
    assert _kinds(staff) == [("follow_up", case.pk)]


def test_discordant_histology_to_call_back(staff, dermatologist):
    case = _case(staff)
    _review(case, dermatologist, plan="reassure", diagnosis="nv")
    _histology(case, staff, "bcc")
    item = _only(staff, "discordant", case)
    assert "Call the patient back" in item.text
    _done(staff, item)
    assert _kinds(staff) == []
    # A corrected histology is a new fact: it is back, still discordant.
    _histology(case, staff, "mel")
    assert _kinds(staff) == [("discordant", case.pk)]
    # A decision that agrees with the histology settles it.
    _review(case, dermatologist, plan="excision", diagnosis="mel")
    assert _kinds(staff) == []


def test_ai_failure_to_retry_leaves_when_retried(staff, django_capture_on_commit_callbacks):
    ModelVersionFactory(is_active=True)
    case = _case(staff, status=CaseStatus.AI_FAILED)
    image = LesionImageFactory(case=case)
    ClassificationJob.objects.create(image=image, failed_at=timezone.now(), failure_reason="worker died")
    assert _kinds(staff) == [("ai_failed", case.pk)]
    with django_capture_on_commit_callbacks():
        enqueue.case_retry_classification(case=case, user=staff)
    assert _kinds(staff) == []


def test_ai_failure_done_then_a_new_failure_brings_it_back(staff):
    case = _case(staff, status=CaseStatus.AI_FAILED)
    image = LesionImageFactory(case=case)
    job = ClassificationJob.objects.create(image=image, failed_at=timezone.now() - timedelta(hours=1))
    _done(staff, _only(staff, "ai_failed", case))
    assert _kinds(staff) == []
    job.failed_at = timezone.now()
    job.save()
    assert _kinds(staff) == [("ai_failed", case.pk)]


def test_archived_case_leaves_the_worklist(staff, dermatologist):
    from patients import services as patient_services

    case = _case(staff)
    _review(case, dermatologist, plan="biopsy")
    assert _kinds(staff) == [("book", case.pk)]
    patient_services.case_archive(case=case, user=staff, reason="entered twice")
    assert _kinds(staff) == []


def test_done_is_audited_and_can_be_reopened(client, staff, dermatologist):
    case = _case(staff)
    _review(case, dermatologist, plan="excision")
    item = _only(staff, "book", case)
    client.force_login(dermatologist)  # the clinic's dermatologists act on it too
    response = client.post(reverse("worklist:done", args=[case.public_id]), {"kind": "book", "fact": item.fact})
    assert response.status_code == 302
    mark = WorklistMark.objects.get()
    assert (mark.done_by, mark.kind, mark.reopened_at) == (dermatologist, "book", None)
    event = AuditEvent.objects.get(action="worklist.done")
    assert (event.actor, event.object_id, event.outcome) == (dermatologist, case.public_id, Outcome.ALLOWED)
    assert _kinds(staff) == []
    assert item.case.patient.full_name in client.get(reverse("worklist:list")).content.decode()  # under "done"

    # Done again (a stale page): refused, nothing added, the refusal audited.
    client.post(reverse("worklist:done", args=[case.public_id]), {"kind": "book", "fact": item.fact})
    assert WorklistMark.objects.count() == 1
    assert AuditEvent.objects.filter(action="worklist.done", outcome=Outcome.REFUSED).count() == 1

    client.force_login(staff)
    response = client.post(reverse("worklist:reopen", args=[case.public_id]), {"kind": "book", "fact": item.fact})
    assert response.status_code == 302
    mark.refresh_from_db()
    assert (mark.reopened_by, mark.reopened_at is not None) == (staff, True)
    assert AuditEvent.objects.get(action="worklist.reopen").object_id == case.public_id
    assert _kinds(staff) == [("book", case.pk)]


def test_a_stale_fact_is_refused(staff, dermatologist):
    from django.core.exceptions import ValidationError

    case = _case(staff)
    _review(case, dermatologist, plan="excision")
    with pytest.raises(ValidationError):
        services.item_mark_done(case=case, user=staff, kind="book", fact="plan:biopsy")
    assert not WorklistMark.objects.exists()


def test_clinic_scoping_and_roles(client, staff, dermatologist, outsider_staff, outsider_dermatologist, admin_user):
    ours = _case(staff)
    _review(ours, dermatologist, plan="excision")
    theirs = _case(outsider_staff)
    _review(theirs, outsider_dermatologist, plan="biopsy")
    assert _kinds(staff) == [("book", ours.pk)] and _kinds(dermatologist) == [("book", ours.pk)]
    assert _kinds(outsider_staff) == [("book", theirs.pk)]

    client.force_login(outsider_staff)
    page = client.get(reverse("worklist:list")).content.decode()
    assert ours.patient.last_name not in page and theirs.patient.last_name in page
    fact = _only(staff, "book", ours).fact
    assert client.post(reverse("worklist:done", args=[ours.public_id]), {"kind": "book", "fact": fact}).status_code == 404
    assert not WorklistMark.objects.exists()
    client.force_login(admin_user)
    assert client.get(reverse("worklist:list")).status_code == 403
    assert client.get(reverse("worklist:csv")).status_code == 403


def test_filters_by_kind_and_due_date(client, staff, dermatologist, settings):
    settings.DERM_WORKLIST_HISTOLOGY_DAYS = 28
    old = _case(staff)
    _review(old, dermatologist, plan="excision", days_ago=40)
    new = _case(staff)
    _review(new, dermatologist, plan="biopsy")
    client.force_login(staff)

    def shown(**query):
        return [(item.kind, item.case.pk) for item in client.get(reverse("worklist:list"), query).context["items"]]

    assert sorted(shown()) == sorted([("book", old.pk), ("histology", old.pk), ("book", new.pk)])
    assert shown(kind="histology") == [("histology", old.pk)]
    yesterday = timezone.localdate() - timedelta(days=1)
    assert sorted(shown(due_by=yesterday.isoformat())) == sorted([("book", old.pk), ("histology", old.pk)])
    assert shown(kind="book", due_by=yesterday.isoformat()) == [("book", old.pk)]


def test_top_bar_counts_open_items(client, staff, dermatologist, admin_user):
    for _ in range(3):
        _review(_case(staff), dermatologist, plan="excision")
    client.force_login(staff)
    page = client.get(reverse("patients:list")).content.decode()
    assert 'data-testid="nav-worklist"' in page and 'aria-label="3 open"' in page
    client.force_login(admin_user)
    assert 'data-testid="nav-worklist"' not in client.get(reverse("admin:index")).content.decode()


def test_csv_export_is_audited_and_names_nobody(client, staff, dermatologist):
    case = _case(staff)
    _review(case, dermatologist, plan="excision", days_ago=40)
    client.force_login(staff)
    response = client.get(reverse("worklist:csv"), {"kind": "book"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(row["kind"], row["case_id"], row["overdue"]) for row in rows] == [("book", str(case.public_id), "yes")]
    assert case.patient.last_name not in body and case.patient.medical_record_number not in body
    event = AuditEvent.objects.get(action="worklist.csv")
    assert (event.actor, event.outcome) == (staff, Outcome.ALLOWED)


def test_page_read_is_audited(client, staff):
    client.force_login(staff)
    client.get(reverse("worklist:list"))
    assert AuditEvent.objects.filter(action="worklist.view", actor=staff, outcome=Outcome.ALLOWED).count() == 1


def test_api_lists_filters_and_marks_done(api_as, staff, dermatologist):
    case = _case(staff)
    _review(case, dermatologist, plan="excision", days_ago=40)
    client = api_as(staff)
    response = client.get("/api/worklist/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert sorted(row["kind"] for row in results) == ["book", "histology"]
    book = next(row for row in results if row["kind"] == "book")
    assert book["case"] == str(case.public_id) and book["overdue"] is True
    assert [row["kind"] for row in client.get("/api/worklist/", {"kind": "histology"}).json()["results"]] == ["histology"]
    assert client.get("/api/worklist/", {"kind": "nonsense"}).status_code == 400

    url = f"/api/worklist/cases/{case.public_id}/done/"
    done = client.post(url, {"kind": "book", "fact": book["fact"]}, format="json")
    assert done.status_code == 201 and done.json()["done_by"] == staff.username
    assert [row["kind"] for row in client.get("/api/worklist/").json()["results"]] == ["histology"]
    assert client.post(url, {"kind": "book", "fact": book["fact"]}, format="json").status_code == 422
    assert client.delete(url, {"kind": "book", "fact": book["fact"]}, format="json").status_code == 200
    assert len(client.get("/api/worklist/").json()["results"]) == 2
    assert AuditEvent.objects.filter(action="worklist.done", outcome=Outcome.ALLOWED).count() == 1
    assert AuditEvent.objects.filter(action="worklist.reopen", outcome=Outcome.ALLOWED).count() == 1


def test_the_api_is_in_the_schema(api_as, staff):
    schema = api_as(staff).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "/api/worklist/" in schema["paths"]
    assert "/api/worklist/cases/{public_id}/done/" in schema["paths"]


def test_queries_do_not_grow_with_the_list(client, staff, dermatologist):
    client.force_login(staff)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("worklist:list")).status_code == 200
        return len(captured)

    _review(_case(staff), dermatologist, plan="excision", days_ago=40)
    few = queries()
    for _ in range(4):
        case = _case(staff)
        _review(case, dermatologist, plan="excision", days_ago=40)
        PredictionFactory(image=LesionImageFactory(case=case), assessable=False)
    assert queries() == few
