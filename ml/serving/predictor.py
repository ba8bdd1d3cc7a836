"""Loading a model folder once and classifying images: calibrated probabilities, clinical flags,
the image guard and the heat-map, from one forward pass per batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from PIL import Image

from ml import card as model_card
from ml import malignancy_risk
from ml.card import LOGITS_AND_FEATURE_MAP, PROBABILITIES, file_sha256
from ml.serving.classification import Classification
from ml.serving.clinical_metadata import encode_many, normalise
from ml.serving.explain import gradcam_png
from ml.serving.features import handcrafted_features
from ml.serving.guard import details, feature_signal, judge, load_feature_guard, pixel_signals
from ml.serving.heatmap import cam, heatmap_for_image, overlay_png
from ml.serving.litert import LiteRTRunner
from ml.serving.preprocessing import PreprocessingSpec, preprocess_image


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Probabilities from logits at the card's calibration temperature (ml.training.calibration fits it)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def flip_views(batch: np.ndarray) -> np.ndarray:
    """(B, H, W, C) -> (4B, H, W, C): identity, left-right, up-down, both; view-major so view v of image i
    is row v * B + i. Dermoscopy has no up or left."""
    return np.ascontiguousarray(np.concatenate([batch, batch[:, :, ::-1], batch[:, ::-1], batch[:, ::-1, ::-1]]))


class Predictor:
    """A trained model plus what model.json says about feeding it and reading its output."""

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
        inference = card.get("inference", {})
        # Test-time augmentation the model was evaluated with (model.json "inference": {"tta": true}).
        self.tta: bool = bool(inference.get("tta", False))
        self.outputs: str = inference.get("outputs", PROBABILITIES)
        self.temperature: float = float(card.get("calibration", {}).get("temperature", 1.0))
        self.uses_metadata: bool = bool(card.get("metadata"))
        self.operating_points: dict = card.get("operating_points", {})
        self.guard_thresholds: dict = card.get("guard", {}).get("thresholds", {})
        self.feature_guard = None  # DermoscopyClassifier, or an older card's FeatureDensity
        guard_file = card.get("guard", {}).get("file")
        if guard_file:
            self.feature_guard = load_feature_guard(directory / guard_file)
        self.cam_weights: np.ndarray | None = None
        if self.outputs == LOGITS_AND_FEATURE_MAP:
            kernel = model.get_layer("logits").get_weights()[0]
            self.cam_weights = kernel[: int(card["heatmap"]["feature_channels"])]
        self._forward = None
        self.runtime = "keras"  # or "litert" once use_litert() succeeded

    @classmethod
    def load(cls, directory: str | Path) -> "Predictor":
        import keras

        import ml.training.losses  # noqa: F401  registers custom objects (Keras: imported only here)
        import ml.training.models

        ml.training.models._register()
        directory = Path(directory)
        card = model_card.read(directory)
        model_path = model_card.model_path(directory, card)
        model = keras.models.load_model(model_path, compile=False)
        return cls(model, card, file_sha256(model_path), directory)

    # -- the network ----------------------------------------------------------------------------

    def preprocess(self, images: Sequence[Image.Image]) -> np.ndarray:
        return np.stack([preprocess_image(img, self.spec) for img in images])

    def use_litert(self, path: str | Path, num_threads: int | None = None) -> None:
        """Serve through a LiteRT conversion of this model (see ml.serving.litert) instead of Keras."""
        self._forward = LiteRTRunner(path, num_threads)
        self.runtime = "litert"

    def _call(self, x: np.ndarray, meta: np.ndarray | None):
        if self._forward is None:
            import tensorflow as tf

            model = self.model
            # One traced graph per input shape instead of eager layer-by-layer dispatch.
            self._forward = tf.function(lambda inputs: model(inputs, training=False), reduce_retracing=True)
        inputs = {"image": x, "metadata": meta} if self.uses_metadata else x
        return self._forward(inputs)

    def forward(self, x: np.ndarray, metadata: Sequence[Mapping[str, Any] | None] | None = None, *,
                tta: bool | None = None) -> dict:
        """Preprocessed uint8 images (N, H, W, 3) -> raw outputs: ``logits`` (N, C) averaged over the views
        (log-probabilities for probability models) and, for CAM models, ``maps`` (N, V, h, w, d) and
        ``pooled`` (N, d) features averaged over the views. One call per batch covers every TTA view."""
        tta = self.tta if tta is None else tta
        n = len(x)
        if self.input_kind == "features":
            feats = np.stack([handcrafted_features(img) for img in x]) if n else np.zeros((0, 1), np.float32)
            probs = np.asarray(self.model(feats, training=False), np.float64) if n else np.zeros((0, len(self.classes)))
            return {"logits": np.log(np.clip(probs, 1e-12, None))}
        views = flip_views(x) if tta else np.ascontiguousarray(x)
        v = 4 if tta else 1
        views = views.astype(np.float32)
        meta = None
        if self.uses_metadata:
            meta = np.tile(encode_many(metadata, n), (v, 1))
        out = self._call(views, meta)
        if self.outputs == LOGITS_AND_FEATURE_MAP:
            logits = np.asarray(out["logits"], np.float64).reshape(v, n, -1).mean(axis=0)
            fmap = np.asarray(out["feature_map"], np.float32)
            maps = fmap.reshape(v, n, *fmap.shape[1:]).swapaxes(0, 1)
            return {"logits": logits, "maps": maps, "pooled": maps.mean(axis=(1, 2, 3))}
        probs = np.asarray(out, np.float64).reshape(v, n, -1).mean(axis=0)
        return {"logits": np.log(np.clip(probs, 1e-12, None))}

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits, self.temperature)

    def predict_arrays(self, x: np.ndarray, *, batch_size: int = 32, tta: bool | None = None,
                       metadata: Sequence[Mapping[str, Any] | None] | None = None) -> np.ndarray:
        """Canonically preprocessed uint8 images (N, H, W, 3) -> calibrated probabilities (N, n_classes).

        ``tta=None`` follows the model card; True averages the four flips (one batch of 4N views).
        """
        if len(x) == 0:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        out = []
        for i in range(0, len(x), batch_size):
            meta = None if metadata is None else metadata[i : i + batch_size]
            out.append(self.calibrate(self.forward(x[i : i + batch_size], meta, tta=tta)["logits"]))
        return np.concatenate(out).astype(np.float32)

    def predict(self, images: Sequence[Image.Image], *, batch_size: int = 32, tta: bool | None = None,
                metadata: Sequence[Mapping[str, Any] | None] | None = None) -> np.ndarray:
        """PIL images of any size, aspect and mode -> probabilities (N, n_classes) in ``self.classes`` order."""
        if not len(images):
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        return self.predict_arrays(self.preprocess(images), batch_size=batch_size, tta=tta, metadata=metadata)

    # -- the clinical result ------------------------------------------------------------------------

    def flags(self, probs: Mapping[str, float]) -> dict:
        """{"mel": {"score", "threshold", "flagged"}, "malignant": {...}} at the card's operating points."""
        out = {}
        for flag, point in self.operating_points.items():
            score = float(sum(probs[c] for c in point["classes"]))
            out[flag] = {"score": score, "threshold": float(point["threshold"]), "flagged": score >= point["threshold"]}
        return out

    def classify(self, images: Sequence[Image.Image], metadata: Sequence[Mapping[str, Any] | None] | None = None, *,
                 heatmap: bool = True, batch_size: int = 16) -> list[Classification]:
        """One Classification per image, in order."""
        if metadata is not None and len(metadata) != len(images):
            raise ValueError(f"{len(metadata)} metadata records for {len(images)} images")
        results = []
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            meta = None if metadata is None else list(metadata[start : start + batch_size])
            x = self.preprocess(chunk)
            raw = self.forward(x, meta)
            probs = self.calibrate(raw["logits"])
            feature = (feature_signal(self.feature_guard, raw["pooled"])
                       if self.feature_guard is not None and "pooled" in raw else None)
            for i, rgb in enumerate(x):
                p = {c: float(v) for c, v in zip(self.classes, probs[i], strict=True)}
                top = max(p, key=p.get)
                signals = pixel_signals(rgb)
                if feature is not None:
                    signals[feature[0]] = float(feature[1][i])
                reasons = judge(signals, self.guard_thresholds)
                png = b""
                if heatmap:
                    png = self._heatmap_png(rgb, raw.get("maps", [None] * len(x))[i], self.classes.index(top), chunk[i])
                results.append(Classification(
                    probabilities=p,
                    top_class=top,
                    confidence=p[top],
                    malignancy_risk=malignancy_risk(p),
                    flags=self.flags(p),
                    assessable=not reasons,
                    not_assessable_reasons=reasons,
                    not_assessable_details=details(signals, self.guard_thresholds),
                    guard=signals if self.guard_thresholds else {},
                    heatmap_png=png,
                    metadata_used=normalise(meta[i] if meta else None) if self.uses_metadata else {},
                ))
        return results

    def _heatmap_png(self, rgb: np.ndarray, maps: np.ndarray | None, class_index: int, image: Image.Image) -> bytes:
        if self.cam_weights is not None and maps is not None:
            w = self.cam_weights[:, class_index]
            heat = heatmap_for_image(rgb, np.stack([cam(m, w) for m in maps]))
            return overlay_png(rgb, heat)
        if self.gradcam_layer:
            return gradcam_png(self, image, class_index)
        return b""

    def __repr__(self) -> str:
        return f"Predictor({self.name!r}, sha256={self.sha256[:12]}, input_size={self.input_size})"
