"""Training: data -> lesion-disjoint split -> tf.data -> model -> (two-phase) fit -> model folder."""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ml import CLASSES
from ml import card as model_card
from ml.card import MODEL_FILE
from ml.evaluation.metrics import classification_metrics
from ml.paths import portable
from ml.serving.preprocessing import PreprocessingSpec
from ml.training.augmentation import AugmentationOptions, build_augmentation
from ml.training.data import data_hash, load_metadata
from ml.training.loop import BestEpoch, class_weights, score
from ml.training.models import ARCHS, build_model, unfreeze_top_blocks
from ml.training.pipeline import eval_dataset, sampling_weights, train_dataset
from ml.training.splits import split_by_lesion
from ml.training.trunk_cache import epoch_arrays, split_backbone, trunk_features


@dataclass
class TrainOptions:
    data: str
    arch: str
    out: str
    height: int = 150
    width: int = 200
    batch_size: int = 32
    epochs: int = 30  # upper bound for the (last) phase; early stopping usually ends it sooner
    lr: float = 1e-3
    # Two-phase transfer learning: head on the frozen backbone, then the top blocks at a lower rate.
    head_epochs: int = 2
    fine_tune_blocks: int = 5
    fine_tune_lr: float = 3e-4
    dropout: float = 0.3
    weights: str | None = None
    loss: str = "ce"  # "ce" or "focal"
    focal_gamma: float = 2.0
    focal_alpha: str | None = None  # None, "balanced" or comma-separated per-class values
    class_weight: str = "none"  # "none", "balanced" (inverse frequency) or "sqrt" (its square root)
    sample_power: float = 1.0  # class sampling ~ count**power; <1 oversamples minorities
    label_smoothing: float = 0.0
    augment: AugmentationOptions = field(default_factory=AugmentationOptions)
    cached_views: int = 0  # >0: fine-tune on the frozen trunk's cached output for this many augmented views (ml/training/trunk_cache.py)
    init_from: str | None = None  # model folder of the same arch to start from (continue a run)
    monitor: str = "score"  # validation metric for early stopping and the best checkpoint
    patience: int = 5
    max_minutes: float | None = None  # wall-clock budget: stop after the epoch that crosses it
    steps_per_epoch: int | None = None  # default: one pass over the training images
    limit: int | None = None  # use only this many images (smoke tests)
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 42
    name: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def train(opts: TrainOptions, log=print) -> Path:
    import keras
    import tensorflow as tf

    from ml.training.losses import SparseFocalLoss  # Keras at import

    keras.utils.set_random_seed(opts.seed)
    started = time.time()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    arch = ARCHS[opts.arch]
    classes = list(CLASSES)
    n_classes = len(classes)
    spec = PreprocessingSpec(opts.height, opts.width)

    df = load_metadata(opts.data)
    if opts.limit:
        df = df.sample(n=min(opts.limit, len(df)), random_state=opts.seed).reset_index(drop=True)
    parts = split_by_lesion(df, val_fraction=opts.val_fraction, test_fraction=opts.test_fraction, seed=opts.seed)
    train_df, val_df = parts["train"], parts["val"]
    counts = np.bincount(train_df["label"], minlength=n_classes)
    log(f"split: train {len(train_df)}, val {len(val_df)}, test {len(parts['test'])} images; "
        f"train counts {dict(zip(classes, counts.tolist(), strict=True))}")

    input_kind = "features" if arch.kind == "features" else "image"
    augmentation = build_augmentation(opts.augment, seed=opts.seed) if opts.augment.enabled else None
    train_ds = train_dataset(train_df["path"], train_df["label"], spec, batch_size=opts.batch_size,
                             augmentation=augmentation, sample_power=opts.sample_power, n_classes=n_classes,
                             seed=opts.seed, input_kind=input_kind)
    val_ds = eval_dataset(val_df["path"], val_df["label"], spec, batch_size=64, input_kind=input_kind)
    y_val = val_df["label"].to_numpy()
    steps = opts.steps_per_epoch or max(1, len(train_df) // opts.batch_size)

    model, info = build_model(opts.arch, n_classes, spec.size, dropout=opts.dropout, weights=opts.weights)
    if input_kind == "features":
        feats = np.concatenate([x.numpy() for x, _ in eval_dataset(train_df["path"], train_df["label"], spec,
                                                                   input_kind="features")])
        model.get_layer("standardise").adapt(feats)

    init_time_s = 0.0
    if opts.init_from:
        src = Path(opts.init_from)
        if src.is_dir():  # a finished model folder
            start_card = model_card.read(src)
            init_time_s = float(start_card["training"].get("total_time_s", start_card["training"]["time_s"]))
            src = model_card.model_path(src, start_card)
        # else a bare checkpoint (.keras) of an interrupted run: its time is unknown here
        model.set_weights(keras.models.load_model(src, compile=False).get_weights())
        log(f"weights from {src} (trained {init_time_s / 60:.1f} min before)")

    cw = class_weights(counts, opts.class_weight)
    class_weight = None if cw is None else {i: float(w) for i, w in enumerate(cw)}
    if opts.loss == "focal":
        if opts.focal_alpha == "balanced":
            alpha = (class_weights(counts, "balanced") / n_classes).tolist()
        elif opts.focal_alpha:
            alpha = [float(a) for a in opts.focal_alpha.split(",")]
        else:
            alpha = None
        loss = SparseFocalLoss(gamma=opts.focal_gamma, alpha=alpha)
    elif opts.label_smoothing:
        loss = _smoothed_ce(opts.label_smoothing, n_classes)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()

    monitor = _ValidationMonitor(model, val_ds, y_val, classes, opts.monitor, out / MODEL_FILE, log,
                                 BestEpoch(patience=opts.patience, max_minutes=opts.max_minutes, started=started))
    bar = _EpochBar(tqdm)

    phases = []
    if arch.kind == "transfer" and opts.head_epochs > 0 and opts.fine_tune_blocks > 0:
        phases.append(("head", opts.head_epochs, opts.lr, 0))
        phases.append(("fine-tune", opts.epochs, opts.fine_tune_lr, opts.fine_tune_blocks))
    elif arch.kind == "transfer" and opts.fine_tune_blocks > 0:
        phases.append(("fine-tune", opts.epochs, opts.fine_tune_lr, opts.fine_tune_blocks))
    else:
        phases.append(("train", opts.epochs, opts.lr, 0))

    history: list[dict] = []
    epoch0 = 0
    for phase, epochs, lr, n_blocks in phases:
        if monitor.best.out_of_time:
            break
        if arch.kind == "transfer":
            unfrozen = unfreeze_top_blocks(model, opts.arch, n_blocks)
            log(f"phase {phase}: lr {lr}, unfrozen blocks {unfrozen or 'none'}, "
                f"{sum(int(np.prod(w.shape)) for w in model.trainable_weights):,} trainable parameters")
        schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=epochs * steps, alpha=0.05) \
            if phase != "head" else lr
        monitor.new_phase(phase)
        if phase == "fine-tune" and opts.cached_views > 0:
            n_run = _fine_tune_on_cached_trunk(model, unfrozen[0], opts, train_df, val_ds, augmentation, spec,
                                               schedule, loss, class_weight, [bar, monitor], monitor, epoch0,
                                               epochs, history, log)
        else:
            model.compile(keras.optimizers.Adam(schedule), loss=loss, metrics=["accuracy"])
            # shuffle=False: train_ds shuffles itself (Keras ignores the flag for a dataset, with a warning).
            h = model.fit(train_ds, epochs=epoch0 + epochs, initial_epoch=epoch0, steps_per_epoch=steps,
                          class_weight=class_weight, callbacks=[bar, monitor], verbose=0, shuffle=False)
            n_run = len(h.epoch)
            for i in range(n_run):
                history.append({"epoch": h.epoch[i] + 1, "phase": phase,
                                **{k: float(v[i]) for k, v in h.history.items()}})
        epoch0 += n_run

    model.set_weights(monitor.best.weights)
    _save_clean(model, out / MODEL_FILE)
    elapsed = time.time() - started
    name = opts.name or f"{opts.arch}-ham10000-{datetime.now(timezone.utc):%Y%m%d%H%M}"
    card = model_card.build(
        name=name, directory=out, classes=classes, input_kind=info["input"], spec=spec,
        gradcam_layer=info["gradcam_layer"],
        architecture={k: v for k, v in info.items() if k not in ("input", "gradcam_layer")},
        training={
            "data_dir": portable(opts.data),
            "data_hash": data_hash(df),
            "n_images": {"train": len(train_df), "val": len(val_df), "test": len(parts["test"])},
            "train_class_counts": dict(zip(classes, counts.tolist(), strict=True)),
            "split": {"by": "lesion_id", "stratified_by": "dx", "seed": opts.seed,
                      "val_fraction": opts.val_fraction, "test_fraction": opts.test_fraction,
                      "limit": opts.limit},
            "options": {**opts.to_dict(), "data": portable(opts.data), "out": Path(opts.out).name,
                        "init_from": portable(opts.init_from), "weights": portable(opts.weights)},
            "class_weight": class_weight,
            "epochs_run": epoch0,
            "best_epoch": monitor.best.epoch,
            "time_s": round(elapsed, 1),
            "total_time_s": round(elapsed + init_time_s, 1),  # including the run it started from
            "machine": f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} CPUs",
            "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
        validation_metrics=monitor.best.metrics,
        history=history,
    )
    model_card.write(out, card)
    best = monitor.best
    log(f"saved {out} in {elapsed / 60:.1f} min; best epoch {best.epoch}: "
        f"val accuracy {best.metrics['accuracy']:.4f}, balanced {best.metrics['balanced_accuracy']:.4f}, "
        f"macro AUC {best.metrics['macro_auc']:.4f}")
    return out


