"""``python -m ml fuse-sources`` on three tiny sources of different resolution and framing: per-source split and
thresholds, the dermoscopy guard, the drift reference; the served model gives what the cached features gave;
per-source evaluation, the shortcut checks and leave-one-source-out run end to end."""

import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("tensorflow")

from mlhelpers import make_dataset  # noqa: E402

from ml import CLASSES, Predictor  # noqa: E402
from ml.training.device_augmentation import degrade, shades_of_gray, squashed_low_resolution  # noqa: E402
from ml.training.fuse import FuseOptions, fuse  # noqa: E402
from ml.training.multisource import (  # noqa: E402
    SourcesOptions,
    choose_points,
    evaluate_sources,
    fuse_sources,
    guard_thresholds,
    leave_one_source_out,
    summary_table,
)
from ml.training.sources import SOURCES, load_sources, source_dirs  # noqa: E402
from ml.training.train import TrainOptions, train  # noqa: E402

QUIET = dict(log=lambda *a, **k: None)
SIZES = {"ham10000": (40, 30), "bcn_msk_84px": (21, 21), "msk_256px": (64, 64)}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("sources")
    for i, (name, folder) in enumerate(SOURCES.items()):
        make_dataset(root / folder, lesions_per_class=8, images_per_lesion=2, size=SIZES[name], seed=i)
    return root


@pytest.fixture(scope="module")
def trained(data_root, tmp_path_factory):
    work = tmp_path_factory.mktemp("fuse_sources")
    ham = data_root / SOURCES["ham10000"]
    trunk = train(TrainOptions(data=str(ham), arch="simple_cnn", out=str(work / "trunk"), height=32, width=40,
                               batch_size=8, steps_per_epoch=2, epochs=1, seed=0), **QUIET)
    clinical = fuse(FuseOptions(trunk=str(trunk), data=str(ham), out=str(work / "clinical"), epochs=1, aug_views=0,
                                batch_size=16), **QUIET)
    opts = SourcesOptions(trunk=str(clinical), data_root=str(data_root), out=str(work / "v4"), cache=str(work / "cache"),
                          epochs=3, train_views=2, batch_size=32)
    return opts, fuse_sources(opts, **QUIET)


def test_every_source_is_split_by_lesion_on_its_own(data_root):
    parts = load_sources(source_dirs(data_root))
    for source in SOURCES:
        lesions = [set(df[df["source"] == source]["lesion_id"]) for df in parts.values()]
        assert all(lesions), source
        assert not (lesions[0] & lesions[1]) and not (lesions[0] & lesions[2]) and not (lesions[1] & lesions[2])


def test_card_records_sources_per_source_thresholds_guard_and_drift_reference(trained):
    _, out = trained
    card = json.loads((out / "model.json").read_text())
    assert set(card["sources"]["split"]["per_source"]) == set(SOURCES)
    assert card["fusion"]["trunk"]["frozen"] is True
    for point in card["operating_points"].values():
        assert point["validation"]["sensitivity"] >= 0.9
        assert set(point["validation_per_source"]) == set(SOURCES)
    assert set(card["guard"]["thresholds"]) == {"dermoscopy", "colour", "sharpness", "brightness", "overexposed", "contrast"}
    assert set(card["guard"]["thresholds"]["sharpness"]["per_source"]) == set(SOURCES)
    ref = card["drift_reference"]
    assert ref["n"] > 0 and 0 <= ref["mel_flag"] <= 1 and 0 <= ref["not_assessable"] <= 1 and ref["sd_p_mel"] >= 0
    assert set(card["validation_metrics"]["full"]) == {"pooled", *SOURCES}


def test_served_model_gives_the_probabilities_the_cached_features_gave(trained, data_root):
    """The Keras graph written out (trunk + new head) and the head trained on cached pooled features agree."""
    opts, out = trained
    from ml.training.multisource import _head_of, cached_features, lazy_pooled_fn, score

    p = Predictor.load(out)
    parts = load_sources(source_dirs(data_root))
    feats = cached_features("val", parts, opts, lazy_pooled_fn(opts))
    served = p.predict([Image.open(x) for x in parts["val"]["path"][:12]])
    cached = score(_head_of(p), p.temperature, feats["features"][:12].astype(np.float32).mean(axis=1), None)
    assert np.abs(served - cached).max() < 0.02
    r = p.classify([Image.open(parts["val"]["path"][0])])[0]
    assert "dermoscopy" in r.guard and set(r.flags) == {"mel", "malignant"}


def test_evaluation_per_source_shortcut_checks_and_leave_one_out(trained):
    opts, out = trained
    report = {"test": evaluate_sources(str(out), opts), "leave_one_source_out": leave_one_source_out(opts, **QUIET)}
    for variant in ("full", "none"):
        assert set(report["test"][variant]) == {"pooled", *SOURCES}
        for f in report["test"][variant].values():
            assert 0 <= f["not_assessable_fraction"] <= 1 and f["operating_points"]["mel"]["n"] == f["n"]
    assert report["test"]["shortcut_check"]["ham10000_test_as_84px_squashed"]["n"] == report["test"]["full"]["ham10000"]["n"]
    assert set(report["leave_one_source_out"]) == set(SOURCES)
    table = summary_table(report)
    assert "Leave one source out" in table and "| bcn_msk_84px |" in table


def test_thresholds_meet_the_target_in_every_source_with_enough_positives():
    rng = np.random.default_rng(0)
    n = 600
    y = rng.integers(0, len(CLASSES), n)
    y[:200] = CLASSES.index("mel")
    probs = rng.dirichlet(np.ones(len(CLASSES)), n)
    groups = {"a": np.arange(0, n, 2), "b": np.arange(1, n, 2)}
    # Source b's melanomas score lower: the pooled threshold alone would miss more of them.
    probs[groups["b"][y[groups["b"]] == CLASSES.index("mel")], CLASSES.index("mel")] *= 0.5
    points = choose_points(y, [probs], groups, 0.9)
    for name, op in points["mel"]["validation_per_source"].items():
        assert op["sensitivity"] >= 0.9, name
    assert points["mel"]["validation"]["sensitivity"] >= 0.9


def test_guard_thresholds_keep_every_source():
    rng = np.random.default_rng(0)
    sharp = np.r_[rng.uniform(0.05, 1, 500), rng.uniform(0.01, 0.5, 500)]  # source b is blurrier by nature
    sources = np.array(["a"] * 500 + ["b"] * 500)
    t = guard_thresholds({"sharpness": sharp}, sources, 0.01)["sharpness"]
    assert (sharp[sources == "b"] < t["threshold"]).mean() <= 0.01
    assert set(t["per_source"]) == {"a", "b"}


def test_device_augmentation_varies_resolution_framing_and_colour():
    rng = np.random.default_rng(0)
    img = Image.fromarray(np.random.default_rng(1).integers(0, 255, (150, 200, 3), dtype=np.uint8))
    sizes = {degrade(img, rng).size for _ in range(20)}
    assert len(sizes) > 5 and all(min(s) <= 160 for s in sizes)
    assert squashed_low_resolution(img).size == (84, 84)
    tinted = np.full((20, 20, 3), (200, 120, 100), np.uint8)
    balanced = shades_of_gray(tinted)
    assert np.ptp(balanced.reshape(-1, 3).mean(0)) < np.ptp(tinted.reshape(-1, 3).mean(0)) / 10
