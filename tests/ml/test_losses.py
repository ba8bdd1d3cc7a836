import numpy as np
import pytest

keras = pytest.importorskip("keras")

from ml.training.losses import SparseFocalLoss  # noqa: E402


def batch():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(16, 7)).astype("float32")
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return rng.integers(0, 7, 16), probs.astype("float32")


def test_gamma_zero_equals_cross_entropy():
    y, p = batch()
    ce = keras.losses.SparseCategoricalCrossentropy()(y, p)
    fl = SparseFocalLoss(gamma=0.0)(y, p)
    assert float(fl) == pytest.approx(float(ce), rel=1e-6)


def test_focal_down_weights_easy_examples():
    y = np.array([0, 0])
    p = np.array([[0.95, 0.05], [0.3, 0.7]], dtype="float32")
    fl = keras.ops.convert_to_numpy(SparseFocalLoss(gamma=2.0, reduction=None)(y, p))
    ce = -np.log([0.95, 0.3])
    assert fl[0] == pytest.approx(ce[0] * 0.05**2, rel=1e-5)
    assert fl[1] == pytest.approx(ce[1] * 0.7**2, rel=1e-5)


def test_alpha_scales_per_class():
    y = np.array([0, 1])
    p = np.array([[0.6, 0.4], [0.6, 0.4]], dtype="float32")
    plain = keras.ops.convert_to_numpy(SparseFocalLoss(gamma=1.0, reduction=None)(y, p))
    weighted = keras.ops.convert_to_numpy(SparseFocalLoss(gamma=1.0, alpha=[0.25, 2.0], reduction=None)(y, p))
    assert weighted == pytest.approx(plain * np.array([0.25, 2.0]), rel=1e-6)


def test_config_round_trip():
    loss = SparseFocalLoss(gamma=1.5, alpha=[1.0, 2.0])
    again = SparseFocalLoss.from_config(loss.get_config())
    assert again.gamma == 1.5 and again.alpha == [1.0, 2.0]
