"""Flag thresholds chosen for a target sensitivity, and their evaluation (synthetic scores)."""

import numpy as np
import pytest

from ml import CLASSES
from ml.training.operating_points import (
    choose_operating_points,
    evaluate_operating_points,
    flag_scores,
    operating_point,
    threshold_for_sensitivity,
)


@pytest.mark.parametrize("target", [0.5, 0.8, 0.9, 0.95, 1.0])
@pytest.mark.parametrize("n_pos", [7, 40, 135])
def test_threshold_reaches_the_target_sensitivity_and_no_higher_threshold_does(target, n_pos):
    rng = np.random.default_rng(n_pos)
    scores = np.concatenate([rng.beta(5, 2, n_pos), rng.beta(2, 5, 500)])
    positive = np.r_[np.ones(n_pos, bool), np.zeros(500, bool)]
    t = threshold_for_sensitivity(scores, positive, target)
    assert (scores[positive] >= t).mean() >= target
    # The next positive score above t flags too few: t is the highest threshold that works.
    higher = scores[positive][scores[positive] > t]
    if len(higher):
        assert (scores[positive] >= higher.min()).mean() < target


def test_operating_point_counts():
    scores = np.array([0.9, 0.6, 0.2, 0.7, 0.1, 0.05])
    positive = np.array([True, True, True, False, False, False])
    point = operating_point(scores, positive, 0.5)
    assert point["sensitivity"] == pytest.approx(2 / 3)
    assert point["specificity"] == pytest.approx(2 / 3)
    assert point["flagged_fraction"] == pytest.approx(3 / 6)


def test_malignant_flag_sums_akiec_bcc_mel():
    probs = np.zeros((1, 7))
    probs[0, [CLASSES.index("akiec"), CLASSES.index("bcc"), CLASSES.index("mel")]] = [0.1, 0.2, 0.3]
    probs[0, CLASSES.index("nv")] = 0.4
    assert flag_scores(probs, CLASSES, "malignant")[0] == pytest.approx(0.6)
    assert flag_scores(probs, CLASSES, "mel")[0] == pytest.approx(0.3)


def test_chosen_points_meet_the_target_in_every_variant_and_evaluate_back():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 7, 2000)
    a = rng.dirichlet(np.ones(7), 2000)
    a[np.arange(2000), y] += 0.5
    a /= a.sum(1, keepdims=True)
    b = np.sqrt(a)  # a less confident variant (e.g. without metadata)
    b /= b.sum(1, keepdims=True)
    points = choose_operating_points(y, [a, b], CLASSES, target=0.9)
    for flag in ("mel", "malignant"):
        assert points[flag]["target_sensitivity"] == 0.9
        for variant in points[flag]["validation_all_variants"]:
            assert variant["sensitivity"] >= 0.9
    back = evaluate_operating_points(y, a, CLASSES, points)
    assert back["mel"]["sensitivity"] == pytest.approx(points["mel"]["validation"]["sensitivity"])
    assert back["mel"]["threshold"] == points["mel"]["threshold"]
