"""The committed default model: loads, matches its card, classifies real images."""

import io
import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("tensorflow")

from mlhelpers import SHARED_DATA, needs_shared_data  # noqa: E402

import ml  # noqa: E402
from ml.predictor import file_sha256  # noqa: E402

CARD = json.loads((ml.DEFAULT_MODEL_DIR / "model.json").read_text())
# Test-split images (lesions the model never saw in training), one per class, each the median-confidence one
# among those it gets right (confidence 0.80 to 1.00);
# a regression check that loading, preprocessing and class order still fit together.
KNOWN = [("ISIC_0031578", "akiec"), ("ISIC_0030145", "bcc"), ("ISIC_0025519", "bkl"), ("ISIC_0030555", "df"),
         ("ISIC_0033957", "mel"), ("ISIC_0024473", "nv"), ("ISIC_0032866", "vasc")]


@pytest.fixture(scope="module")
def predictor():
    return ml.Predictor.load(ml.DEFAULT_MODEL_DIR)


def test_card_and_file(predictor):
    path = ml.DEFAULT_MODEL_DIR / CARD["model_file"]
    assert path.stat().st_size < 30 * 2**20
    assert predictor.sha256 == file_sha256(path) == CARD["sha256"]
    assert predictor.classes == list(ml.CLASSES)
    assert predictor.name == CARD["name"]
    assert predictor.input_size == tuple(CARD["input_size"])
    assert len(CARD["training"]["data_hash"]) == 64


def test_any_image_gives_probabilities_and_a_heatmap(predictor):
    from ml.explain import gradcam_png

    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8))
    probs = predictor.predict([img, img.convert("L").rotate(90, expand=True)])
    assert probs.shape == (2, 7) and np.allclose(probs.sum(1), 1, atol=1e-5)
    png = gradcam_png(predictor, img)
    assert Image.open(io.BytesIO(png)).size == predictor.input_size[::-1]


@needs_shared_data
@pytest.mark.parametrize("image_id,dx", KNOWN)
def test_classifies_a_real_image(predictor, image_id, dx):
    with Image.open(SHARED_DATA / "images" / f"{image_id}.jpg") as img:
        probs = predictor.predict([img])[0]
    assert predictor.classes[int(probs.argmax())] == dx


@needs_shared_data
def test_accuracy_on_a_slice_of_its_test_split(predictor):
    from ml.data import load_metadata
    from ml.splits import split_by_lesion

    s = CARD["training"]["split"]
    test = split_by_lesion(load_metadata(SHARED_DATA), val_fraction=s["val_fraction"],
                           test_fraction=s["test_fraction"], seed=s["seed"])["test"]
    part = test.sample(n=48, random_state=0)
    probs = predictor.predict([Image.open(p) for p in part["path"]])
    assert (probs.argmax(1) == part["label"].to_numpy()).mean() >= 0.7
