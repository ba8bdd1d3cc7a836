"""Augmentation against source shortcuts: what differs between hospitals and dermoscopes, made random.

Sources differ in resolution (84 px to several hundred), framing (square squashed frames, 4:3 crops),
JPEG quality and colour. A model that sees every source at every one of these can not use them to
tell one source (and its class mix) from another. Applied to the PIL image before the canonical
preprocessing, so it works for any source and any trunk.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageEnhance


def degrade(image: Image.Image, rng: np.random.Generator, *, min_side: int = 56, max_side: int = 160) -> Image.Image:
    """A random device: framing, aspect, low resolution, JPEG, colour and a random flip or quarter turn."""
    img = image.convert("RGB")
    w, h = img.size
    # Framing: a random crop keeping 75-100 % of each side (lesion stays in view in dermoscopy).
    keep_w, keep_h = rng.uniform(0.75, 1.0, 2)
    cw, ch = max(8, int(w * keep_w)), max(8, int(h * keep_h))
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    img = img.crop((x0, y0, x0 + cw, y0 + ch))
    # Aspect: squash to a square half the time (as some archives did), else keep.
    side = int(rng.integers(min_side, max_side + 1))
    if rng.random() < 0.5:
        size = (side, side)
    else:
        scale = side / min(img.size)
        size = (max(8, round(img.size[0] * scale)), max(8, round(img.size[1] * scale)))
    if size[0] < img.size[0]:
        img = img.resize(size, Image.BILINEAR, reducing_gap=2.0)
    # JPEG at a random quality (q75 is what the low-resolution archives carry).
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(rng.integers(60, 96)))
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    # Colour of the device: brightness, contrast, saturation, and a per-channel gain (white balance).
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.85, 1.15))
    img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.85, 1.15))
    img = ImageEnhance.Color(img).enhance(rng.uniform(0.8, 1.2))
    gains = rng.uniform(0.92, 1.08, 3)
    a = np.clip(np.asarray(img, np.float32) * gains, 0, 255).astype(np.uint8)
    k = int(rng.integers(0, 8))
    a = np.rot90(a, k % 4)
    if k >= 4:
        a = a[:, ::-1]
    return Image.fromarray(np.ascontiguousarray(a))


def squashed_low_resolution(image: Image.Image, side: int = 84, quality: int = 75) -> Image.Image:
    """An image as the 84 px archive stores it: squashed to a square, downscaled, JPEG q75."""
    img = image.convert("RGB").resize((side, side), Image.BILINEAR, reducing_gap=2.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def shades_of_gray(rgb: np.ndarray, p: float = 6.0) -> np.ndarray:
    """Shades-of-grey colour constancy (Finlayson and Trezzi): scale each channel so the image's
    Minkowski-p mean is grey. uint8 in, uint8 out."""
    x = rgb.astype(np.float32)
    illuminant = np.power(np.mean(np.power(x, p), axis=(0, 1)), 1.0 / p)
    gain = illuminant.mean() / np.maximum(illuminant, 1e-6)
    return np.clip(x * gain, 0, 255).astype(np.uint8)
