"""Several training sources (hospitals, devices) in HAM10000 layout, each split by lesion on its own.

Each source is split separately (lesion-disjoint, dx-stratified, seeded) so that every source has its own
train / validation / test part and figures can be reported per source and pooled. HAM10000's split is the one
the image trunk was trained with (same function, same seed), so its test lesions stay unseen.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml import CLASSES
from ml.training.data import load_metadata
from ml.training.splits import split_by_lesion

# Source name -> folder name under the shared data directory.
SOURCES: dict[str, str] = {
    "ham10000": "ham10000",
    "bcn_msk_84px": "isic2019_bcn_msk_84px",
    "msk_256px": "isic2017_msk_256px",
}


def source_dirs(data_root: str | Path, names: tuple[str, ...] | None = None) -> dict[str, Path]:
    root = Path(data_root)
    return {name: root / SOURCES[name] for name in (names or tuple(SOURCES))}


def load_sources(dirs: dict[str, Path], *, val_fraction: float = 0.15, test_fraction: float = 0.15,
                 seed: int = 42, classes: tuple[str, ...] = CLASSES) -> dict[str, pd.DataFrame]:
    """{"train", "val", "test"} frames over every source, with a ``source`` column; split per source."""
    parts: dict[str, list[pd.DataFrame]] = {"train": [], "val": [], "test": []}
    for name, folder in dirs.items():
        df = load_metadata(folder, classes)
        # Lesion ids are only unique within a source.
        df["lesion_id"] = name + ":" + df["lesion_id"].astype(str)
        df["source"] = name
        for part, frame in split_by_lesion(df, val_fraction=val_fraction, test_fraction=test_fraction,
                                           seed=seed).items():
            parts[part].append(frame)
    return {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}


def split_record(parts: dict[str, pd.DataFrame]) -> dict:
    """The split as the model card records it: image ids per source and part."""
    out: dict = {}
    for part, df in parts.items():
        for source, ids in df.groupby("source")["image_id"]:
            out.setdefault(source, {})[part] = sorted(ids.astype(str))
    return out
