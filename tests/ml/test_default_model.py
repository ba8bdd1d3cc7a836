"""The committed default model: loads, matches its card, carries its operating points, calibration and
guard, classifies real images, and its heat-map is the exact Grad-CAM of the class, from one pass."""

import io
import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("tensorflow")

from mlhelpers import SHARED_DATA, needs_shared_data  # noqa: E402

import ml  # noqa: E402
from ml.card import file_sha256  # noqa: E402

CARD = json.loads((ml.DEFAULT_MODEL_DIR / "model.json").read_text())
# Test-split images (lesions the model never saw in training), one per class, each the median-confidence one
# among those it gets right; a regression check that loading, preprocessing and class order still fit together.
KNOWN = [("ISIC_0026194", "akiec"), ("ISIC_0030145", "bcc"), ("ISIC_0025032", "bkl"), ("ISIC_0025771", "df"),
         ("ISIC_0034202", "mel"), ("ISIC_0024722", "nv"), ("ISIC_0031065", "vasc")]


@pytest.fixture(scope="module")
def predictor():
    return ml.Predictor.load(ml.DEFAULT_MODEL_DIR)


def test_card_and_files(predictor):
    path = ml.DEFAULT_MODEL_DIR / CARD["model_file"]
    total = sum(f.stat().st_size for f in ml.DEFAULT_MODEL_DIR.iterdir() if f.is_file())
    assert total < 30 * 2**20
    assert predictor.sha256 == file_sha256(path) == CARD["sha256"]
    assert predictor.classes == list(ml.CLASSES)
    assert predictor.name == CARD["name"]
    assert predictor.input_size == tuple(CARD["input_size"])
    assert len(CARD["training"]["data_hash"]) == 64


def test_card_has_both_thresholds_chosen_on_validation_and_its_calibration():
    for flag, classes in (("mel", ["mel"]), ("malignant", ["akiec", "bcc", "mel"])):
        point = CARD["operating_points"][flag]
        assert point["classes"] == classes
        assert 0 < point["threshold"] < 0.5
        assert point["target_sensitivity"] >= 0.9
        for variant in point["validation_all_variants"]:  # full and no metadata
            assert variant["sensitivity"] >= point["target_sensitivity"]
        assert "validation" in point["chosen"]
    calibration = CARD["calibration"]
    assert calibration["method"] == "temperature" and calibration["temperature"] > 1
    assert "validation" in calibration["fitted_on"]
    # One temperature for both variants: it lowers the pooled ECE with full metadata; neither variant ends badly calibrated.
    assert calibration["validation_ece_after"]["full"] < calibration["validation_ece_before"]["full"]
    for variant, ece in calibration["validation_ece_after"].items():
        assert ece < 0.05, variant
    assert CARD["metadata"]["fields"] == ["age", "sex", "localization"]
    assert CARD["guard"]["validation_flagged_fraction"] < 0.02


def test_card_and_evaluations_carry_no_absolute_path():
    texts = [(ml.DEFAULT_MODEL_DIR / "model.json").read_text()]
    texts += [p.read_text() for p in (ml.DEFAULT_MODEL_DIR / "evaluation").glob("*.json")]
    for text in texts:
        for absolute in ('"/', '": "/', "/work/", "/tmp/", "/home/"):
            assert absolute not in text


def test_any_image_gives_probabilities_flags_and_a_heatmap(predictor):
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8))
    results = predictor.classify([img, img.convert("L").rotate(90, expand=True)])
    for r in results:
        assert sum(r.probabilities.values()) == pytest.approx(1, abs=1e-5)
        assert set(r.flags) == {"mel", "malignant"}
        assert Image.open(io.BytesIO(r.heatmap_png)).size == predictor.input_size[::-1]
        assert not r.assessable  # noise is not dermoscopy
    assert predictor.predict([img]).shape == (1, 7)


@needs_shared_data
def test_classifies_real_images_of_every_class(predictor):
    images = [Image.open(SHARED_DATA / "images" / f"{image_id}.jpg") for image_id, _ in KNOWN]
    results = predictor.classify(images, heatmap=False)
    assert [r.top_class for r in results] == [dx for _, dx in KNOWN]
    assert all(r.assessable for r in results)


OTHER_SOURCES = [SHARED_DATA.parent / name for name in ("isic2019_bcn_msk_84px", "isic2017_msk_256px")]


