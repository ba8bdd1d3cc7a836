"""Fine-tuning on a cached frozen trunk: the CPU shortcut for two-phase transfer learning.

When only the top blocks of a backbone are trainable, every epoch spends most of its time
re-running the frozen lower blocks. Here the frozen part (the *trunk*) runs once per
*augmented view* of each training image; its output feature maps are cached (float16), and the
trainable top blocks + head train for many epochs on a randomly chosen view per image. Same
preprocessing, same augmentation layers, same weights (the top model shares the layers of the
full model, so saving the full model saves what was trained); only the augmentation is drawn
from K fixed variants per image instead of a fresh one each epoch.
"""

from __future__ import annotations

import re

import numpy as np

from ml.training.models import ARCHS


def split_backbone(model, arch_name: str, first_block: str):
    """(trunk_fn, top_model): trunk_fn maps raw images to the input of ``first_block``;
    top_model maps that tensor to the class probabilities, sharing the full model's layers."""
    import keras


    pattern = ARCHS[arch_name].block_pattern
    backbone = model.get_layer("backbone")
    first = next(l for l in backbone.layers if (m := re.match(pattern, l.name)) and m.group(1) == first_block)
    boundary = first.input
    trunk = keras.Model(backbone.input, boundary, name="trunk")
    upper = keras.Model(boundary, backbone.output, name="upper")  # Keras clones the graph nodes, not the layers
    outer = [l for l in model.layers[1:]]
    i_backbone = [l.name for l in outer].index("backbone")
    before, after = outer[:i_backbone], outer[i_backbone + 1:]

    def trunk_fn(x):
        for layer in before:  # e.g. the normalisation layer
            x = layer(x, training=False)
        return trunk(x, training=False)

    feat_in = keras.Input(tuple(boundary.shape[1:]), name="trunk_features")
    h = upper(feat_in)
    for layer in after:
        h = layer(h)
    return trunk_fn, keras.Model(feat_in, h, name="top")


def trunk_features(trunk_fn, images_ds, augmentation=None, dtype=np.float16) -> np.ndarray:
    """Run the trunk over a dataset of (uint8 image batch, label) -> stacked feature maps."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def run(x):
        x = tf.cast(x, tf.float32)
        if augmentation is not None:
            x = augmentation(x, training=True)
        return trunk_fn(x)

    return np.concatenate([run(x).numpy().astype(dtype) for x, _ in images_ds])


def epoch_arrays(views: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
                 sample_probs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One epoch: a random view per image, optionally class-resampled to ``sample_probs``."""
    n = views.shape[1]
    if sample_probs is None:
        idx = rng.permutation(n)
    else:
        p = sample_probs[labels]
        counts = np.bincount(labels, minlength=len(sample_probs))
        p = p / np.maximum(counts[labels], 1)
        idx = rng.choice(n, size=n, replace=True, p=p / p.sum())
    k = rng.integers(0, views.shape[0], size=len(idx))
    return views[k, idx].astype(np.float32), labels[idx]
