"""Hand-made features for the study's ANN floor: colour histograms and texture statistics.

Pure numpy on the canonical preprocessed image, so the ANN sees the same pixels as the CNNs.
"""

from __future__ import annotations

import numpy as np

HIST_BINS = 16
GLCM_LEVELS = 16
N_FEATURES = 3 * HIST_BINS + 3 * HIST_BINS + 6 + 4 * 4 + 4


def _rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.float32) / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx, mn = rgb.max(-1), rgb.min(-1)
    delta = mx - mn
    safe = np.where(delta == 0, 1.0, delta)
    h = np.where(mx == r, ((g - b) / safe) % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4)) / 6.0
    h = np.where(delta == 0, 0.0, h)
    s = np.where(mx == 0, 0.0, delta / np.where(mx == 0, 1.0, mx))
    return np.stack([h, s, mx], -1)


def _glcm_stats(grey: np.ndarray, dy: int, dx: int) -> list[float]:
    """Contrast, homogeneity, energy and correlation of one grey-level co-occurrence matrix."""
    q = (grey.astype(np.int32) * GLCM_LEVELS) // 256
    a = q[: q.shape[0] - dy, dx:] if dx >= 0 else q[: q.shape[0] - dy, :dx]
    b = q[dy:, : q.shape[1] - dx] if dx >= 0 else q[dy:, -dx:]
    glcm = np.bincount((a * GLCM_LEVELS + b).ravel(), minlength=GLCM_LEVELS**2).astype(np.float64)
    glcm = glcm.reshape(GLCM_LEVELS, GLCM_LEVELS)
    glcm = glcm + glcm.T
    glcm /= glcm.sum()
    i, j = np.indices(glcm.shape)
    contrast = float((glcm * (i - j) ** 2).sum())
    homogeneity = float((glcm / (1.0 + np.abs(i - j))).sum())
    energy = float(np.sqrt((glcm**2).sum()))
    mu = float((glcm * i).sum())
    var = float((glcm * (i - mu) ** 2).sum())
    correlation = float((glcm * (i - mu) * (j - mu)).sum() / var) if var > 0 else 1.0
    return [contrast, homogeneity, energy, correlation]


def handcrafted_features(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> float32 vector of length N_FEATURES."""
    rgb = np.asarray(image)
    n = rgb.shape[0] * rgb.shape[1]
    feats: list[float] = []
    for c in range(3):  # RGB histograms
        feats += list(np.bincount(rgb[..., c].astype(np.int64).ravel() * HIST_BINS // 256, minlength=HIST_BINS) / n)
    hsv = _rgb_to_hsv(rgb)  # before the float cast below: it expects 0..255
    for c in range(3):  # HSV histograms
        feats += list(np.histogram(hsv[..., c], bins=HIST_BINS, range=(0.0, 1.0))[0] / n)
    rgb = rgb.astype(np.float32)
    grey = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.float32)
    gy, gx = np.gradient(grey)
    grad = np.hypot(gx, gy)
    centred = grey - grey.mean()
    std = grey.std() + 1e-6
    feats += [
        grey.mean() / 255, std / 255,
        float((centred**3).mean() / std**3), float((centred**4).mean() / std**4),  # skewness, kurtosis
        grad.mean() / 255, grad.std() / 255,
    ]
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        feats += _glcm_stats(grey.astype(np.uint8), dy, dx)
    # Centre vs border contrast: lesions are darker than the skin around them.
    h, w = grey.shape
    centre = grey[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    feats += [centre.mean() / 255, centre.std() / 255, (grey.mean() - centre.mean()) / 255,
              float((grey < grey.mean() - std).mean())]
    return np.asarray(feats, dtype=np.float32)
