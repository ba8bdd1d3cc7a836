"""The clinical model built by ``python -m ml fuse`` on tiny data: metadata head, calibration, flag
thresholds and the guard in the card; classify with and without metadata; evaluate's new keys."""

import io
import json

import pytest
from PIL import Image

pytest.importorskip("tensorflow")

from ml import CLASSES, Predictor  # noqa: E402
from ml.training.data import load_metadata  # noqa: E402
from ml.evaluation.evaluate import evaluate  # noqa: E402
from ml.training.fuse import FuseOptions, fuse  # noqa: E402
from ml.training.train import TrainOptions, train  # noqa: E402

QUIET = dict(log=lambda *a, **k: None)


def _absolute_paths(obj) -> list[str]:
    """Every string in a JSON document that looks like an absolute path of some machine."""
    if isinstance(obj, dict):
        return [p for v in obj.values() for p in _absolute_paths(v)]
    if isinstance(obj, list):
        return [p for v in obj for p in _absolute_paths(v)]
    return [obj] if isinstance(obj, str) and (obj.startswith("/") or obj[1:3] == ":\\") else []


@pytest.fixture(scope="module")
def clinical_dir(tiny_dataset, tmp_path_factory):
    root = tmp_path_factory.mktemp("clinical")
    trunk = train(TrainOptions(data=str(tiny_dataset), arch="simple_cnn", out=str(root / "trunk"), height=32, width=40,
                               batch_size=8, steps_per_epoch=2, epochs=1, val_fraction=0.25, test_fraction=0.25, seed=0),
                  **QUIET)
    return fuse(FuseOptions(trunk=str(trunk), data=str(tiny_dataset), out=str(root / "clinical"), epochs=2,
                            aug_views=1, batch_size=16), **QUIET)


def test_card_has_thresholds_calibration_metadata_and_guard(clinical_dir):
    card = json.loads((clinical_dir / "model.json").read_text())
    assert set(card["operating_points"]) == {"mel", "malignant"}
    for point in card["operating_points"].values():
        assert 0.0 <= point["threshold"] <= 1.0
        assert point["target_sensitivity"] == 0.9
        assert point["validation"]["sensitivity"] >= 0.9
    assert card["calibration"]["temperature"] > 0
    assert card["metadata"]["fields"] == ["age", "sex", "localization"]
    assert set(card["guard"]["thresholds"]) == {"feature_distance", "colour", "focus", "sharpness", "brightness", "overexposed",
                                                 "contrast"}
    assert (clinical_dir / card["guard"]["file"]).is_file()
    assert not _absolute_paths(card)


def test_classify_with_and_without_metadata(clinical_dir, tiny_dataset):
    p = Predictor.load(clinical_dir)
    assert p.uses_metadata and p.operating_points
    img = Image.open(load_metadata(tiny_dataset)["path"][0])
    full, partial, none = p.classify([img, img, img], metadata=[
        {"age": 70, "sex": "male", "localization": "back"}, {"age": None, "sex": "female", "localization": "unknown"}, None])
    for r in (full, partial, none):
        assert set(r.probabilities) == set(CLASSES)
        assert sum(r.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert set(r.flags) == {"mel", "malignant"}
        assert r.flags["mel"]["score"] == pytest.approx(r.probabilities["mel"])
        assert r.flags["mel"]["flagged"] == (r.flags["mel"]["score"] >= r.flags["mel"]["threshold"])
        assert Image.open(io.BytesIO(r.heatmap_png)).size == (40, 32)
    assert full.metadata_used == {"age": 70.0, "sex": "male", "localization": "back"}
    assert partial.metadata_used == {"age": None, "sex": "female", "localization": None}
    assert none.metadata_used == {"age": None, "sex": None, "localization": None}
    assert full.probabilities != none.probabilities  # the metadata reaches the model
    assert p.classify([img])[0].probabilities == pytest.approx(none.probabilities)


def test_classify_batches_equal_single_images(clinical_dir, tiny_dataset):
    p = Predictor.load(clinical_dir)
    images = [Image.open(x) for x in load_metadata(tiny_dataset)["path"][:5]]
    batch = p.classify(images, heatmap=False)
    for img, r in zip(images, batch):
        assert p.classify([img], heatmap=False)[0].probabilities == pytest.approx(r.probabilities, abs=1e-5)


def test_evaluate_reports_operating_points_calibration_guard_and_metadata_variants(clinical_dir, tiny_dataset, tmp_path):
    r = evaluate(clinical_dir, tiny_dataset, tmp_path / "test.json", split="test", **QUIET)
    for flag in ("mel", "malignant"):
        assert {"threshold", "sensitivity", "specificity", "flagged_fraction"} <= set(r["operating_points"][flag])
    assert {"temperature", "ece_before", "ece_after"} <= set(r["calibration"])
    assert 0.0 <= r["not_assessable_fraction"] <= 1.0
    assert {"full", "none", "no_age", "no_site"} <= set(r["metadata_variants"])
    for plot in ("confusion_matrix", "roc", "operating_points", "reliability"):
        assert (tmp_path / r["plots"][plot]).is_file()
    saved = json.loads((tmp_path / "test.json").read_text())
    assert saved["operating_points"] == r["operating_points"]
    assert not _absolute_paths(saved)
