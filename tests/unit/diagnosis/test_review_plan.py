"""A review records a management plan (with a follow-up interval only for follow-up), and turning a malignant
opinion benign needs a reason and is shown as a downgrade: services, review page, API and who may do it.

The tiny test model's most likely class here is a malignant one (akiec): benign decisions go against it."""

import html

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from diagnosis import opinion
from diagnosis.inference import services as inference_services
from diagnosis.models import Review
from diagnosis.review import services as review_services
from patients.models import CaseStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def classified_case(uploaded_case, active_model):
    for image in uploaded_case.images.all():
        inference_services.image_classify(image_id=image.pk)
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW
    return uploaded_case


def _override(case, reviewer, diagnosis, **extra):
    """Override with `diagnosis`, or confirm when it happens to be the AI's."""
    ai = opinion.case_ai_summary(case)["top_class"]
    decision = "confirm" if diagnosis == ai else "override"
    return review_services.review_submit(case=case, reviewer=reviewer, decision=decision, diagnosis=diagnosis, **extra)


@pytest.mark.parametrize("plan", ["excision", "biopsy", "referral"])
def test_plan_without_interval(classified_case, dermatologist, plan):
    review = review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="confirm", plan=plan)
    assert (review.plan, review.follow_up_months) == (plan, None)


def test_follow_up_needs_its_interval(classified_case, dermatologist):
    reason = "Small and stable; the patient prefers to watch it"
    ai = opinion.case_ai_summary(classified_case)["top_class"]
    assert ai != "mel"  # a melanoma is never followed up (review_rules)
    for months in (None, 0, 61):
        with pytest.raises(ValidationError) as error:
            review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="confirm", plan="follow_up",
                                   follow_up_months=months, downgrade_reason=reason)
        assert "follow_up_months" in error.value.message_dict
    review = review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="confirm", plan="follow_up",
                                    follow_up_months=6, downgrade_reason=reason)
    assert review.follow_up_months == 6 and review.plan_text == "Follow-up in 6 months"


@pytest.mark.parametrize("plan", ["reassure", "excision", "biopsy", "referral"])
def test_interval_refused_without_follow_up(classified_case, dermatologist, plan):
    with pytest.raises(ValidationError) as error:
        review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="confirm", plan=plan, follow_up_months=3)
    assert "follow_up_months" in error.value.message_dict
    assert not Review.objects.exists()


@pytest.mark.parametrize("plan", ["", "surgery"])
def test_plan_is_required(classified_case, dermatologist, plan):
    with pytest.raises(ValidationError) as error:
        review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="confirm", plan=plan)
    assert "plan" in error.value.message_dict


@pytest.mark.parametrize("malignant", ["akiec", "bcc", "mel"])
def test_malignant_to_benign_needs_a_reason(classified_case, dermatologist, malignant):
    first = _override(classified_case, dermatologist, malignant, plan="excision")
    with pytest.raises(ValidationError) as error:
        _override(classified_case, dermatologist, "nv", plan="reassure")
    assert "downgrade_reason" in error.value.message_dict
    second = _override(classified_case, dermatologist, "nv", plan="reassure", downgrade_reason=" Histology: compound nevus. ")
    assert second.supersedes == first
    assert second.is_downgrade and second.downgraded_from == malignant
    assert second.downgrade_reason == "Histology: compound nevus."


def test_malignant_to_malignant_asks_no_reason_and_refuses_one(classified_case, dermatologist):
    first = _override(classified_case, dermatologist, "mel", plan="excision")
    second = _override(classified_case, dermatologist, "bcc", plan="excision")  # malignant to malignant
    assert not second.is_downgrade and second.supersedes == first
    with pytest.raises(ValidationError) as error:  # a reason where none applies is refused, not stored silently
        _override(classified_case, dermatologist, "mel", plan="excision", downgrade_reason="because")
    assert "downgrade_reason" in error.value.message_dict
    third = _override(classified_case, dermatologist, "bkl", plan="reassure", downgrade_reason="Seborrhoeic keratosis")
    assert third.is_downgrade and third.downgraded_from == "bcc"
    assert third.downgrade_of.startswith("review in force: Basal cell carcinoma; AI: ")


