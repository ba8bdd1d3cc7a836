"""The weekly drift watch: is what the AI sees at a clinic still what it was validated on?

Per clinic, model version and ISO week (Monday first), four signals of the AI's predictions are held against the
model version's validation reference, `card["drift_reference"]` = {"n", "not_assessable", "mel_flag",
"malignant_flag", "mean_p_mel", "sd_p_mel"}:
- the share of images the image guard refused (not assessable),
- the share flagged for melanoma, and for malignancy (every image with the flag evaluated, as `ml evaluate`
  counts them: assessable or not),
- the mean P(melanoma) (every image with a score).
A share is out of range when a two-sided exact binomial test against the reference rate gives p < ALPHA; the mean
P(melanoma) when a two-sided z-test with the reference's sd_p_mel / sqrt(week's n) does. A week with fewer than
MIN_IMAGES images is not judged. A model whose card has no reference is not judged either: the watch says so
rather than guessing.

Pure functions over counts (no ORM): the selector (reports.selectors.drift_weekly_counts) brings the counts in one
query, the pages and the admin show what these return.
"""

import math
from dataclasses import dataclass, field
from datetime import date

# p < 0.001 rather than 0.05: every page view tests 4 signals × 8 weeks (and admins see every clinic), so at 0.05 a
# clinic whose images never changed would see a false alarm most weeks (32 tests × 0.05 ≈ 1.6 expected). 0.001 keeps
# the chance of any false alarm over the whole table near 3 % per clinic (Bonferroni: 0.05 / 32 ≈ 0.0016, rounded
# down), while a real change (a new dermoscope, a new way of taking images) moves a week's rate far past it.
ALPHA = 0.001
MIN_IMAGES = 20

REFERENCE_KEYS = ("n", "not_assessable", "mel_flag", "malignant_flag", "mean_p_mel", "sd_p_mel")

IN_RANGE, HIGH, LOW, TOO_FEW, NO_REFERENCE = "in_range", "high", "low", "too_few", "no_reference"
TOO_FEW_TEXT = "too few images to judge"
NO_REFERENCE_TEXT = "no reference in this model's card"

LABELS = {"not_assessable": "Not assessable", "mel_flag": "Melanoma flag", "malignant_flag": "Malignancy flag",
          "mean_p_mel": "Mean P(melanoma)"}
# signal -> (what it measures, in words; the question a high value asks; the question a low value asks)
SIGNALS = {
    "not_assessable": (
        "of images not assessable",
        "has the dermoscope or the way images are taken changed?",
        "fewer images refused than on validation data: has the image source changed?",
    ),
    "mel_flag": (
        "of images flagged for melanoma",
        "are more suspicious lesions being imaged, or has the dermoscope or the way images are taken changed?",
        "the AI may be missing melanomas here: has the dermoscope or the way images are taken changed?",
    ),
    "malignant_flag": (
        "of images flagged for malignancy",
        "are more suspicious lesions being imaged, or has the dermoscope or the way images are taken changed?",
        "the AI may be missing malignant lesions here: has the dermoscope or the way images are taken changed?",
    ),
    "mean_p_mel": (
        "mean P(melanoma)",
        "the AI's melanoma scores have risen: check its opinions against the dermatologists' decisions.",
        "the AI's melanoma scores have fallen: check its opinions against the dermatologists' decisions.",
    ),
}


@dataclass(frozen=True)
class WeekCounts:
    """What one clinic's images of one ISO week drew from one model version."""

    week: date  # the Monday
    images: int = 0
    not_assessable: int = 0
    mel_evaluated: int = 0  # images with the melanoma flag evaluated (the model has the operating point)
    mel_flagged: int = 0
    malignant_evaluated: int = 0
    malignant_flagged: int = 0
    p_mel_n: int = 0  # images with a P(melanoma)
    mean_p_mel: float | None = None
    clinic_id: int | None = None
    model_version_id: int | None = None


@dataclass(frozen=True)
class SignalCheck:
    signal: str
    observed: float | None
    expected: float | None
    n: int
    p_value: float | None
    status: str  # IN_RANGE, HIGH, LOW, TOO_FEW, NO_REFERENCE

    @property
    def out_of_range(self) -> bool:
        return self.status in (HIGH, LOW)

    @property
    def label(self) -> str:
        """The signal's column heading (a phone shows each week as a card with these labels)."""
        return LABELS[self.signal]

    @property
    def is_rate(self) -> bool:
        return self.signal != "mean_p_mel"

    def _value(self, value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value * 100:.0f} %" if self.is_rate else f"{value:.2f}"

    @property
    def observed_text(self) -> str:
        return self._value(self.observed)

    @property
    def expected_text(self) -> str:
        return self._value(self.expected)

    @property
    def status_text(self) -> str:
        return {IN_RANGE: "in range", HIGH: "higher than expected", LOW: "lower than expected",
                TOO_FEW: TOO_FEW_TEXT, NO_REFERENCE: NO_REFERENCE_TEXT}[self.status]


