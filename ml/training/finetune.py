"""Full fine-tuning on an accelerator, with any Keras backend and no tf.data.

The lent GPU machines carry JAX and PyTorch but no TensorFlow, so this path trains from in-memory
uint8 arrays with Keras alone (``KERAS_BACKEND=torch`` there: XLA's grouped convolutions made
``jax`` too slow to finish one epoch in ten minutes, cuDNN's are fast). Every backbone block is trainable
(BatchNormalization stays frozen, see ml.training.models.unfreeze_top_blocks for why), and the image is
upscaled inside the model before the backbone: the input stays the canonical 150x200 of
ml.serving.preprocessing, but EfficientNet-Lite0 sees the scale it was pretrained at and its last feature
map, which the heat-map is made from, gets finer.

The lesion-level split is computed on the development machine (``python -m ml
split``) and travels as a list of image ids, so a different scikit-learn on the accelerator cannot
move a test lesion into training; test images need not travel at all.

The output is a model folder in the shape ``python -m ml train`` writes (image -> ... -> ``probs``,
Grad-CAM layer ``backbone``), which ``python -m ml fuse --trunk`` turns into the clinical model.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ml import CLASSES
from ml import card as model_card
from ml.card import MODEL_FILE
from ml.evaluation.metrics import classification_metrics
from ml.paths import portable
from ml.serving.preprocessing import PreprocessingSpec
from ml.training.augmentation import AugmentationOptions, build_augmentation
from ml.training.data import data_hash, load_images, load_metadata
from ml.training.loop import BestEpoch, class_weights, epochs_that_fit, run_epochs, score
from ml.training.splits import split_by_lesion


@dataclass
class FinetuneOptions:
    data: str  # HAM10000 layout; only the images named in the split file are read
    split_file: str
    init_from: str  # a .keras file whose "backbone" (possibly inside "trunk") starts the run
    out: str
    upscale: float = 1.5
    batch_size: int = 64
    epochs: int = 30
    lr: float = 3e-4
    warmup_epochs: float = 1.0
    weight_decay: float = 1e-5
    dropout: float = 0.3
    class_weight: str = "sqrt"
    # Whole-run budget (loading and saving included). The first epoch is timed and the cosine decay is
    # fitted to the number of epochs that fit (at most ``epochs``), so the run ends decayed, not cut off.
    max_minutes: float | None = None
    limit: int | None = None  # smoke runs: this many training and validation images
    seed: int = 42
    name: str = "efficientnet_lite0-ham10000-v3-trunk"


def write_split_file(
    data: str, out: str, *, seed: int = 42, val_fraction: float = 0.15, test_fraction: float = 0.15
) -> dict:
    """The lesion-level split of ml.training.splits as image ids, with the test part only counted."""
    df = load_metadata(data, CLASSES)
    parts = split_by_lesion(df, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed)
    split = {
        "by": "lesion_id",
        "stratified_by": "dx",
        "seed": seed,
        "val_fraction": val_fraction,
        "test_fraction": test_fraction,
        "data_hash": data_hash(df),
        "train": parts["train"]["image_id"].tolist(),
        "val": parts["val"]["image_id"].tolist(),
        "n_test": len(parts["test"]),
    }
    Path(out).write_text(json.dumps(split))
    return split


def find_backbone(model):
    """The "backbone" layer of a trunk model or of a fused clinical model (inside its "trunk")."""
    names = [layer.name for layer in model.layers]
    if "backbone" in names:
        return model.get_layer("backbone")
    if "trunk" in names:
        return model.get_layer("trunk").get_layer("backbone")
    raise ValueError(f"{model.name} has no backbone layer")


def build_upscaled_model(
    source, input_size: tuple[int, int], upscale: float, dropout: float, n_classes: int = len(CLASSES)
):
    """image (uint8 RGB, input_size) -> upscale -> backbone -> avg_pool -> head_dropout -> logits -> probs.

    The head starts from the source's dense weights on the image features (a fused model's extra
    metadata rows are dropped), so the first steps do not push a random head's gradients into the
    pretrained backbone.
    """
    import keras

    backbone = find_backbone(source)
    for layer in backbone.layers:
        layer.trainable = not isinstance(layer, keras.layers.BatchNormalization)
    height, width = (int(round(s * upscale)) for s in input_size)
    image = keras.Input((*input_size, 3), name="image")
    x = keras.layers.Resizing(height, width, interpolation="bilinear", name="upscale")(image)
    x = backbone(x)
    channels = x.shape[-1]
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    logits = keras.layers.Dense(n_classes, name="logits")
    x = logits(x)
    probs = keras.layers.Activation("softmax", dtype="float32", name="probs")(x)
    model = keras.Model(image, probs, name="efficientnet_lite0_upscaled")
    if "logits" in [layer.name for layer in source.layers]:
        kernel, bias = source.get_layer("logits").get_weights()
        if kernel.shape[0] >= channels and kernel.shape[1] == n_classes:
            logits.set_weights([kernel[:channels], bias])
    return model


def learning_rate(step: int, *, peak: float, warmup_steps: int, total_steps: int) -> float:
    """Linear warm-up to ``peak``, then cosine decay to 0 at ``total_steps``."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return 0.5 * peak * (1.0 + float(np.cos(np.pi * progress)))


