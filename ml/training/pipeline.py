"""tf.data input pipelines: decode + canonical preprocessing once, cache in memory, then
shuffle / resample / batch / augment / prefetch so two CPU cores spend their time on the model.

Decoding goes through ``ml.serving.preprocessing.load_image`` (PIL) via ``tf.numpy_function``, so training
sees exactly the pixels ``Predictor`` will produce for the same file.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ml.serving.features import N_FEATURES, handcrafted_features
from ml.serving.preprocessing import PreprocessingSpec, load_image


def _loader(spec: PreprocessingSpec, input_kind: str):
    import tensorflow as tf

    if input_kind == "features":
        def load(path, label):
            x = tf.numpy_function(lambda p: handcrafted_features(load_image(p.decode(), spec)), [path], tf.float32)
            x.set_shape((N_FEATURES,))
            return x, label
    else:
        def load(path, label):
            x = tf.numpy_function(lambda p: load_image(p.decode(), spec), [path], tf.uint8)
            x.set_shape((spec.height, spec.width, 3))
            return x, label

    return load


def _cached(paths, labels, spec, input_kind):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((np.asarray(paths, dtype=str), np.asarray(labels, dtype=np.int32)))
    return ds.map(_loader(spec, input_kind), num_parallel_calls=tf.data.AUTOTUNE).cache()


def eval_dataset(paths: Sequence[str], labels: Sequence[int], spec: PreprocessingSpec, *,
                 batch_size: int = 64, input_kind: str = "image"):
    """Ordered, cached, batched; images as float32 0..255."""
    import tensorflow as tf

    ds = _cached(paths, labels, spec, input_kind).batch(batch_size)
    return ds.map(lambda x, y: (tf.cast(x, tf.float32), y)).prefetch(tf.data.AUTOTUNE)


def sampling_weights(counts: Sequence[int], power: float) -> np.ndarray:
    """Class sampling probabilities proportional to count**power.

    power=1 keeps the natural distribution; power=0 samples every class equally (oversampling the
    minorities and undersampling nevi within an epoch of fixed size); values between soften it.
    """
    w = np.asarray(counts, dtype=np.float64) ** power
    w[np.asarray(counts) == 0] = 0.0
    return w / w.sum()


def train_dataset(paths: Sequence[str], labels: Sequence[int], spec: PreprocessingSpec, *,
                  batch_size: int = 32, augmentation=None, sample_power: float = 1.0,
                  n_classes: int = 7, seed: int = 0, input_kind: str = "image"):
    """Endless, shuffled (and optionally class-resampled), augmented batches. Use steps_per_epoch."""
    import tensorflow as tf

    labels = np.asarray(labels, dtype=np.int32)
    paths = np.asarray(paths, dtype=str)
    if sample_power == 1.0:
        ds = _cached(paths, labels, spec, input_kind).repeat().shuffle(len(paths), seed=seed)
    else:
        counts = np.bincount(labels, minlength=n_classes)
        weights = sampling_weights(counts, sample_power)
        # One cached dataset per class: each decodes its images once and repeats forever.
        per_class, probs = [], []
        for c in range(n_classes):
            if counts[c] == 0:
                continue
            idx = labels == c
            per_class.append(_cached(paths[idx], labels[idx], spec, input_kind).repeat().shuffle(int(counts[c]), seed=seed + c))
            probs.append(weights[c])
        ds = tf.data.Dataset.sample_from_datasets(per_class, weights=list(map(float, probs)), seed=seed)
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE)
    if augmentation is not None and input_kind == "image":
        ds = ds.map(lambda x, y: (augmentation(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
