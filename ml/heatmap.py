"""Class activation maps from the final feature map, and how much of a heat-map lies on the lesion.

For a head that is global average pooling followed by a dense layer, the class score is
``w_c · mean(F) + (metadata and bias terms)``; Grad-CAM's channel weights are then exactly ``w_c`` (up to
a constant), so CAM = ``F · w_c`` is Grad-CAM, computed from the feature map the forward pass already
produced: no second pass, no gradients.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

# Dark vignette corners and black borders of dermatoscopes carry no lesion; grey levels below this share
# of the image's median that touch the border are masked out of heat-maps and of the lesion mask.
VIGNETTE_FRACTION = 0.35


def cam(feature_map: np.ndarray, class_weights: np.ndarray) -> np.ndarray:
    """(h, w, d) feature map, (d,) dense weights of one class -> (h, w) non-negative map."""
    return np.maximum(np.tensordot(feature_map, class_weights, axes=([-1], [0])), 0.0)


def unflip(maps: np.ndarray) -> np.ndarray:
    """Maps of the four TTA views (identity, left-right, up-down, both) back in the original orientation."""
    return np.stack([maps[0], maps[1][:, ::-1], maps[2][::-1], maps[3][::-1, ::-1]])


def upsample(heat: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    h, w = size_hw
    img = Image.fromarray(heat.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.float32)


def vignette_mask(rgb: np.ndarray) -> np.ndarray:
    """True where the pixel is part of a dark border region (connected to the image edge)."""
    from scipy import ndimage

    grey = rgb[..., :3].astype(np.float32).mean(axis=-1)
    dark = grey < VIGNETTE_FRACTION * max(1.0, float(np.median(grey)))
    labels, n = ndimage.label(dark)
    if n == 0:
        return dark
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return np.isin(labels, edge[edge > 0])


def heatmap_for_image(rgb: np.ndarray, maps: np.ndarray, *, mask_vignette: bool = True) -> np.ndarray:
    """Feature-resolution maps (one, or four TTA views) -> heat-map in [0, 1] at the image's size."""
    maps = np.asarray(maps, np.float32)
    heat = unflip(maps).mean(axis=0) if maps.ndim == 3 and len(maps) == 4 else maps.reshape(maps.shape[-2:])
    heat = upsample(heat, rgb.shape[:2])
    if mask_vignette:
        heat = np.where(vignette_mask(rgb), 0.0, heat)
    peak = float(heat.max())
    return heat / peak if peak > 0 else heat


def lesion_mask(rgb: np.ndarray) -> np.ndarray:
    """A simple lesion segmentation for measuring heat-maps: Otsu on the grey level (lesions are darker
    than skin), vignette excluded, the largest dark component kept."""
    from scipy import ndimage
    from skimage.filters import threshold_otsu

    grey = rgb[..., :3].astype(np.float32).mean(axis=-1)
    grey = ndimage.gaussian_filter(grey, 2)
    vig = vignette_mask(rgb)
    vals = grey[~vig]
    if vals.size < 100 or vals.max() - vals.min() < 1:
        return np.zeros(grey.shape, bool)
    dark = (grey < threshold_otsu(vals)) & ~vig
    labels, n = ndimage.label(dark)
    if n == 0:
        return dark
    sizes = ndimage.sum(dark, labels, index=np.arange(1, n + 1))
    return ndimage.binary_fill_holes(labels == (1 + int(np.argmax(sizes))))


def mass_inside(heat: np.ndarray, mask: np.ndarray) -> float:
    """Share of the heat-map's mass that lies inside ``mask`` (1 = all of it on the lesion)."""
    total = float(heat.sum())
    return float(heat[mask].sum()) / total if total > 0 else 0.0


_JET: np.ndarray | None = None


def _jet_lut() -> np.ndarray:
    """The 256 jet colours once (the page's colour scale uses the same map)."""
    global _JET
    if _JET is None:
        from matplotlib import colormaps

        _JET = (colormaps["jet"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.float32)
    return _JET


def overlay_png(rgb: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> bytes:
    """The heat-map (any resolution, [0, 1]) in jet colours over the image, as PNG bytes."""
    h, w = rgb.shape[:2]
    heat = heatmap if heatmap.shape == (h, w) else upsample(heatmap, (h, w))
    coloured = _jet_lut()[np.clip(np.rint(heat * 255), 0, 255).astype(np.uint8)]
    blended = np.clip((1 - alpha) * rgb.astype(np.float32) + alpha * coloured, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    # Fast deflate: a small heat-map PNG is not worth 4 ms of compression per image on the worker.
    Image.fromarray(blended).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
