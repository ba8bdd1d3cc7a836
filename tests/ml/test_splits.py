import numpy as np
import pandas as pd
import pytest

from ml import CLASSES
from ml.training.data import data_hash, load_metadata
from ml.training.splits import split_by_lesion


def synthetic_metadata(n_lesions=1500, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dx = rng.choice(CLASSES, size=n_lesions, p=[0.04, 0.05, 0.11, 0.02, 0.11, 0.65, 0.02])
    rows = []
    for i, d in enumerate(dx):
        for j in range(rng.integers(1, 4)):  # 1-3 images per lesion, as in HAM10000
            rows.append({"lesion_id": f"HAM_{i:07d}", "image_id": f"ISIC_{i:06d}{j}", "dx": d})
    return pd.DataFrame(rows)


def test_split_is_lesion_disjoint_complete_and_stratified():
    df = synthetic_metadata()
    parts = split_by_lesion(df, val_fraction=0.15, test_fraction=0.15, seed=1)
    lesions = {k: set(v["lesion_id"]) for k, v in parts.items()}
    assert not lesions["train"] & lesions["val"]
    assert not lesions["train"] & lesions["test"]
    assert not lesions["val"] & lesions["test"]
    assert sorted(pd.concat(parts.values())["image_id"]) == sorted(df["image_id"])
    for name, frac in (("val", 0.15), ("test", 0.15)):
        assert abs(len(parts[name]) / len(df) - frac) < 0.05
        # every class present, in roughly its overall proportion
        share = parts[name]["dx"].value_counts(normalize=True)
        overall = df["dx"].value_counts(normalize=True)
        assert set(share.index) == set(CLASSES)
        assert abs(share["nv"] - overall["nv"]) < 0.05


def test_split_is_seeded():
    df = synthetic_metadata()
    a = split_by_lesion(df, seed=3)["test"]["image_id"].tolist()
    b = split_by_lesion(df, seed=3)["test"]["image_id"].tolist()
    c = split_by_lesion(df, seed=4)["test"]["image_id"].tolist()
    assert a == b
    assert a != c


def test_no_test_part():
    parts = split_by_lesion(synthetic_metadata(), test_fraction=0.0, val_fraction=0.2)
    assert len(parts["test"]) == 0 and len(parts["val"]) > 0


def test_load_metadata_resolves_paths_and_labels(tiny_dataset):
    df = load_metadata(tiny_dataset)
    assert len(df) == 7 * 4 * 2
    assert all(p.endswith(".jpg") for p in df["path"])
    assert [CLASSES[i] for i in df["label"]] == df["dx"].tolist()
    assert len(data_hash(df)) == 64


def test_load_metadata_accepts_official_two_folder_layout(tiny_dataset, tmp_path):
    root = tmp_path / "official"
    (root / "HAM10000_images_part_1").mkdir(parents=True)
    (root / "HAM10000_images_part_2").mkdir()
    images = sorted((tiny_dataset / "images").iterdir())
    for i, p in enumerate(images):
        (root / f"HAM10000_images_part_{1 + i % 2}" / p.name).write_bytes(p.read_bytes())
    (root / "metadata.csv").write_text((tiny_dataset / "metadata.csv").read_text())
    assert len(load_metadata(root)) == len(images)


def test_load_metadata_refuses_missing_images_and_unknown_classes(tiny_dataset, tmp_path):
    root = tmp_path / "broken"
    (root / "images").mkdir(parents=True)
    (root / "metadata.csv").write_text((tiny_dataset / "metadata.csv").read_text())
    with pytest.raises(FileNotFoundError):
        load_metadata(root)
    (root / "metadata.csv").write_text("lesion_id,image_id,dx\nHAM_1,ISIC_1,cancer\n")
    with pytest.raises(ValueError):
        load_metadata(root)
