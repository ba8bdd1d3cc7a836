import numpy as np
import pytest

pytest.importorskip("keras")

from mlhelpers import needs_effnet  # noqa: E402

from ml.training.models import build_model, unfreeze_top_blocks  # noqa: E402
from ml.training.trunk_cache import epoch_arrays, split_backbone  # noqa: E402


@needs_effnet
def test_trunk_then_top_equals_the_full_model_and_shares_its_weights():
    model, _ = build_model("efficientnet_lite0", 7, (64, 80))
    first = unfreeze_top_blocks(model, "efficientnet_lite0", 3)[0]
    trunk_fn, top = split_backbone(model, "efficientnet_lite0", first)
    x = np.random.default_rng(0).uniform(0, 255, (2, 64, 80, 3)).astype("float32")
    full = np.asarray(model(x, training=False))
    assert np.allclose(np.asarray(top(trunk_fn(x), training=False)), full, atol=1e-5)
    # training the top model changes the full model: the layers are shared, not copied
    kernel = model.get_layer("logits").kernel
    kernel.assign(kernel.numpy() * 0)
    assert np.allclose(np.asarray(top(trunk_fn(x), training=False)), 1 / 7, atol=1e-5)
    assert {w.path for w in top.trainable_weights} <= {w.path for w in model.trainable_weights}


def test_epoch_arrays_pick_one_view_per_image_and_resample():
    n = 40
    views = np.stack([np.full((n, 2), k, dtype=np.float16) for k in range(3)])
    views[:, :, 1] = np.arange(n)  # second feature = image index
    labels = np.array([0] * 36 + [1] * 4)
    rng = np.random.default_rng(0)
    x, y = epoch_arrays(views, labels, rng)
    assert sorted(x[:, 1].astype(int)) == list(range(n))  # every image once
    assert set(np.unique(x[:, 0])) == {0, 1, 2}
    assert np.array_equal(y, labels[x[:, 1].astype(int)])
    x, y = epoch_arrays(views, labels, rng, sample_probs=np.array([0.5, 0.5]))
    assert 0.3 < (y == 1).mean() < 0.7  # minority class oversampled to about half
