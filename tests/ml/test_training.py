"""End to end on tiny synthetic data: train -> model folder -> Predictor / evaluate / Grad-CAM."""

import io
import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("tensorflow")

from mlhelpers import SHARED_DATA, needs_effnet, needs_mobilenet_v1, needs_shared_data  # noqa: E402

from ml import CLASSES, Predictor  # noqa: E402
from ml.training.augmentation import AugmentationOptions  # noqa: E402
from ml.training.data import load_metadata  # noqa: E402
from ml.evaluation.evaluate import evaluate  # noqa: E402
from ml.serving.explain import gradcam_png  # noqa: E402
from ml.training.loop import class_weights  # noqa: E402
from ml.training.train import TrainOptions, train  # noqa: E402

TINY = dict(height=32, width=40, batch_size=8, steps_per_epoch=2, val_fraction=0.25, test_fraction=0.25, seed=0)


def _train(tiny_dataset, tmp_path, arch, **kw):
    opts = TrainOptions(data=str(tiny_dataset), arch=arch, out=str(tmp_path / arch), **{**TINY, **kw})
    return train(opts, log=lambda *a, **k: None)


@pytest.fixture(scope="module")
def cnn_dir(tiny_dataset, tmp_path_factory):
    return _train(tiny_dataset, tmp_path_factory.mktemp("cnn"), "simple_cnn_dropout", epochs=2, lr=3e-3)


def test_model_folder_and_card(cnn_dir, tiny_dataset):
    card = json.loads((cnn_dir / "model.json").read_text())
    assert card["classes"] == list(CLASSES)
    assert card["input_size"] == [32, 40]
    assert card["preprocessing"]["method"] == "rgb_orient_cover_center_crop"
    assert len(card["training"]["data_hash"]) == 64
    assert card["training"]["options"]["arch"] == "simple_cnn_dropout"
    assert card["training"]["time_s"] > 0
    assert {"accuracy", "balanced_accuracy", "macro_auc"} <= set(card["validation_metrics"])
    assert card["training"]["epochs_run"] == 2 and len(card["history"]) == 2


def test_predictor_accepts_any_image_and_matches_the_model(cnn_dir, tiny_dataset):
    p = Predictor.load(cnn_dir)
    assert p.classes == list(CLASSES) and p.input_size == (32, 40) and len(p.sha256) == 64
    paths = load_metadata(tiny_dataset)["path"][:5]
    images = [Image.open(x) for x in paths] + [Image.new("L", (300, 500)), Image.new("RGBA", (1000, 1000))]
    probs = p.predict(images, batch_size=3)
    assert probs.shape == (7, 7)
    assert np.allclose(probs.sum(1), 1.0, atol=1e-5)
    direct = np.asarray(p.model(p.preprocess(images[:5]).astype("float32"), training=False))
    assert np.allclose(probs[:5], direct, atol=1e-6)
    assert p.predict([]).shape == (0, 7)


def test_evaluate_writes_metrics_and_plots(cnn_dir, tiny_dataset, tmp_path):
    out = tmp_path / "eval" / "all.json"
    r = evaluate(cnn_dir, tiny_dataset, out, log=lambda *a, **k: None)
    saved = json.loads(out.read_text())
    for key in ("n", "accuracy", "balanced_accuracy", "macro_auc", "top2_accuracy", "top3_accuracy",
                "per_class", "confusion_matrix", "mel_sensitivity", "ece"):
        assert key in saved
    assert saved["n"] == 56 and np.sum(saved["confusion_matrix"]) == 56
    assert set(saved["per_class"]["mel"]) == {"precision", "recall", "f1", "support", "auc"}
    assert (out.parent / "all_confusion.png").stat().st_size > 1000
    assert (out.parent / "all_roc.png").stat().st_size > 1000
    test_only = evaluate(cnn_dir, tiny_dataset, tmp_path / "test.json", split="test", tta=True,
                         log=lambda *a, **k: None)
    assert 0 < test_only["n"] < r["n"]


