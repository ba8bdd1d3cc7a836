"""``python -m ml fuse-sources``: the clinical model trained on several hospitals and devices.

On these CPUs the image trunk stays frozen (the v3 trunk, fine-tuned end to end on HAM10000 on a GPU) and
everything above it is learned from every source:

1. Pooled trunk features of every source (``ml.training.source_features``; cached): training images in a plain view
   and views degraded to a random device (resolution 56-160 px, framing, squashed aspect, JPEG, colour),
   so that neither resolution nor framing tells one source (and its class mix) from another.
2. The metadata head of ``ml fuse`` (``fusion.train_head``) on the pooled training views of all sources.
3. On the pooled validation parts: temperature; flag thresholds meeting the target sensitivity on the pooled
   validation part *and on each source's* (with full and with no metadata); the image guard: a dermoscopy
   classifier on the pooled features (every source's dermoscopy against photographs, documents, screenshots
   and blank frames) plus pixel signals, each threshold passing all but ``guard_tail`` of every source.
4. The model folder: one Keras graph (the trunk + the new head), ``guard.npz`` and the card, with the
   split, per-source validation figures and the drift watch's reference.
5. Scored once afterwards, from the cached features: every source's test part and the pooled one, with and
   without metadata, the guard's refusals, and the shortcut checks; and leave-one-source-out.
"""

from __future__ import annotations

import hashlib
import os
import platform
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import cross_val_predict

from ml import CLASSES
from ml import card as model_card
from ml.card import LOGITS_AND_FEATURE_MAP, MODEL_FILE
from ml.evaluation.metrics import classification_metrics, expected_calibration_error
from ml.paths import portable
from ml.serving import clinical_metadata as cm
from ml.serving.guard import GUARD_FILE, SIGNALS, DermoscopyClassifier, pixel_signals
from ml.serving.litert import LiteRTRunner, convert
from ml.serving.predictor import Predictor, softmax
from ml.serving.preprocessing import PreprocessingSpec, preprocess_image
from ml.training import ood
from ml.training.calibration import fit_temperature
from ml.training.data import data_hash
from ml.training.fuse import build_head, head_logits, train_head
from ml.training.guard_fitting import fit_dermoscopy_classifier
from ml.training.ood import guard_training_negatives
from ml.training.operating_points import (
    FLAG_TEXT,
    FLAGS,
    evaluate_operating_points,
    flag_positives,
    flag_scores,
    operating_point,
    threshold_for_sensitivity,
)
from ml.training.source_features import PooledFeatures, extract_images, extract_part
from ml.training.sources import load_sources, source_dirs

FLAG_MIN_POSITIVES = 20  # a source sets a flag's threshold only with at least this many positives


@dataclass
class SourcesOptions:
    trunk: str  # a clinical model folder whose Keras graph has a "trunk" layer (the v3 model)
    data_root: str
    out: str
    cache: str
    name: str = "efficientnet_lite0-meta-3sources-v4"
    sources: tuple[str, ...] = ("ham10000", "bcn_msk_84px", "msk_256px")
    train_views: int = 3
    meta_units: int = 16
    dropout: float = 0.3
    epochs: int = 30
    lr: float = 1e-3
    batch_size: int = 256
    class_weight: str = "sqrt"
    meta_dropout_field: float = 0.25
    meta_dropout_all: float = 0.2
    use_metadata: bool = True
    aug_views: int = 0  # fusion.train_head reads it; the degraded views are the augmentation here
    target_sensitivity: float = 0.90
    guard_tail: float = 0.002
    seed: int = 42


# -- features -------------------------------------------------------------------------------------------

def _pooled_features_fn(trunk_dir: Path, cache: Path):
    """Pooled features through LiteRT when it is installed (about 3x cheaper here), else traced Keras."""
    predictor = Predictor.load(trunk_dir)
    n_meta = int(predictor.card["metadata"]["n_inputs"]) if predictor.uses_metadata else 0
    try:
        path = cache / f"trunk-{predictor.sha256[:12]}.tflite"
        if not path.exists():
            convert(predictor.model, path)
        call = LiteRTRunner(path)
    except ImportError:
        import tensorflow as tf

        call = tf.function(lambda inputs: predictor.model(inputs, training=False), reduce_retracing=True)
    return predictor, PooledFeatures(call, n_meta)


