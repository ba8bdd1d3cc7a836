"""Model builders: the study's ANN floor, its simple CNN (with and without dropout) and
transfer learning from ImageNet backbones that load offline from the shared weights folder.

Every image model takes raw RGB 0..255 of the canonical size and carries its own normalisation,
and ends in the same layers: ``avg_pool`` -> ``head_dropout`` -> ``logits`` -> ``probs`` (softmax),
so Grad-CAM and fine-tuning find what they need by name. All models are a linear chain of
layers (Grad-CAM relies on that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ml.paths import portable, weights_dir
from ml.serving.features import N_FEATURES


@dataclass(frozen=True)
class Arch:
    name: str
    kind: str  # "features" (ANN on hand-made features), "cnn" (from scratch) or "transfer"
    block_pattern: str | None = None  # regex whose group(1) names the block a backbone layer belongs to
    weights: str | None = None  # file relative to the weights folder, None where none exists offline
    note: str = ""


ARCHS: dict[str, Arch] = {
    a.name: a
    for a in [
        Arch("ann", "features", note="MLP on colour histograms and texture statistics (ml/serving/features.py)"),
        Arch("simple_cnn", "cnn", note="the study's simple CNN: 4 conv layers, no dropout"),
        Arch("simple_cnn_dropout", "cnn", note="the simple CNN with dropout after every pooling and in the head"),
        Arch("efficientnet_lite0", "transfer", r"^(block\d+[a-z])_",
             "efficientnet_lite0_imagenet/efficientnet_lite0_imagenet_notop.keras",
             "EfficientNet-Lite0, exact ImageNet float weights"),
        Arch("mobilenet_v2", "transfer", r"^(block_\d+)_",
             "mobilenet_v2_alpha1.0_imagenet_int8dequant/mobilenet_v2_1.0_imagenet_int8dequant.weights.h5",
             "MobileNetV2 alpha=1.0, ImageNet weights dequantised from int8 (BatchNorm folded)"),
        Arch("mobilenet_v2_035", "transfer", r"^(block_\d+)_",
             "mobilenet_v2_alpha0.35_imagenet_notop/mobilenet_v2_0.35_imagenet_notop.weights.h5",
             "MobileNetV2 alpha=0.35, exact ImageNet float weights"),
        Arch("mobilenet_v1_025", "transfer", r"^conv_(?:dw|pw)_(\d+)",
             "mobilenet_v1_alpha0.25_imagenet_notop/mobilenet_2_5_224_tf_no_top.h5",
             "MobileNet v1 alpha=0.25, official Keras ImageNet weights"),
        Arch("efficientnetv2_b0", "transfer", r"^(block\d+[a-z])_", None,
             "EfficientNetV2-B0: no ImageNet weights exist offline; pass --weights FILE or it trains from random init"),
        Arch("resnet50", "transfer", r"^(conv\d_block\d+)_", None,
             "ResNet50: no ImageNet weights exist offline; pass --weights FILE or it trains from random init"),
    ]
}


def _register():
    import keras

    @keras.saving.register_keras_serializable(package="ml")
    class CaffePreprocess(keras.layers.Layer):
        """ResNet50's 'caffe' input: RGB->BGR and ImageNet mean subtraction (a Lambda would not reload)."""

        def call(self, x):
            from keras import ops

            x = ops.flip(x, axis=-1)
            return x - ops.convert_to_tensor([103.939, 116.779, 123.68], dtype=x.dtype)

    return CaffePreprocess


def resolve_weights(arch: Arch, weights: str | Path | None = None) -> Path | None:
    """An explicit ``weights`` file wins; otherwise the arch's file in the shared weights folder."""
    if weights:
        path = Path(weights)
    elif arch.weights:
        path = weights_dir() / arch.weights
    else:
        return None
    if not path.is_file():
        raise FileNotFoundError(f"weights for {arch.name} not found at {path} (set DERM_WEIGHTS_DIR?)")
    return path


def _backbone(arch: Arch, input_size: tuple[int, int], weights: Path | None):
    """(normalisation layer or None, backbone model returning the last spatial feature map)."""
    import keras

    shape = (*input_size, 3)
    w = str(weights) if weights else None
    if arch.name == "efficientnet_lite0":
        if weights is None:
            raise ValueError("efficientnet_lite0 needs its .keras file")
        base = keras.models.load_model(w, compile=False)
        # The shared file ends in pooling; Grad-CAM needs the spatial map before it.
        # Its first layer already computes (x - 127) / 128.
        return None, keras.Model(base.input, base.get_layer("top_activation").output, name="backbone")
    if arch.name in ("mobilenet_v2", "mobilenet_v2_035"):
        alpha = 1.0 if arch.name == "mobilenet_v2" else 0.35
        base = keras.applications.MobileNetV2(input_shape=shape, alpha=alpha, include_top=False, weights=w)
        norm = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="normalise")
    elif arch.name == "mobilenet_v1_025":
        base = keras.applications.MobileNet(input_shape=shape, alpha=0.25, include_top=False, weights=w)
        norm = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="normalise")
    elif arch.name == "efficientnetv2_b0":
        base = keras.applications.EfficientNetV2B0(input_shape=shape, include_top=False, weights=w,
                                                   include_preprocessing=True)
        norm = None
    elif arch.name == "resnet50":
        base = keras.applications.ResNet50(input_shape=shape, include_top=False, weights=w)
        norm = _register()(name="normalise")
    else:
        raise ValueError(arch.name)
    return norm, keras.Model(base.input, base.output, name="backbone")


