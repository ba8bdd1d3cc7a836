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
