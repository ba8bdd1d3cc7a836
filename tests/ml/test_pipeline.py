import numpy as np

from ml.training.augmentation import AugmentationOptions, build_augmentation
from ml.training.data import load_metadata
from ml.training.pipeline import eval_dataset, sampling_weights, train_dataset
from ml.serving.preprocessing import PreprocessingSpec, load_image

SPEC = PreprocessingSpec(24, 32)


def test_eval_dataset_gives_exactly_the_predictor_pixels_in_order(tiny_dataset):
    df = load_metadata(tiny_dataset)
    batches = list(eval_dataset(df["path"], df["label"], SPEC, batch_size=10))
    x = np.concatenate([b[0].numpy() for b in batches])
    y = np.concatenate([b[1].numpy() for b in batches])
    assert x.shape == (len(df), 24, 32, 3)
    assert np.array_equal(y, df["label"].to_numpy())
    expected = np.stack([load_image(p, SPEC) for p in df["path"]]).astype(np.float32)
    assert np.array_equal(x, expected)


def test_sampling_weights():
    assert np.allclose(sampling_weights([100, 10, 0], 1.0), [100 / 110, 10 / 110, 0])
    assert np.allclose(sampling_weights([100, 10, 0], 0.0), [0.5, 0.5, 0])


def test_balanced_resampling_evens_out_classes(tiny_dataset):
    df = load_metadata(tiny_dataset)
    keep = (df["dx"] == "nv") | (df.index % 4 == 0)  # make nv the majority
    df = df[keep]
    ds = train_dataset(df["path"], df["label"], SPEC, batch_size=70, sample_power=0.0, seed=1)
    labels = np.concatenate([y.numpy() for _, y in ds.take(6)])
    counts = np.bincount(labels, minlength=7)
    assert counts.min() > 0.5 * counts.mean()
    natural = np.concatenate([y.numpy() for _, y in train_dataset(df["path"], df["label"], SPEC, batch_size=70,
                                                                  sample_power=1.0, seed=1).take(6)])
    assert np.bincount(natural, minlength=7)[5] > 2 * counts[5]


def test_augmentation_changes_pixels_not_shape_or_range():
    aug = build_augmentation(AugmentationOptions(saturation=0.2, hue=0.05), seed=0)
    x = np.random.default_rng(0).uniform(0, 255, (4, 24, 32, 3)).astype("float32")
    out = np.asarray(aug(x, training=True))
    assert out.shape == x.shape
    assert not np.allclose(out, x)
    assert out.min() >= 0 and out.max() <= 255.001
    assert np.allclose(np.asarray(aug(x, training=False)), x)  # inactive at inference