# Cache entry -> (split part, kind for source_features.extract_part).
FEATURE_SETS = {
    "train": ("train", "train"),
    "val": ("val", "eval"),
    "test": ("test", "eval"),
    "val_degraded": ("val", "eval_degraded"),
    "test_ham_84px": ("test", "eval_84px"),
    "val_cc": ("val", "eval_cc"),
    "train_cc": ("train", "train_cc"),
}


def lazy_pooled_fn(opts: SourcesOptions):
    """Loads the trunk only when a feature set is missing from the cache."""
    state: dict = {}

    def pooled_fn():
        if "fn" not in state:
            state["fn"] = _pooled_features_fn(Path(opts.trunk), Path(opts.cache))
        return state["fn"]

    return pooled_fn


def cached_features(name: str, parts: dict, opts: SourcesOptions, pooled_fn, log=print) -> dict:
    cache = Path(opts.cache)
    cache.mkdir(parents=True, exist_ok=True)
    part, kind = FEATURE_SETS[name]
    df = parts[part]
    if name == "test_ham_84px":
        df = df[df["source"] == "ham10000"]
    f = cache / f"{name}.npz"
    if not f.exists():
        _, pooled = pooled_fn()
        seed = opts.seed + list(FEATURE_SETS).index(name)
        out = extract_part(pooled, list(df["path"]), _spec(opts), kind=kind, seed=seed,
                           train_views=opts.train_views, log=log)
        np.savez(f, ids=df["image_id"].to_numpy().astype(str), source=df["source"].to_numpy().astype(str), **out)
    z = dict(np.load(f))
    if list(z["ids"]) != list(df["image_id"].astype(str)):
        raise ValueError(f"{f} does not match the split: delete it")
    return z


def _spec(opts: SourcesOptions):
    card = model_card.read(opts.trunk)
    return PreprocessingSpec.from_dict(card["preprocessing"])


# -- the head, calibration, thresholds ------------------------------------------------------------------

def _metadata(parts: dict) -> dict:
    return {k: cm.encode_many(cm.records_from_frame(df), len(df)) for k, df in parts.items()}


def fit_head(train_x: np.ndarray, train_y: np.ndarray, train_meta: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
             val_meta: np.ndarray, opts: SourcesOptions, log=print):
    """``fusion.train_head`` on (N, V, d) training views and (N, 4, d) validation flips."""
    feats = {"train_flips": train_x, "val_flips": val_x}
    return train_head(feats, {"train": train_meta, "val": val_meta}, {"train": train_y, "val": val_y}, opts, log=log)


def choose_points(y: np.ndarray, probs: list[np.ndarray], groups: dict[str, np.ndarray], target: float) -> dict:
    """Per flag, the highest threshold meeting ``target`` in every probability variant, pooled and in every
    group (source) holding at least FLAG_MIN_POSITIVES positives: the lowest of those thresholds."""

    out = {}
    for flag in FLAGS:
        positive = flag_positives(y, CLASSES, flag)
        candidates, per_group = [], {}
        for name, idx in {"pooled": np.arange(len(y)), **groups}.items():
            if positive[idx].sum() < (1 if name == "pooled" else FLAG_MIN_POSITIVES):
                continue
            ts = [threshold_for_sensitivity(flag_scores(p[idx], CLASSES, flag), positive[idx], target) for p in probs]
            per_group[name] = min(ts)
            candidates.append(min(ts))
        t = float(min(candidates))
        out[flag] = {
            "threshold": t,
            "classes": list(FLAGS[flag]),
            "text": FLAG_TEXT[flag],
            "target_sensitivity": target,
            "validation": operating_point(flag_scores(probs[0], CLASSES, flag), positive, t),
            "validation_all_variants": [operating_point(flag_scores(p, CLASSES, flag), positive, t) for p in probs],
            "validation_per_source": {name: operating_point(flag_scores(probs[0][idx], CLASSES, flag), positive[idx], t)
                                      for name, idx in groups.items()},
            "thresholds_needed": per_group,
            "chosen": (f"lowest of the thresholds meeting sensitivity >= {target} on the pooled validation part and on "
                       f"each source's (sources with >= {FLAG_MIN_POSITIVES} positives), with full and with no "
                       "metadata"),
        }
    return out