@dataclass(frozen=True)
class WeekDrift:
    week: date
    images: int
    checks: list[SignalCheck] = field(default_factory=list)

    @property
    def out_of_range(self) -> bool:
        return any(check.out_of_range for check in self.checks)

    def check(self, signal: str) -> SignalCheck:
        return next(check for check in self.checks if check.signal == signal)

    @property
    def warnings(self) -> list[str]:
        """E.g. "Week of 2026-11-30: 41 % of images not assessable, expected about 3 % — has the dermoscope or the
        way images are taken changed?"."""
        out = []
        for check in self.checks:
            if not check.out_of_range:
                continue
            words, high, low = SIGNALS[check.signal]
            value = (f"{check.observed_text} {words}" if check.is_rate else f"{words} {check.observed_text}")
            out.append(f"Week of {self.week.isoformat()}: {value}, expected about {check.expected_text} — "
                       f"{high if check.status == HIGH else low}")
        return out

    @property
    def summary(self) -> str:
        if self.out_of_range:
            return "out of range"
        if any(check.status == NO_REFERENCE for check in self.checks):
            return NO_REFERENCE_TEXT
        if any(check.status == TOO_FEW for check in self.checks):
            return TOO_FEW_TEXT
        return "in range"


def drift_reference(card: dict | None) -> dict | None:
    """The card's drift reference when it has every figure, else None (the watch then judges nothing)."""
    reference = (card or {}).get("drift_reference")
    if not isinstance(reference, dict):
        return None
    values = {}
    for key in REFERENCE_KEYS:
        value = reference.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        values[key] = value
    for key in ("not_assessable", "mel_flag", "malignant_flag"):
        if not 0 <= values[key] <= 1:
            return None
    if values["sd_p_mel"] < 0:
        return None
    return values


def _direction(observed: float, expected: float, p_value: float) -> str:
    if p_value >= ALPHA:
        return IN_RANGE
    return HIGH if observed > expected else LOW


def rate_check(signal: str, hits: int, n: int, expected: float | None, *, min_images: int = MIN_IMAGES) -> SignalCheck:
    """A share against the reference rate: two-sided exact binomial test."""
    observed = hits / n if n else None
    if expected is None:
        return SignalCheck(signal, observed, None, n, None, NO_REFERENCE)
    if n < min_images:
        return SignalCheck(signal, observed, expected, n, None, TOO_FEW)
    from scipy.stats import binomtest  # imported when a week is judged: scipy.stats takes a second to load

    p_value = float(binomtest(hits, n, expected, alternative="two-sided").pvalue)
    return SignalCheck(signal, observed, expected, n, p_value, _direction(observed, expected, p_value))


def mean_check(mean: float | None, n: int, expected: float | None, sd: float | None, *,
               min_images: int = MIN_IMAGES) -> SignalCheck:
    """The week's mean P(melanoma) against the reference mean: two-sided z-test, standard error sd / sqrt(n)."""
    if expected is None or sd is None:
        return SignalCheck("mean_p_mel", mean, None, n, None, NO_REFERENCE)
    if n < min_images or mean is None:
        return SignalCheck("mean_p_mel", mean, expected, n, None, TOO_FEW)
    if sd == 0:
        p_value = 1.0 if math.isclose(mean, expected) else 0.0
    else:
        from scipy.stats import norm

        z = (mean - expected) / (sd / math.sqrt(n))
        p_value = float(2 * norm.sf(abs(z)))
    return SignalCheck("mean_p_mel", mean, expected, n, p_value, _direction(mean, expected, p_value))


def week_drift(counts: WeekCounts, reference: dict | None, *, min_images: int = MIN_IMAGES) -> WeekDrift:
    """One week's four checks; `reference` as drift_reference returns it (None: nothing is judged)."""
    ref = reference or {}
    checks = [
        rate_check("not_assessable", counts.not_assessable, counts.images, ref.get("not_assessable"),
                   min_images=min_images),
        rate_check("mel_flag", counts.mel_flagged, counts.mel_evaluated, ref.get("mel_flag"), min_images=min_images),
        rate_check("malignant_flag", counts.malignant_flagged, counts.malignant_evaluated, ref.get("malignant_flag"),
                   min_images=min_images),
        mean_check(counts.mean_p_mel, counts.p_mel_n, ref.get("mean_p_mel"), ref.get("sd_p_mel"),
                   min_images=min_images),
    ]
    return WeekDrift(counts.week, counts.images, checks)


def weeks_drift(weeks: list[WeekCounts], reference: dict | None, *, min_images: int = MIN_IMAGES) -> list[WeekDrift]:
    """Newest week first, as the tables show them."""
    return [week_drift(counts, reference, min_images=min_images)
            for counts in sorted(weeks, key=lambda counts: counts.week, reverse=True)]
