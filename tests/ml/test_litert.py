"""LiteRT serving: the converted model gives the Keras model's outputs (the Keras file stays the truth)."""

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("tensorflow")
pytest.importorskip("ai_edge_litert")

from mlhelpers import SHARED_DATA, needs_shared_data  # noqa: E402

import ml  # noqa: E402
from ml.serving.litert import convert  # noqa: E402


def _parity(model_dir, images, tmp_path, metadata=None):
    keras_p = ml.Predictor.load(model_dir)
    lite_p = ml.Predictor.load(model_dir)
    lite_p.use_litert(convert(lite_p.model, tmp_path / "model.tflite"))
    assert (keras_p.runtime, lite_p.runtime) == ("keras", "litert")
    a = keras_p.classify(images, metadata=metadata)
    b = lite_p.classify(images, metadata=metadata)
    for ra, rb in zip(a, b):
        for c in ml.CLASSES:
            assert rb.probabilities[c] == pytest.approx(ra.probabilities[c], abs=1e-4)
        assert rb.top_class == ra.top_class
        assert {f: p["flagged"] for f, p in rb.flags.items()} == {f: p["flagged"] for f, p in ra.flags.items()}
        assert rb.assessable == ra.assessable
        heat_a = np.asarray(Image.open(__import__("io").BytesIO(ra.heatmap_png)), np.float32)
        heat_b = np.asarray(Image.open(__import__("io").BytesIO(rb.heatmap_png)), np.float32)
        assert np.abs(heat_a - heat_b).mean() < 1.0  # the same overlay, up to rounding of a few pixels


def test_small_model_converts_and_matches_keras(tiny_dataset, tmp_path):
    from ml.training.data import load_metadata
    from ml.training.train import TrainOptions, train

    model_dir = train(TrainOptions(data=str(tiny_dataset), arch="simple_cnn", out=str(tmp_path / "m"), height=32, width=40,
                                   batch_size=8, steps_per_epoch=2, epochs=1, val_fraction=0.25, test_fraction=0.25,
                                   seed=0), log=lambda *a, **k: None)
    images = [Image.open(p) for p in load_metadata(tiny_dataset)["path"][:6]]
    _parity(model_dir, images, tmp_path)


@needs_shared_data
def test_default_model_on_real_images_matches_keras_within_1e4(tmp_path):
    from ml.serving.clinical_metadata import records_from_frame
    from ml.training.data import load_metadata

    part = load_metadata(SHARED_DATA).sample(n=12, random_state=5)
    images = [Image.open(p) for p in part["path"]]
    _parity(ml.DEFAULT_MODEL_DIR, images, tmp_path, metadata=records_from_frame(part))
