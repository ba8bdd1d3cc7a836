"""Classification metrics from scikit-learn, in one JSON-ready dict."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
    top_k_accuracy_score,
)


def expected_calibration_error(y_true: np.ndarray, probs: np.ndarray, n_bins: int = 15) -> float:
    """ECE over equal-width confidence bins: sum_b |B|/n * |accuracy(B) - mean confidence(B)|."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y_true).astype(np.float64)
    # Bin edges (i/n, (i+1)/n]; confidence 0 cannot occur for a softmax argmax.
    bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def classification_metrics(y_true: Sequence[int], probs: np.ndarray, classes: Sequence[str]) -> dict:
    y_true = np.asarray(y_true, dtype=int)
    probs = np.asarray(probs, dtype=np.float64)
    n_classes = len(classes)
    labels = list(range(n_classes))
    y_pred = probs.argmax(axis=1)
    present = [c for c in labels if (y_true == c).any() and not (y_true == c).all()]

    per_auc: dict[int, float | None] = {}
    for c in labels:
        per_auc[c] = float(roc_auc_score(y_true == c, probs[:, c])) if c in present else None
    if len(present) == n_classes:
        macro_auc = float(roc_auc_score(y_true, probs, multi_class="ovr", average="macro", labels=labels))
    else:  # a class absent from y_true has no ROC curve: average over those that have one
        macro_auc = float(np.mean([per_auc[c] for c in present])) if present else None

    prec, rec, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per_class = {
        name: {"precision": float(prec[i]), "recall": float(rec[i]), "f1": float(f1[i]),
               "support": int(support[i]), "auc": per_auc[i]}
        for i, name in enumerate(classes)
    }

    def top_k(k: int) -> float:
        return float(top_k_accuracy_score(y_true, probs, k=min(k, n_classes), labels=labels))

    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        # Mean recall over the classes present in y_true: scikit-learn's balanced accuracy, without its warning
        # when the model predicts a class the (small) set lacks.
        "balanced_accuracy": float(np.mean([rec[c] for c in labels if support[c]])) if len(y_true) else None,
        "macro_auc": macro_auc,
        "top2_accuracy": top_k(2),
        "top3_accuracy": top_k(3),
        "mel_sensitivity": per_class["mel"]["recall"] if "mel" in per_class else None,
        "ece": expected_calibration_error(y_true, probs),
        "macro_f1": float(np.mean(f1)),
        "per_class": per_class,
        "classes": list(classes),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
