"""The figures of a local validation run: pure functions over the scored images, no database.

Every scored image counts, whether the image guard judged it assessable or not (as in the model card's own
figures, ml/evaluation). A flag's positives: "mel" the melanomas, "malignant" akiec + bcc + mel. A flag is raised
when its score reaches the threshold (score >= t), as the model card defines it.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from diagnosis.reports.performance import CLASSES, Proportion

FLAG_POSITIVES = {"mel": frozenset({"mel"}), "malignant": frozenset({"akiec", "bcc", "mel"})}
FLAG_NAMES = {"mel": "melanoma flag", "malignant": "malignancy flag"}
POSITIVES_NAMES = {"mel": "melanomas", "malignant": "malignant lesions (akiec, bcc, mel)"}
DEFAULT_TARGET_SENSITIVITY = 0.90
MIN_POSITIVES_TO_ADOPT = 30  # fewer positives of a flag: its clinic threshold cannot be adopted


@dataclass(frozen=True)
class Scored:
    """One scored image, as the figures read it."""

    truth: str
    probabilities: dict
    assessable: bool = True
    reasons: tuple = ()

    def score(self, key: str) -> float:
        return float(sum(self.probabilities.get(c, 0.0) for c in FLAG_POSITIVES[key]))

    @property
    def top_class(self) -> str:
        return max(self.probabilities, key=self.probabilities.get)


@dataclass
class FlagFigures:
    key: str
    threshold: float | None  # the model card's
    target: float
    positives: int = 0
    negatives: int = 0
    sensitivity: Proportion = field(default_factory=Proportion)
    specificity: Proportion = field(default_factory=Proportion)
    proposed_threshold: float | None = None
    proposed_sensitivity: Proportion = field(default_factory=Proportion)
    proposed_specificity: Proportion = field(default_factory=Proportion)

    @property
    def name(self) -> str:
        return FLAG_NAMES[self.key]

    @property
    def positives_name(self) -> str:
        return POSITIVES_NAMES[self.key]

    @property
    def can_adopt(self) -> bool:
        return self.proposed_threshold is not None and self.positives >= MIN_POSITIVES_TO_ADOPT

    @property
    def meets_target(self) -> bool | None:
        value = self.sensitivity.value
        return None if value is None else value >= self.target


@dataclass
class RocCurve:
    fpr: list
    tpr: list
    auc: float
    point: tuple | None  # (1 - specificity, sensitivity) at the model card's threshold


@dataclass
class ValidationFigures:
    total: int = 0  # images in the run
    scored: int = 0  # of which the model gave a result
    target: float = DEFAULT_TARGET_SENSITIVITY
    not_assessable: Proportion = field(default_factory=Proportion)
    not_assessable_reasons: list = field(default_factory=list)  # [(reason, count)], most frequent first
    class_counts: dict = field(default_factory=dict)
    recall: dict = field(default_factory=dict)  # class -> Proportion (top class == truth)
    flags: dict = field(default_factory=dict)  # key -> FlagFigures
    roc: RocCurve | None = None

    @property
    def melanomas(self) -> int:
        return self.class_counts.get("mel", 0)

    @property
    def statement(self) -> str:
        return target_statement(self.flags.get("mel"), self.target)


def threshold_for_sensitivity(positive_scores: Sequence[float], target: float) -> float | None:
    """The highest t with share(scores >= t) >= target: the ceil(target * n)-th highest positive score."""
    if not positive_scores:
        return None
    ranked = sorted(positive_scores, reverse=True)
    needed = max(1, math.ceil(target * len(ranked) - 1e-9))
    return float(ranked[needed - 1])


def _at_threshold(images: list[Scored], key: str, threshold: float) -> tuple[Proportion, Proportion]:
    sensitivity, specificity = Proportion(), Proportion()
    for image in images:
        flagged = image.score(key) >= threshold
        if image.truth in FLAG_POSITIVES[key]:
            sensitivity.add(flagged)
        else:
            specificity.add(not flagged)
    return sensitivity, specificity


def flag_figures(images: list[Scored], key: str, threshold: float | None, target: float) -> FlagFigures:
    figures = FlagFigures(key=key, threshold=threshold, target=target)
    positive_scores = [i.score(key) for i in images if i.truth in FLAG_POSITIVES[key]]
    figures.positives = len(positive_scores)
    figures.negatives = len(images) - figures.positives
    if threshold is not None:
        figures.sensitivity, figures.specificity = _at_threshold(images, key, threshold)
    figures.proposed_threshold = threshold_for_sensitivity(positive_scores, target)
    if figures.proposed_threshold is not None:
        figures.proposed_sensitivity, figures.proposed_specificity = _at_threshold(images, key, figures.proposed_threshold)
    return figures


def roc_curve_mel(images: list[Scored], threshold: float | None) -> RocCurve | None:
    """ROC of P(mel) for melanoma against the rest (scikit-learn), with the card's operating point."""
    from sklearn.metrics import roc_auc_score, roc_curve

    truth = [i.truth == "mel" for i in images]
    if not any(truth) or all(truth):
        return None  # one class only: no curve
    scores = [i.score("mel") for i in images]
    fpr, tpr, _ = roc_curve(truth, scores)
    point = None
    if threshold is not None:
        sensitivity, specificity = _at_threshold(images, "mel", threshold)
        point = (1 - specificity.value, sensitivity.value)
    return RocCurve(fpr=[float(v) for v in fpr], tpr=[float(v) for v in tpr],
                    auc=float(roc_auc_score(truth, scores)), point=point)


