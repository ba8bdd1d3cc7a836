"""Temperature scaling (Guo et al. 2017): one scalar T fitted on validation logits, softmax(logits / T)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from ml.serving.predictor import softmax


def nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    p = softmax(logits, temperature)
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The T > 0 minimising the negative log-likelihood (a 1-D convex-in-log(T) problem: bounded search)."""
    y = np.asarray(y, dtype=int)
    res = minimize_scalar(lambda log_t: nll(logits, y, float(np.exp(log_t))), bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(res.x))


def reliability_bins(y: np.ndarray, probs: np.ndarray, n_bins: int = 15) -> list[dict]:
    """Top-class confidence vs accuracy per equal-width bin (the data of a reliability diagram)."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(y)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            out.append({"lo": float(lo), "hi": float(hi), "n": int(m.sum()),
                        "confidence": float(conf[m].mean()), "accuracy": float(correct[m].mean())})
    return out
