"""Review claims: opening a waiting case claims it, colleagues see who holds it and read it, take it over
explicitly, and a review releases it; a claim lapses after DERM_CLAIM_IDLE_MINUTES idle."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dermplatform.audit.models import AuditEvent
from diagnosis.models import Review, ReviewClaim
from diagnosis.review import claims, services
from diagnosis.triage import triage_refresh
from patients import services as patient_services
from patients.models import Case, CaseStatus
from tests.clinical_world import add_prediction
from tests.factories import CaseFactory, DermatologistFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db
# The AI's opinion here is melanoma (flagged): a benign follow-up goes against it, so it carries its reason.
DECISION = {"decision": "override", "diagnosis": "nv", "plan": "follow_up", "follow_up_months": "6",
            "downgrade_reason": "Regular network on second look", "notes": ""}


def waiting_case(staff, capture, *, seed=1, mel=0.6):
    """A case with one image and the AI's opinion on it, awaiting review (no TensorFlow: the prediction is written)."""
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    with capture():
        (image,) = patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=seed))], uploaded_by=staff)
    add_prediction(image, mel=mel)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.AWAITING_REVIEW)
    triage_refresh(case_ids=[case.pk])  # what the services do after an AI opinion
    case.refresh_from_db()
    return case


@pytest.fixture
def case(staff, django_capture_on_commit_callbacks):
    return waiting_case(staff, django_capture_on_commit_callbacks)


@pytest.fixture
def colleague(clinic):
    return DermatologistFactory(clinic=clinic, first_name="Grace", last_name="Hopper")


def _events(case, action, outcome="allowed"):
    events = AuditEvent.objects.filter(action=action, object_id=case.public_id, outcome=outcome)
    return list(events.values_list("username", flat=True))


def test_opening_a_waiting_case_claims_it_and_colleagues_read_it_only(client, case, dermatologist, colleague):
    client.force_login(dermatologist)
    page = client.get(reverse("diagnosis:case_review", args=[case.public_id]))
    assert page.status_code == 200 and page.context["claim"].holder == dermatologist
    assert 'name="decision"' in page.content.decode()
    assert _events(case, "claim.take") == [dermatologist.username]

    client.force_login(colleague)
    page = client.get(reverse("diagnosis:case_review", args=[case.public_id]))
    content = page.content.decode()
    assert page.status_code == 200 and page.context["read_only"]
    assert f"{dermatologist.get_full_name()} is reviewing this case" in content
    assert 'name="decision"' not in content and "Take over this case" in content
    # Posting the form anyway (an old tab) is refused with the holder's name; nothing recorded.
    refused = client.post(reverse("diagnosis:case_review", args=[case.public_id]), DECISION)
    assert refused.status_code == 409 and dermatologist.get_full_name() in refused.content.decode()
    assert not Review.objects.filter(case=case).exists()
    assert ReviewClaim.objects.get(case=case).holder == dermatologist


def test_the_queue_shows_who_holds_each_case(client, case, staff, dermatologist, colleague, django_capture_on_commit_callbacks):
    free = waiting_case(staff, django_capture_on_commit_callbacks, seed=2)
    claims.claim_open(case=case, user=dermatologist)
    client.force_login(colleague)
    content = client.get(reverse("diagnosis:queue")).content.decode()
    assert content.count('data-testid="queue-claim"') == 1
    assert f"{dermatologist.get_full_name()} since" in content
    client.force_login(dermatologist)
    content = client.get(reverse("diagnosis:queue")).content.decode()
    assert "you since" in content and content.count('data-testid="queue-flag"') == 2  # the free case has no claim
    assert content.count('data-testid="queue-claim"') == 1 and str(free.public_id) in content


def test_taking_over_moves_the_claim_and_the_first_holder_can_no_longer_review(client, case, dermatologist, colleague):
    claims.claim_open(case=case, user=dermatologist)
    client.force_login(colleague)
    response = client.post(reverse("diagnosis:claim_take_over", args=[case.public_id]))
    assert response.status_code == 302
    assert ReviewClaim.objects.get(case=case).holder == colleague
    assert _events(case, "claim.take_over") == [colleague.username]

    with pytest.raises(ValidationError, match="Grace Hopper is reviewing this case"):
        services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision")
    review = services.review_submit(case=case, reviewer=colleague, decision="confirm", plan="excision")
    assert review.reviewer == colleague


