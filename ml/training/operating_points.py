"""Decision thresholds for the clinical flags, chosen on validation data for a target sensitivity.

"mel": suspicious for melanoma when P(mel) >= t. "malignant": suspicious for malignancy when
P(akiec) + P(bcc) + P(mel) >= t. Sensitivity = share of the positive images flagged; specificity =
share of the other images not flagged.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ml import MALIGNANT_CLASSES

FLAGS: dict[str, tuple[str, ...]] = {"mel": ("mel",), "malignant": MALIGNANT_CLASSES}
FLAG_TEXT: dict[str, str] = {
    "mel": "Suspicious for melanoma: consider excision or biopsy",
    "malignant": "Suspicious for malignancy (akiec, bcc or melanoma): consider biopsy",
}


def flag_scores(probs: np.ndarray, classes: Sequence[str], flag: str) -> np.ndarray:
    idx = [list(classes).index(c) for c in FLAGS[flag]]
    return np.asarray(probs)[:, idx].sum(axis=1)


def flag_positives(y: np.ndarray, classes: Sequence[str], flag: str) -> np.ndarray:
    idx = [list(classes).index(c) for c in FLAGS[flag]]
    return np.isin(np.asarray(y), idx)


def threshold_for_sensitivity(scores: np.ndarray, positive: np.ndarray, target: float) -> float:
    """The highest threshold t with share(scores[positive] >= t) >= target.

    With n positives, at least ceil(target * n) of them must score >= t, so t is the
    ceil(target * n)-th highest positive score: any higher t flags fewer of them.
    """
    pos = np.sort(np.asarray(scores)[np.asarray(positive, bool)])[::-1]
    if len(pos) == 0:
        raise ValueError("no positive examples to set a threshold on")
    k = max(1, math.ceil(target * len(pos) - 1e-9))
    return float(pos[k - 1])


def operating_point(scores: np.ndarray, positive: np.ndarray, threshold: float) -> dict:
    scores, positive = np.asarray(scores), np.asarray(positive, bool)
    flagged = scores >= threshold
    return {
        "threshold": float(threshold),
        "sensitivity": float(flagged[positive].mean()) if positive.any() else None,
        "specificity": float((~flagged[~positive]).mean()) if (~positive).any() else None,
        "flagged_fraction": float(flagged.mean()) if len(flagged) else None,
        "n_positive": int(positive.sum()),
        "n": int(len(scores)),
    }


def choose_operating_points(y_val: np.ndarray, probs_val: Sequence[np.ndarray], classes: Sequence[str], *,
                            target: float = 0.90, note: str = "") -> dict:
    """Thresholds for every flag from validation probabilities.

    ``probs_val`` may hold several probability arrays of the same images (e.g. with full and with
    no metadata): the threshold is the lowest of those each would need, so the target is met in
    every one of them.
    """
    out = {}
    for flag in FLAGS:
        positive = flag_positives(y_val, classes, flag)
        thresholds = [threshold_for_sensitivity(flag_scores(p, classes, flag), positive, target) for p in probs_val]
        t = min(thresholds)
        val = [operating_point(flag_scores(p, classes, flag), positive, t) for p in probs_val]
        out[flag] = {
            "threshold": t,
            "classes": list(FLAGS[flag]),
            "text": FLAG_TEXT[flag],
            "target_sensitivity": target,
            "validation": val[0],
            "validation_all_variants": val,
            "chosen": note or f"lowest threshold meeting sensitivity >= {target} on the validation split",
        }
    return out


def evaluate_operating_points(y: np.ndarray, probs: np.ndarray, classes: Sequence[str], card_points: dict) -> dict:
    """Sensitivity, specificity and flagged fraction at the card's thresholds, on the evaluated images."""
    out = {}
    for flag, point in card_points.items():
        out[flag] = operating_point(flag_scores(probs, classes, flag), flag_positives(y, classes, flag), point["threshold"])
    return out