def _groups(sources: np.ndarray) -> dict[str, np.ndarray]:
    return {s: np.flatnonzero(sources == s) for s in sorted(set(sources))}


# -- the guard ------------------------------------------------------------------------------------------

def negatives_features(pooled_fn, spec, *, seed: int) -> tuple[np.ndarray, list[str]]:
    _, pooled = pooled_fn()
    named = guard_training_negatives(seed=seed)
    return extract_images(pooled, [img for _, img in named], spec).astype(np.float32).mean(axis=1), [n for n, _ in named]


def signals_of(images: np.ndarray) -> dict[str, np.ndarray]:
    rows = [pixel_signals(a) for a in images]
    return {k: np.array([r[k] for r in rows]) for k in rows[0]} if rows else {}


def bad_copies(images: np.ndarray) -> dict[str, np.ndarray]:
    """Pixel signals of what each signal exists to refuse, made from real validation images (uint8 arrays):
    blurred (Gaussian radius 4 at 200 x 150), darkened (x 0.2), overexposed (x 2.5), greyscale; blank frames."""

    pil = [Image.fromarray(a) for a in images]
    spec = PreprocessingSpec(height=images.shape[1], width=images.shape[2])
    grey = [np.asarray(p.convert("L").convert("RGB")) for p in pil]
    blank = [preprocess_image(img, spec) for _, img in ood.blank_frames()]
    return {
        "sharpness": signals_of(np.stack([np.asarray(ood.blurred(p)) for p in pil]))["sharpness"],
        "brightness": signals_of(np.stack([np.asarray(ood.darkened(p)) for p in pil]))["brightness"],
        "overexposed": signals_of(np.stack([np.asarray(ood.overexposed(p)) for p in pil]))["overexposed"],
        "colour": signals_of(np.stack(grey))["colour"],
        "contrast": signals_of(np.stack(blank))["contrast"],
    }


def guard_thresholds(signals: dict[str, np.ndarray], sources: np.ndarray, tail: float,
                     bad: dict[str, np.ndarray] | None = None) -> dict:
    """Per signal, first the most permissive of the per-source quantiles (every source keeps all but ``tail``).
    Where copies of what the signal must refuse are given and 95 % of them lie beyond that, the threshold moves
    half-way towards them: a new device's images, darker or softer than every source seen, keep a margin, and
    the bad copies are still refused."""
    out = {}
    for name, values in signals.items():
        direction = SIGNALS[name][0]
        q = tail if direction == "min" else 1 - tail
        per = {s: float(np.quantile(values[sources == s], q)) for s in sorted(set(sources))}
        t = min(per.values()) if direction == "min" else max(per.values())
        rule = {"threshold": t, "direction": direction, "per_source": per,
                "chosen": f"the most permissive per-source {q:.1%} quantile over every source's validation images and "
                          "their copies at 84-600 px"}
        if bad is not None and name in bad:
            edge = float(np.quantile(bad[name], 0.95 if direction == "min" else 0.05))
            if (edge < t) if direction == "min" else (edge > t):
                rule.update(threshold=(t + edge) / 2, bad_copies_edge=edge,
                            chosen=rule["chosen"] + "; then half-way to the 95 % edge of the copies it must refuse")
        out[name] = rule
    return out


