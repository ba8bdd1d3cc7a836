"""Class activation maps from the final feature map, and how much of a heat-map lies on the lesion.

For a head that is global average pooling followed by a dense layer, the class score is
``w_c · mean(F) + (metadata and bias terms)``; Grad-CAM's channel weights are then exactly ``w_c`` (up to
a constant), so CAM = ``F · w_c`` is Grad-CAM, computed from the feature map the forward pass already
produced: no second pass, no gradients.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from PIL import Image
from scipy import ndimage

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


def _channel_sums(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0].astype(np.uint16) + rgb[..., 1] + rgb[..., 2]


def _grey_mean(sums: np.ndarray) -> np.ndarray:
    """The float32 mean of the three channels, as ``rgb.astype(float32).mean(axis=-1)`` gives it (sums of
    integers are exact in float32, so the values are the same), without a reduction over a 3-long axis."""
    return sums.astype(np.float32) / np.float32(3)


def _median_grey(sums: np.ndarray) -> float:
    """``np.median`` of the grey means, from a histogram of the integer channel sums instead of a partition."""
    cumulative = np.cumsum(np.bincount(sums.ravel(), minlength=766))
    n = sums.size

    def kth(k: int) -> np.float32:  # the k-th smallest grey mean (0-based)
        return np.float32(np.searchsorted(cumulative, k, side="right")) / np.float32(3)

    if n % 2:
        return float(kth(n // 2))
    return float((kth(n // 2 - 1) + kth(n // 2)) / np.float32(2))


def vignette_mask(rgb: np.ndarray) -> np.ndarray:
    """True where the pixel is part of a dark border region (connected to the image edge)."""
    sums = _channel_sums(rgb)
    grey = _grey_mean(sums)
    dark = grey < VIGNETTE_FRACTION * max(1.0, _median_grey(sums))
    labels, n = ndimage.label(dark)
    if n == 0:
        return dark
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    touches_edge = np.zeros(n + 1, bool)
    touches_edge[edge] = True
    touches_edge[0] = False
    return touches_edge[labels]


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
    from skimage.filters import threshold_otsu  # evaluation only: the worker never loads scikit-image

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
        from matplotlib import colormaps  # once, for the table; matplotlib is heavy for a worker

        _JET = (colormaps["jet"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.float32)
    return _JET


def overlay_png(rgb: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> bytes:
    """The heat-map (any resolution, [0, 1]) in jet colours over the image, as PNG bytes."""
    h, w = rgb.shape[:2]
    heat = heatmap if heatmap.shape == (h, w) else upsample(heatmap, (h, w))
    coloured = _jet_lut()[np.clip(np.rint(heat * 255), 0, 255).astype(np.uint8)]
    blended = np.clip((1 - alpha) * rgb.astype(np.float32) + alpha * coloured, 0, 255).astype(np.uint8)
    return rgb_png(blended)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def rgb_png(rgb: np.ndarray) -> bytes:
    """A uint8 (h, w, 3) array as PNG bytes, a third of what Pillow's encoder costs for the same pixels.

    Pillow tries every PNG row filter on every row (about 2 ms for a 200 x 150 heat-map even uncompressed);
    here each row is "Up"-filtered in one NumPy step and deflated fast with run-length matching, which
    compresses heat-maps as well (measured: 1 ms, 52 kB against Pillow's 4 ms, 59 kB at level 1).
    """
    h, w, _ = rgb.shape
    rows = np.ascontiguousarray(rgb, np.uint8).reshape(h, w * 3)
    up = rows.copy()
    up[1:] -= rows[:-1]  # uint8 arithmetic wraps modulo 256, as PNG's filters do
    scanlines = np.concatenate([np.full((h, 1), 2, np.uint8), up], axis=1)  # filter type 2 = Up
    deflate = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    data = deflate.compress(scanlines.tobytes()) + deflate.flush()
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")