def finetune(opts: FinetuneOptions, log=print) -> Path:
    import keras


    started = time.time()
    keras.utils.set_random_seed(opts.seed)
    if keras.backend.backend() == "torch":
        import torch

        torch.backends.cudnn.benchmark = True  # one input size: let cuDNN pick its fastest kernels once
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    split = json.loads(Path(opts.split_file).read_text())
    spec = PreprocessingSpec()
    train_ids, val_ids = split["train"], split["val"]
    if opts.limit:
        train_ids, val_ids = train_ids[: opts.limit], val_ids[: opts.limit]
    x_train, y_train = load_images(opts.data, train_ids, spec)
    x_val, y_val = load_images(opts.data, val_ids, spec)
    log(
        f"loaded {len(x_train)} training and {len(x_val)} validation images in {time.time() - started:.0f} s",
        flush=True,
    )

    source = keras.models.load_model(opts.init_from, compile=False)
    model = build_upscaled_model(source, spec.size, opts.upscale, opts.dropout)
    augmentation = build_augmentation(AugmentationOptions(), seed=opts.seed)
    trainer = keras.Sequential([keras.Input((*spec.size, 3)), augmentation, model], name="trainer")
    counts = np.bincount(y_train, minlength=len(CLASSES))
    weights = class_weights(counts, opts.class_weight)
    class_weight = {i: float(w) for i, w in enumerate(weights)} if weights is not None else None
    steps_per_epoch = int(np.ceil(len(x_train) / opts.batch_size))
    warmup = int(opts.warmup_epochs * steps_per_epoch)
    plan = {"epochs": opts.epochs}  # shortened after the first epoch when a time budget is set

    class Schedule(keras.callbacks.Callback):
        """Sets the learning rate every step from ml.training.finetune.learning_rate."""

        def __init__(self):
            super().__init__()
            self.step = 0

        def on_train_batch_begin(self, batch, logs=None):
            lr = learning_rate(self.step, peak=opts.lr, warmup_steps=warmup, total_steps=plan["epochs"] * steps_per_epoch)
            self.model.optimizer.learning_rate = lr
            self.step += 1

    schedule = Schedule()
    trainer.compile(
        optimizer=keras.optimizers.AdamW(opts.lr, weight_decay=opts.weight_decay),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )

    best = BestEpoch(started=started)
    history, epoch_times = [], []

    def one_epoch(epoch: int):
        t0 = time.time()
        h = trainer.fit(
            x_train, y_train, batch_size=opts.batch_size, epochs=1, shuffle=True, class_weight=class_weight,
            callbacks=[schedule], verbose=0,
        )
        probs = model.predict(x_val, batch_size=256, verbose=0)
        m = classification_metrics(y_val, probs, CLASSES)
        value = score(m)
        epoch_times.append(time.time() - t0)
        history.append(
            {
                "epoch": epoch + 1,
                "loss": float(h.history["loss"][0]),
                "accuracy": float(h.history["accuracy"][0]),
                "val_accuracy": m["accuracy"],
                "val_balanced_accuracy": m["balanced_accuracy"],
                "val_macro_auc": m["macro_auc"],
                "val_mel_sensitivity": m["mel_sensitivity"],
                "val_score": value,
                "time_s": round(epoch_times[-1], 1),
            }
        )
        log(
            f"epoch {epoch + 1}: loss {history[-1]['loss']:.4f}, val acc {m['accuracy']:.4f}, "
            f"bal {m['balanced_accuracy']:.4f}, auc {m['macro_auc'] or float('nan'):.4f}, score {value:.4f} "
            f"({epoch_times[-1]:.0f} s)",
            flush=True,
        )
        return value, lambda: [w.copy() for w in model.get_weights()], m

    def replan(epoch: int) -> bool:
        """True when the time budget ends the run after ``epoch`` epochs."""
        elapsed = time.time() - started
        if opts.max_minutes:
            # Re-planned after every epoch from the latest steady epoch time: the first one includes cuDNN's
            # autotuning (73 s against 22 s later on an H200), so planning from it alone ran 5 epochs of 17.
            steady = min(epoch_times[-2:])
            planned = epochs_that_fit(opts.max_minutes * 60, elapsed, steady, done=epoch, ceiling=opts.epochs,
                                      reserve_s=steady)
            if planned != plan["epochs"]:
                log(f"{steady:.1f} s per epoch ({steps_per_epoch} steps of {opts.batch_size}): "
                    f"{planned} epochs fit the budget", flush=True)
            plan["epochs"] = planned
            if epoch < plan["epochs"] and elapsed + max(epoch_times[-2:]) > opts.max_minutes * 60:
                log(f"time budget reached after epoch {epoch}", flush=True)
                return True
        return False

    run_epochs(one_epoch, best, epochs=lambda: plan["epochs"], after=replan)
    model.set_weights(best.weights)
    model.save(out / MODEL_FILE)
    height, width = spec.size
    card = model_card.build(
        name=opts.name, directory=out, classes=CLASSES, input_kind="image", spec=spec, gradcam_layer="backbone",
        architecture={
            "arch": "efficientnet_lite0",
            "kind": "transfer",
            "pretrained": True,
            "n_blocks": 16,
            "note": "EfficientNet-Lite0 (ImageNet), every block fine-tuned, BatchNorm frozen; the 150x200 input is "
            "upscaled bilinearly inside the model",
            "upscaled_to": [int(round(height * opts.upscale)), int(round(width * opts.upscale))],
        },
        training={
            "data_dir": portable(opts.data),
            "data_hash": split.get("data_hash"),
            "n_images": {"train": len(x_train), "val": len(x_val), "test": split.get("n_test")},
            "train_class_counts": dict(zip(CLASSES, counts.tolist(), strict=True)),
            "split": {k: split[k] for k in ("by", "stratified_by", "seed", "val_fraction", "test_fraction")}
            | {"limit": opts.limit, "note": "computed on the development machine, travelled as image ids"},
            "options": {
                **asdict(opts),
                "data": portable(opts.data),
                "split_file": Path(opts.split_file).name,
                "init_from": Path(opts.init_from).name,
                "out": Path(opts.out).name,
            },
            "class_weight": class_weight,
            "epochs_planned": plan["epochs"],
            "epochs_run": len(history),
            "seconds_per_epoch": round(float(np.median(epoch_times)), 1),
            "best_epoch": best.epoch,
            "time_s": round(time.time() - started, 1),
            "machine": _machine(),
            "versions": {
                "keras": keras.__version__,
                "backend": keras.backend.backend(),
                keras.backend.backend(): _backend_version(),
            },
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
        validation_metrics=best.metrics,
        history=history,
    )
    model_card.write(out, card)
    log(
        f"saved {out} in {(time.time() - started) / 60:.1f} min; best epoch {best.epoch}: "
        f"val accuracy {best.metrics['accuracy']:.4f}, balanced {best.metrics['balanced_accuracy']:.4f}, "
        f"macro AUC {best.metrics['macro_auc'] or float('nan'):.4f}",
        flush=True,
    )
    return out


def _machine() -> str:
    import keras

    if keras.backend.backend() == "torch":
        import torch

        if torch.cuda.is_available():
            return f"{torch.cuda.get_device_name(0)}, {os.cpu_count()} CPUs"
    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "cpu":
            return f"{device.device_kind}, {os.cpu_count()} CPUs"
    return f"{platform.machine()}, {os.cpu_count()} CPUs"


def _backend_version() -> str:
    import keras

    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend, backend)
    try:
        return __import__(module).__version__
    except Exception:  # noqa: BLE001
        return "unknown"
