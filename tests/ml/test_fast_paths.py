"""The worker's per-image steps made cheaper give exactly what the plain NumPy/Pillow formulas give."""

import io

import numpy as np
from PIL import Image
from scipy import ndimage

from ml.serving import heatmap
from ml.serving.guard import pixel_signals


def _images():
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:150, 0:200]
    ring = (np.hypot(yy - 75, xx - 100) > 70)[..., None]
    yield rng.integers(0, 256, (150, 200, 3), dtype=np.uint8)
    yield np.where(ring, rng.integers(0, 25, (150, 200, 3)), rng.integers(90, 256, (150, 200, 3))).astype(np.uint8)
    yield np.full((32, 40, 3), 128, np.uint8)
    yield (rng.integers(0, 256, (31, 17, 3)) * (rng.random((31, 17, 1)) > 0.5)).astype(np.uint8)
    yield np.zeros((3, 5, 3), np.uint8)


def test_heatmap_png_decodes_to_the_same_pixels():
    for rgb in [*_images(), np.zeros((1, 1, 3), np.uint8)]:
        png = heatmap.rgb_png(rgb)
        with Image.open(io.BytesIO(png)) as decoded:
            assert decoded.format == "PNG" and decoded.mode == "RGB"
            assert np.array_equal(np.asarray(decoded), rgb)


def test_vignette_mask_matches_the_plain_formula():
    for rgb in _images():
        grey = rgb.astype(np.float32).mean(axis=-1)
        dark = grey < heatmap.VIGNETTE_FRACTION * max(1.0, float(np.median(grey)))
        labels, n = ndimage.label(dark)
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        expected = np.isin(labels, edge[edge > 0]) if n else dark
        assert np.array_equal(heatmap.vignette_mask(rgb), expected)


def test_colour_signal_matches_the_plain_formula():
    for rgb in _images():
        c = rgb.astype(np.int16)
        assert pixel_signals(rgb)["colour"] == float((c.max(axis=-1) - c.min(axis=-1)).mean())
