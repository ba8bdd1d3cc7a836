"""The case page and the review page lead with the AI's flag in plain words, before the most likely class;
a not-assessable image shows its reason and no diagnosis; every heat-map has its colour scale."""

import html

import pytest
from django.urls import reverse

from diagnosis import opinion
from diagnosis.inference import services as inference_services
from diagnosis.templatetags.diagnosis_tags import dx_name

pytestmark = pytest.mark.django_db

MEL = "Suspicious for melanoma: consider excision or biopsy"
MALIGNANT = "Suspicious for malignancy (akiec, bcc or melanoma): consider biopsy"
NOT_FLAGGED = "Not flagged at the AI's operating point (second opinion, not a rule-out)"
TOP_CLASS = 'data-testid="ai-top-class"'


def classify_all(case):
    for image in case.images.all():
        inference_services.image_classify(image_id=image.pk)
    case.refresh_from_db()


def page(client, case, which):
    url = {
        "case": reverse("patients:case_detail", args=[case.public_id]),
        "review": reverse("diagnosis:case_review", args=[case.public_id]),
    }[which]
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def clients(client, staff, dermatologist):
    """The case page as staff see it, the review page as dermatologists see it."""

    def get(case, which):
        client.force_login(staff if which == "case" else dermatologist)
        return page(client, case, which)

    return get


@pytest.mark.parametrize("which", ["case", "review"])
@pytest.mark.parametrize(
    ("mel", "malignant", "text", "point"),
    [
        (0.0, 0.0, MEL, "threshold 0 on P(melanoma), set for 90 % melanoma sensitivity on validation data"),
        (1.01, 0.0, MALIGNANT, "threshold 0 on P(akiec + bcc + melanoma), set for 90 % sensitivity to malignancy"),
        (1.01, 1.01, NOT_FLAGGED, "threshold 1.01 on P(melanoma)"),
    ],
)
def test_page_leads_with_the_flag(uploaded_case, model_variant, clients, which, mel, malignant, text, point):
    model_variant(mel=mel, malignant=malignant)
    classify_all(uploaded_case)
    content = clients(uploaded_case, which)
    top = opinion.case_ai_summary(uploaded_case)["top_class"]
    assert text in content and point in content
    # The plain words come before the most likely class, wherever that class is named.
    assert content.index(text) < content.index(TOP_CLASS)
    assert content.index(text) < content.index(dx_name(top))
    # Each image's own state carries its flag too.
    assert content.count('data-testid="prediction-ai"') == 2


def test_each_images_badge_on_the_case_page_shows_its_flag(uploaded_case, model_variant, clients):
    model_variant(mel=0.0, malignant=0.0)
    classify_all(uploaded_case)
    content = clients(uploaded_case, "case")
    assert content.count("AI: suspicious for melanoma · ") == 2


@pytest.mark.parametrize("which", ["case", "review"])
def test_not_assessable_case_shows_reasons_and_no_diagnosis(uploaded_case, model_variant, clients, which):
    model_variant(mel=0.0, malignant=0.0, refuse_all=True)
    classify_all(uploaded_case)
    content = clients(uploaded_case, which)
    assert content.count("Not assessable by the AI. Too blurred for the AI: retake the image in focus") >= 2
    assert "Details: focus " in content  # the guard's numbers, stored by the worker beside the plain sentence
    assert TOP_CLASS not in content and "Most likely" not in content
    assert MEL not in content and "Top:" not in content
    assert "No AI diagnosis" in content
    assert 'data-testid="heatmap"' not in content  # a refused image's heat-map would explain no opinion
    if which == "case":
        assert content.count("AI: not assessable — Too blurred for the AI: retake the image in focus") == 2
    else:
        assert "no AI diagnosis to confirm" in content


def test_one_refused_image_among_judged_ones(uploaded_case, model_variant, clients):
    first, second = uploaded_case.images.all()
    model_variant(mel=0.0, malignant=0.0, refuse_all=True)
    inference_services.image_classify(image_id=first.pk)
    model_variant(mel=0.0, malignant=0.0)
    inference_services.image_classify(image_id=second.pk)
    content = clients(uploaded_case, "review")
    assert content.index(MEL) < content.index(TOP_CLASS)
    assert content.count("Not assessable by the AI. Too blurred for the AI: retake the image in focus") == 2  # the case's note and the image's card
    assert content.count("Top:") == 1  # only the judged image shows classes
    assert content.count('data-testid="heatmap"') == 1  # and only its heat-map


def test_confirm_on_the_page_is_refused_with_a_message(uploaded_case, model_variant, dermatologist_client):
    model_variant(mel=0.0, malignant=0.0, refuse_all=True)
    classify_all(uploaded_case)
    url = reverse("diagnosis:case_review", args=[uploaded_case.public_id])
    response = dermatologist_client.post(url, {"plan": "excision", "decision": "confirm"})
    assert response.status_code == 400
    assert "no AI diagnosis to confirm" in html.unescape(response.content.decode())
    assert not uploaded_case.reviews.exists()
    response = dermatologist_client.post(url, {"plan": "reassure", "decision": "override", "diagnosis": "nv"})
    assert response.status_code == 302
    assert uploaded_case.reviews.get().ai_diagnosis == ""
    assert "(AI: not assessable)" in page(dermatologist_client, uploaded_case, "case")


@pytest.mark.parametrize("which", ["case", "review"])
def test_every_heatmap_has_a_colour_scale(uploaded_case, active_model, clients, which):
    classify_all(uploaded_case)
    content = clients(uploaded_case, which)
    assert content.count('data-testid="heatmap"') == 2
    assert content.count('data-testid="heatmap-scale"') == 2
    assert "low" in content and "high attention" in content


def test_model_without_operating_points_claims_no_flag(uploaded_case, active_model, clients):
    classify_all(uploaded_case)
    content = clients(uploaded_case, "review")
    assert "No flag: this model has no operating point" in content
    assert NOT_FLAGGED not in content