def fit_guard(feats: dict, parts: dict, neg: np.ndarray, opts: SourcesOptions, *, train_idx=None, val_idx=None):
    """The dermoscopy classifier (training views of the given rows against ``neg``) and every threshold (validation
    rows and their 84-600 px copies, and bad copies of those images). Returns (classifier, card's guard dict)."""
    tr = np.arange(len(parts["train"])) if train_idx is None else train_idx
    va = np.arange(len(parts["val"])) if val_idx is None else val_idx
    train_views = feats["train"]["features"][tr].astype(np.float32)
    derm = fit_dermoscopy_classifier(train_views.reshape(-1, train_views.shape[-1]), neg, seed=opts.seed)
    sources = np.concatenate([parts["val"]["source"].to_numpy()[va]] * 2)
    images = np.concatenate([feats["val"]["images"][va], feats["val_degraded"]["images"][va]])
    pooled = np.concatenate([feats["val"]["features"][va].astype(np.float32).mean(axis=1),
                             feats["val_degraded"]["features"][va].astype(np.float32).mean(axis=1)])
    signals = signals_of(images)
    signals["dermoscopy"] = derm.score(pooled)
    rng = np.random.default_rng(opts.seed)
    sample = rng.choice(len(va), min(600, len(va)), replace=False)
    bad = bad_copies(feats["val"]["images"][va][sample])
    thresholds = guard_thresholds({k: signals[k] for k in GUARD_SIGNALS}, sources, opts.guard_tail, bad)
    ref = refused({k: signals[k] for k in GUARD_SIGNALS}, thresholds)
    guard = {"thresholds": thresholds,
             "validation_flagged_fraction": float(ref.mean()),
             "validation_flagged_per_source": {s: float(ref[sources == s].mean()) for s in sorted(set(sources))},
             "dermoscopy_classifier": {"positives": int(train_views.shape[0] * train_views.shape[1]), "negatives": int(len(neg)),
                                       "note": "logistic regression (C 0.05, balanced) on standardised pooled features; "
                                               f"negatives from ml.training.ood.guard_training_negatives (seed {opts.seed})"}}
    return derm, guard, ref[: len(va)]


GUARD_SIGNALS = ("dermoscopy", "colour", "sharpness", "brightness", "overexposed", "contrast")


def refused(signals: dict[str, np.ndarray], thresholds: dict) -> np.ndarray:
    n = len(next(iter(signals.values())))
    bad = np.zeros(n, bool)
    for name, rule in thresholds.items():
        v = signals[name]
        bad |= v < rule["threshold"] if rule["direction"] == "min" else v > rule["threshold"]
    return bad


# -- the whole run --------------------------------------------------------------------------------------

def _softmax(logits, t):
    return softmax(logits, t)


def train_and_calibrate(feats: dict, parts: dict, meta: dict, opts: SourcesOptions, *, train_idx=None, val_idx=None,
                        log=print) -> dict:
    """Head + temperature + thresholds from the given training / validation rows (all by default)."""
    tr = np.arange(len(parts["train"])) if train_idx is None else train_idx
    va = np.arange(len(parts["val"])) if val_idx is None else val_idx
    y_tr, y_va = parts["train"]["label"].to_numpy()[tr], parts["val"]["label"].to_numpy()[va]
    head, history = fit_head(feats["train"]["features"][tr].astype(np.float32), y_tr, meta["train"][tr],
                             feats["val"]["features"][va].astype(np.float32), y_va, meta["val"][va], opts, log=log)
    pooled_val = feats["val"]["features"][va].astype(np.float32).mean(axis=1)
    logits = {"full": head_logits(head, pooled_val, meta["val"][va]),
              "none": head_logits(head, pooled_val, cm.encode_many(None, len(va)))}
    temperature = fit_temperature(np.concatenate([logits["full"], logits["none"]]), np.concatenate([y_va, y_va]))
    probs = {k: _softmax(v, temperature) for k, v in logits.items()}

    ece = {"before": {k: expected_calibration_error(y_va, _softmax(v, 1.0)) for k, v in logits.items()},
           "after": {k: expected_calibration_error(y_va, p) for k, p in probs.items()}}
    sources = parts["val"]["source"].to_numpy()[va]
    points = choose_points(y_va, [probs["full"], probs["none"]], _groups(sources), opts.target_sensitivity)
    return {"head": head, "history": history, "temperature": temperature, "points": points, "val_probs": probs,
            "val_logits": logits, "ece": ece}