def validation_figures(
    images: Iterable[Scored], *, total: int, thresholds: dict, target: float = DEFAULT_TARGET_SENSITIVITY
) -> ValidationFigures:
    """`thresholds`: the model card's {"mel": t, "malignant": t} (None where the card has none)."""
    images = list(images)
    figures = ValidationFigures(total=total, scored=len(images), target=target)
    reasons = Counter()
    for image in images:
        figures.not_assessable.add(not image.assessable)
        if not image.assessable:
            reasons.update(image.reasons or ("no reason given",))
    figures.not_assessable_reasons = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    counts = Counter(i.truth for i in images)
    figures.class_counts = {c: counts.get(c, 0) for c in CLASSES}
    for code in CLASSES:
        recall = Proportion()
        for image in images:
            if image.truth == code:
                recall.add(image.top_class == code)
        figures.recall[code] = recall
    for key in FLAG_POSITIVES:
        figures.flags[key] = flag_figures(images, key, thresholds.get(key), target)
    figures.roc = roc_curve_mel(images, thresholds.get("mel"))
    return figures


def target_statement(mel: FlagFigures | None, target: float) -> str:
    """Whether the melanoma flag meets the target sensitivity on the clinic's data, and what that rests on."""
    if mel is None or mel.positives == 0:
        return "No melanoma in this set: the melanoma flag's sensitivity cannot be judged."
    if mel.sensitivity.value is None:
        noun = "melanoma" if mel.positives == 1 else "melanomas"
        return (f"The model card has no melanoma operating point: there is no flag whose sensitivity to judge "
                f"({mel.positives} {noun} in the set).")
    low, high = mel.sensitivity.interval
    verdict = "meets" if mel.meets_target else "does not meet"
    text = (f"On this clinic's data the melanoma flag {verdict} the target sensitivity of {target * 100:.0f} %: "
            f"{mel.sensitivity.hits} of {mel.positives} melanomas flagged ({mel.sensitivity.value * 100:.1f} %, "
            f"95 % CI {low * 100:.1f}–{high * 100:.1f} %).")
    noun = "melanoma" if mel.positives == 1 else "melanomas"
    if mel.positives < MIN_POSITIVES_TO_ADOPT:
        return f"{text} Based on {mel.positives} {noun}: too few to be sure."
    if low < target <= high:
        return f"{text} Based on {mel.positives} {noun}: the interval still includes the target, so this is not certain."
    return f"{text} Based on {mel.positives} {noun}."


# --- the ROC curve as inline SVG (drawn on the server: no script, no CDN) ---------------------------------------

SVG_SIZE, SVG_MARGIN = 320, 40


def roc_plot(roc: RocCurve | None) -> dict | None:
    """The curve's geometry for templates/diagnosis/_roc_curve.html (an SVG with presentation attributes only, for
    the strict CSP): the polyline's points and the operating point in SVG coordinates."""
    if roc is None:
        return None
    inner = SVG_SIZE - 2 * SVG_MARGIN

    def xy(fpr: float, tpr: float) -> tuple[float, float]:
        return round(SVG_MARGIN + fpr * inner, 1), round(SVG_MARGIN + (1 - tpr) * inner, 1)

    point = None
    if roc.point is not None:
        x, y = xy(*roc.point)
        point = {"x": x, "y": y, "sensitivity": roc.point[1], "specificity": 1 - roc.point[0]}
    return {
        "size": SVG_SIZE, "margin": SVG_MARGIN, "inner": inner, "end": SVG_MARGIN + inner, "middle": SVG_SIZE / 2,
        "points": " ".join("{:.1f},{:.1f}".format(*xy(f, t)) for f, t in zip(roc.fpr, roc.tpr, strict=True)),
        "point": point, "auc": roc.auc,
    }
