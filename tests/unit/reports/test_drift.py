"""The drift watch's statistics on made-up weekly counts (reports.drift: pure functions, no database)."""

from datetime import date

import pytest

from diagnosis.reports.drift import (
    HIGH,
    IN_RANGE,
    LOW,
    NO_REFERENCE,
    TOO_FEW,
    WeekCounts,
    drift_reference,
    mean_check,
    rate_check,
    week_drift,
    weeks_drift,
)

REFERENCE = {"n": 1500, "not_assessable": 0.03, "mel_flag": 0.25, "malignant_flag": 0.35, "mean_p_mel": 0.12,
             "sd_p_mel": 0.2}
WEEK = date(2026, 11, 30)


def counts(images=100, not_assessable=3, mel=25, malignant=35, mean_p_mel=0.12, week=WEEK) -> WeekCounts:
    return WeekCounts(week=week, images=images, not_assessable=not_assessable, mel_evaluated=images, mel_flagged=mel,
                      malignant_evaluated=images, malignant_flagged=malignant, p_mel_n=images, mean_p_mel=mean_p_mel)


def test_a_week_like_the_validation_data_is_in_range():
    drift = week_drift(counts(), REFERENCE)
    assert [check.status for check in drift.checks] == [IN_RANGE] * 4
    assert not drift.out_of_range and drift.warnings == [] and drift.summary == "in range"


def test_many_images_not_assessable_is_out_of_range_with_a_plain_warning():
    drift = week_drift(counts(not_assessable=41), REFERENCE)
    check = drift.check("not_assessable")
    assert check.status == HIGH and check.p_value < 0.001
    assert drift.warnings == ["Week of 2026-11-30: 41 % of images not assessable, expected about 3 % — has the "
                              "dermoscope or the way images are taken changed?"]
    assert drift.summary == "out of range"


def test_out_of_range_in_both_directions():
    high = week_drift(counts(mel=60, mean_p_mel=0.3), REFERENCE)
    assert high.check("mel_flag").status == HIGH and high.check("mean_p_mel").status == HIGH
    low = week_drift(counts(mel=2, malignant=5, mean_p_mel=0.02), REFERENCE)
    assert low.check("mel_flag").status == LOW and low.check("malignant_flag").status == LOW
    assert low.check("mean_p_mel").status == LOW
    assert ("Week of 2026-11-30: 2 % of images flagged for melanoma, expected about 25 % — the AI may be missing "
            "melanomas here: has the dermoscope or the way images are taken changed?") in low.warnings
    assert "Week of 2026-11-30: mean P(melanoma) 0.02, expected about 0.12 — " in " ".join(low.warnings)


def test_the_bar_is_p_below_one_in_a_thousand():
    # 9 of 100 against 3 %: p ≈ 0.004, suspicious at 0.05 but not out of range at 0.001
    check = rate_check("not_assessable", 9, 100, 0.03)
    assert 0.001 < check.p_value < 0.05 and check.status == IN_RANGE
    assert rate_check("not_assessable", 12, 100, 0.03).status == HIGH  # p ≈ 0.0002
    # the mean: z = (0.2 - 0.12) / (0.2 / 10) = 4, p ≈ 6e-5
    assert mean_check(0.2, 100, 0.12, 0.2).status == HIGH
    assert mean_check(0.15, 100, 0.12, 0.2).status == IN_RANGE  # z = 1.5


def test_too_few_images_are_not_judged():
    drift = week_drift(counts(images=19, not_assessable=19, mel=19, malignant=19, mean_p_mel=0.9), REFERENCE)
    assert [check.status for check in drift.checks] == [TOO_FEW] * 4
    assert not drift.out_of_range and drift.summary == "too few images to judge"
    assert week_drift(WeekCounts(week=WEEK), REFERENCE).summary == "too few images to judge"  # an empty week


def test_no_reference_in_the_card_judges_nothing():
    for card in ({}, None, {"drift_reference": {"n": 10}}, {"drift_reference": {**REFERENCE, "mel_flag": 1.5}},
                 {"drift_reference": {**REFERENCE, "sd_p_mel": "wide"}}):
        assert drift_reference(card) is None
    drift = week_drift(counts(not_assessable=90), drift_reference({}))
    assert [check.status for check in drift.checks] == [NO_REFERENCE] * 4
    assert drift.summary == "no reference in this model's card" and drift.warnings == []
    assert drift_reference({"drift_reference": REFERENCE}) == REFERENCE


def test_weeks_come_newest_first():
    weeks = weeks_drift([counts(week=date(2026, 11, 16)), counts(week=WEEK)], REFERENCE)
    assert [w.week for w in weeks] == [WEEK, date(2026, 11, 16)]


@pytest.mark.parametrize(("hits", "n", "expected", "status"), [(0, 50, 0.0, IN_RANGE), (5, 50, 0.0, HIGH),
                                                               (50, 50, 1.0, IN_RANGE)])
def test_reference_rates_at_the_edges(hits, n, expected, status):
    assert rate_check("mel_flag", hits, n, expected).status == status
