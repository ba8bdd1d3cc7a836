"""Histology contradicting the decision in force is marked on the case and review pages and counted on the
performance page (the rule itself: tests/unit/diagnosis/test_discordance.py)."""

import datetime

import pytest
from django.urls import reverse

from diagnosis import opinion
from diagnosis.inference import services as inference_services
from diagnosis.models import Review
from diagnosis.review import selectors
from diagnosis.review import services as review_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def classified_case(uploaded_case, active_model):
    for image in uploaded_case.images.all():
        inference_services.image_classify(image_id=image.pk)
    uploaded_case.refresh_from_db()
    return uploaded_case


def _decide(case, dermatologist, diagnosis, plan):
    # Stored directly: the page and the count are under test here, not the review rules.
    ai = opinion.case_ai_summary(case)["top_class"] or ""
    decision = "confirm" if diagnosis == ai else "override"
    return Review.objects.create(case=case, reviewer=dermatologist, decision=decision, diagnosis=diagnosis,
                                 ai_diagnosis=ai, plan=plan, follow_up_months=None)


def _histology(case, staff, diagnosis):
    return review_services.histology_record(case=case, user=staff, diagnosis=diagnosis, reported_on=datetime.date(2026, 11, 2),
                                     report_reference=f"H-{case.pk}")


def test_bcc_on_a_benign_reassure_decision_is_marked_on_the_case_and_review_pages(
    classified_case, staff, dermatologist, staff_client
):
    _decide(classified_case, dermatologist, "bkl", "reassure")
    _histology(classified_case, staff, "bcc")
    page = staff_client.get(classified_case.get_absolute_url()).content.decode()
    assert 'data-testid="histology-discordant"' in page and 'data-kind="malignant_missed"' in page
    assert "Basal cell carcinoma" in page and "Reassure" in page
    staff_client.force_login(dermatologist)
    review_page = staff_client.get(reverse("diagnosis:case_review", args=[classified_case.public_id])).content.decode()
    assert 'data-testid="histology-discordant"' in review_page


def test_concordant_histology_is_not_marked(classified_case, staff, dermatologist, staff_client):
    _decide(classified_case, dermatologist, "bcc", "excision")
    _histology(classified_case, staff, "bcc")
    assert selectors.case_discordance(case=classified_case) is None
    assert 'data-testid="histology-discordant"' not in staff_client.get(classified_case.get_absolute_url()).content.decode()


def test_a_corrected_histology_clears_the_mark(classified_case, staff, dermatologist):
    _decide(classified_case, dermatologist, "nv", "follow_up")
    _histology(classified_case, staff, "mel")
    assert selectors.case_discordance(case=classified_case).kind == "malignant_missed"
    _histology(classified_case, staff, "nv")  # the correction supersedes the first entry
    assert selectors.case_discordance(case=classified_case) is None


def test_no_decision_no_mark(classified_case, staff):
    _histology(classified_case, staff, "mel")
    assert selectors.case_discordance(case=classified_case) is None


def test_counted_on_the_performance_page(classified_case, staff, dermatologist, client):
    _decide(classified_case, dermatologist, "nv", "reassure")
    _histology(classified_case, staff, "mel")
    client.force_login(dermatologist)
    response = client.get("/reports/performance/")
    [figures] = response.context["figures"]
    assert (figures.discordant, figures.with_histology) == (1, 1)
    assert 'data-testid="perf-discordant">1 of 1 reviewed case with histology' in response.content.decode()


def test_the_reviewing_dermatologist_hears_of_it_on_their_queue(classified_case, staff, dermatologist, client):
    from tests.factories import DermatologistFactory

    colleague = DermatologistFactory(clinic=dermatologist.clinic)
    review = _decide(classified_case, dermatologist, "nv", "reassure")
    queue_url = reverse("diagnosis:queue")
    client.force_login(dermatologist)
    assert 'data-testid="decisions-contradicted"' not in client.get(queue_url).content.decode()

    _histology(classified_case, staff, "mel")
    page = client.get(queue_url).content.decode()
    assert 'data-testid="decisions-contradicted"' in page and f'data-case="{classified_case.public_id}"' in page
    assert reverse("diagnosis:case_review", args=[classified_case.public_id]) in page
    client.force_login(colleague)  # not their decision: the case pages warn them, their queue does not
    assert 'data-testid="decisions-contradicted"' not in client.get(queue_url).content.decode()

    # A new decision that agrees with the histology takes it off.
    Review.objects.create(case=classified_case, reviewer=dermatologist, decision="override", diagnosis="mel",
                          ai_diagnosis=review.ai_diagnosis, plan="excision", supersedes=review)
    client.force_login(dermatologist)
    assert 'data-testid="decisions-contradicted"' not in client.get(queue_url).content.decode()
