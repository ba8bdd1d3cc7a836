"""The image guard: is this a dermoscopic lesion image the model can judge?

Signals a reviewer can follow, each with a threshold set on real validation dermoscopy:
- ``feature_distance``: the share of the image's pooled CNN features that lies outside the subspace
  where the training images' features live (their top principal components): photographs of other
  things, documents and screenshots put much of theirs elsewhere. (A Mahalanobis distance inside the
  subspace was tried and missed almost every photograph: they differ in directions dermoscopy never uses.)
- ``colour``: mean chroma (max - min of R, G, B): skin has colour, greyscale pictures have none;
- ``focus``: variance of the Laplacian of the grey image (low = blurred);
- ``brightness``: mean grey level (low = too dark);
- ``overexposed``: share of near-white pixels (high = blown out);
- ``contrast``: standard deviation of the grey level (low = blank or near-uniform frame).
Thresholds are quantiles of the validation images' signals, so each passes all but a set share of real
dermoscopy; the card records them with how they were chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

GUARD_FILE = "guard.npz"
# direction: "min" = the signal must be at least the threshold, "max" = at most.
SIGNALS: dict[str, tuple[str, str]] = {
    "feature_distance": ("max", "unlike the dermoscopic images the model was trained on"),
    "colour": ("min", "without the colour of skin (greyscale or nearly)"),
    "focus": ("min", "too blurred to judge"),
    "brightness": ("min", "too dark"),
    "overexposed": ("max", "overexposed"),
    "contrast": ("min", "blank or nearly uniform"),
}


def _grey(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def laplacian_variance(grey: np.ndarray) -> float:
    lap = (-4 * grey[1:-1, 1:-1] + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:])
    return float(lap.var())


def pixel_signals(rgb: np.ndarray) -> dict[str, float]:
    """Signals from the canonically preprocessed uint8 RGB image alone."""
    g = _grey(rgb)
    r, gr, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # max - min of the channels pairwise: the same integers as a reduction over the last axis, 15 times faster.
    chroma = np.maximum(np.maximum(r, gr), b) - np.minimum(np.minimum(r, gr), b)
    return {
        "colour": float(chroma.mean()),
        "focus": laplacian_variance(g),
        "brightness": float(g.mean()),
        "overexposed": float((g >= 250).mean()),
        "contrast": float(g.std()),
    }


@dataclass
class FeatureDensity:
    """The subspace of the training features' top principal components."""

    mean: np.ndarray
    components: np.ndarray  # (k, d)
    variances: np.ndarray  # (k,)

    @classmethod
    def fit(cls, features: np.ndarray, n_components: int = 128) -> "FeatureDensity":
        x = np.asarray(features, np.float64)
        mean = x.mean(axis=0)
        _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
        k = min(n_components, len(s))
        var = (s[:k] ** 2) / max(1, len(x) - 1)
        return cls(mean.astype(np.float32), vt[:k].astype(np.float32), var.astype(np.float32))

    def distance(self, features: np.ndarray) -> np.ndarray:
        """Share (0..1) of each centred feature vector's norm outside the subspace."""
        d = np.asarray(features, np.float32) - self.mean
        residual = d - (d @ self.components.T) @ self.components
        return np.linalg.norm(residual, axis=1) / np.maximum(np.linalg.norm(d, axis=1), 1e-12)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, mean=self.mean, components=self.components, variances=self.variances)

    @classmethod
    def load(cls, path: Path) -> "FeatureDensity":
        with np.load(path) as z:
            return cls(z["mean"], z["components"], z["variances"])


def choose_thresholds(signals: dict[str, np.ndarray], *, tail: float = 0.002) -> dict:
    """Per signal, the validation quantile that passes all but ``tail`` of real images on its bad side."""
    out = {}
    for name, values in signals.items():
        direction, _ = SIGNALS[name]
        q = tail if direction == "min" else 1 - tail
        out[name] = {"threshold": float(np.quantile(np.asarray(values), q)), "direction": direction,
                     "chosen": f"{q:.3%} quantile of {len(values)} validation images"}
    return out


def judge(signals: dict[str, float], thresholds: dict) -> list[str]:
    """Plain-English reasons the image is not assessable; [] when it passes every signal."""
    reasons = []
    for name, rule in thresholds.items():
        if name not in signals:
            continue
        value, t = signals[name], rule["threshold"]
        bad = value < t if rule["direction"] == "min" else value > t
        if bad:
            need = "≥" if rule["direction"] == "min" else "≤"
            reasons.append(f"{SIGNALS[name][1]} ({name.replace('_', ' ')} {value:.3g}, needs {need} {t:.3g})")
    return reasons