def test_recording_a_review_releases_the_claim(client, case, dermatologist):
    client.force_login(dermatologist)
    client.get(reverse("diagnosis:case_review", args=[case.public_id]))
    assert ReviewClaim.objects.filter(case=case).exists()
    response = client.post(reverse("diagnosis:case_review", args=[case.public_id]), DECISION)
    assert response.status_code == 302
    assert not ReviewClaim.objects.filter(case=case).exists()
    assert Review.objects.get(case=case).plan_text == "Follow-up in 6 months"


def test_an_invalid_review_keeps_the_claim(client, case, dermatologist):
    client.force_login(dermatologist)
    client.get(reverse("diagnosis:case_review", args=[case.public_id]))
    response = client.post(reverse("diagnosis:case_review", args=[case.public_id]), {**DECISION, "follow_up_months": ""})
    assert response.status_code == 400
    assert ReviewClaim.objects.get(case=case).holder == dermatologist


def test_a_claim_lapses_after_the_idle_time_and_activity_renews_it(case, dermatologist, colleague, settings):
    settings.DERM_CLAIM_IDLE_MINUTES = 10
    claim = claims.claim_open(case=case, user=dermatologist)
    assert claim.expires_at - claim.last_active_at == timedelta(minutes=10)

    ReviewClaim.objects.filter(case=case).update(last_active_at=timezone.now() - timedelta(minutes=9))
    assert claims.claim_open(case=case, user=colleague).holder == dermatologist  # still held: read-only for her
    claims.claim_open(case=case, user=dermatologist)  # he works on it again: renewed
    assert ReviewClaim.objects.get(case=case).last_active_at > timezone.now() - timedelta(minutes=1)

    ReviewClaim.objects.filter(case=case).update(last_active_at=timezone.now() - timedelta(minutes=11))
    assert claims.claim_current(case=case) is None
    assert claims.claim_open(case=case, user=colleague).holder == colleague  # lapsed: hers now
    assert _events(case, "claim.take") == [colleague.username, dermatologist.username]
    # A lapsed claim no longer blocks anyone's review either.
    ReviewClaim.objects.filter(case=case).update(last_active_at=timezone.now() - timedelta(minutes=11))
    assert services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision")


def test_release_gives_the_case_back(client, case, dermatologist, colleague):
    claims.claim_open(case=case, user=dermatologist)
    client.force_login(colleague)
    client.post(reverse("diagnosis:claim_release", args=[case.public_id]))
    assert ReviewClaim.objects.get(case=case).holder == dermatologist  # not hers to release
    client.force_login(dermatologist)
    response = client.post(reverse("diagnosis:claim_release", args=[case.public_id]))
    assert response.status_code == 302 and response["Location"] == reverse("diagnosis:queue")
    assert not ReviewClaim.objects.filter(case=case).exists()
    assert _events(case, "claim.release") == [dermatologist.username]
    assert _events(case, "claim.release", outcome="refused") == [colleague.username]  # her attempt, nothing changed


def test_only_waiting_cases_are_claimed_on_opening(client, case, dermatologist):
    services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision")
    client.force_login(dermatologist)
    page = client.get(reverse("diagnosis:case_review", args=[case.public_id]))
    assert page.status_code == 200 and page.context["claim"] is None
    assert not ReviewClaim.objects.exists()
    with pytest.raises(ValidationError):
        claims.claim_take(case=case, user=dermatologist)


@pytest.mark.parametrize("who", ["staff", "admin_user", "outsider_dermatologist"])
def test_only_the_clinics_dermatologists_claim(case, request, who):
    with pytest.raises(PermissionDenied):
        claims.claim_open(case=case, user=request.getfixturevalue(who))
    assert not ReviewClaim.objects.exists()