@pytest.mark.skipif(not all((d / "metadata.csv").is_file() for d in OTHER_SOURCES), reason="other sources absent")
@pytest.mark.parametrize("folder", OTHER_SOURCES, ids=lambda d: d.name)
def test_other_hospitals_dermoscopy_is_assessable_and_melanomas_are_flagged(predictor, folder):
    """Test-part images from the other sources (84 px Barcelona, 256 px squashed New York): the guard passes real
    dermoscopy whatever the device, and the melanoma flag catches most melanomas there too."""
    from ml.serving.clinical_metadata import records_from_frame
    from ml.training.data import load_metadata
    from ml.training.splits import split_by_lesion

    s = CARD["training"]["split"]
    test = split_by_lesion(load_metadata(folder), val_fraction=s["val_fraction"], test_fraction=s["test_fraction"],
                           seed=s["seed"])["test"]
    part = test.sample(n=60, random_state=0)
    mel = test[test["dx"] == "mel"].sample(n=30, random_state=1)
    results = predictor.classify([Image.open(p) for p in part["path"]], metadata=records_from_frame(part), heatmap=False)
    assert sum(not r.assessable for r in results) <= 2, [r.not_assessable_reasons for r in results]
    flagged = predictor.classify([Image.open(p) for p in mel["path"]], metadata=records_from_frame(mel), heatmap=False)
    assert sum(r.flags["mel"]["flagged"] for r in flagged) >= 24  # >= 80 % of 30 test melanomas


@needs_shared_data
def test_metadata_changes_the_opinion_and_missing_metadata_is_accepted(predictor):
    img = Image.open(SHARED_DATA / "images" / f"{KNOWN[4][0]}.jpg")
    old_back, child_face, nothing = predictor.classify([img] * 3, heatmap=False, metadata=[
        {"age": 80, "sex": "male", "localization": "back"}, {"age": 8, "sex": "female", "localization": "face"}, None])
    assert old_back.probabilities != child_face.probabilities != nothing.probabilities
    assert old_back.probabilities["mel"] > child_face.probabilities["mel"]  # melanoma is a disease of age


@needs_shared_data
def test_accuracy_and_flags_on_a_slice_of_its_test_split(predictor):
    from ml.serving.clinical_metadata import records_from_frame
    from ml.training.data import load_metadata
    from ml.training.splits import split_by_lesion

    s = CARD["training"]["split"]
    test = split_by_lesion(load_metadata(SHARED_DATA), val_fraction=s["val_fraction"],
                           test_fraction=s["test_fraction"], seed=s["seed"])["test"]
    part = test.sample(n=48, random_state=0)
    results = predictor.classify([Image.open(p) for p in part["path"]], metadata=records_from_frame(part), heatmap=False)
    top = np.array([ml.CLASSES.index(r.top_class) for r in results])
    assert (top == part["label"].to_numpy()).mean() >= 0.7
    for r in results:
        point = r.flags["mel"]
        assert point["flagged"] == (r.probabilities["mel"] >= point["threshold"])


@needs_shared_data
def test_heatmap_is_exactly_grad_cam_from_the_same_pass(predictor):
    """CAM from the exported feature map and the head's weights equals Grad-CAM by gradient tape."""
    import tensorflow as tf

    from ml.serving.clinical_metadata import encode
    from ml.serving.heatmap import cam

    def model_logits(p, x):
        return p.forward(x, None, tta=False)["logits"]

    for image_id, dx in KNOWN[:3]:
        x = predictor.preprocess([Image.open(SHARED_DATA / "images" / f"{image_id}.jpg")]).astype(np.float32)
        c = ml.CLASSES.index(dx)
        meta = tf.constant(encode(None)[None])
        model = predictor.model
        fmap = model.get_layer("trunk")(tf.constant(x), training=False)
        with tf.GradientTape() as tape:  # Grad-CAM: the class score's gradient at the feature map
            tape.watch(fmap)
            pooled = model.get_layer("head_dropout")(model.get_layer("avg_pool")(fmap), training=False)
            fused = model.get_layer("fuse")([pooled, model.get_layer("meta_dense")(meta)])
            score = model.get_layer("logits")(fused)[:, c]
        weights = tf.reduce_mean(tape.gradient(score, fmap), axis=(0, 1, 2)).numpy()
        grad_cam = np.maximum((fmap[0].numpy() * weights).sum(-1), 0)
        ours = cam(fmap[0].numpy(), predictor.cam_weights[:, c])
        assert np.allclose(model_logits(predictor, x)[0, c], score.numpy()[0], atol=1e-4)  # the same network
        assert np.allclose(grad_cam / grad_cam.max(), ours / ours.max(), atol=1e-4)


@needs_shared_data
def test_heatmaps_weigh_the_lesion_above_the_background(predictor):
    from ml.serving.heatmap import cam, heatmap_for_image, lesion_mask, mass_inside

    inside, area = [], []
    for image_id, dx in KNOWN:
        rgb = predictor.preprocess([Image.open(SHARED_DATA / "images" / f"{image_id}.jpg")])
        raw = predictor.forward(rgb)
        maps = np.stack([cam(m, predictor.cam_weights[:, ml.CLASSES.index(dx)]) for m in raw["maps"][0]])
        mask = lesion_mask(rgb[0])
        inside.append(mass_inside(heatmap_for_image(rgb[0], maps), mask))
        area.append(mask.mean())
    assert np.mean(inside) > 1.3 * np.mean(area)
