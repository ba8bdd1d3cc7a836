"""Reading a dataset folder in HAM10000 layout: the one loader of every source (``sources.py`` loads several and
splits each) and of the in-memory arrays ``finetune`` trains from."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from ml import CLASSES
from ml.serving.preprocessing import PreprocessingSpec, load_image

METADATA_COLUMNS = ["lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization"]
# The official download splits the images over two folders; our own layout uses one.
IMAGE_FOLDERS = ("images", "HAM10000_images_part_1", "HAM10000_images_part_2")


def load_metadata(data_dir: str | Path, classes: tuple[str, ...] = CLASSES) -> pd.DataFrame:
    """metadata.csv with a resolved ``path`` and an integer ``label`` column (index into ``classes``).

    Rows whose image file is missing raise: a silent drop would change the class balance unnoticed.
    """
    df = read_metadata(data_dir, classes)
    index = image_index(data_dir)
    paths = [index.get(i) for i in df["image_id"]]
    absent = [i for i, p in zip(df["image_id"], paths, strict=True) if p is None]
    if absent:
        raise FileNotFoundError(f"{len(absent)} images listed in metadata.csv are missing, e.g. {absent[:3]}")
    df = df.copy()
    df["path"] = [str(p) for p in paths]
    df["label"] = df["dx"].map({c: i for i, c in enumerate(classes)}).astype(int)
    return df.reset_index(drop=True)


def read_metadata(data_dir: str | Path, classes: tuple[str, ...] = CLASSES) -> pd.DataFrame:
    """metadata.csv as it is, checked: the columns a split needs and only known ``dx`` values."""
    df = pd.read_csv(Path(data_dir) / "metadata.csv", dtype={"lesion_id": str, "image_id": str, "dx": str})
    missing_cols = [c for c in ("lesion_id", "image_id", "dx") if c not in df.columns]
    if missing_cols:
        raise ValueError(f"metadata.csv lacks columns {missing_cols}")
    unknown = sorted(set(df["dx"]) - set(classes))
    if unknown:
        raise ValueError(f"unknown dx values {unknown}; expected {list(classes)}")
    return df


def image_index(data_dir: str | Path) -> dict[str, Path]:
    """image_id -> file, over every image folder of the layout (the first folder holding an id wins)."""
    index: dict[str, Path] = {}
    for folder in IMAGE_FOLDERS:
        d = Path(data_dir) / folder
        if d.is_dir():
            for p in d.iterdir():
                if p.suffix.lower() in (".jpg", ".jpeg", ".png"):
                    index.setdefault(p.stem, p)
    return index


def load_images(data_dir: str | Path, image_ids: list[str], spec: PreprocessingSpec,
                classes: tuple[str, ...] = CLASSES) -> tuple[np.ndarray, np.ndarray]:
    """The named images, preprocessed, as (N, H, W, 3) uint8 with their labels: only these need to be present
    (a folder copied to an accelerator holds the training and validation images alone)."""
    df = read_metadata(data_dir, classes)
    labels = dict(zip(df["image_id"], df["dx"].map({c: i for i, c in enumerate(classes)}), strict=True))
    index = image_index(data_dir)
    absent = [i for i in image_ids if i not in index]
    if absent:
        raise FileNotFoundError(f"{len(absent)} images are missing under {data_dir}, e.g. {absent[:3]}")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        images = list(pool.map(lambda i: load_image(str(index[i]), spec), image_ids))
    return np.stack(images), np.array([labels[i] for i in image_ids], dtype=np.int32)


def data_hash(df: pd.DataFrame) -> str:
    """SHA-256 over (image_id, dx, file bytes) in image_id order: identifies the exact training data."""
    h = hashlib.sha256()
    for image_id, dx, path in sorted(zip(df["image_id"], df["dx"], df["path"], strict=True)):
        h.update(f"{image_id},{dx},".encode())
        h.update(hashlib.sha256(Path(path).read_bytes()).digest())
    return h.hexdigest()
