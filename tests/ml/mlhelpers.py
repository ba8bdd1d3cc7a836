"""Shared helpers for the ml tests (a unique module name: several conftest.py files may exist under tests/)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml import CLASSES

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("DERM_HAM10000_DIR", REPO.parent / "shared" / "data" / "ham10000"))
needs_shared_data = pytest.mark.skipif(not (SHARED_DATA / "metadata.csv").is_file(),
                                       reason=f"shared HAM10000 data not found at {SHARED_DATA}")

# Each class gets its own dominant colour, so a few training steps can learn something.
COLOURS = [(200, 60, 60), (60, 200, 60), (60, 60, 200), (200, 200, 60), (40, 30, 30), (150, 110, 90), (200, 60, 200)]


def make_dataset(root: Path, lesions_per_class: int = 4, images_per_lesion: int = 2, size=(40, 30), seed=0) -> Path:
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    rows = ["lesion_id,image_id,dx,dx_type,age,sex,localization"]
    n = 0
    for c, dx in enumerate(CLASSES):
        for lesion in range(lesions_per_class):
            lesion_id = f"HAM_{c}{lesion:04d}"
            for _ in range(images_per_lesion):
                image_id = f"ISIC_{n:07d}"
                n += 1
                pixels = np.clip(np.array(COLOURS[c]) + rng.normal(0, 20, (size[1], size[0], 3)), 0, 255)
                Image.fromarray(pixels.astype(np.uint8)).save(root / "images" / f"{image_id}.jpg", quality=95)
                rows.append(f"{lesion_id},{image_id},{dx},histo,50.0,male,back")
    (root / "metadata.csv").write_text("\n".join(rows) + "\n")
    return root


def have_weights(*relative: str) -> bool:
    from ml.paths import weights_dir

    return all((weights_dir() / r).is_file() for r in relative)


EFFNET_LITE = "efficientnet_lite0_imagenet/efficientnet_lite0_imagenet_notop.keras"
needs_effnet = pytest.mark.skipif(not have_weights(EFFNET_LITE), reason="shared EfficientNet-Lite0 weights not found")
needs_mobilenet_v1 = pytest.mark.skipif(
    not have_weights("mobilenet_v1_alpha0.25_imagenet_notop/mobilenet_2_5_224_tf_no_top.h5"),
    reason="shared MobileNet v1 weights not found")
