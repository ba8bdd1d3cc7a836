"""The typed result of ``Predictor.classify``: light to import (no numpy), so the platform can name it anywhere."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Classification:
    """What the model says about one image, from one pass: the clinical result the platform records."""

    probabilities: dict[str, float]  # calibrated, class -> p, in the model's class order
    top_class: str
    confidence: float  # the top class's probability
    malignancy_risk: float  # summed probability of akiec, bcc and mel
    flags: dict[str, dict]  # {"mel": {"score", "threshold", "flagged"}, "malignant": {...}} at the card's points
    assessable: bool  # the image guard's verdict
    not_assessable_reasons: list[str]  # plain words, what to do
    not_assessable_details: list[str]  # the numbers behind them
    guard: dict[str, float]  # the guard's signals (empty for a model without a guard)
    heatmap_png: bytes = field(repr=False)  # b"" where the model gives none or none was asked for
    metadata_used: dict  # the normalised metadata the model read ({} for an image-only model)

    def to_dict(self) -> dict:
        return asdict(self)
