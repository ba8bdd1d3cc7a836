"""Real-world performance of the AI on a clinic's own patients, per model version.

Read from what the platform recorded: for every case a model version gave an opinion on, that version's opinion
(diagnosis.opinion.ai_summary_of over its predictions), the dermatologist's current decision and the current
histology. Agreement is the AI's most likely class against the dermatologist's diagnosis (reviewed cases the AI
could assess); the melanoma flag is held against histology (cases with both a histology and a flag evaluated at
an operating point); decisions in force recorded as downgrades (diagnosis.review.rules) and decisions contradicted
by histology (diagnosis.review.discordance) are counted. Archived cases (entered twice, wrong patient...) are left out.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from diagnosis.models.histology import HISTOLOGY_DIAGNOSES
from diagnosis.models.review import DIAGNOSES, MALIGNANT
from diagnosis.reports.case_facts import case_facts
from diagnosis.review.discordance import histology_discordance

CLASSES = [code for code, _ in DIAGNOSES]
HISTOLOGY_CLASSES = [code for code, _ in HISTOLOGY_DIAGNOSES]
KNOWN_HISTOLOGY = frozenset(CLASSES)  # the seven classes: "other" cannot be called benign or malignant
HEAT_LEVELS = 5  # confusion-matrix cells are shaded heat-0 (none) to heat-5 (the whole row)


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of a proportion: honest at the small counts a clinic starts with."""
    if total == 0:
        return None
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Proportion:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += bool(hit)
        self.total += 1

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    @property
    def interval(self):
        return wilson_interval(self.hits, self.total)


@dataclass
class Detection:
    """A yes/no call held against histology: sensitivity on the histological positives, specificity on the rest."""

    sensitivity: Proportion = field(default_factory=Proportion)
    specificity: Proportion = field(default_factory=Proportion)

    def add(self, *, positive: bool, called: bool) -> None:
        (self.sensitivity.add(called) if positive else self.specificity.add(not called))


@dataclass
class Period:
    """Figures for one month of visits."""

    month: str
    agreement: Proportion = field(default_factory=Proportion)
    mel_flag: Detection = field(default_factory=Detection)


@dataclass
class ConfusionMatrix:
    rows: list[str]  # the reference: dermatologist's or histological diagnosis
    columns: list[str]  # the AI's most likely class
    counts: Counter = field(default_factory=Counter)

    def add(self, reference: str, ai: str) -> None:
        self.counts[reference, ai] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def table(self) -> list[dict]:
        """Rows for the page: each cell with its count, its share of the row and its shade (heat-0 to heat-5)."""
        out = []
        for row in self.rows:
            row_total = sum(self.counts[row, column] for column in self.columns)
            cells = []
            for column in self.columns:
                count = self.counts[row, column]
                share = count / row_total if row_total else 0.0
                cells.append({"column": column, "count": count, "share": share,
                              "heat": math.ceil(share * HEAT_LEVELS) if count else 0, "diagonal": row == column})
            out.append({"row": row, "total": row_total, "cells": cells})
        return out


@dataclass
class VersionPerformance:
    version: object
    cases: int = 0  # cases this version gave an opinion on
    not_assessable: int = 0  # of which it could assess no image
    reviewed: int = 0  # of which have a decision in force
    downgrades: int = 0  # of those, decisions recorded as downgrades (a malignant or flagged opinion turned benign)
    with_histology: int = 0  # reviewed cases with histology in force
    discordant: int = 0  # of those, histology contradicting the decision (diagnosis.review.discordance)
    agreement: Proportion = field(default_factory=Proportion)
    mel_flag: Detection = field(default_factory=Detection)
    # Beside the melanoma flag, on the same cases: the malignancy flag (akiec, bcc, mel), and the dermatologists'
    # own decisions in force (melanoma; any malignant class): how the AI compares with the people it assists.
    malignant_flag: Detection = field(default_factory=Detection)
    dermatologist_mel: Detection = field(default_factory=Detection)
    dermatologist_malignant: Detection = field(default_factory=Detection)
    # per class: agreement on the cases the dermatologist gave that diagnosis; flag rate by histological class
    agreement_by_class: dict = field(default_factory=lambda: defaultdict(Proportion))
    flagged_by_histology: dict = field(default_factory=lambda: defaultdict(Proportion))
    months: dict = field(default_factory=dict)
    versus_dermatologist: ConfusionMatrix = field(default_factory=lambda: ConfusionMatrix(CLASSES, CLASSES))
    versus_histology: ConfusionMatrix = field(default_factory=lambda: ConfusionMatrix(HISTOLOGY_CLASSES, CLASSES))

    def month(self, key: str) -> Period:
        return self.months.setdefault(key, Period(key))

    @property
    def periods(self) -> list[Period]:
        return [self.months[key] for key in sorted(self.months)]

    @property
    def classes(self) -> list[dict]:
        return [{"code": code, "agreement": self.agreement_by_class.get(code, Proportion()),
                 "flagged": self.flagged_by_histology.get(code, Proportion())} for code in HISTOLOGY_CLASSES
                if code in self.agreement_by_class or code in self.flagged_by_histology]


def performance_by_version(cases) -> list[VersionPerformance]:
    """Per model version, newest registration first; `cases` is a queryset already scoped by visible_to."""
    results: dict = {}
    for facts in case_facts(cases.filter(archived_at__isnull=True)):
        month = timezone.localtime(facts.case.created_at).strftime("%Y-%m")
        review, histology = facts.review, facts.histology
        for version, summary in facts.summary_by_version().items():
            figures = results.setdefault(version.pk, VersionPerformance(version))
            figures.cases += 1
            period = figures.month(month)
            ai = summary["top_class"]
            if ai is None:
                figures.not_assessable += 1
            if review is not None:
                figures.reviewed += 1
                figures.downgrades += review.is_downgrade
                if histology is not None:
                    figures.with_histology += 1
                    figures.discordant += histology_discordance(
                        histology=histology.diagnosis, diagnosis=review.diagnosis, plan=review.plan
                    ) is not None
                    figures.dermatologist_mel.add(positive=histology.diagnosis == "mel", called=review.diagnosis == "mel")
                    if histology.diagnosis in KNOWN_HISTOLOGY:
                        figures.dermatologist_malignant.add(
                            positive=histology.diagnosis in MALIGNANT, called=review.diagnosis in MALIGNANT
                        )
            if review is not None and ai is not None:
                agreed = review.diagnosis == ai
                figures.agreement.add(agreed)
                period.agreement.add(agreed)
                figures.agreement_by_class[review.diagnosis].add(agreed)
                figures.versus_dermatologist.add(review.diagnosis, ai)
            if histology is not None:
                if ai is not None:
                    figures.versus_histology.add(histology.diagnosis, ai)
                flagged = summary["flags"]["mel"]
                if flagged is not None:
                    melanoma = histology.diagnosis == "mel"
                    figures.mel_flag.add(positive=melanoma, called=flagged)
                    period.mel_flag.add(positive=melanoma, called=flagged)
                    figures.flagged_by_histology[histology.diagnosis].add(flagged)
                malignant_flagged = summary["flags"].get("malignant")
                # "Other" histology may or may not be malignant: left out of the malignancy figures.
                if malignant_flagged is not None and histology.diagnosis in KNOWN_HISTOLOGY:
                    figures.malignant_flag.add(positive=histology.diagnosis in MALIGNANT, called=malignant_flagged)
    return sorted(results.values(), key=lambda figures: figures.version.registered_at, reverse=True)
