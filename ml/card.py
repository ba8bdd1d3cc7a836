"""The model card (``model.json`` beside the ``.keras`` file): its file names, reading, checking and writing it,
and the one builder every trainer starts from.

Cards already stored (in model folders and in the platform's database) keep their format: new fields may be
added, none renamed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from ml.paths import scrub

MODEL_FILE = "model.keras"
CARD_FILE = "model.json"
# "inference.outputs": what the network returns.
PROBABILITIES = "probabilities"  # a softmax (older and small models)
LOGITS_AND_FEATURE_MAP = "logits_and_feature_map"  # {"logits", "feature_map"}: calibration and CAM outside
# Fields that describe the parent's own run, not a model derived from it.
PARENT_ONLY = ("sha256", "validation_metrics", "test_metrics", "evaluation")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_path(directory: str | Path, card: Mapping[str, Any]) -> Path:
    return Path(directory) / card.get("model_file", MODEL_FILE)


def read(directory: str | Path) -> dict:
    return validate(json.loads((Path(directory) / CARD_FILE).read_text()))


def validate(card: dict) -> dict:
    """The card, if a predictor can be built from it; else ValueError naming what is missing."""
    missing = [key for key in ("name", "classes", "preprocessing") if key not in card]
    if missing:
        raise ValueError(f"model card without {', '.join(missing)}")
    if not card["classes"]:
        raise ValueError("model card with no classes")
    outputs = card.get("inference", {}).get("outputs", PROBABILITIES)
    if outputs not in (PROBABILITIES, LOGITS_AND_FEATURE_MAP):
        raise ValueError(f"model card with unknown inference.outputs {outputs!r}")
    if outputs == LOGITS_AND_FEATURE_MAP and "feature_channels" not in card.get("heatmap", {}):
        raise ValueError("a logits-and-feature-map model card needs heatmap.feature_channels")
    for flag, point in card.get("operating_points", {}).items():
        if not {"classes", "threshold"} <= set(point):
            raise ValueError(f"operating point {flag!r} needs classes and threshold")
    return card


def write(directory: str | Path, card: dict) -> Path:
    """Write ``model.json`` with every absolute path made portable (ml.paths.scrub)."""
    path = Path(directory) / CARD_FILE
    path.write_text(json.dumps(scrub(validate(card)), indent=2))
    return path


def build(*, name: str, directory: str | Path, classes: Sequence[str], input_kind: str, spec,
          gradcam_layer: str | None, architecture: dict, training: dict, validation_metrics: dict | None,
          history: list) -> dict:
    """A freshly trained model's card (``python -m ml train`` and ``finetune``); the model file must be written."""
    return {
        "name": name,
        "model_file": MODEL_FILE,
        "sha256": file_sha256(Path(directory) / MODEL_FILE),
        "classes": list(classes),
        "input": input_kind,
        "input_size": list(spec.size),
        "preprocessing": spec.to_dict(),
        "gradcam_layer": gradcam_layer,
        "architecture": architecture,
        "training": training,
        "validation_metrics": validation_metrics,
        "history": history,
    }


def derive(parent: dict, fields: dict, *, directory: str | Path, drop: Sequence[str] = ()) -> dict:
    """A card for a model built from ``parent``'s (``fuse``, ``fuse-sources``): the parent's fields less its own
    run's figures (and ``drop``), then ``fields`` (with its ``name``) and the new file's name and SHA-256."""
    card = {k: v for k, v in parent.items() if k not in (*PARENT_ONLY, *drop)}
    fields = dict(fields)
    card.update({"name": fields.pop("name"), "model_file": MODEL_FILE,
                 "sha256": file_sha256(Path(directory) / MODEL_FILE), **fields})
    return card
