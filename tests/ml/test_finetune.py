"""The accelerator fine-tuning path: the split travels as ids with no test image named, and the upscaled
model keeps the trunk's pretrained backbone (BatchNorm frozen) and its image head."""

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import ml  # noqa: E402
from ml.training.finetune import build_upscaled_model, write_split_file  # noqa: E402
from ml.training.data import load_metadata  # noqa: E402
from ml.training.splits import split_by_lesion  # noqa: E402


def test_split_file_names_train_and_val_only(tiny_dataset, tmp_path):
    split = write_split_file(str(tiny_dataset), str(tmp_path / "split.json"), seed=7)
    saved = json.loads((tmp_path / "split.json").read_text())
    assert saved == split
    df = load_metadata(tiny_dataset)
    parts = split_by_lesion(df, seed=7)
    assert saved["train"] == parts["train"]["image_id"].tolist()
    assert saved["val"] == parts["val"]["image_id"].tolist()
    assert saved["n_test"] == len(parts["test"]) > 0
    named = set(saved["train"]) | set(saved["val"])
    assert not named & set(parts["test"]["image_id"])
    lesions = df.set_index("image_id")["lesion_id"]
    assert not set(lesions[saved["train"]]) & set(lesions[saved["val"]])


def test_upscaled_model_keeps_backbone_and_image_head():
    import keras

    source = keras.models.load_model(ml.DEFAULT_MODEL_DIR / "model.keras", compile=False)
    model = build_upscaled_model(source, (150, 200), 1.5, 0.3)
    assert model.get_layer("upscale").output.shape[1:3] == (225, 300)
    backbone = model.get_layer("backbone")
    assert all(not layer.trainable for layer in backbone.layers if isinstance(layer, keras.layers.BatchNormalization))
    assert any(layer.trainable for layer in backbone.layers if isinstance(layer, keras.layers.Conv2D))
    kernel, bias = source.get_layer("logits").get_weights()
    new_kernel, new_bias = model.get_layer("logits").get_weights()
    np.testing.assert_array_equal(new_kernel, kernel[:1280])
    np.testing.assert_array_equal(new_bias, bias)
    probs = np.asarray(model(np.zeros((2, 150, 200, 3), np.float32), training=False))
    assert probs.shape == (2, 7)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_learning_rate_warms_up_then_decays_to_zero():
    from ml.training.finetune import learning_rate

    rates = [learning_rate(step, peak=2e-4, warmup_steps=10, total_steps=100) for step in range(100)]
    assert rates[0] == pytest.approx(2e-5)
    assert rates[9] == pytest.approx(2e-4)
    assert all(a >= b for a, b in zip(rates[9:], rates[10:], strict=False))
    assert learning_rate(100, peak=2e-4, warmup_steps=10, total_steps=100) == pytest.approx(0.0)
    assert learning_rate(55, peak=2e-4, warmup_steps=10, total_steps=100) == pytest.approx(1e-4)


def test_epochs_that_fit_the_budget():
    from ml.training.loop import epochs_that_fit

    # 480 s budget, 100 s gone after 2 epochs, 22 s an epoch, one epoch held back: 16 more fit.
    assert epochs_that_fit(480, 100, 22, done=2, ceiling=40, reserve_s=22) == 18
    assert epochs_that_fit(480, 100, 22, done=2, ceiling=10, reserve_s=22) == 10
    assert epochs_that_fit(480, 500, 22, done=3, ceiling=40) == 3
