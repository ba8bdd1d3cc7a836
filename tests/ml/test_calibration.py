"""Temperature scaling lowers the calibration error of over-confident logits (synthetic)."""

import numpy as np
import pytest

from ml.serving.predictor import softmax
from ml.training.calibration import fit_temperature, reliability_bins
from ml.evaluation.metrics import expected_calibration_error


def _calibrated_logits(n=4000, k=7, seed=0):
    """Logits whose softmax is calibrated by construction: labels are drawn from it."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (n, k))
    p = softmax(logits)
    y = np.array([rng.choice(k, p=row) for row in p])
    return logits, y


@pytest.mark.parametrize("scale", [3.0, 0.4])  # over- and under-confident
def test_temperature_recovers_the_scale_and_lowers_ece(scale):
    logits, y = _calibrated_logits()
    bad = logits * scale
    t = fit_temperature(bad, y)
    assert t == pytest.approx(scale, rel=0.15)
    before = expected_calibration_error(y, softmax(bad))
    after = expected_calibration_error(y, softmax(bad, t))
    assert after < before / 2
    assert after < 0.03


def test_temperature_keeps_the_ranking():
    logits, _ = _calibrated_logits(n=50)
    assert (softmax(logits, 2.5).argmax(1) == logits.argmax(1)).all()


def test_reliability_bins_cover_every_image():
    logits, y = _calibrated_logits(n=500)
    bins = reliability_bins(y, softmax(logits))
    assert sum(b["n"] for b in bins) == 500
    assert all(0 <= b["accuracy"] <= 1 and b["lo"] < b["confidence"] <= b["hi"] for b in bins)