def score(head, temperature: float, pooled: np.ndarray, meta: np.ndarray | None) -> np.ndarray:
    m = cm.encode_many(None, len(pooled)) if meta is None else meta
    return _softmax(head_logits(head, pooled.astype(np.float32), m), temperature)


def figures(y: np.ndarray, probs: np.ndarray, points: dict, refused_mask: np.ndarray | None = None) -> dict:

    m = classification_metrics(y, probs, CLASSES)
    out = {k: m[k] for k in ("n", "accuracy", "balanced_accuracy", "macro_auc", "top2_accuracy", "ece")}
    mel = y == CLASSES.index("mel")
    out["mel_auc"] = float(roc_auc_score(mel, probs[:, CLASSES.index("mel")])) if 0 < mel.sum() < len(y) else None
    out["per_class_recall"] = {c: m["per_class"][c]["recall"] for c in CLASSES if m["per_class"][c]["support"]}
    out["support"] = {c: m["per_class"][c]["support"] for c in CLASSES}
    out["operating_points"] = evaluate_operating_points(y, probs, CLASSES, points)
    if refused_mask is not None:
        out["not_assessable_fraction"] = float(np.mean(refused_mask))
    return out


def per_source_figures(parts_df, probs: np.ndarray, points: dict, refused_mask=None) -> dict:
    y = parts_df["label"].to_numpy()
    sources = parts_df["source"].to_numpy()
    out = {"pooled": figures(y, probs, points, refused_mask)}
    for s, idx in _groups(sources).items():
        out[s] = figures(y[idx], probs[idx], points, None if refused_mask is None else refused_mask[idx])
    return out


def _split_digest(parts: dict) -> dict:
    out = {}
    for part, df in parts.items():
        for source, ids in df.groupby("source")["image_id"]:
            h = hashlib.sha256(",".join(sorted(ids.astype(str))).encode()).hexdigest()
            out.setdefault(source, {})[part] = {"images": int(len(ids)), "lesions": int(df[df["source"] == source]["lesion_id"].nunique()),
                                                "image_ids_sha256": h}
    return out


def assemble(trunk_model, head, *, meta_units: int, n_meta: int, dropout: float):
    """Image + metadata -> {logits, feature_map}: the trunk of the given clinical model and the new head."""
    import keras

    image = keras.Input(trunk_model.get_layer("image").output.shape[1:], name="image")
    fmap = trunk_model.get_layer("trunk")(image)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(fmap)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    meta = keras.Input((n_meta,), name="metadata")
    m = keras.layers.Dense(meta_units, activation="relu", name="meta_dense")(meta)
    x = keras.layers.Concatenate(name="fuse")([x, m])
    logits = keras.layers.Dense(head.get_layer("logits").units, name="logits")(x)
    model = keras.Model({"image": image, "metadata": meta}, {"logits": logits, "feature_map": fmap}, name="clinical_model")
    for layer in ("logits", "meta_dense"):
        model.get_layer(layer).set_weights(head.get_layer(layer).get_weights())
    return model