def _fine_tune_on_cached_trunk(model, first_block, opts, train_df, val_ds, augmentation, spec, schedule, loss,
                               class_weight, callbacks, monitor, epoch0, epochs, history, log) -> int:
    """The fine-tune phase on cached trunk features (see ml/training/trunk_cache.py); returns epochs run."""
    import keras


    t0 = time.time()
    trunk_fn, top = split_backbone(model, opts.arch, first_block)
    images = eval_dataset(train_df["path"], train_df["label"], spec, batch_size=64)
    views = np.stack([trunk_features(trunk_fn, images, augmentation if k > 0 else None)
                      for k in range(opts.cached_views)])  # view 0 unaugmented
    monitor.val_data = trunk_features(trunk_fn, val_ds)
    log(f"cached trunk output {views.shape} ({views.nbytes / 2**20:.0f} MiB) in {(time.time() - t0) / 60:.1f} min")
    y = train_df["label"].to_numpy().astype(np.int32)
    probs = None if opts.sample_power == 1.0 else sampling_weights(np.bincount(y, minlength=len(CLASSES)), opts.sample_power)
    top.compile(keras.optimizers.Adam(schedule), loss=loss, metrics=["accuracy"])
    rng = np.random.default_rng(opts.seed)
    n_run = 0
    for e in range(epoch0, epoch0 + epochs):
        x, yy = epoch_arrays(views, y, rng, probs)
        h = top.fit(x, yy, batch_size=opts.batch_size, epochs=e + 1, initial_epoch=e, shuffle=False,
                    class_weight=class_weight, callbacks=callbacks, verbose=0)
        history.append({"epoch": e + 1, "phase": "fine-tune (cached trunk)",
                        **{k: float(v[-1]) for k, v in h.history.items()}})
        n_run += 1
        if monitor.should_stop:
            break
    return n_run


