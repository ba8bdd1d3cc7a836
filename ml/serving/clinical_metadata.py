"""Encoding of the metadata a clinic records (age, sex, body site) as the metadata model's input vector.

Every field may be missing (a patient declines, external data such as PH2 has none): a missing field
encodes as zeros plus a "missing" indicator, which training produces on purpose (metadata dropout),
so the model has seen each combination of known and unknown fields.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

SEXES: tuple[str, ...] = ("male", "female")
# HAM10000's localization vocabulary (the platform's BodySite choices), "unknown" excluded: it is "missing".
SITES: tuple[str, ...] = (
    "abdomen", "acral", "back", "chest", "ear", "face", "foot", "genital", "hand",
    "lower extremity", "neck", "scalp", "trunk", "upper extremity",
)
FIELDS: tuple[str, ...] = ("age", "sex", "localization")
# [age/100, age missing] + sex one-hot + sex missing + site one-hot + site missing
N_METADATA: int = 2 + len(SEXES) + 1 + len(SITES) + 1


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        value = value.strip().lower()
        return None if value in ("", "unknown", "nan", "none") else value
    return value


def normalise(record: Mapping[str, Any] | None) -> dict:
    """{age, sex, localization} with every unknown or unusable value as None."""
    record = record or {}
    age = _clean(record.get("age"))
    try:
        age = float(age) if age is not None else None
    except (TypeError, ValueError):
        age = None
    if age is not None and not 0 <= age <= 120:
        age = None
    sex = _clean(record.get("sex"))
    site = _clean(record.get("localization"))
    return {"age": age, "sex": sex if sex in SEXES else None, "localization": site if site in SITES else None}


def encode(record: Mapping[str, Any] | None) -> np.ndarray:
    r = normalise(record)
    v = np.zeros(N_METADATA, dtype=np.float32)
    if r["age"] is None:
        v[1] = 1.0
    else:
        v[0] = r["age"] / 100.0
    o = 2
    if r["sex"] is None:
        v[o + len(SEXES)] = 1.0
    else:
        v[o + SEXES.index(r["sex"])] = 1.0
    o += len(SEXES) + 1
    if r["localization"] is None:
        v[o + len(SITES)] = 1.0
    else:
        v[o + SITES.index(r["localization"])] = 1.0
    return v


def encode_many(records: Sequence[Mapping[str, Any] | None] | None, n: int) -> np.ndarray:
    if records is None:
        records = [None] * n
    if len(records) != n:
        raise ValueError(f"{len(records)} metadata records for {n} images")
    return np.stack([encode(r) for r in records]) if n else np.zeros((0, N_METADATA), np.float32)


def records_from_frame(df) -> list[dict]:
    """HAM10000 metadata.csv rows -> records (columns that are absent count as unknown)."""
    cols = [c for c in FIELDS if c in df.columns]
    return [{c: row[c] for c in cols} for _, row in df[cols].iterrows()] if cols else [{} for _ in range(len(df))]


def blank(records: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> list[dict]:
    """Copies of ``records`` with ``fields`` made unknown (partial / no-metadata evaluation)."""
    return [{**normalise(r), **{f: None for f in fields}} for r in records]


def dropout(x: np.ndarray, rng: np.random.Generator, *, p_field: float = 0.25, p_all: float = 0.2) -> np.ndarray:
    """Metadata dropout for training: blank each field with p_field, and every field with p_all."""
    x = x.copy()
    n = len(x)
    all_off = rng.random(n) < p_all
    age_off = all_off | (rng.random(n) < p_field)
    sex_off = all_off | (rng.random(n) < p_field)
    site_off = all_off | (rng.random(n) < p_field)
    o_sex = 2
    o_site = 2 + len(SEXES) + 1
    x[age_off, 0:2] = [0.0, 1.0]
    x[sex_off, o_sex:o_site] = 0.0
    x[sex_off, o_site - 1] = 1.0
    x[site_off, o_site:] = 0.0
    x[site_off, -1] = 1.0
    return x
