"""Lesion-disjoint, dx-stratified, seeded train / validation / test splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold


def _holdout(df: pd.DataFrame, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One fold of a StratifiedGroupKFold with about ``fraction`` of the rows held out."""
    n_splits = max(2, int(round(1.0 / fraction)))
    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    rest, held = next(sgkf.split(np.zeros(len(df)), df["dx"].to_numpy(), groups=df["lesion_id"].to_numpy()))
    return rest, held


def split_by_lesion(
    df: pd.DataFrame, *, val_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 42
) -> dict[str, pd.DataFrame]:
    """Split rows into ``train``/``val``/``test`` so that no lesion_id is in two parts.

    Grouping by lesion keeps the several images of one lesion on one side (otherwise test scores are
    inflated by near-duplicates); stratifying by dx keeps the rare classes in every part.
    ``test_fraction=0`` gives an empty test part (train on everything but validation).
    """
    df = df.reset_index(drop=True)
    empty = df.iloc[0:0]
    if test_fraction > 0:
        rest_idx, test_idx = _holdout(df, test_fraction, seed)
        rest, test = df.iloc[rest_idx].reset_index(drop=True), df.iloc[test_idx].reset_index(drop=True)
    else:
        rest, test = df, empty
    # val_fraction is of the whole data, so rescale it to the remainder.
    train_idx, val_idx = _holdout(rest, val_fraction / (1.0 - test_fraction), seed + 1)
    return {
        "train": rest.iloc[train_idx].reset_index(drop=True),
        "val": rest.iloc[val_idx].reset_index(drop=True),
        "test": test,
    }
