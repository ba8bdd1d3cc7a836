import numpy as np
import pytest

keras = pytest.importorskip("keras")

from mlhelpers import have_weights, needs_effnet  # noqa: E402

from ml.training.models import ARCHS, build_model, unfreeze_top_blocks  # noqa: E402
from ml.training.train import _save_clean  # noqa: E402

SIZE = (64, 80)


def _buildable(name):
    arch = ARCHS[name]
    return arch.weights is None or have_weights(arch.weights)


@pytest.mark.parametrize("name", sorted(ARCHS))
def test_every_architecture_builds_and_outputs_probabilities(name):
    if not _buildable(name):
        pytest.skip("shared weights not found")
    model, info = build_model(name, 7, SIZE)
    x = np.random.default_rng(0).uniform(0, 255, (2, *SIZE, 3)).astype("float32")
    if info["input"] == "features":
        from ml.serving.features import N_FEATURES, handcrafted_features

        assert handcrafted_features(x[0].astype(np.uint8)).shape == (N_FEATURES,)
        x = np.random.default_rng(0).normal(size=(2, N_FEATURES)).astype("float32")
    p = np.asarray(model(x, training=False))
    assert p.shape == (2, 7)
    assert np.allclose(p.sum(1), 1.0, atol=1e-5)
    if ARCHS[name].kind == "transfer":
        assert info["pretrained"] == (ARCHS[name].weights is not None)


def test_one_training_step_changes_the_weights():
    model, _ = build_model("simple_cnn_dropout", 7, SIZE)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    x = np.random.default_rng(0).uniform(0, 255, (4, *SIZE, 3)).astype("float32")
    model.train_on_batch(x, np.array([0, 1, 2, 3]))
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@needs_effnet
def test_fine_tuning_updates_top_convolutions_but_never_batchnorm():
    model, _ = build_model("efficientnet_lite0", 7, SIZE)
    unfrozen = unfreeze_top_blocks(model, "efficientnet_lite0", 2)
    assert unfrozen == ["block6d", "block7a"]
    backbone = model.get_layer("backbone")
    snapshot = {l.name: [w.copy() for w in l.get_weights()] for l in backbone.layers if l.get_weights()}
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    x = np.random.default_rng(1).uniform(0, 255, (4, *SIZE, 3)).astype("float32")
    model.train_on_batch(x, np.array([0, 1, 2, 3]))
    changed = {n for n, ws in snapshot.items()
               if any(not np.array_equal(a, b) for a, b in zip(ws, backbone.get_layer(n).get_weights()))}
    bn = {l.name for l in backbone.layers if isinstance(l, keras.layers.BatchNormalization)}
    assert not changed & bn  # moving statistics and gamma/beta untouched
    assert "top_conv" in changed and any(n.startswith("block7a") for n in changed)
    assert not any(n.startswith(("stem", "block1", "block5", "block6a")) for n in changed)


@pytest.mark.parametrize("name", ["simple_cnn", "efficientnet_lite0"])
def test_save_load_round_trip_gives_identical_outputs(tmp_path, name):
    if not _buildable(name):
        pytest.skip("shared weights not found")
    model, _ = build_model(name, 7, SIZE)
    model.compile(keras.optimizers.Adam(), "sparse_categorical_crossentropy")
    x = np.random.default_rng(2).uniform(0, 255, (3, *SIZE, 3)).astype("float32")
    model.train_on_batch(x, np.array([0, 1, 2]))  # optimizer state exists and must not be saved
    _save_clean(model, tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras", compile=False)
    assert np.array_equal(np.asarray(model(x, training=False)), np.asarray(again(x, training=False)))
    # weights only: Adam's two slots per weight would triple the file
    assert (tmp_path / "m.keras").stat().st_size < 1.3 * 4 * model.count_params() + 300_000
