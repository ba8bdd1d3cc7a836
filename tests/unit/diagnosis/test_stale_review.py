"""A stale review form: opened, then the case was reviewed by a colleague or taken over; its submission is
answered "not saved" with who did what, the typed text kept, and nothing overwritten (service, API 409, page 409)."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from dermplatform.audit.models import AuditEvent
from diagnosis.models import Review
from diagnosis.review import claims, services
from diagnosis.review.stale_review import ReviewStale, review_version
from tests.factories import DermatologistFactory
from tests.unit.diagnosis.test_claims import waiting_case

pytestmark = pytest.mark.django_db
# The AI's opinion is melanoma (flagged): excision fits it, no reason needed.
TYPED = {"decision": "confirm", "diagnosis": "", "plan": "excision", "follow_up_months": "",
         "downgrade_reason": "", "notes": "Asymmetric, blue-white veil at 6 o'clock"}


@pytest.fixture
def case(staff, django_capture_on_commit_callbacks):
    return waiting_case(staff, django_capture_on_commit_callbacks)


@pytest.fixture
def colleague(clinic):
    return DermatologistFactory(clinic=clinic, first_name="Grace", last_name="Hopper")


def _colleague_reviews(case, colleague):
    return services.review_submit(case=case, reviewer=colleague, decision="confirm", plan="referral",
                                  review_version=review_version(case))


# --- service --------------------------------------------------------------------------------------------------


def test_a_review_recorded_after_the_form_was_read_refuses_the_stale_one(case, dermatologist, colleague):
    seen = review_version(case)
    theirs = _colleague_reviews(case, colleague)
    with pytest.raises(ReviewStale) as refused:
        services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision",
                               notes="mine", review_version=seen)
    assert "Not saved: Grace Hopper recorded a review" in refused.value.messages[0]
    assert refused.value.review == theirs and refused.value.version == 1
    assert list(Review.objects.filter(case=case)) == [theirs]  # theirs stays in force, untouched

    # Read again (version 1): recording it now is a deliberate replacement.
    mine = services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision",
                                  review_version=1)
    assert mine.supersedes == theirs


# --- API ------------------------------------------------------------------------------------------------------


def test_api_answers_409_with_the_review_recorded_meanwhile(case, dermatologist, colleague):
    url = f"/api/cases/{case.public_id}/reviews/"
    mine = APIClient()
    mine.force_login(dermatologist)
    assert mine.get(url).json() == []  # what the client read: no review (version 0)
    _colleague_reviews(case, colleague)

    body = {"decision": "confirm", "plan": "excision", "notes": "mine", "review_version": 0}
    answer = mine.post(url, body, format="json")
    assert answer.status_code == 409, answer.content
    data = answer.json()
    assert "Not saved: Grace Hopper recorded a review" in data["errors"][0]
    assert data["review_version"] == 1
    assert data["review"]["number"] == 1 and data["review"]["reviewer"] == colleague.username
    assert Review.objects.filter(case=case).count() == 1

    answer = mine.post(url, {**body, "review_version": 1}, format="json")
    assert answer.status_code == 201 and answer.json()["supersedes"] == 1


# --- page -----------------------------------------------------------------------------------------------------


def _version_on_page(html: str) -> str:
    return re.search(r'name="review_version" value="(\d+)"', html).group(1)


def test_page_reviewed_meanwhile_says_not_saved_and_keeps_the_text(client, case, dermatologist, colleague):
    url = reverse("diagnosis:case_review", args=[case.public_id])
    client.force_login(dermatologist)
    seen = _version_on_page(client.get(url).content.decode())
    assert seen == "0"
    claims.claim_take_over(case=case, user=colleague)
    _colleague_reviews(case, colleague)  # their review releases the claim

    answer = client.post(url, {**TYPED, "review_version": seen})
    html = answer.content.decode()
    assert answer.status_code == 409
    assert 'data-testid="review-stale"' in html and "Not saved: Grace Hopper recorded a review" in html
    assert "Asymmetric, blue-white veil at 6 o&#x27;clock" in html  # the typed notes, in the kept form
    assert Review.objects.filter(case=case).count() == 1
    # The kept form now carries the version in force: sending it again replaces their review knowingly.
    assert _version_on_page(html) == "1"
    again = client.post(url, {**TYPED, "review_version": "1"})
    assert again.status_code == 302
    assert Review.objects.filter(case=case, superseded_by__isnull=True).get().reviewer == dermatologist


def test_page_taken_over_meanwhile_says_who_keeps_the_text_and_offers_to_take_it_back(
    client, case, dermatologist, colleague
):
    url = reverse("diagnosis:case_review", args=[case.public_id])
    client.force_login(dermatologist)
    seen = _version_on_page(client.get(url).content.decode())  # opening it claims it
    claims.claim_take_over(case=case, user=colleague)

    answer = client.post(url, {**TYPED, "review_version": seen})
    html = answer.content.decode()
    assert answer.status_code == 409
    assert "Not saved: Grace Hopper took this case" in html
    assert "Asymmetric, blue-white veil at 6 o&#x27;clock" in html
    assert 'data-testid="take-over-and-record"' in html
    assert not Review.objects.filter(case=case).exists()

    # Taking it back with the kept text records it, and the take-over is audited.
    recorded = client.post(url, {**TYPED, "review_version": seen, "take_over": "1"})
    assert recorded.status_code == 302
    assert Review.objects.get(case=case).notes == TYPED["notes"]
    takers = AuditEvent.objects.filter(action="claim.take_over", object_id=case.public_id)
    assert sorted(takers.values_list("username", flat=True)) == sorted([colleague.username, dermatologist.username])
