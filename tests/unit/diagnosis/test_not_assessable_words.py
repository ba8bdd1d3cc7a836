"""A not-assessable image's reason in plain words, its numbers on a smaller details line: the old engineer
wording of stored predictions and the guard's plain sentences alike; the worker stores both with the numbers."""

import html

import pytest
from django.urls import reverse

from diagnosis.models import ModelVersion, Prediction
from diagnosis.not_assessable import reason_in_words, reason_store, reason_text
from diagnosis.reports.content import case_report
from diagnosis.reports.fhir import case_report_bundle

BLURRED = "Too blurred for the AI: retake the image in focus"


@pytest.mark.parametrize(("stored", "sentence", "details"), [
    ("too blurred to judge (focus 3.2, needs ≥ 6.55)", BLURRED, "focus 3.2, needs ≥ 6.55"),
    ("too dark (brightness 12.1, needs ≥ 31.4)", "Too dark for the AI: retake the image with more light", "brightness 12.1, needs ≥ 31.4"),
    ("overexposed (overexposed 0.41, needs ≤ 0.2)", "Overexposed: retake the image with less light or glare", "overexposed 0.41, needs ≤ 0.2"),
    ("unlike the dermoscopic images the model was trained on (feature distance 0.648, needs ≤ 0.52)",
     "This does not look like a dermoscopic image of a skin lesion", "feature distance 0.648, needs ≤ 0.52"),
    ("blank or nearly uniform (contrast 1.5, needs ≥ 9.2)",
     "The frame is blank or nearly uniform: retake the image with the lesion in view", "contrast 1.5, needs ≥ 9.2"),
    # a group of words in the phrase is no detail; the numbers after it are
    ("without the colour of skin (greyscale or nearly) (colour 2, needs ≥ 11)",
     "The image has almost no colour: take a colour dermoscopic image of the lesion", "colour 2, needs ≥ 11"),
    # the guard's plain sentences, stored with their numbers, pass through
    (f"{BLURRED} (focus 3.2, needs ≥ 6.5)", BLURRED, "focus 3.2, needs ≥ 6.5"),
    # no numbers, unknown wording, nothing at all
    ("too dark", "Too dark for the AI: retake the image with more light", ""),
    ("lesion cut off at the edge", "Lesion cut off at the edge", ""),
    ("", "The image guard refused it", ""),
    (None, "The image guard refused it", ""),
])
def test_one_reason_in_words(stored, sentence, details):
    assert reason_in_words(stored) == (sentence, details)


def test_several_reasons_keep_their_order_and_numbers():
    stored = "too blurred to judge (focus 3.2, needs ≥ 6.55); too dark (brightness 12, needs ≥ 31)"
    assert reason_in_words(stored) == (
        f"{BLURRED}. Too dark for the AI: retake the image with more light", "focus 3.2, needs ≥ 6.55; brightness 12, needs ≥ 31"
    )
    assert reason_text("too dark (brightness 12, needs ≥ 31)") == (
        "Too dark for the AI: retake the image with more light (details: brightness 12, needs ≥ 31)"
    )


def test_the_worker_stores_each_reason_with_its_numbers():
    assert reason_store([BLURRED], ["focus 3.2, needs ≥ 6.5"]) == f"{BLURRED} (focus 3.2, needs ≥ 6.5)"
    dark = "Too dark for the AI: retake the image with more light"
    assert reason_store([BLURRED, dark], ["focus 3.2, needs ≥ 6.5", "brightness 12, needs ≥ 30"]) == (
        f"{BLURRED} (focus 3.2, needs ≥ 6.5); {dark} (brightness 12, needs ≥ 30)"
    )
    # two signals behind one reason (focus and sharpness): the numbers cannot be matched, all follow the last one
    stored = reason_store([BLURRED, dark], ["focus 3.2, needs ≥ 6.5", "sharpness 0.01, needs ≥ 0.05",
                                            "brightness 12, needs ≥ 30"])
    assert stored == f"{BLURRED}; {dark} (focus 3.2, needs ≥ 6.5; sharpness 0.01, needs ≥ 0.05; brightness 12, needs ≥ 30)"
    assert reason_in_words(stored) == (
        f"{BLURRED}. {dark}", "focus 3.2, needs ≥ 6.5; sharpness 0.01, needs ≥ 0.05; brightness 12, needs ≥ 30"
    )
    # an older guard's reasons already carry their numbers; no details: kept as they are
    old = "too blurred to judge (focus 3.2, needs ≥ 6.55)"
    assert reason_store([old], ["focus 3.2, needs ≥ 6.55"]) == old
    assert reason_store([old]) == old
    assert reason_store([]) == reason_store(None) == ""
    for stored in (reason_store([BLURRED], ["focus 3.2, needs ≥ 6.5"]), old):
        assert reason_in_words(stored)[0] == BLURRED


@pytest.fixture
def refused(uploaded_case):
    """Both images of the case refused by the guard, stored in the old engineer wording."""
    version = ModelVersion.objects.create(name="old", sha256="e" * 64, directory="/nowhere", classes=["mel", "nv"])
    for image in uploaded_case.images.all():
        Prediction.objects.create(
            image=image, model_version=version, probabilities={"mel": 0.1, "nv": 0.9}, top_class="nv", confidence=0.9,
            malignancy_risk=0.1, mel_score=0.1, duration_ms=1, assessable=False,
            not_assessable_reason="too blurred to judge (focus 3.2, needs ≥ 6.55)",
        )
    return uploaded_case


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["case", "review"])
def test_pages_show_the_plain_sentence_and_a_details_line(client, staff, dermatologist, refused, which):
    client.force_login(staff if which == "case" else dermatologist)
    url = reverse("patients:case_detail" if which == "case" else "diagnosis:case_review", args=[refused.public_id])
    response = client.get(url)
    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert f"Not assessable by the AI. {BLURRED}." in content
    assert "Details: focus 3.2, needs ≥ 6.55" in content
    assert "too blurred to judge" not in content  # the engineer's wording stays out of the page
    if which == "case":
        assert content.count(f"AI: not assessable — {BLURRED}") == 2


@pytest.mark.django_db
def test_reports_carry_the_plain_sentence(rf, staff, refused):
    report = case_report(case=refused, user=staff)
    bundle = case_report_bundle(report, absolute=lambda path: f"https://example.org{path}")
    notes = [note["text"] for entry in bundle["entry"] for note in entry["resource"].get("note", [])]
    assert f"An image not assessable by the AI: {BLURRED} (details: focus 3.2, needs ≥ 6.55)." in notes
