"""The local validation figures (diagnosis.reports.local_validation) against a hand count."""

import pytest

from diagnosis.reports.local_validation import (
    Scored,
    roc_plot,
    target_statement,
    threshold_for_sensitivity,
    validation_figures,
)

CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def image(truth, top, mel=0.0, bcc=0.0, assessable=True, reasons=()):
    """Probabilities: P(mel) and P(bcc) as given, the rest on `top` (or nv when top is mel or bcc)."""
    p = dict.fromkeys(CLASSES, 0.0)
    p["mel"], p["bcc"] = mel, bcc
    rest = "nv" if top in ("mel", "bcc") else top
    p[rest] += 1.0 - mel - bcc
    return Scored(truth=truth, probabilities=p, assessable=assessable, reasons=tuple(reasons))


# 4 melanomas (P(mel) 0.9, 0.6, 0.3, 0.1), two naevi (0.55, 0.2), a keratosis (0.05), a bcc (P(mel) 0.1, P(bcc) 0.7).
IMAGES = [
    image("mel", "mel", mel=0.9),
    image("mel", "mel", mel=0.6),
    image("mel", "nv", mel=0.3),
    image("mel", "nv", mel=0.1, assessable=False, reasons=["blurred"]),
    image("nv", "nv", mel=0.55, assessable=False, reasons=["blurred", "too dark"]),
    image("nv", "nv", mel=0.2),
    image("bkl", "bkl", mel=0.05),
    image("bcc", "bcc", mel=0.1, bcc=0.7),
]


@pytest.fixture
def figures():
    return validation_figures(IMAGES, total=9, thresholds={"mel": 0.35, "malignant": 0.5}, target=0.9)


def test_flag_sensitivity_and_specificity_at_the_card_thresholds(figures):
    mel = figures.flags["mel"]
    assert (mel.positives, mel.negatives) == (4, 4)
    assert (mel.sensitivity.hits, mel.sensitivity.total) == (2, 4)  # 0.9 and 0.6 reach 0.35
    assert (mel.specificity.hits, mel.specificity.total) == (3, 4)  # the naevus at 0.55 is flagged
    low, high = mel.sensitivity.interval  # Wilson, by hand: 0.5 ± 0.350 for 2 of 4
    assert low == pytest.approx(0.150, abs=1e-3) and high == pytest.approx(0.850, abs=1e-3)
    malignant = figures.flags["malignant"]  # positives: 4 melanomas + the bcc (score 0.8)
    assert (malignant.sensitivity.hits, malignant.sensitivity.total) == (3, 5)
    assert (malignant.specificity.hits, malignant.specificity.total) == (2, 3)
    assert mel.meets_target is False


def test_proposed_threshold_is_the_highest_reaching_the_target(figures):
    mel = figures.flags["mel"]
    # 90 % of 4 melanomas: all 4 must be flagged, so the 4th highest P(mel), 0.1.
    assert mel.proposed_threshold == pytest.approx(0.1)
    assert (mel.proposed_sensitivity.hits, mel.proposed_sensitivity.total) == (4, 4)
    assert (mel.proposed_specificity.hits, mel.proposed_specificity.total) == (1, 4)  # only the keratosis (0.05)
    assert threshold_for_sensitivity([0.9, 0.6, 0.3, 0.1], 0.75) == pytest.approx(0.3)
    assert threshold_for_sensitivity([], 0.9) is None
    assert not mel.can_adopt  # 4 melanomas, fewer than 30


def test_recall_not_assessable_and_counts(figures):
    assert figures.total == 9 and figures.scored == 8
    assert (figures.recall["mel"].hits, figures.recall["mel"].total) == (2, 4)
    assert (figures.recall["nv"].hits, figures.recall["nv"].total) == (1, 2)  # the naevus at 0.55 reads as mel
    assert (figures.recall["bcc"].hits, figures.recall["bcc"].total) == (1, 1)
    assert figures.recall["df"].total == 0
    assert (figures.not_assessable.hits, figures.not_assessable.total) == (2, 8)
    assert figures.not_assessable_reasons == [("blurred", 2), ("too dark", 1)]
    assert figures.melanomas == 4


def test_roc_auc_and_operating_point_by_hand(figures):
    # Pairs (melanoma, other) ranked right: 4 + 4 + 3 + 1 and one tie (0.1 vs 0.1) counted half: 12.5 of 16.
    assert figures.roc.auc == pytest.approx(12.5 / 16)
    assert figures.roc.point == pytest.approx((0.25, 0.5))
    plot = roc_plot(figures.roc)
    # (1 - specificity, sensitivity) = (0.25, 0.5) in a 240-px square from (40, 40): x 40 + 60, y 40 + 120.
    assert (plot["point"]["x"], plot["point"]["y"]) == (100.0, 160.0)
    assert plot["points"].startswith("40.0,280.0 ") and plot["points"].endswith(" 280.0,40.0")


def test_statement_says_what_the_figures_rest_on(figures):
    assert figures.statement.startswith("On this clinic's data the melanoma flag does not meet the target sensitivity of 90 %")
    assert "2 of 4 melanomas flagged" in figures.statement
    assert figures.statement.endswith("Based on 4 melanomas: too few to be sure.")
    many = [image("mel", "mel", mel=0.9)] * 40 + [image("nv", "nv", mel=0.1)] * 10
    big = validation_figures(many, total=50, thresholds={"mel": 0.35, "malignant": None}, target=0.9)
    assert big.statement.endswith("Based on 40 melanomas.") and "meets the target" in big.statement
    assert big.flags["mel"].can_adopt and not big.flags["malignant"].sensitivity.total
    assert target_statement(None, 0.9).startswith("No melanoma")


def test_no_curve_with_one_class_only():
    only_naevi = validation_figures([image("nv", "nv", mel=0.1)], total=1, thresholds={"mel": 0.3}, target=0.9)
    assert only_naevi.roc is None and roc_plot(None) is None
    assert only_naevi.flags["mel"].proposed_threshold is None
