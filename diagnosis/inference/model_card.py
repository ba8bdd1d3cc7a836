"""A model card (model.json as registered) as the figures an admin reads: per-class recall and AUC, the flag
thresholds with their validation sensitivity and specificity, the calibration, and the training data.

Cards have changed shape over the versions: v1 keeps one set of validation metrics with `per_class`, v3 one set per
metadata variant (`full`, `none`), v4 a set per source and pooled under each variant, and a minimal card may hold
none of it. Every reader here takes what is there and leaves the rest out, never failing on a missing or odd part.
"""

from dataclasses import dataclass, field


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _num(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class ClassFigures:
    name: str
    recall: float | None
    auc: float | None
    support: int | None


@dataclass
class Threshold:
    key: str
    label: str
    threshold: float | None
    target_sensitivity: float | None
    sensitivity: float | None
    specificity: float | None
    flagged_fraction: float | None
    positives: int | None
    images: int | None


@dataclass
class SourceFigures:
    name: str
    images: int | None
    accuracy: float | None
    balanced_accuracy: float | None
    macro_auc: float | None
    mel_auc: float | None


@dataclass
class DataSource:
    name: str
    train: int | None
    validation: int | None
    test: int | None
    lesions: int | None  # training lesions, where the card says


@dataclass
class CardFigures:
    variant: str  # which validation set the headline figures are from, in words
    images: int | None = None
    accuracy: float | None = None
    balanced_accuracy: float | None = None
    macro_auc: float | None = None
    classes: list[ClassFigures] = field(default_factory=list)
    thresholds: list[Threshold] = field(default_factory=list)
    sources: list[SourceFigures] = field(default_factory=list)
    calibration_method: str = ""
    temperature: float | None = None
    ece_before: float | None = None
    ece_after: float | None = None
    data: list[DataSource] = field(default_factory=list)
    train_class_counts: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.images or self.classes or self.thresholds or self.calibration_method or self.data)


FLAGS = (("mel", "Melanoma flag"), ("malignant", "Malignancy flag"))


def _headline(metrics: dict) -> tuple[str, dict, dict]:
    """(variant in words, the headline metrics, the per-source metrics) from any card shape."""
    if "accuracy" in metrics or "per_class" in metrics:  # v1: one flat set
        return "validation split", metrics, {}
    variant = "full" if "full" in metrics else next(iter(metrics), "")
    chosen = _dict(metrics.get(variant))
    words = {"full": "with metadata", "none": "image only"}.get(variant, str(variant))
    if "pooled" in chosen:  # v4: per source and pooled
        sources = {name: _dict(m) for name, m in chosen.items() if name != "pooled"}
        return f"{words}, every source pooled", _dict(chosen["pooled"]), sources
    return words, chosen, {}


def _classes(metrics: dict, class_names: list) -> list[ClassFigures]:
    per_class = _dict(metrics.get("per_class"))
    recalls, supports = _dict(metrics.get("per_class_recall")), _dict(metrics.get("support"))
    names = [n for n in class_names if isinstance(n, str)] or sorted(set(per_class) | set(recalls))
    rows = []
    for name in names:
        one = _dict(per_class.get(name))
        auc = _num(one.get("auc"))
        if auc is None and name == "mel":
            auc = _num(metrics.get("mel_auc"))
        recall = _num(one.get("recall"))
        if recall is None:
            recall = _num(recalls.get(name))
        support = _int(one.get("support"))
        if support is None:
            support = _int(supports.get(name))
        if recall is not None or auc is not None or support is not None:
            rows.append(ClassFigures(name=name, recall=recall, auc=auc, support=support))
    return rows


def _thresholds(card: dict) -> list[Threshold]:
    points = _dict(card.get("operating_points"))
    found = []
    for key, label in FLAGS:
        point = _dict(points.get(key))
        if not point:
            continue
        validation = _dict(point.get("validation"))
        found.append(Threshold(
            key=key, label=label, threshold=_num(point.get("threshold")),
            target_sensitivity=_num(point.get("target_sensitivity")),
            sensitivity=_num(validation.get("sensitivity")), specificity=_num(validation.get("specificity")),
            flagged_fraction=_num(validation.get("flagged_fraction")),
            positives=_int(validation.get("n_positive")), images=_int(validation.get("n")),
        ))
    return found


def _ece(value) -> float | None:
    # A number, or one per metadata variant (the variant with metadata is the one served).
    if isinstance(value, dict):
        value = value.get("full", next(iter(value.values()), None))
    return _num(value)


def _data(card: dict) -> list[DataSource]:
    sources = _dict(card.get("sources"))
    per_source = _dict(_dict(sources.get("split")).get("per_source"))
    if per_source:
        rows = []
        for name, parts in per_source.items():
            parts = _dict(parts)
            train = _dict(parts.get("train"))
            rows.append(DataSource(
                name=name, train=_int(train.get("images")), validation=_int(_dict(parts.get("val")).get("images")),
                test=_int(_dict(parts.get("test")).get("images")), lesions=_int(train.get("lesions")),
            ))
        return rows
    training = _dict(card.get("training"))
    counts = _dict(training.get("n_images"))
    if not counts:
        return []
    name = str(training.get("data") or training.get("data_dir") or "training data")
    return [DataSource(name=name, train=_int(counts.get("train")), validation=_int(counts.get("val")),
                       test=_int(counts.get("test")), lesions=None)]


def card_figures(card, classes=None) -> CardFigures:
    """The readable figures of a card (any shape; a card that is not a dict gives none)."""
    card = _dict(card)
    variant, metrics, per_source = _headline(_dict(card.get("validation_metrics")))
    calibration = _dict(card.get("calibration"))
    # Per-class training counts only for a card trained on one set: a multi-source card's "training" part is its
    # trunk's alone, which would understate what the model saw.
    counts = {} if _dict(_dict(card.get("sources")).get("split")).get("per_source") else \
        _dict(_dict(card.get("training")).get("train_class_counts"))
    return CardFigures(
        variant=variant,
        images=_int(metrics.get("n")),
        accuracy=_num(metrics.get("accuracy")),
        balanced_accuracy=_num(metrics.get("balanced_accuracy")),
        macro_auc=_num(metrics.get("macro_auc")),
        classes=_classes(metrics, list(classes or card.get("classes") or [])),
        thresholds=_thresholds(card),
        sources=[
            SourceFigures(name=name, images=_int(m.get("n")), accuracy=_num(m.get("accuracy")),
                          balanced_accuracy=_num(m.get("balanced_accuracy")), macro_auc=_num(m.get("macro_auc")),
                          mel_auc=_num(m.get("mel_auc")))
            for name, m in per_source.items()
        ],
        calibration_method=str(calibration.get("method") or ""),
        temperature=_num(calibration.get("temperature")),
        ece_before=_ece(calibration.get("validation_ece_before")),
        ece_after=_ece(calibration.get("validation_ece_after")),
        data=_data(card),
        train_class_counts={k: v for k, v in counts.items() if _int(v) is not None},
    )