def _smoothed_ce(smoothing: float, n_classes: int):
    import keras

    @keras.saving.register_keras_serializable(package="ml")
    class SparseSmoothedCE(keras.losses.Loss):
        def call(self, y_true, y_pred):
            from keras import ops

            onehot = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), n_classes)
            return keras.losses.categorical_crossentropy(onehot, y_pred, label_smoothing=smoothing)

    return SparseSmoothedCE()


def _save_clean(model, path: Path) -> None:
    """Save architecture + weights only: the Adam slots would triple the file."""
    import keras

    # Rebuilt from its config, the copy is uncompiled (clone_model would carry the optimizer along).
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    clone.save(path)


class _EpochBar:
    """One tqdm progress bar per epoch, showing the running loss."""

    def __new__(cls, tqdm):
        import keras

        class Bar(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.bar = tqdm(total=self.params["steps"], desc=f"epoch {epoch + 1}", unit="batch",
                                mininterval=10, leave=True)

            def on_train_batch_end(self, batch, logs=None):
                self.bar.update(1)
                if logs and batch % 10 == 0:
                    self.bar.set_postfix(loss=f"{logs.get('loss', float('nan')):.4f}",
                                         acc=f"{logs.get('accuracy', float('nan')):.3f}", refresh=False)

            def on_epoch_end(self, epoch, logs=None):
                self.bar.close()

        return Bar()


class _ValidationMonitor:
    """The shared loop's BestEpoch as a Keras callback: validation metrics (scikit-learn) after every epoch, the
    best weights across both phases checkpointed to disk, early stop on patience or the time budget."""

    def __new__(cls, *args, **kwargs):
        import keras

        class Monitor(keras.callbacks.Callback):
            def __init__(self, full_model, val_ds, y_val, classes, monitor, ckpt, log, best: BestEpoch):
                super().__init__()
                # val_data feeds whatever model fit() is training (images, or cached trunk features);
                # full_model is what gets checkpointed (it shares its layers with that model).
                self.full_model, self.val_data, self.y_val, self.classes = full_model, val_ds, y_val, classes
                self.monitor, self.log, self.best = monitor, log, best
                best.on_improve = lambda: _save_clean(full_model, ckpt)
                self.phase, self.should_stop = "", False

            def new_phase(self, phase):
                self.best.new_phase()
                self.phase, self.should_stop = phase, self.best.out_of_time

            def on_epoch_end(self, epoch, logs=None):
                probs = self.model.predict(self.val_data, verbose=0)
                m = classification_metrics(self.y_val, probs, self.classes)
                value = score(m, self.monitor)
                if logs is not None:
                    logs.update({"val_accuracy": m["accuracy"], "val_balanced_accuracy": m["balanced_accuracy"],
                                 "val_macro_auc": m["macro_auc"], "val_score": value})
                improved = self.best.record(epoch + 1, value, self.full_model.get_weights, m)
                self.log(f"epoch {epoch + 1} [{self.phase}] loss {logs.get('loss', float('nan')):.4f} "
                         f"train acc {logs.get('accuracy', float('nan')):.4f} | val acc {m['accuracy']:.4f} "
                         f"bal {m['balanced_accuracy']:.4f} auc {m['macro_auc']:.4f} mel {m['mel_sensitivity']:.3f} "
                         f"{self.monitor} {value:.4f}{' *' if improved else ''} | {self.best.minutes:.1f} min",
                         flush=True)
                if self.best.patience_spent:
                    self.should_stop = self.model.stop_training = True
                if self.best.budget_spent():
                    self.should_stop = self.model.stop_training = True

        return Monitor(*args, **kwargs)
