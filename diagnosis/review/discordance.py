"""Histology that contradicts the decision in force: one pure rule, used by the case pages and the performance page.

Discordant (the case is marked, with a visible warning, and counted):
- malignant histology (akiec, bcc, mel) on a decision that is benign, or whose plan is "Reassure" or "Follow-up":
  the malignancy was missed or is being watched;
- melanoma on histology on a decision of another malignant class (bcc, akiec): excision margins and staging differ;
- benign histology (one of the four benign classes) on a decision of melanoma: the excised lesion was not the
  melanoma decided on (wrong specimen, or a false alarm worth reviewing).
"Other" histology (not one of the seven classes) is never called discordant: the rule cannot tell.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q

from diagnosis.models import Review
from diagnosis.models.review import DIAGNOSES, MALIGNANT, ManagementPlan
from diagnosis.review.rules import WATCHFUL_PLANS

NAMES = dict(DIAGNOSES)
BENIGN = frozenset(NAMES) - MALIGNANT


class Kind:
    MALIGNANT_MISSED = "malignant_missed"
    OTHER_MALIGNANCY = "other_malignancy"
    BENIGN_AFTER_MELANOMA = "benign_after_melanoma"


@dataclass(frozen=True)
class Discordance:
    kind: str
    text: str


def _plan_name(plan: str) -> str:
    return dict(ManagementPlan.choices).get(plan, plan)


def histology_discordance(*, histology: str | None, diagnosis: str | None, plan: str = "") -> Discordance | None:
    """Whether histology `histology` contradicts a decision of `diagnosis` with `plan` (codes of
    diagnosis.models.review); None when they agree well enough or either is missing."""
    if not histology or not diagnosis:
        return None
    found, decided = NAMES.get(histology, histology), NAMES.get(diagnosis, diagnosis)
    if histology in MALIGNANT:
        if diagnosis not in MALIGNANT or plan in WATCHFUL_PLANS:
            decision = decided + (f", plan {_plan_name(plan)}" if plan else "")
            return Discordance(
                Kind.MALIGNANT_MISSED,
                f"Histology {found} (malignant) contradicts the decision in force: {decision}. Call the patient back.",
            )
        if histology == "mel" and diagnosis != "mel":
            return Discordance(
                Kind.OTHER_MALIGNANCY,
                f"Histology {found} differs from the malignancy decided ({decided}): check margins and staging.",
            )
        return None
    if histology in BENIGN and diagnosis == "mel":
        return Discordance(
            Kind.BENIGN_AFTER_MELANOMA,
            f"Histology {found} (benign) on a lesion decided as {decided}: check that the specimen is the lesion "
            "decided on.",
        )
    return None


@dataclass(frozen=True)
class DiscordantCase:
    """A case whose histology in force contradicts its decision in force."""

    case_id: int
    review_id: int
    histology_id: int
    histology_at: datetime
    discordance: Discordance


def discordant_cases(cases, *, reviewer=None) -> list[DiscordantCase]:
    """The discordant ones among `cases` (a queryset the caller has scoped), by this rule; `reviewer`: only
    decisions in force that are theirs. The worklist and the deciding dermatologist's queue both read this."""
    # One join of the review and the histology in force of each case. The database drops the pairs the rule can
    # never call discordant (benign or "other" histology on a decision other than melanoma; the same diagnosis
    # with a plan that acts on it), so a clinic's concordant history is not read; the rule itself decides the rest.
    pairs = Review.objects.filter(
        Q(case__histologies__diagnosis__in=MALIGNANT) | Q(diagnosis="mel"),
        case__in=cases, superseded_by__isnull=True, case__histologies__superseded_by__isnull=True,
    )
    if reviewer is not None:
        pairs = pairs.filter(reviewer=reviewer)
    pairs = (
        # The F()s reuse the filter's join: the histology in force, not any of the case's.
        pairs.annotate(histology_id=F("case__histologies__id"), histology=F("case__histologies__diagnosis"),
                       histology_at=F("case__histologies__created_at"))
        .exclude(Q(diagnosis=F("histology")) & ~Q(plan__in=WATCHFUL_PLANS))
        .values("id", "case_id", "diagnosis", "plan", "histology_id", "histology", "histology_at").order_by()
    )
    found = []
    for pair in pairs:
        discordance = histology_discordance(histology=pair["histology"], diagnosis=pair["diagnosis"], plan=pair["plan"])
        if discordance is not None:
            found.append(DiscordantCase(case_id=pair["case_id"], review_id=pair["id"], histology_id=pair["histology_id"],
                                        histology_at=pair["histology_at"], discordance=discordance))
    return found
