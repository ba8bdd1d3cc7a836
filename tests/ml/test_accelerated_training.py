"""The accelerator fine-tuning path: the split travels as ids with no test image named, and the upscaled
model keeps the trunk's pretrained backbone (BatchNorm frozen) and its image head."""

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import ml  # noqa: E402
from ml.accelerated_training import build_upscaled_model, write_split_file  # noqa: E402
from ml.data import load_metadata  # noqa: E402
from ml.splits import split_by_lesion  # noqa: E402


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