def test_audit_events_name_no_one_but_the_actor(case, dermatologist, colleague):
    claims.claim_open(case=case, user=dermatologist)
    claims.claim_take_over(case=case, user=colleague)
    claims.claim_release(case=case, user=colleague)
    events = AuditEvent.objects.filter(action__startswith="claim.").order_by("pk")
    assert [(e.action, e.actor, e.object_type, e.object_id, e.clinic_id) for e in events] == [
        ("claim.take", dermatologist, "case", case.public_id, case.patient.clinic_id),
        ("claim.take_over", colleague, "case", case.public_id, case.patient.clinic_id),
        ("claim.release", colleague, "case", case.public_id, case.patient.clinic_id),
    ]


# --- pages and API: the three people (a dermatologist of the clinic, its staff, another clinic) and the admin ---


@pytest.fixture
def other_case(outsider_staff, django_capture_on_commit_callbacks):
    return waiting_case(outsider_staff, django_capture_on_commit_callbacks, seed=3)


PEOPLE = {"dermatologist": "dermatologist", "staff": "staff", "admin": "admin_user", "outsider": "outsider_dermatologist"}


@pytest.mark.parametrize("name", ["diagnosis:claim_take_over", "diagnosis:claim_release", "diagnosis:case_review"])
@pytest.mark.parametrize(("who", "status"), [("dermatologist", None), ("staff", 403), ("admin", 403), ("outsider", 404)])
def test_claim_pages_three_people(client, request, case, other_case, name, who, status):
    user = request.getfixturevalue(PEOPLE[who])
    client.force_login(user)
    method = client.get if name == "diagnosis:case_review" else client.post
    response = method(reverse(name, args=[case.public_id]))
    if status is None:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == status
        assert not ReviewClaim.objects.filter(case=case).exists()
        assert AuditEvent.objects.filter(object_id=case.public_id, outcome="denied").exists()
    if who == "dermatologist":  # and the same dermatologist reaches no other clinic's case
        assert method(reverse(name, args=[other_case.public_id])).status_code == 404
        assert not ReviewClaim.objects.filter(case=other_case).exists()


def _api(user):
    from rest_framework.test import APIClient

    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize(("who", "status"), [("staff", 403), ("admin", 403), ("outsider", 404), ("anonymous", 401)])
def test_claim_api_refuses_others(request, case, dermatologist, method, who, status):
    claims.claim_open(case=case, user=dermatologist)
    user = request.getfixturevalue(PEOPLE[who]) if who != "anonymous" else None
    response = getattr(_api(user), method)(f"/api/cases/{case.public_id}/claim/", {"take_over": True}, format="json")
    assert response.status_code == status
    assert ReviewClaim.objects.get(case=case).holder == dermatologist


def test_claim_api_claims_conflicts_takes_over_and_releases(case, other_case, dermatologist, colleague):
    mine, hers = _api(dermatologist), _api(colleague)
    url = f"/api/cases/{case.public_id}/claim/"
    assert mine.get(url).json() == {"claim": None}
    claimed = mine.post(url, {}, format="json")
    assert claimed.status_code == 200 and claimed.json()["claim"]["holder"] == dermatologist.username
    assert claimed.json()["claim"]["yours"] is True

    conflict = hers.post(url, {}, format="json")
    assert conflict.status_code == 409 and conflict.json()["claim"]["holder"] == dermatologist.username
    assert hers.post(f"/api/cases/{case.public_id}/reviews/", {"decision": "confirm", "plan": "excision"}, format="json").status_code == 409
    queue = {row["public_id"]: row["claim"] for row in hers.get("/api/review-queue/").json()["results"]}
    assert queue[str(case.public_id)]["holder"] == dermatologist.username and queue[str(case.public_id)]["yours"] is False

    taken = hers.post(url, {"take_over": True}, format="json")
    assert taken.status_code == 200 and taken.json()["claim"]["holder"] == colleague.username
    assert mine.delete(url).status_code == 409  # no longer his
    assert hers.delete(url).status_code == 204 and hers.get(url).json() == {"claim": None}
    assert mine.get(f"/api/cases/{other_case.public_id}/claim/").status_code == 404
    assert _events(case, "claim.take_over") == [colleague.username]