def fuse_sources(opts: SourcesOptions, log=print) -> Path:

    started = time.time()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = load_sources(source_dirs(opts.data_root, opts.sources), seed=opts.seed)
    pooled_fn = lazy_pooled_fn(opts)
    feats = {k: cached_features(k, parts, opts, pooled_fn, log=log) for k in ("train", "val", "val_degraded")}
    meta = _metadata(parts)
    fit = train_and_calibrate(feats, parts, meta, opts, log=log)
    head, temperature, points = fit["head"], fit["temperature"], fit["points"]

    # The guard: dermoscopy of every source (every training view) against what is not dermoscopy.
    neg_path = Path(opts.cache) / "negatives_train.npz"
    if not neg_path.exists():
        neg, names = negatives_features(pooled_fn, _spec(opts), seed=opts.seed)
        np.savez(neg_path, features=neg, names=np.array(names))
    neg = np.load(neg_path)["features"]
    derm, guard, val_refused = fit_guard(feats, parts, neg, opts)
    derm.save(out / GUARD_FILE)
    guard = {"file": GUARD_FILE, **guard}

    trunk = Predictor.load(opts.trunk)
    model = assemble(trunk.model, head, meta_units=opts.meta_units, n_meta=cm.N_METADATA, dropout=opts.dropout)
    model_path = out / MODEL_FILE
    model.save(model_path)

    y_val = parts["val"]["label"].to_numpy()
    probs_val = fit["val_probs"]
    n_val_refused = val_refused
    mel_val = probs_val["full"][:, CLASSES.index("mel")]
    drift = {"n": int(len(y_val)), "not_assessable": float(n_val_refused.mean()),
             "mel_flag": float(np.mean(mel_val >= points["mel"]["threshold"])),
             "malignant_flag": float(np.mean(probs_val["full"][:, [CLASSES.index(c) for c in points["malignant"]["classes"]]].sum(1)
                                             >= points["malignant"]["threshold"])),
             "mean_p_mel": float(mel_val.mean()), "sd_p_mel": float(mel_val.std(ddof=1)),
             "note": "pooled validation images of every source, full metadata, at the card's thresholds"}

    all_rows = pd.concat(list(parts.values()))
    card = model_card.derive(trunk.card, {
        "name": opts.name,
        "gradcam_layer": None,
        "inference": {"tta": True, "outputs": LOGITS_AND_FEATURE_MAP},
        "calibration": {"method": "temperature", "temperature": temperature,
                        "fitted_on": "pooled validation logits of every source (with full and with no metadata)",
                        "validation_ece_before": fit["ece"]["before"], "validation_ece_after": fit["ece"]["after"]},
        "operating_points": points,
        "guard": guard,
        "drift_reference": drift,
        "validation_metrics": {k: per_source_figures(parts["val"], p, points) for k, p in probs_val.items()},
        "sources": {"split": {"by": "lesion_id, within each source", "stratified_by": "dx", "seed": opts.seed,
                              "val_fraction": 0.15, "test_fraction": 0.15, "per_source": _split_digest(parts)},
                    "data": {s: portable(str(p)) for s, p in source_dirs(opts.data_root, opts.sources).items()},
                    "data_hash": {s: data_hash(df) for s, df in
                                  all_rows.groupby("source")}},
        "fusion": {"options": {k: v for k, v in asdict(opts).items() if k not in ("out", "cache", "trunk", "data_root")},
                   "trunk": {"name": trunk.name, "sha256": trunk.sha256, "frozen": True},
                   "head_history": fit["history"],
                   "time_s": round(time.time() - started, 1),
                   "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
                   "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")},
    }, directory=out, drop=("fusion",))
    # "training" is what the model learned from: every source (the trunk's own HAM10000 training stays under fusion.trunk).
    card["training"] = {**trunk.card["training"], "data": "+".join(opts.sources), "data_hash": data_hash(all_rows),
                        "split": {**trunk.card["training"]["split"], "note": "each source split on its own by "
                                  "lesion_id with these settings (ml.training.sources.load_sources); HAM10000's is the trunk's"}}
    model_card.write(out, card)
    log(f"wrote {out} in {time.time() - started:.0f} s")
    return out


def evaluate_sources(model_dir: str, opts: SourcesOptions, log=print) -> dict:
    """The test parts, from the cached features, at the card's thresholds and guard: per source and pooled,
    with full and with no metadata; the shortcut checks. Run once, after the model is fixed."""
    p = Predictor.load(model_dir)
    parts = load_sources(source_dirs(opts.data_root, opts.sources), seed=opts.seed)
    feats = {k: cached_features(k, parts, opts, lazy_pooled_fn(opts)) for k in ("test", "test_ham_84px")}
    meta = _metadata(parts)
    head = _head_of(p)
    test = parts["test"]
    pooled = feats["test"]["features"].astype(np.float32).mean(axis=1)
    derm = DermoscopyClassifier.load(Path(model_dir) / "guard.npz")
    signals = signals_of(feats["test"]["images"])
    signals["dermoscopy"] = derm.score(pooled)
    ref = refused({k: signals[k] for k in p.guard_thresholds}, p.guard_thresholds)
    out = {"model": p.name, "sha256": p.sha256}
    for variant, m in (("full", meta["test"]), ("none", None)):
        out[variant] = per_source_figures(test, score(head, p.temperature, pooled, m), p.operating_points, ref)
    out["refused_by_signal"] = {k: int(refused({k: signals[k]}, {k: p.guard_thresholds[k]}).sum()) for k in p.guard_thresholds}
    ham = test[test["source"] == "ham10000"]
    ham_idx = np.flatnonzero(test["source"].to_numpy() == "ham10000")
    y_ham = ham["label"].to_numpy()
    low = score(head, p.temperature, feats["test_ham_84px"]["features"].astype(np.float32).mean(axis=1), meta["test"][ham_idx])
    out["shortcut_check"] = {
        "ham10000_test_as_84px_squashed": figures(y_ham, low, p.operating_points),
        "ham10000_test_original": out["full"]["ham10000"],
        "source_from_outputs": source_predictability(test, score(head, p.temperature, pooled, meta["test"])),
    }
    return out


