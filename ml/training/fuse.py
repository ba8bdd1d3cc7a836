"""``python -m ml fuse``: turn a trained image model into the clinical model.

1. Run the trained model's convolutional trunk once per view: the four flips of every image and
   ``--aug-views`` randomly augmented views of each training image; keep the pooled features.
2. Train a new head on them that fuses the image features with the metadata (age, sex, body site),
   with metadata dropout so that the no-metadata path stays good. The head is linear in the image
   features (pooled features, dropout, concatenated with a small metadata branch, dense), so CAM from
   the final feature map is exactly its Grad-CAM.
3. On the validation split only: temperature scaling, the two flag thresholds, the image guard.
4. Write the model folder: one Keras file with inputs {image, metadata} and outputs {logits,
   feature_map}, model.json (card) and guard.npz.
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from ml import CLASSES
from ml import card as model_card
from ml.card import LOGITS_AND_FEATURE_MAP, MODEL_FILE
from ml.evaluation.metrics import classification_metrics, expected_calibration_error
from ml.paths import portable
from ml.serving import clinical_metadata as cm
from ml.serving.guard import GUARD_FILE, judge, pixel_signals
from ml.serving.predictor import Predictor, softmax
from ml.serving.preprocessing import load_image
from ml.training.augmentation import AugmentationOptions, build_augmentation
from ml.training.calibration import fit_temperature
from ml.training.data import data_hash, load_metadata
from ml.training.guard_fitting import choose_thresholds, fit_feature_density
from ml.training.loop import BestEpoch, class_weights, run_epochs, score
from ml.training.operating_points import choose_operating_points
from ml.training.splits import split_by_lesion


@dataclass
class FuseOptions:
    trunk: str  # model folder whose "backbone" layer provides the feature map
    data: str
    out: str
    name: str = "efficientnet_lite0-meta-ham10000-v2"
    aug_views: int = 4
    meta_units: int = 16
    dropout: float = 0.3
    epochs: int = 40
    lr: float = 1e-3
    batch_size: int = 256
    class_weight: str = "sqrt"
    meta_dropout_field: float = 0.25
    meta_dropout_all: float = 0.2
    use_metadata: bool = True
    target_sensitivity: float = 0.90
    guard_tail: float = 0.002
    features_cache: str | None = None  # .npz of step 1, reused when it exists
    seed: int = 42


def feature_net(model, layer_name: str, name: str = "trunk"):
    """Input -> output of ``layer_name``, sharing the layers (and weights) of ``model``.

    The models in ml.training.models are linear chains, so calling their layers in order reaches the feature
    map even when it is the output of a nested backbone model (whose own ``.output`` is not connected
    to the outer model's input).
    """
    import keras

    image = keras.Input(model.input.shape[1:], name="image")
    h = image
    for layer in model.layers[1:]:
        h = layer(h)
        if layer.name == layer_name:
            return keras.Model(image, h, name=name)
    raise ValueError(f"{model.name} has no layer {layer_name!r}")


def extract_features(trunk_model, feature_layer: str, parts: dict, spec, *, aug_views: int, seed: int,
                     log=print) -> dict:
    """Pooled trunk features: ``{part}_flips`` (N, 4, d) for every part, ``train_aug`` (N, K, d)."""
    import keras
    import tensorflow as tf


    trunk = feature_net(trunk_model, feature_layer)
    pooled = keras.Model(trunk.input, keras.layers.GlobalAveragePooling2D()(trunk.output))
    f = tf.function(lambda x: pooled(x, training=False), reduce_retracing=True)
    aug = build_augmentation(AugmentationOptions(), seed=seed)
    out, started = {}, time.time()
    for name, part in parts.items():
        if not len(part):
            continue
        x = np.stack([load_image(p, spec) for p in part["path"]]).astype(np.float32)
        flips, augs = [], []
        for i in range(0, len(x), 64):
            b = x[i : i + 64]
            views = [b, b[:, :, ::-1], b[:, ::-1], b[:, ::-1, ::-1]]
            flips.append(np.stack([f(np.ascontiguousarray(v)).numpy() for v in views], axis=1).astype(np.float16))
            if name == "train" and aug_views:
                augs.append(np.stack([f(aug(b, training=True)).numpy() for _ in range(aug_views)], axis=1).astype(np.float16))
        out[f"{name}_flips"] = np.concatenate(flips)
        if augs:
            out[f"{name}_aug"] = np.concatenate(augs)
        out[f"{name}_ids"] = part["image_id"].to_numpy().astype(str)
        log(f"features: {name} {len(part)} images, {time.time() - started:.0f} s", flush=True)
    return out


def build_head(n_features: int, n_meta: int, n_classes: int, *, meta_units: int, dropout: float, use_metadata: bool):
    """The trainable head on pooled features: the same layer names as in the assembled model."""
    import keras

    feats = keras.Input((n_features,), name="pooled")
    meta = keras.Input((n_meta,), name="metadata")
    x = keras.layers.Dropout(dropout, name="head_dropout")(feats)
    if use_metadata:
        m = keras.layers.Dense(meta_units, activation="relu", name="meta_dense")(meta)
        x = keras.layers.Concatenate(name="fuse")([x, m])
    logits = keras.layers.Dense(n_classes, name="logits")(x)
    return keras.Model({"pooled": feats, "metadata": meta}, logits, name="head")


def head_logits(head, pooled: np.ndarray, meta: np.ndarray) -> np.ndarray:
    return np.asarray(head({"pooled": pooled.astype(np.float32), "metadata": meta.astype(np.float32)}, training=False), np.float64)


def assemble(trunk_model, feature_layer: str, head, *, use_metadata: bool, dropout: float, meta_units: int,
             n_meta: int):
    """Image (+ metadata) -> {logits, feature_map}: the trunk of the image model with the trained head."""
    import keras

    image = keras.Input(trunk_model.input.shape[1:], name="image")
    fmap = feature_net(trunk_model, feature_layer)(image)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(fmap)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    inputs = image
    if use_metadata:
        meta = keras.Input((n_meta,), name="metadata")
        m = keras.layers.Dense(meta_units, activation="relu", name="meta_dense")(meta)
        x = keras.layers.Concatenate(name="fuse")([x, m])
        inputs = {"image": image, "metadata": meta}
    logits = keras.layers.Dense(head.get_layer("logits").units, name="logits")(x)
    model = keras.Model(inputs, {"logits": logits, "feature_map": fmap}, name="clinical_model")
    for layer in ("logits", "meta_dense") if use_metadata else ("logits",):
        model.get_layer(layer).set_weights(head.get_layer(layer).get_weights())
    return model


def _score(y: np.ndarray, logits: np.ndarray) -> float:
    pred = logits.argmax(1)
    return score({"accuracy": accuracy_score(y, pred), "balanced_accuracy": balanced_accuracy_score(y, pred)})


def train_head(feats: dict, meta: dict, y: dict, opts: FuseOptions, log=print):
    """Train on every (image, view) pair with fresh metadata dropout each epoch; keep the epoch whose
    validation score, averaged over full and no metadata, is best."""
    import keras


    keras.utils.set_random_seed(opts.seed)
    rng = np.random.default_rng(opts.seed)
    views = np.concatenate([feats["train_flips"], feats.get("train_aug", feats["train_flips"][:, :0])], axis=1)
    n, v, d = views.shape
    x_train = views.reshape(n * v, d).astype(np.float32)
    y_train = np.repeat(y["train"], v)
    m_train = np.repeat(meta["train"], v, axis=0)
    counts = np.bincount(y["train"], minlength=len(CLASSES))
    cw = class_weights(counts, opts.class_weight)
    sample_w = cw[y_train] if cw is not None else np.ones(len(y_train))
    pooled_val = feats["val_flips"].astype(np.float32).mean(axis=1)  # linear head: mean of view logits
    m_val_none = cm.encode_many(None, len(pooled_val))

    head = build_head(d, cm.N_METADATA, len(CLASSES), meta_units=opts.meta_units, dropout=opts.dropout,
                      use_metadata=opts.use_metadata)
    steps = int(np.ceil(len(x_train) / opts.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(opts.lr, decay_steps=steps * opts.epochs)
    head.compile(optimizer=keras.optimizers.Adam(schedule),
                 loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    best, history = BestEpoch(), []

    def one_epoch(epoch: int):
        m_epoch = cm.dropout(m_train, rng, p_field=opts.meta_dropout_field, p_all=opts.meta_dropout_all)
        h = head.fit({"pooled": x_train, "metadata": m_epoch}, y_train, sample_weight=sample_w,
                     batch_size=opts.batch_size, epochs=1, shuffle=True, verbose=0)
        full = _score(y["val"], head_logits(head, pooled_val, meta["val"]))
        none = _score(y["val"], head_logits(head, pooled_val, m_val_none))
        history.append({"epoch": epoch + 1, "loss": float(h.history["loss"][0]), "val_score_full": full,
                        "val_score_none": none})
        log(f"head epoch {epoch + 1}: loss {h.history['loss'][0]:.4f}, val score full {full:.4f} none {none:.4f}", flush=True)
        return (full + none) / 2 if opts.use_metadata else none, head.get_weights, None

    run_epochs(one_epoch, best, epochs=opts.epochs)
    head.set_weights(best.weights)
    return head, history


def fuse(opts: FuseOptions, log=print) -> Path:
    started = time.time()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    trunk = Predictor.load(opts.trunk)
    # The last convolutional feature map: a transfer model's "backbone", a small CNN's last conv layer.
    feature_layer = trunk.gradcam_layer
    if not feature_layer:
        raise ValueError(f"{trunk.name} has no convolutional feature map to fuse")
    split = trunk.card["training"]["split"]
    df = load_metadata(opts.data, tuple(trunk.classes))
    parts = split_by_lesion(df, val_fraction=split["val_fraction"], test_fraction=split["test_fraction"], seed=split["seed"])

    cache = Path(opts.features_cache) if opts.features_cache else None
    if cache and cache.exists():
        feats = dict(np.load(cache))
        log(f"features from {cache}")
    else:
        # Train and validation only: nothing below reads test features (their trunk passes were 8 % of the work).
        feats = extract_features(trunk.model, feature_layer, {k: parts[k] for k in ("train", "val")}, trunk.spec,
                                 aug_views=opts.aug_views, seed=opts.seed, log=log)
        if cache:
            np.savez(cache, **feats)
    for name in ("train", "val"):
        if list(feats[f"{name}_ids"]) != list(parts[name]["image_id"]):
            raise ValueError(f"cached {name} features do not match the split: delete {cache}")

    y = {k: parts[k]["label"].to_numpy() for k in ("train", "val")}
    records = {k: cm.records_from_frame(parts[k]) for k in ("train", "val")}
    meta = {k: cm.encode_many(records[k], len(records[k])) for k in records}
    head, history = train_head(feats, meta, y, opts, log=log)

    # Validation: calibration, then the operating points on calibrated probabilities.
    pooled_val = feats["val_flips"].astype(np.float32).mean(axis=1)
    variants = {"full": meta["val"], "none": cm.encode_many(None, len(pooled_val))}
    logits_val = {k: head_logits(head, pooled_val, m) for k, m in variants.items()}
    both = np.concatenate([logits_val["full"], logits_val["none"]]) if opts.use_metadata else logits_val["none"]
    temperature = fit_temperature(both, np.concatenate([y["val"], y["val"]]) if opts.use_metadata else y["val"])
    probs_val = {k: softmax(v, temperature) for k, v in logits_val.items()}
    points = choose_operating_points(
        y["val"], [probs_val["full"], probs_val["none"]] if opts.use_metadata else [probs_val["none"]], CLASSES,
        target=opts.target_sensitivity,
        note=("lowest threshold meeting the target on the validation split with full metadata and with none "
              "(the lower of the two, so both meet it); validation figures are with full metadata"))
    val_metrics = {k: classification_metrics(y["val"], p, CLASSES) for k, p in probs_val.items()}
    for k in logits_val:
        val_metrics[k]["ece_uncalibrated"] = expected_calibration_error(y["val"], softmax(logits_val[k]))

    # The guard: training features define "dermoscopy"; validation images set every threshold.
    density = fit_feature_density(feats["train_flips"].astype(np.float32).mean(axis=1))
    density.save(out / GUARD_FILE)
    signals = [pixel_signals(load_image(p, trunk.spec)) for p in parts["val"]["path"]]
    val_signals = {k: np.array([s[k] for s in signals]) for k in signals[0]}
    val_signals["feature_distance"] = density.distance(pooled_val)
    guard = {"file": GUARD_FILE, "thresholds": choose_thresholds(val_signals, tail=opts.guard_tail),
             "validation_flagged_fraction": None}

    flagged = [bool(judge({k: float(v[i]) for k, v in val_signals.items()}, guard["thresholds"]))
               for i in range(len(pooled_val))]
    guard["validation_flagged_fraction"] = float(np.mean(flagged))

    model = assemble(trunk.model, feature_layer, head, use_metadata=opts.use_metadata, dropout=opts.dropout,
                     meta_units=opts.meta_units, n_meta=cm.N_METADATA)
    model_path = out / MODEL_FILE
    model.save(model_path)
    feature_channels = int(feats["train_flips"].shape[-1])
    card = model_card.derive(trunk.card, {
        "name": opts.name,
        "gradcam_layer": None,
        "inference": {"tta": True, "outputs": LOGITS_AND_FEATURE_MAP},
        "heatmap": {"method": "cam", "feature_channels": feature_channels,
                    "note": "CAM of the final feature map with the image part of the dense head (equals Grad-CAM "
                            "for a pooled-then-linear head), averaged over the four flips, dark vignette masked"},
        "metadata": {"fields": list(cm.FIELDS), "sexes": list(cm.SEXES), "sites": list(cm.SITES),
                     "n_inputs": cm.N_METADATA, "missing": "any field may be None/unknown"} if opts.use_metadata else None,
        "calibration": {"method": "temperature", "temperature": temperature,
                        "fitted_on": "validation split logits (with full and with no metadata)",
                        "validation_ece_before": {k: m["ece_uncalibrated"] for k, m in val_metrics.items()},
                        "validation_ece_after": {k: m["ece"] for k, m in val_metrics.items()}},
        "operating_points": points,
        "guard": guard,
        "validation_metrics": {k: {key: m[key] for key in ("n", "accuracy", "balanced_accuracy", "macro_auc",
                                                           "mel_sensitivity", "ece")} for k, m in val_metrics.items()},
        "fusion": {"options": {**{k: v for k, v in asdict(opts).items() if k not in ("out", "features_cache", "trunk")},
                               "data": portable(opts.data)},
                   "trunk": {"name": trunk.name, "sha256": trunk.sha256},
                   "head_history": history,
                   "time_s": round(time.time() - started, 1),
                   "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs",
                   "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")},
    }, directory=out)
    card["training"] = {**trunk.card["training"], "data_hash": data_hash(df)}
    model_card.write(out, card)
    log(f"wrote {out} in {time.time() - started:.0f} s")
    return out
