"""Loading a model folder once and classifying batches of PIL images."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from ml.preprocessing import PreprocessingSpec, preprocess_image

MODEL_FILE = "model.keras"
CARD_FILE = "model.json"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Predictor:
    """A trained model plus the metadata needed to feed it (from model.json)."""

    def __init__(self, model, card: dict, sha256: str, directory: Path):
        self.model = model
        self.card = card
        self.sha256 = sha256
        self.directory = directory
        self.classes: list[str] = list(card["classes"])
        self.name: str = card["name"]
        self.spec = PreprocessingSpec.from_dict(card["preprocessing"])
        self.input_size: tuple[int, int] = self.spec.size
        self.input_kind: str = card.get("input", "image")
        self.gradcam_layer: str | None = card.get("gradcam_layer")
        # Test-time augmentation the model was evaluated with (model.json "inference": {"tta": true}).
        self.tta: bool = bool(card.get("inference", {}).get("tta", False))

    @classmethod
    def load(cls, directory: str | Path) -> "Predictor":
        import keras

        import ml.losses  # noqa: F401  registers custom objects
        import ml.models

        ml.models._register()
        directory = Path(directory)
        card = json.loads((directory / CARD_FILE).read_text())
        model_path = directory / card.get("model_file", MODEL_FILE)
        model = keras.models.load_model(model_path, compile=False)
        return cls(model, card, file_sha256(model_path), directory)

    def preprocess(self, images: Sequence[Image.Image]) -> np.ndarray:
        return np.stack([preprocess_image(img, self.spec) for img in images])

    def predict_arrays(self, x: np.ndarray, *, batch_size: int = 32, tta: bool | None = None) -> np.ndarray:
        """Canonically preprocessed uint8 images (N, H, W, 3) -> probabilities (N, n_classes).

        ``tta=None`` follows the model card; True averages the four flips (4x the compute).
        """
        tta = self.tta if tta is None else tta
        if len(x) == 0:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        if self.input_kind == "features":
            from ml.features import handcrafted_features

            x = np.stack([handcrafted_features(img) for img in x])
            tta = False  # the features are flip-invariant already, nearly
        out = []
        for i in range(0, len(x), batch_size):
            batch = x[i : i + batch_size].astype(np.float32)
            if tta:  # average over the four flips: dermoscopy has no up or left
                views = [batch, batch[:, :, ::-1], batch[:, ::-1], batch[:, ::-1, ::-1]]
                p = np.mean([np.asarray(self.model(np.ascontiguousarray(v), training=False)) for v in views], axis=0)
            else:
                p = np.asarray(self.model(batch, training=False))
            out.append(p)
        probs = np.concatenate(out).astype(np.float64)
        return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)

    def predict(self, images: Sequence[Image.Image], *, batch_size: int = 32, tta: bool | None = None) -> np.ndarray:
        """PIL images of any size, aspect and mode -> probabilities (N, n_classes) in ``self.classes`` order."""
        return self.predict_arrays(self.preprocess(images) if len(images) else np.zeros((0,)), batch_size=batch_size, tta=tta)

    def __repr__(self) -> str:
        return f"Predictor({self.name!r}, sha256={self.sha256[:12]}, input_size={self.input_size})"
