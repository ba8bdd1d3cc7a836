"""``python -m ml evaluate``: metrics JSON plus confusion-matrix and ROC plots beside it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np


def predict_folder(predictor, df, *, tta: bool | None = None, batch_size: int = 64, log=print) -> np.ndarray:
    """Probabilities for every row of ``df`` (in order), preprocessing each file as Predictor does."""
    from ml.preprocessing import load_image

    out = []
    for i in range(0, len(df), batch_size):
        x = np.stack([load_image(p, predictor.spec) for p in df["path"].iloc[i : i + batch_size]])
        out.append(predictor.predict_arrays(x, batch_size=batch_size, tta=tta))
        if (i // batch_size) % 20 == 0:
            log(f"  {min(i + batch_size, len(df))}/{len(df)} images", flush=True)
    return np.concatenate(out) if out else np.zeros((0, len(predictor.classes)), dtype=np.float32)


def evaluate(model_dir: str | Path, data_dir: str | Path, out: str | Path, *, split: str | None = None,
             tta: bool | None = None, log=print) -> dict:
    """Evaluate a model folder on a data folder.

    ``split=None`` scores every image. ``split="test"`` (or "val"/"train") first re-creates the
    lesion-disjoint split recorded in the model's model.json, to score the part training never saw.
    """
    from ml.data import data_hash, load_metadata
    from ml.metrics import classification_metrics
    from ml.predictor import Predictor

    predictor = Predictor.load(model_dir)
    df = load_metadata(data_dir, tuple(predictor.classes))
    if split:
        from ml.splits import split_by_lesion

        s = predictor.card["training"]["split"]
        if s.get("limit"):
            df = df.sample(n=min(s["limit"], len(df)), random_state=s["seed"]).reset_index(drop=True)
        df = split_by_lesion(df, val_fraction=s["val_fraction"], test_fraction=s["test_fraction"], seed=s["seed"])[split]
    started = time.time()
    probs = predict_folder(predictor, df, tta=tta, log=log)
    elapsed = time.time() - started
    result = classification_metrics(df["label"].to_numpy(), probs, predictor.classes)
    result.update({
        "model": {"name": predictor.name, "sha256": predictor.sha256, "dir": str(Path(model_dir))},
        "data": {"dir": str(Path(data_dir).resolve()), "split": split or "all", "data_hash": data_hash(df)},
        "tta": predictor.tta if tta is None else tta,
        "seconds": round(elapsed, 1),
        "ms_per_image": round(1000 * elapsed / max(1, len(df)), 1),
    })
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result["plots"] = plot(result, df["label"].to_numpy(), probs, predictor.classes, out)
    out.write_text(json.dumps(result, indent=2))
    return result


def plot(result: dict, y_true: np.ndarray, probs: np.ndarray, classes: list[str], out: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay

    paths = {"confusion_matrix": out.with_name(out.stem + "_confusion.png"),
             "roc": out.with_name(out.stem + "_roc.png")}
    fig, ax = plt.subplots(figsize=(7, 6))
    ConfusionMatrixDisplay(np.asarray(result["confusion_matrix"]), display_labels=classes).plot(
        ax=ax, cmap="Blues", colorbar=False, values_format="d")
    ax.set_title(f"Confusion matrix (n={result['n']}, accuracy {result['accuracy']:.3f})")
    fig.tight_layout()
    fig.savefig(paths["confusion_matrix"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 6))
    for i, c in enumerate(classes):
        if 0 < (y_true == i).sum() < len(y_true):
            RocCurveDisplay.from_predictions(y_true == i, probs[:, i], name=f"{c}", ax=ax)
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.set_title(f"ROC one-vs-rest (macro AUC {result['macro_auc']:.4f})")
    fig.tight_layout()
    fig.savefig(paths["roc"], dpi=110)
    plt.close(fig)
    return {k: v.name for k, v in paths.items()}
