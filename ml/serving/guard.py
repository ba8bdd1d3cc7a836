"""The image guard: is this a dermoscopic lesion image the model can judge?

"Not assessable" means the picture, not the device: not a dermoscopic image of a skin lesion, or unusable
(blurred, dark, overexposed, blank). It must never mean "from a dermoscope the model has not seen".
Signals a reviewer can follow, each with a threshold set on real validation dermoscopy of every source:
- ``dermoscopy``: a logistic classifier on the model's own pooled features, trained on dermoscopy from every
  source (at resolutions from 56 px up) against photographs, documents, screenshots and blank frames: the
  probability that the picture is dermoscopy of a lesion. It replaces ``feature_distance`` below, which
  measured distance from the training set and so refused unfamiliar devices (kept for older model cards).
- ``sharpness``: the Laplacian's energy at a 40 px height over its energy at 20 px: a focus measure free of
  scale and contrast, so a sharp 84 px image and a sharp 600 px image score alike (the older ``focus`` at
  150 x 200 called most upscaled low-resolution images blurred). Chosen on validation images of every source
  against blurred copies: among Laplacian variance at 32-64 px (raw or over the grey variance) and this ratio at
  32-56 px, the ratio at 40 px refused the most blurred copies at a 0.5 % tail of every source;
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
from PIL import Image

GUARD_FILE = "guard.npz"
# direction: "min" = the signal must be at least the threshold, "max" = at most.
# The reason is what staff read: what is wrong and what to do; the numbers go to a details line.
NOT_DERMOSCOPY = "This does not look like a dermoscopic image of a skin lesion"
SIGNALS: dict[str, tuple[str, str]] = {
    "dermoscopy": ("min", NOT_DERMOSCOPY),
    "feature_distance": ("max", NOT_DERMOSCOPY),
    "colour": ("min", "The image has almost no colour: take a colour dermoscopic image of the lesion"),
    "sharpness": ("min", "Too blurred for the AI: retake the image in focus"),
    "focus": ("min", "Too blurred for the AI: retake the image in focus"),
    "brightness": ("min", "Too dark for the AI: retake the image with more light"),
    "overexposed": ("max", "Overexposed: retake the image with less light or glare"),
    "contrast": ("min", "The frame is blank or nearly uniform: retake the image with the lesion in view"),
}
SHARPNESS_HEIGHT = 40


def _grey(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def laplacian_variance(grey: np.ndarray) -> float:
    lap = (-4 * grey[1:-1, 1:-1] + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:])
    return float(lap.var())


def _box_height(grey: np.ndarray, height: int) -> np.ndarray:
    h, w = grey.shape
    size = (max(3, round(w * height / h)), height)
    return np.asarray(Image.fromarray(grey.astype(np.float32), mode="F").resize(size, Image.BOX), np.float32)


def sharpness(grey: np.ndarray) -> float:
    """Fine detail against coarse detail: Laplacian energy at a 40 px height over that at 20 px (x4, the
    Laplacian's scale factor). Blur removes the fine scale first; contrast and resolution cancel out."""
    fine, coarse = _box_height(grey, SHARPNESS_HEIGHT), _box_height(grey, SHARPNESS_HEIGHT // 2)
    return laplacian_variance(fine) / (4 * laplacian_variance(coarse) + 1e-3)


def pixel_signals(rgb: np.ndarray) -> dict[str, float]:
    """Signals from the canonically preprocessed uint8 RGB image alone."""
    g = _grey(rgb)
    r, gr, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # max - min of the channels pairwise: the same integers as a reduction over the last axis, 15 times faster.
    chroma = np.maximum(np.maximum(r, gr), b) - np.minimum(np.minimum(r, gr), b)
    return {
        "colour": float(chroma.mean()),
        "focus": laplacian_variance(g),
        "sharpness": sharpness(g),
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


@dataclass
class DermoscopyClassifier:
    """Logistic regression on standardised pooled features: P(dermoscopic image of a skin lesion)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (d,)
    intercept: float

    def score(self, features: np.ndarray) -> np.ndarray:
        z = ((np.asarray(features, np.float32) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    def save(self, path: Path) -> None:
        np.savez_compressed(path, derm_mean=self.mean, derm_scale=self.scale, derm_coef=self.coef,
                            derm_intercept=np.float32(self.intercept))

    @classmethod
    def load(cls, path: Path) -> "DermoscopyClassifier":
        with np.load(path) as z:
            return cls(z["derm_mean"], z["derm_scale"], z["derm_coef"], float(z["derm_intercept"]))


def load_feature_guard(path: Path):
    """What a model folder's guard file holds: a DermoscopyClassifier, or an older card's FeatureDensity."""
    with np.load(path) as z:
        names = set(z.files)
    return DermoscopyClassifier.load(path) if "derm_coef" in names else FeatureDensity.load(path)


def feature_signal(guard, pooled: np.ndarray) -> tuple[str, np.ndarray]:
    if isinstance(guard, DermoscopyClassifier):
        return "dermoscopy", guard.score(pooled)
    return "feature_distance", guard.distance(pooled)


def failed_signals(signals: dict[str, float], thresholds: dict) -> list[str]:
    out = []
    for name, rule in thresholds.items():
        if name not in signals:
            continue
        value, t = signals[name], rule["threshold"]
        if value < t if rule["direction"] == "min" else value > t:
            out.append(name)
    return out


def judge(signals: dict[str, float], thresholds: dict) -> list[str]:
    """Reasons the image is not assessable, in plain words with what to do; [] when it passes every signal.
    Two signals with the same meaning give one reason."""
    reasons = []
    for name in failed_signals(signals, thresholds):
        if SIGNALS[name][1] not in reasons:
            reasons.append(SIGNALS[name][1])
    return reasons


def details(signals: dict[str, float], thresholds: dict) -> list[str]:
    """The numbers behind ``judge``, one per failed signal: "sharpness 0.0123, needs ≥ 0.05"."""
    out = []
    for name in failed_signals(signals, thresholds):
        rule = thresholds[name]
        need = "≥" if rule["direction"] == "min" else "≤"
        out.append(f"{name.replace('_', ' ')} {signals[name]:.3g}, needs {need} {rule['threshold']:.3g}")
    return out
