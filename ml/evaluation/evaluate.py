"""``python -m ml evaluate``: metrics JSON plus confusion-matrix, ROC, operating-point and reliability plots.

Every metric is computed on every image, the guard's "not assessable" ones included, so the guard
cannot improve the figures by refusing hard cases; ``not_assessable_fraction`` reports it separately.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay, roc_curve

from ml.evaluation.metrics import classification_metrics, expected_calibration_error
from ml.paths import portable
from ml.serving.clinical_metadata import blank, records_from_frame
from ml.serving.guard import feature_signal, judge, pixel_signals
from ml.serving.heatmap import cam, heatmap_for_image, lesion_mask, mass_inside
from ml.serving.predictor import Predictor, softmax
from ml.serving.preprocessing import load_image
from ml.training.calibration import reliability_bins
from ml.training.data import data_hash, load_metadata
from ml.training.operating_points import evaluate_operating_points, flag_positives, flag_scores
from ml.training.splits import split_by_lesion

# Metadata variants scored for models that take metadata: which fields are blanked.
METADATA_VARIANTS: dict[str, tuple[str, ...]] = {
    "full": (),
    "no_age": ("age",),
    "no_sex": ("sex",),
    "no_site": ("localization",),
    "age_only": ("sex", "localization"),
    "none": ("age", "sex", "localization"),
}
SUMMARY_KEYS = ("n", "accuracy", "balanced_accuracy", "macro_auc", "top2_accuracy", "top3_accuracy", "mel_sensitivity", "ece")


def score_folder(predictor, df, *, records=None, tta: bool | None = None, batch_size: int = 32,
                 details: bool = True, log=print) -> dict:
    """Per image, in ``df`` order: ``logits`` (uncalibrated), ``probs`` (calibrated) and, with ``details``,
    the guard's verdicts and the heat-map's share inside the lesion."""
    logits, reasons, inside, inside_raw, inside_single, area = [], [], [], [], [], []
    for i in range(0, len(df), batch_size):
        x = np.stack([load_image(p, predictor.spec) for p in df["path"].iloc[i : i + batch_size]])
        meta = None if records is None else records[i : i + batch_size]
        raw = predictor.forward(x, meta, tta=tta)
        logits.append(raw["logits"])
        if details:
            feature = (feature_signal(predictor.feature_guard, raw["pooled"])
                       if predictor.feature_guard is not None and "pooled" in raw else None)
            top = raw["logits"].argmax(1)
            for j, rgb in enumerate(x):
                s = pixel_signals(rgb)
                if feature is not None:
                    s[feature[0]] = float(feature[1][j])
                reasons.append(judge(s, predictor.guard_thresholds))
                if "maps" in raw and predictor.cam_weights is not None:
                    maps = np.stack([cam(m, predictor.cam_weights[:, top[j]]) for m in raw["maps"][j]])
                    mask = lesion_mask(rgb)
                    if mask.any():
                        inside.append(mass_inside(heatmap_for_image(rgb, maps), mask))
                        inside_raw.append(mass_inside(heatmap_for_image(rgb, maps, mask_vignette=False), mask))
                        # The previous heat-map: one view, nothing masked (what Grad-CAM gave).
                        inside_single.append(mass_inside(heatmap_for_image(rgb, maps[:1], mask_vignette=False), mask))
                        area.append(float(mask.mean()))
        if (i // batch_size) % 10 == 0:
            log(f"  {min(i + batch_size, len(df))}/{len(df)} images", flush=True)
    logits = np.concatenate(logits) if logits else np.zeros((0, len(predictor.classes)))
    out = {"logits": logits, "probs": predictor.calibrate(logits), "reasons": reasons}
    if inside:
        out["heatmap"] = {
            "images_with_lesion_mask": len(inside),
            "mass_inside_lesion_mean": float(np.mean(inside)),
            "mass_inside_lesion_median": float(np.median(inside)),
            "mass_inside_lesion_mean_without_vignette_masking": float(np.mean(inside_raw)),
            "mass_inside_lesion_mean_single_view_unmasked": float(np.mean(inside_single)),
            "lesion_area_fraction_mean": float(np.mean(area)),
            "note": "share of CAM mass inside an Otsu lesion mask; a uniform map would score the lesion's area fraction",
        }
    return out


def evaluate(model_dir: str | Path, data_dir: str | Path, out: str | Path, *, split: str | None = None,
             tta: bool | None = None, metadata_variants: bool = True, log=print) -> dict:
    """Evaluate a model folder on a data folder.

    ``split=None`` scores every image. ``split="test"`` (or "val"/"train") first re-creates the
    lesion-disjoint split recorded in the model's model.json, to score the part training never saw.
    A model that takes metadata reads age, sex and localization from metadata.csv (unknown where absent).
    """
    predictor = Predictor.load(model_dir)
    df = load_metadata(data_dir, tuple(predictor.classes))
    if split:
        s = predictor.card["training"]["split"]
        if s.get("limit"):
            df = df.sample(n=min(s["limit"], len(df)), random_state=s["seed"]).reset_index(drop=True)
        df = split_by_lesion(df, val_fraction=s["val_fraction"], test_fraction=s["test_fraction"], seed=s["seed"])[split]
    records = records_from_frame(df) if predictor.uses_metadata else None
    y = df["label"].to_numpy()
    started = time.time()
    scored = score_folder(predictor, df, records=records, tta=tta, log=log)
    elapsed = time.time() - started
    probs = scored["probs"]
    result = classification_metrics(y, probs, predictor.classes)
    uncalibrated = softmax(scored["logits"])
    result["calibration"] = {
        "temperature": predictor.temperature,
        "ece_before": expected_calibration_error(y, uncalibrated),
        "ece_after": result["ece"],
        "bins": 15,
        "reliability_after": reliability_bins(y, probs),
    }
    if predictor.operating_points:
        result["operating_points"] = evaluate_operating_points(y, probs, predictor.classes, predictor.operating_points)
    reasons = scored["reasons"]
    result["not_assessable_fraction"] = float(np.mean([bool(r) for r in reasons])) if reasons else 0.0
    result["not_assessable_count"] = int(sum(bool(r) for r in reasons))
    if "heatmap" in scored:
        result["heatmap_faithfulness"] = scored["heatmap"]
    if predictor.uses_metadata and metadata_variants:
        variants = {"full": {k: result[k] for k in SUMMARY_KEYS}}
        variants["full"]["operating_points"] = result.get("operating_points")
        for name, fields in METADATA_VARIANTS.items():
            if name == "full":
                continue
            log(f"metadata variant {name}", flush=True)
            p = score_folder(predictor, df, records=blank(records, fields), tta=tta, details=False, log=lambda *a, **k: None)["probs"]
            m = classification_metrics(y, p, predictor.classes)
            variants[name] = {k: m[k] for k in SUMMARY_KEYS}
            if predictor.operating_points:
                variants[name]["operating_points"] = evaluate_operating_points(y, p, predictor.classes, predictor.operating_points)
        result["metadata_variants"] = variants
    result.update({
        "model": {"name": predictor.name, "sha256": predictor.sha256, "dir": portable(model_dir)},
        "data": {"dir": portable(data_dir), "split": split or "all", "data_hash": data_hash(df)},
        "metadata": "age, sex, localization from metadata.csv" if predictor.uses_metadata else "not used by the model",
        "tta": predictor.tta if tta is None else tta,
        "seconds": round(elapsed, 1),
        "ms_per_image": round(1000 * elapsed / max(1, len(df)), 1),
    })
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result["plots"] = plot(result, y, probs, uncalibrated, predictor, out)
    out.write_text(json.dumps(result, indent=2))
    return result


def plot(result: dict, y_true: np.ndarray, probs: np.ndarray, uncalibrated: np.ndarray, predictor, out: Path) -> dict:
    import matplotlib  # here: the headless backend must be chosen before pyplot loads

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt


    classes = predictor.classes
    paths = {"confusion_matrix": out.with_name(out.stem + "_confusion.png"),
             "roc": out.with_name(out.stem + "_roc.png"),
             "reliability": out.with_name(out.stem + "_reliability.png")}
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

    if result.get("operating_points"):
        paths["operating_points"] = out.with_name(out.stem + "_operating_points.png")
        fig, ax = plt.subplots(figsize=(7, 6))
        for flag, point in result["operating_points"].items():
            positive = flag_positives(y_true, classes, flag)
            if 0 < positive.sum() < len(positive):
                fpr, tpr, _ = roc_curve(positive, flag_scores(probs, classes, flag))
                line, = ax.plot(fpr, tpr, label=f"{flag} (threshold {point['threshold']:.3f})")
                ax.plot(1 - point["specificity"], point["sensitivity"], "o", color=line.get_color(), ms=9,
                        label=f"{flag} operating point: sens {point['sensitivity']:.3f}, spec {point['specificity']:.3f}")
        ax.plot(1 - 0.713, 0.866, "k*", ms=12, label="dermatologists (Haenssle 2018): 0.866 / 0.713")
        ax.plot([0, 1], [0, 1], "k:", lw=1)
        ax.set_xlabel("1 - specificity")
        ax.set_ylabel("sensitivity")
        ax.set_title("Melanoma and malignancy flags at the card's thresholds")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(paths["operating_points"], dpi=110)
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 6))
    for label, p in (("uncalibrated", uncalibrated), ("calibrated", probs)):
        bins = reliability_bins(y_true, p)
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o-", label=label)
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    cal = result["calibration"]
    ax.set_title(f"Reliability (ECE 15 bins: {cal['ece_before']:.3f} -> {cal['ece_after']:.3f})")
    ax.set_xlabel("confidence of the top class")
    ax.set_ylabel("accuracy")
    ax.legend()
    fig.tight_layout()
    fig.savefig(paths["reliability"], dpi=110)
    plt.close(fig)
    return {k: v.name for k, v in paths.items()}
