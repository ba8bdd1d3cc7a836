"""Pooled trunk features of every source's images, the views training and evaluation need, cached on disk.

The trunk is frozen (on these CPUs fine-tuning it on 16,000 images is out of reach), so one pass per view is
all the CNN work: training images get a plain view (random flip) and ``train_views - 1`` views through
``device_augmentation.degrade`` (random resolution, framing, JPEG, colour); validation and test images the
four flips the Predictor serves (the head is linear, so the mean of the flips' pooled features gives the
served logits), and validation also one degraded copy at a random resolution of 84-600 px for the guard.
Each part is written to ``<cache>/<part>.npz`` as it finishes, so a run can be resumed part by part.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

import numpy as np
from PIL import Image

from ml.serving.predictor import flip_views
from ml.serving.preprocessing import PreprocessingSpec, preprocess_image
from ml.training.device_augmentation import degrade, shades_of_gray, squashed_low_resolution


class PooledFeatures:
    """Preprocessed uint8 images -> pooled feature vectors, through the model's ``feature_map`` output."""

    def __init__(self, call: Callable, n_meta: int, batch_size: int = 32):
        self.call, self.n_meta, self.batch_size = call, n_meta, batch_size

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = []
        for i in range(0, len(x), self.batch_size):
            b = np.ascontiguousarray(x[i : i + self.batch_size], np.float32)
            inputs = {"image": b, "metadata": np.zeros((len(b), self.n_meta), np.float32)} if self.n_meta else b
            fmap = np.asarray(self.call(inputs)["feature_map"], np.float32)
            out.append(fmap.mean(axis=(1, 2)))
        return np.concatenate(out).astype(np.float16) if out else np.zeros((0, 0), np.float16)


def _open(path: str) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def _chunks(items: list, n: int) -> Iterable[list]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def flip_features(pooled: PooledFeatures, images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) -> (N, 4, d): the four flips of each image."""
    n = len(images)
    return pooled(flip_views(images)).reshape(4, n, -1).swapaxes(0, 1)


def extract_part(pooled: PooledFeatures, paths: list[str], spec: PreprocessingSpec, *, kind: str, seed: int,
                 train_views: int = 3, log=print) -> dict[str, np.ndarray]:
    """``kind``: "train" (plain + degraded views), "eval" (four flips, images kept for the guard),
    "eval_degraded" (one degraded view at 84-600 px), "eval_84px" (four flips of the squashed 84 px copy),
    "train_cc" / "eval_cc" (one plain view after shades-of-grey colour constancy)."""
    rng = np.random.default_rng(seed)
    feats, images, started = [], [], time.time()
    for k, chunk in enumerate(_chunks(paths, 64)):
        pil = [_open(p) for p in chunk]
        if kind == "train":
            views = []
            for img in pil:
                a = preprocess_image(img, spec)
                a = a[:, ::-1] if rng.random() < 0.5 else a
                views.append([a] + [preprocess_image(degrade(img, rng), spec) for _ in range(train_views - 1)])
            v = np.stack([np.stack(x) for x in views])  # (n, V, H, W, 3)
            n, nv = v.shape[:2]
            feats.append(pooled(v.reshape(n * nv, *v.shape[2:])).reshape(n, nv, -1))
        elif kind == "eval":
            a = np.stack([preprocess_image(img, spec) for img in pil])
            feats.append(flip_features(pooled, a))
            images.append(a)
        elif kind == "eval_degraded":
            a = []
            for img in pil:
                side = int(rng.integers(84, 601))
                scale = side / min(img.size)
                size = (max(8, round(img.size[0] * scale)), max(8, round(img.size[1] * scale)))
                a.append(preprocess_image(img.resize(size, Image.BICUBIC), spec))
            a = np.stack(a)
            feats.append(pooled(a)[:, None])
            images.append(a)
        elif kind == "eval_84px":
            a = np.stack([preprocess_image(squashed_low_resolution(img), spec) for img in pil])
            feats.append(flip_features(pooled, a))
        elif kind in ("train_cc", "eval_cc"):
            a = np.stack([shades_of_gray(preprocess_image(img, spec)) for img in pil])
            feats.append(pooled(a)[:, None])
        else:
            raise ValueError(kind)
        if k % 20 == 0:
            log(f"  {kind}: {min(len(paths), (k + 1) * 64)}/{len(paths)} images, {time.time() - started:.0f} s", flush=True)
    out = {"features": np.concatenate(feats)}
    if images:
        out["images"] = np.concatenate(images)
    return out


def extract_images(pooled: PooledFeatures, images: list[Image.Image], spec: PreprocessingSpec) -> np.ndarray:
    """Four-flip features (N, 4, d) of PIL images (e.g. the not-assessable corpus)."""
    a = np.stack([preprocess_image(img, spec) for img in images])
    return np.concatenate([flip_features(pooled, a[i : i + 64]) for i in range(0, len(a), 64)])