def _head(x, n_classes: int, dropout: float):
    import keras

    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    x = keras.layers.Dense(n_classes, name="logits")(x)
    # float32 softmax on its own so that logits stay reachable for Grad-CAM.
    return keras.layers.Activation("softmax", dtype="float32", name="probs")(x)


def build_model(arch_name: str, n_classes: int, input_size: tuple[int, int] = (150, 200), *,
                dropout: float = 0.3, weights: str | Path | None = None, n_features: int | None = None):
    """Returns ``(model, info)``; ``info`` goes into model.json (gradcam layer, weights used)."""
    import keras

    arch = ARCHS[arch_name]
    info: dict = {"arch": arch.name, "kind": arch.kind, "note": arch.note}
    if arch.kind == "features":
        inp = keras.Input((n_features or N_FEATURES,), name="features")
        x = keras.layers.Normalization(name="standardise")(inp)  # adapted on training features
        x = keras.layers.Dense(256, activation="relu", name="dense_1")(x)
        x = keras.layers.Dropout(dropout, name="dropout_1")(x)
        x = keras.layers.Dense(128, activation="relu", name="dense_2")(x)
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
        x = keras.layers.Dense(n_classes, name="logits")(x)
        out = keras.layers.Activation("softmax", dtype="float32", name="probs")(x)
        return keras.Model(inp, out, name=arch.name), {**info, "input": "features", "gradcam_layer": None}

    inp = keras.Input((*input_size, 3), name="image")  # raw RGB 0..255
    if arch.kind == "cnn":
        with_dropout = arch.name.endswith("dropout")
        x = keras.layers.Rescaling(1 / 255.0, name="normalise")(inp)
        for i, filters in enumerate((32, 64, 128)):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv_{i + 1}")(x)
            x = keras.layers.MaxPooling2D(2, name=f"pool_{i + 1}")(x)
            if with_dropout:
                x = keras.layers.Dropout(0.25, name=f"dropout_{i + 1}")(x)
        x = keras.layers.Conv2D(256, 3, padding="same", activation="relu", name="last_conv")(x)
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dense(128, activation="relu", name="dense")(x)
        x = keras.layers.Dropout(dropout if with_dropout else 0.0, name="head_dropout")(x)
        x = keras.layers.Dense(n_classes, name="logits")(x)
        out = keras.layers.Activation("softmax", dtype="float32", name="probs")(x)
        return keras.Model(inp, out, name=arch.name), {**info, "input": "image", "gradcam_layer": "last_conv"}

    wpath = resolve_weights(arch, weights)
    norm, backbone = _backbone(arch, input_size, wpath)
    backbone.trainable = False
    x = norm(inp) if norm is not None else inp
    x = backbone(x)
    out = _head(x, n_classes, dropout)
    info.update(input="image", gradcam_layer="backbone", pretrained=wpath is not None,
                weights_file=portable(wpath),  # relative to the weights folder
                n_blocks=len(backbone_blocks(backbone, arch)))
    return keras.Model(inp, out, name=arch.name), info


def backbone_blocks(backbone, arch: Arch) -> list[str]:
    """Block names of the backbone, input to output order."""
    seen: list[str] = []
    for layer in backbone.layers:
        m = re.match(arch.block_pattern, layer.name)
        if m and m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def unfreeze_top_blocks(model, arch_name: str, n_blocks: int) -> list[str]:
    """Make the last ``n_blocks`` backbone blocks (and the layers after them) trainable.

    Every BatchNormalization stays frozen: a trainable BN runs in training mode under fit() and
    overwrites its ImageNet statistics with those of small dermoscopy batches (Keras 3 ignores
    ``training=False`` once the base is trainable; see the shared weights README).
    Returns the unfrozen block names. Recompile afterwards.
    """
    import keras

    arch = ARCHS[arch_name]
    backbone = model.get_layer("backbone")
    blocks = backbone_blocks(backbone, arch)
    chosen = blocks[len(blocks) - n_blocks:] if n_blocks > 0 else []
    backbone.trainable = bool(chosen)
    if not chosen:
        return []
    first = chosen[0]
    started = False
    for layer in backbone.layers:
        m = re.match(arch.block_pattern, layer.name)
        if m and m.group(1) == first:
            started = True
        layer.trainable = started and not isinstance(layer, keras.layers.BatchNormalization)
    return chosen