def _head_of(predictor):
    """The trained head as a small Keras model again, from the assembled clinical model's layers."""
    d = int(predictor.card["heatmap"]["feature_channels"])
    head = build_head(d, cm.N_METADATA, len(CLASSES), meta_units=predictor.model.get_layer("meta_dense").units,
                      dropout=0.0, use_metadata=True)
    for layer in ("logits", "meta_dense"):
        head.get_layer(layer).set_weights(predictor.model.get_layer(layer).get_weights())
    return head


def source_predictability(df, probs: np.ndarray) -> dict:
    """Within each true class, how well the model's output alone tells the sources apart (balanced accuracy of a
    cross-validated logistic regression on log-probabilities, against chance): output that depends on the
    source beyond the lesion is a shortcut."""
    out = {}
    y, s = df["label"].to_numpy(), df["source"].to_numpy()
    for c, name in enumerate(CLASSES):
        idx = np.flatnonzero(y == c)
        src, counts = np.unique(s[idx], return_counts=True)
        if len(src) < 2 or counts.min() < 10:
            continue
        keep = np.isin(s[idx], src)
        x = np.log(np.clip(probs[idx][keep], 1e-9, None))
        pred = cross_val_predict(LogisticRegression(max_iter=1000, class_weight="balanced"), x, s[idx][keep], cv=5)
        out[name] = {"sources": {str(a): int(b) for a, b in zip(src, counts, strict=True)},
                     "balanced_accuracy": float(balanced_accuracy_score(s[idx][keep], pred)), "chance": 1 / len(src)}
    return out


def leave_one_source_out(opts: SourcesOptions, log=print) -> dict:
    """For each source: head, temperature, thresholds and guard from the other sources only; scored on the left-out
    source's validation and test parts (never trained on in this run). The trunk stays the HAM10000 one, so
    HAM10000's row is not a true left-out device."""

    parts = load_sources(source_dirs(opts.data_root, opts.sources), seed=opts.seed)
    feats = {k: cached_features(k, parts, opts, lazy_pooled_fn(opts)) for k in ("train", "val", "test", "val_degraded")}
    meta = _metadata(parts)
    neg = np.load(Path(opts.cache) / "negatives_train.npz")["features"]
    out = {}
    for left in opts.sources:
        log(f"leave out {left}", flush=True)
        tr = np.flatnonzero(parts["train"]["source"].to_numpy() != left)
        va = np.flatnonzero(parts["val"]["source"].to_numpy() != left)
        fit = train_and_calibrate(feats, parts, meta, opts, train_idx=tr, val_idx=va, log=lambda *a, **k: None)
        # Evaluated on the left-out source's validation + test parts.
        ev_df = pd.concat([parts["val"][parts["val"]["source"] == left],
                                             parts["test"][parts["test"]["source"] == left]])
        vi = np.flatnonzero(parts["val"]["source"].to_numpy() == left)
        ti = np.flatnonzero(parts["test"]["source"].to_numpy() == left)
        pooled = np.concatenate([feats["val"]["features"][vi], feats["test"]["features"][ti]]).astype(np.float32).mean(axis=1)
        m = np.concatenate([meta["val"][vi], meta["test"][ti]])
        # The guard without the left-out source.
        derm, guard, _ = fit_guard(feats, parts, neg, opts, train_idx=tr, val_idx=va)
        th = guard["thresholds"]
        esig = signals_of(np.concatenate([feats["val"]["images"][vi], feats["test"]["images"][ti]]))
        esig["dermoscopy"] = derm.score(pooled)
        ref = refused({k: esig[k] for k in GUARD_SIGNALS}, th)
        y = ev_df["label"].to_numpy()
        out[left] = {
            "full": figures(y, score(fit["head"], fit["temperature"], pooled, m), fit["points"], ref),
            "none": figures(y, score(fit["head"], fit["temperature"], pooled, None), fit["points"], ref),
            "thresholds": {k: v["threshold"] for k, v in fit["points"].items()},
        }
    return out


