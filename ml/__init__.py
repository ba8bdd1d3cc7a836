"""DermPlatform's machine-learning package: HAM10000 data, training, evaluation and inference.

Plain Python, no Django. TensorFlow is imported lazily (inside functions and on first use of
``Predictor``) so that ``import ml`` stays cheap for the web processes that only need constants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

CLASSES: tuple[str, ...] = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
MALIGNANT_CLASSES: tuple[str, ...] = ("akiec", "bcc", "mel")
CLASS_NAMES: dict[str, str] = {
    "akiec": "Actinic keratosis / intraepithelial carcinoma (Bowen's disease)",
    "bcc": "Basal cell carcinoma",
    "bkl": "Benign keratosis-like lesion",
    "df": "Dermatofibroma",
    "mel": "Melanoma",
    "nv": "Melanocytic nevus",
    "vasc": "Vascular lesion",
}

DEFAULT_MODEL_DIR: Path = Path(__file__).resolve().parent / "default_model"


def malignancy_risk(probs: Mapping[str, float] | Sequence[float], classes: Sequence[str] | None = None) -> float:
    """Summed probability of the malignant classes (akiec, bcc, mel).

    ``probs`` is either a mapping class -> probability, or a sequence aligned with ``classes``.
    """
    if isinstance(probs, Mapping):
        return float(sum(float(p) for c, p in probs.items() if c in MALIGNANT_CLASSES))
    if classes is None:
        raise ValueError("classes is required when probs is a sequence")
    values = list(probs)
    if len(values) != len(classes):
        raise ValueError(f"{len(values)} probabilities for {len(classes)} classes")
    return float(sum(float(p) for c, p in zip(classes, values, strict=True) if c in MALIGNANT_CLASSES))


def __getattr__(name: str):
    # Lazy so that `import ml` does not pull in TensorFlow.
    if name == "Predictor":
        from ml.serving.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'ml' has no attribute {name!r}")


__all__ = ["CLASSES", "CLASS_NAMES", "MALIGNANT_CLASSES", "DEFAULT_MODEL_DIR", "Predictor", "malignancy_risk"]