def test_benign_after_benign_still_needs_a_reason_while_the_ai_is_malignant(classified_case, dermatologist):
    ai = opinion.case_ai_summary(classified_case)["top_class"]
    assert ai in ("akiec", "bcc", "mel")
    _override(classified_case, dermatologist, "bkl", plan="reassure", downgrade_reason="Seborrhoeic keratosis")
    with pytest.raises(ValidationError) as error:
        _override(classified_case, dermatologist, "nv", plan="reassure")
    assert "downgrade_reason" in error.value.message_dict
    fourth = _override(classified_case, dermatologist, "nv", plan="reassure", downgrade_reason="Compound nevus")
    assert fourth.is_downgrade and fourth.downgraded_from == ai and fourth.downgrade_of.startswith("AI: ")


@pytest.mark.parametrize("who", ["staff", "outsider_dermatologist", "admin_user"])
def test_only_the_clinics_dermatologists_decide(classified_case, request, who):
    with pytest.raises(PermissionDenied):
        review_services.review_submit(case=classified_case, reviewer=request.getfixturevalue(who), decision="confirm",
                               plan="follow_up", follow_up_months=3)
    assert not Review.objects.exists()


def test_review_page_records_the_plan_and_shows_the_downgrade(dermatologist_client, classified_case, dermatologist):
    _override(classified_case, dermatologist, "mel", plan="excision")
    url = reverse("diagnosis:case_review", args=[classified_case.public_id])
    page = dermatologist_client.get(url).content.decode()
    for field in ("plan", "follow_up_months", "downgrade_reason"):
        assert f'name="{field}"' in page
    ai = opinion.case_ai_summary(classified_case)["top_class"]
    body = {"decision": "override" if ai != "nv" else "confirm", "diagnosis": "nv", "plan": "follow_up"}
    refused = dermatologist_client.post(url, body)
    assert refused.status_code == 400
    assert "follow-up interval" in html.unescape(refused.content.decode())
    refused = dermatologist_client.post(url, {**body, "follow_up_months": "6"})
    assert refused.status_code == 400
    text = html.unescape(refused.content.decode())
    assert "Not saved without a reason" in text and 'data-testid="review-refused"' in text
    assert not classified_case.reviews.filter(diagnosis="nv").exists()
    done = dermatologist_client.post(url, {**body, "follow_up_months": "6", "downgrade_reason": "Regular network on review"})
    assert done.status_code == 302
    review = classified_case.reviews.filter(superseded_by__isnull=True).get()
    assert (review.plan, review.follow_up_months, review.downgraded_from) == ("follow_up", 6, "mel")
    case_page = html.unescape(dermatologist_client.get(classified_case.get_absolute_url()).content.decode())
    assert "Plan: Follow-up in 6 months" in case_page
    assert 'data-testid="review-downgrade">Downgrade</span> of review in force: Melanoma' in case_page
    assert "Reason: Regular network on review" in case_page


@pytest.mark.parametrize(("who", "status"), [("staff", 403), ("outsider_dermatologist", 404)])
def test_review_page_refuses_others(client, request, classified_case, who, status):
    client.force_login(request.getfixturevalue(who))
    url = reverse("diagnosis:case_review", args=[classified_case.public_id])
    response = client.post(url, {"decision": "confirm", "plan": "follow_up", "follow_up_months": "3"})
    assert response.status_code == status
    assert not Review.objects.exists()


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_api_records_plan_and_downgrade(classified_case, dermatologist):
    url = f"/api/cases/{classified_case.public_id}/reviews/"
    _override(classified_case, dermatologist, "bcc", plan="excision")
    ai = opinion.case_ai_summary(classified_case)["top_class"]
    body = {"decision": "override" if ai != "bkl" else "confirm", "diagnosis": "bkl", "plan": "follow_up", "follow_up_months": 12}
    refused = _api(dermatologist).post(url, body, format="json")
    assert refused.status_code == 422 and list(refused.json()) == ["downgrade_reason"]
    created = _api(dermatologist).post(url, {**body, "downgrade_reason": "Benign on dermoscopy"}, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["plan"] == "follow_up" and data["follow_up_months"] == 12 and data["plan_text"] == "Follow-up in 12 months"
    assert data["is_downgrade"] and data["downgraded_from"] == "bcc" and data["downgrade_reason"] == "Benign on dermoscopy"
    history = _api(dermatologist).get(url).json()
    assert [row["is_downgrade"] for row in history] == [True, False]


@pytest.mark.parametrize(("who", "status"), [("staff", 403), ("outsider_dermatologist", 404), ("admin_user", 403)])
def test_api_refuses_others(classified_case, request, who, status):
    response = _api(request.getfixturevalue(who)).post(
        f"/api/cases/{classified_case.public_id}/reviews/", {"decision": "confirm", "plan": "reassure"}, format="json"
    )
    assert response.status_code == status
    assert not Review.objects.exists()