def test_gradcam_png(cnn_dir, tiny_dataset):
    p = Predictor.load(cnn_dir)
    img = Image.open(load_metadata(tiny_dataset)["path"][0])
    png = gradcam_png(p, img)
    decoded = Image.open(io.BytesIO(png))
    assert decoded.format == "PNG" and decoded.size == (40, 32)
    assert gradcam_png(p, img, class_index=3) != png


def test_ann_on_handmade_features(tiny_dataset, tmp_path):
    out = _train(tiny_dataset, tmp_path, "ann", epochs=3, lr=1e-2, steps_per_epoch=4)
    p = Predictor.load(out)
    assert p.input_kind == "features"
    df = load_metadata(tiny_dataset)
    probs = p.predict([Image.open(x) for x in df["path"]])
    # the classes differ by colour, which the histograms capture: far above chance (1/7)
    assert (probs.argmax(1) == df["label"].to_numpy()).mean() > 0.5
    with pytest.raises(ValueError):
        gradcam_png(p, Image.open(df["path"][0]))


def test_class_weights():
    w = class_weights(np.array([80, 20]), "balanced")
    assert w[1] / w[0] == pytest.approx(4.0)
    assert (w * [80, 20]).sum() == pytest.approx(100)  # mean weight per sample stays 1
    assert class_weights(np.array([80, 20]), "sqrt")[1] / class_weights(np.array([80, 20]), "sqrt")[0] == pytest.approx(2.0)
    assert class_weights(np.array([80, 20]), "none") is None


@needs_mobilenet_v1
def test_two_phase_transfer_with_focal_loss_and_resampling(tiny_dataset, tmp_path):
    # the smallest backbone keeps this fast; EfficientNet-Lite0 runs the same code in test_smoke_on_real_data
    out = _train(tiny_dataset, tmp_path, "mobilenet_v1_025", epochs=1, head_epochs=1, fine_tune_blocks=2,
                 loss="focal", focal_alpha="balanced", sample_power=0.5, class_weight="none",
                 augment=AugmentationOptions(saturation=0.2, hue=0.02))
    card = json.loads((out / "model.json").read_text())
    assert [h["phase"] for h in card["history"]] == ["head", "fine-tune"]
    p = Predictor.load(out)
    img = Image.new("RGB", (640, 480), (120, 80, 60))
    assert Image.open(io.BytesIO(gradcam_png(p, img))).size == (40, 32)


@needs_shared_data
@needs_effnet
@pytest.mark.slow
def test_smoke_on_real_data(tmp_path):
    out = train(TrainOptions(data=str(SHARED_DATA), arch="efficientnet_lite0", out=str(tmp_path / "m"), limit=160,
                             height=64, width=80, batch_size=16, steps_per_epoch=2, head_epochs=1, epochs=1,
                             fine_tune_blocks=3), log=lambda *a, **k: None)
    card = json.loads((out / "model.json").read_text())
    assert card["training"]["n_images"]["train"] + card["training"]["n_images"]["val"] \
        + card["training"]["n_images"]["test"] == 160
    r = evaluate(out, SHARED_DATA, tmp_path / "e.json", split="test", log=lambda *a, **k: None)
    assert r["n"] == card["training"]["n_images"]["test"]


def test_tta_averages_the_four_flips_and_follows_the_card(cnn_dir):
    p = Predictor.load(cnn_dir)
    assert p.tta is False  # cards without "inference" mean plain prediction
    x = np.random.default_rng(3).integers(0, 255, (2, 32, 40, 3), dtype=np.uint8)
    views = [x, x[:, :, ::-1], x[:, ::-1], x[:, ::-1, ::-1]]
    expected = np.mean([np.asarray(p.model(np.ascontiguousarray(v).astype("float32"))) for v in views], axis=0)
    assert np.allclose(p.predict_arrays(x, tta=True), expected, atol=1e-6)
    assert not np.allclose(p.predict_arrays(x), expected, atol=1e-6)
    p.tta = True
    assert np.allclose(p.predict_arrays(x), expected, atol=1e-6)
