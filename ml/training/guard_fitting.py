"""Fitting the image guard (ml.serving.guard judges with what is fitted here): the feature models saved to the
model folder's guard file, and the thresholds of every signal, chosen on validation images."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from ml.serving.guard import SIGNALS, DermoscopyClassifier, FeatureDensity


def fit_feature_density(features: np.ndarray, n_components: int = 128) -> FeatureDensity:
    """The subspace of the training features' top principal components (older models' ``feature_distance``)."""
    x = np.asarray(features, np.float64)
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    k = min(n_components, len(s))
    var = (s[:k] ** 2) / max(1, len(x) - 1)
    return FeatureDensity(mean.astype(np.float32), vt[:k].astype(np.float32), var.astype(np.float32))


def fit_dermoscopy_classifier(dermoscopy: np.ndarray, other: np.ndarray, *, c: float = 0.05,
                              seed: int = 0) -> DermoscopyClassifier:
    """Dermoscopy against everything else; both classes weigh the same in total, however many examples each has."""
    x = np.concatenate([dermoscopy, other]).astype(np.float64)
    y = np.r_[np.ones(len(dermoscopy)), np.zeros(len(other))]
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=seed)
    lr.fit((x - mean) / scale, y)
    return DermoscopyClassifier(mean.astype(np.float32), scale.astype(np.float32), lr.coef_[0].astype(np.float32),
                                float(lr.intercept_[0]))


def choose_thresholds(signals: dict[str, np.ndarray], *, tail: float = 0.002) -> dict:
    """Per signal, the validation quantile that passes all but ``tail`` of real images on its bad side."""
    out = {}
    for name, values in signals.items():
        direction, _ = SIGNALS[name]
        q = tail if direction == "min" else 1 - tail
        out[name] = {"threshold": float(np.quantile(np.asarray(values), q)), "direction": direction,
                     "chosen": f"{q:.3%} quantile of {len(values)} validation images"}
    return out
