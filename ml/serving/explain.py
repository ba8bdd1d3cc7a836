"""Grad-CAM (Selvaraju et al. 2017) heat-maps, after the keras-io example."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ml.serving.heatmap import overlay_png
from ml.serving.preprocessing import preprocess_image


def gradcam_heatmap(model, image: np.ndarray, layer_name: str, class_index: int | None = None) -> tuple[np.ndarray, int]:
    """Heat-map in [0, 1] at the resolution of ``layer_name``'s output, and the class explained.

    The models in ml.training.models are linear chains, so running their layers one by one reaches the
    feature map even when it is the output of a nested backbone model.
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(image[None].astype(np.float32))
    with tf.GradientTape() as tape:
        h, fmap, logits = x, None, None
        for layer in model.layers[1:]:
            h = layer(h, training=False)
            if layer.name == layer_name:
                fmap = h
                tape.watch(fmap)
            if layer.name == "logits":
                logits = h
        if fmap is None or logits is None:
            raise ValueError(f"model has no layer {layer_name!r} followed by 'logits'")
        if class_index is None:
            class_index = int(tf.argmax(logits[0]))
        score = logits[:, class_index]
    grads = tape.gradient(score, fmap)
    weights = tf.reduce_mean(grads, axis=(0, 1, 2))
    cam = tf.nn.relu(tf.reduce_sum(fmap[0] * weights, axis=-1)).numpy()
    peak = cam.max()
    return (cam / peak if peak > 0 else cam), class_index


def gradcam_png(predictor, image: Image.Image, class_index: int | None = None, alpha: float = 0.4) -> bytes:
    """PNG of the Grad-CAM heat-map over the canonically preprocessed image; None = top class."""
    if not predictor.gradcam_layer:
        raise ValueError(f"{predictor.name} is not convolutional: Grad-CAM does not apply")
    rgb = preprocess_image(image, predictor.spec)
    heatmap, _ = gradcam_heatmap(predictor.model, rgb, predictor.gradcam_layer, class_index)
    return overlay_png(rgb, heatmap, alpha)
