"""The histology discordance rule (diagnosis.review.discordance.histology_discordance): pure, no database."""

import pytest

from diagnosis.review.discordance import Kind, histology_discordance


@pytest.mark.parametrize("histology", ["mel", "bcc", "akiec"])
@pytest.mark.parametrize("diagnosis", ["nv", "bkl", "df", "vasc"])
def test_malignant_histology_on_a_benign_decision(histology, diagnosis):
    found = histology_discordance(histology=histology, diagnosis=diagnosis, plan="excision")
    assert found is not None and found.kind == Kind.MALIGNANT_MISSED


@pytest.mark.parametrize("plan", ["reassure", "follow_up"])
def test_malignant_histology_on_a_watchful_plan_even_with_a_malignant_diagnosis(plan):
    found = histology_discordance(histology="bcc", diagnosis="akiec", plan=plan)
    assert found.kind == Kind.MALIGNANT_MISSED and "plan" in found.text


def test_the_issue_example_bcc_on_benign_reassure():
    found = histology_discordance(histology="bcc", diagnosis="bkl", plan="reassure")
    assert found.kind == Kind.MALIGNANT_MISSED
    assert "Basal cell carcinoma" in found.text and "Reassure" in found.text


def test_melanoma_on_another_malignancy():
    assert histology_discordance(histology="mel", diagnosis="bcc", plan="excision").kind == Kind.OTHER_MALIGNANCY


@pytest.mark.parametrize(("histology", "diagnosis", "plan"), [
    ("mel", "mel", "excision"),
    ("bcc", "bcc", "excision"),
    ("akiec", "bcc", "biopsy"),  # both keratinocyte malignancies, treated alike
    ("bcc", "mel", "excision"),  # over-called, still excised
    ("nv", "nv", "reassure"),
    ("nv", "bcc", "excision"),  # a benign result after a suspected carcinoma is the expected false alarm
    ("other", "nv", "reassure"),  # the rule cannot tell
    ("other", "mel", "excision"),
])
def test_concordant_or_undecidable(histology, diagnosis, plan):
    assert histology_discordance(histology=histology, diagnosis=diagnosis, plan=plan) is None


@pytest.mark.parametrize("histology", ["nv", "bkl", "df", "vasc"])
def test_benign_histology_after_a_melanoma_decision(histology):
    assert histology_discordance(histology=histology, diagnosis="mel", plan="excision").kind == Kind.BENIGN_AFTER_MELANOMA


@pytest.mark.parametrize(("histology", "diagnosis"), [(None, "nv"), ("mel", None), ("", ""), (None, None)])
def test_nothing_to_compare(histology, diagnosis):
    assert histology_discordance(histology=histology, diagnosis=diagnosis) is None