def colour_constancy_trial(opts: SourcesOptions, log=print) -> dict:
    """Validation score of the head on one plain view with and without shades-of-grey colour constancy."""
    parts = load_sources(source_dirs(opts.data_root, opts.sources), seed=opts.seed)
    feats = {k: cached_features(k, parts, opts, lazy_pooled_fn(opts)) for k in ("train", "val", "train_cc", "val_cc")}
    meta = _metadata(parts)
    out = {}
    for name, tr, va in (("plain", feats["train"]["features"][:, :1], feats["val"]["features"][:, :1]),
                         ("shades_of_grey", feats["train_cc"]["features"], feats["val_cc"]["features"])):
        f = {"train": {"features": tr}, "val": {"features": va}}
        fit = train_and_calibrate(f, parts, meta, replace(opts, epochs=min(opts.epochs, 20)), log=lambda *a, **k: None)
        out[name] = per_source_figures(parts["val"], fit["val_probs"]["full"], fit["points"])
        log(f"colour constancy trial {name}: pooled validation accuracy {out[name]['pooled']['accuracy']:.4f}, "
            f"macro AUC {out[name]['pooled']['macro_auc']:.4f}", flush=True)
    return out


def _row(name: str, f: dict) -> str:
    op = f["operating_points"]
    na = f.get("not_assessable_fraction")

    def v(x, d=3):
        return "—" if x is None else f"{x:.{d}f}"

    return (f"| {name} | {f['n']} | {f['support'].get('mel', 0)} | {v(f['accuracy'])} | {v(f['balanced_accuracy'])} | "
            f"{v(f['macro_auc'])} | {v(f['mel_auc'])} | {v(op['mel']['sensitivity'])} / {v(op['mel']['specificity'])} | "
            f"{v(op['malignant']['sensitivity'])} / {v(op['malignant']['specificity'])} | {v(f['ece'])} | "
            f"{'—' if na is None else f'{na:.1%}'} |")


HEADER = ("| part | images | melanomas | accuracy | balanced acc. | macro AUC | mel AUC | mel flag sens. / spec. | "
          "malignant flag sens. / spec. | ECE | not assessable |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def summary_table(report: dict) -> str:
    """The closing tables in Markdown: test per source (full and no metadata), leave-one-source-out."""
    lines = []
    for variant in ("full", "none"):
        lines += [f"\nTest parts, {variant} metadata", HEADER]
        lines += [_row(name, f) for name, f in report["test"][variant].items()]
    sc = report["test"]["shortcut_check"]
    lines += ["\nShortcut check (HAM10000 test, full metadata)", HEADER,
              _row("original", sc["ham10000_test_original"]), _row("squashed to 84 px, JPEG q75", sc["ham10000_test_as_84px_squashed"])]
    lines += ["\nSource from the model's output, within each true class (balanced accuracy vs chance):"]
    lines += [f"- {c}: {d['balanced_accuracy']:.3f} vs {d['chance']:.3f} ({d['sources']})" for c, d in sc["source_from_outputs"].items()]
    if "leave_one_source_out" in report:
        for variant in ("full", "none"):
            lines += [f"\nLeave one source out (scored on its validation + test parts), {variant} metadata", HEADER]
            lines += [_row(name, d[variant]) for name, d in report["leave_one_source_out"].items()]
    return "\n".join(lines)
