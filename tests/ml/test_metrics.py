import numpy as np
import pytest

from ml.evaluation.metrics import classification_metrics, expected_calibration_error

CLASSES = ["a", "mel", "c"]


def example():
    y = np.array([0, 0, 1, 1, 2, 2])
    p = np.array([
        [0.7, 0.2, 0.1],  # correct
        [0.3, 0.6, 0.1],  # wrong (mel), true class second
        [0.1, 0.8, 0.1],  # correct
        [0.5, 0.3, 0.2],  # wrong (a), true class second
        [0.2, 0.2, 0.6],  # correct
        [0.4, 0.5, 0.1],  # wrong (mel), true class third
    ])
    return y, p


def test_metrics_agree_with_hand_computed_values():
    y, p = example()
    m = classification_metrics(y, p, CLASSES)
    assert m["n"] == 6
    assert m["accuracy"] == pytest.approx(3 / 6)
    assert m["balanced_accuracy"] == pytest.approx((1 / 2 + 1 / 2 + 1 / 2) / 3)
    assert m["top2_accuracy"] == pytest.approx(5 / 6)
    assert m["top3_accuracy"] == pytest.approx(1.0)
    assert m["confusion_matrix"] == [[1, 1, 0], [1, 1, 0], [0, 1, 1]]
    # mel: predicted 3 times, right once; 2 true mel, 1 found
    assert m["per_class"]["mel"]["precision"] == pytest.approx(1 / 3)
    assert m["per_class"]["mel"]["recall"] == pytest.approx(1 / 2)
    assert m["per_class"]["mel"]["f1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert m["per_class"]["mel"]["support"] == 2
    assert m["mel_sensitivity"] == pytest.approx(1 / 2)
    # class "a" scores: positives 0.7, 0.3; negatives 0.1, 0.5, 0.2, 0.4 -> 6 of 8 pairs ranked right
    assert m["per_class"]["a"]["auc"] == pytest.approx(6 / 8)
    per = [m["per_class"][c]["auc"] for c in CLASSES]
    assert m["macro_auc"] == pytest.approx(np.mean(per))


def test_ece_by_hand():
    # two bins used: confidences 0.9 (2 right of 2) and 0.6 (1 right of 2)
    y = np.array([0, 0, 1, 1])
    p = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    ece = expected_calibration_error(y, p, n_bins=10)
    assert ece == pytest.approx(0.5 * abs(1.0 - 0.9) + 0.5 * abs(0.5 - 0.6))


def test_perfect_predictions():
    y = np.array([0, 1, 2, 1])
    p = np.eye(3)[y]
    m = classification_metrics(y, p, CLASSES)
    assert m["accuracy"] == m["balanced_accuracy"] == m["macro_auc"] == 1.0
    assert m["ece"] == pytest.approx(0.0)
