"""The rules of a review decision, in one place: the review page's form and the service behind the API both ask
`review_problems`, so a decision is refused the same way everywhere and never rewritten silently.

Pure functions over plain values (no database, no request). A decision is what the dermatologist sends; the
opinion is what it is held against: the AI's most likely class and flags, the review in force and the histology
in force. What is refused:

- "Confirm" with a diagnosis other than the AI's (or with no AI diagnosis), "Override" without a diagnosis or with
  the AI's own;
- a plan that does not fit the diagnosis: "Reassure" for a malignant one (akiec, bcc, mel), "Follow-up" for a
  melanoma; a follow-up interval missing with "Follow-up" or given with another plan;
- a downgrade without a written reason: a decision that turns a malignant or flagged opinion (the AI's melanoma or
  malignancy flag, its most likely class akiec/bcc/mel, a malignant review in force, malignant histology) into a
  benign diagnosis or a "Reassure"/"Follow-up" plan; and a reason where there is no downgrade (it would be stored
  against nothing).
"""

from dataclasses import dataclass

from diagnosis.models.review import DIAGNOSES, MALIGNANT, ManagementPlan, ReviewDecision

MAX_FOLLOW_UP_MONTHS = 60
NAMES = dict(DIAGNOSES)
# Plans that leave a lesion untreated and unsampled: a downgrade when the opinion was malignant or flagged.
WATCHFUL_PLANS = frozenset({ManagementPlan.REASSURE, ManagementPlan.FOLLOW_UP})


def _name(code: str) -> str:
    return NAMES.get(code, code)


@dataclass(frozen=True)
class Opinion:
    """What a decision is held against (codes; empty or False when absent)."""

    ai_diagnosis: str = ""  # the AI's most likely class; empty when it could assess no image
    ai_mel_flag: bool = False
    ai_malignant_flag: bool = False
    review_diagnosis: str = ""  # the review in force
    histology_diagnosis: str = ""  # the histology in force (one of the seven classes, or "other")

    def malignant_sources(self) -> list[tuple[str, str]]:
        """The malignant or flagged opinions, most authoritative first: (short form for records, words for a message)."""
        found = []
        if self.histology_diagnosis in MALIGNANT:
            name = _name(self.histology_diagnosis)
            found.append((f"histology: {name}", f"histology reported {name}"))
        if self.review_diagnosis in MALIGNANT:
            name = _name(self.review_diagnosis)
            found.append((f"review in force: {name}", f"the review in force diagnosed {name}"))
        if self.ai_diagnosis in MALIGNANT:
            name = _name(self.ai_diagnosis)
            found.append((f"AI: {name}", f"the AI's most likely class is {name}"))
        if self.ai_mel_flag:
            found.append(("AI flag: suspicious for melanoma", "the AI flagged it as suspicious for melanoma"))
        elif self.ai_malignant_flag:
            found.append(("AI flag: suspicious for malignancy", "the AI flagged it as suspicious for malignancy"))
        return found

    @property
    def malignant_class(self) -> str:
        """The malignant class a downgrade goes against, most authoritative first; "mel" for the melanoma flag
        alone, empty for the malignancy flag alone."""
        for code in (self.histology_diagnosis, self.review_diagnosis, self.ai_diagnosis):
            if code in MALIGNANT:
                return code
        return "mel" if self.ai_mel_flag else ""


@dataclass(frozen=True)
class Decision:
    decision: str
    diagnosis: str = ""  # with "confirm": empty or the AI's
    plan: str = ""
    follow_up_months: int | None = None
    downgrade_reason: str = ""


def diagnosis_recorded(decision: Decision, opinion: Opinion) -> str:
    """The diagnosis the decision records: the AI's on confirm, the dermatologist's on override."""
    if decision.decision == ReviewDecision.CONFIRM:
        return opinion.ai_diagnosis
    if decision.decision == ReviewDecision.OVERRIDE:
        return decision.diagnosis or ""
    return ""


def _turned_into(diagnosis: str, plan: str) -> list[str]:
    """What makes a decision benign-leaning: a benign diagnosis, a "Reassure" or "Follow-up" plan."""
    found = []
    if diagnosis and diagnosis not in MALIGNANT:
        found.append(f"a benign diagnosis ({_name(diagnosis)})")
    if plan in WATCHFUL_PLANS:
        found.append(f"a “{ManagementPlan(plan).label}” plan")
    return found


def downgrade_of(decision: Decision, opinion: Opinion) -> str:
    """The malignant or flagged opinions the decision turns benign, in short words ("AI: Melanoma; AI flag:
    suspicious for melanoma"); empty when it is no downgrade."""
    if not _turned_into(diagnosis_recorded(decision, opinion), decision.plan):
        return ""
    return "; ".join(short for short, _ in opinion.malignant_sources())


def _decision_problems(decision: Decision, opinion: Opinion) -> list[tuple[str, str]]:
    ai, chosen = opinion.ai_diagnosis, decision.diagnosis or ""
    if decision.decision == ReviewDecision.CONFIRM:
        if not ai:
            return [("decision", "The AI could not assess any image of this case, so there is no AI diagnosis to "
                                 "confirm: choose “Override” and your diagnosis.")]
        if chosen and chosen != ai:
            return [("diagnosis", f"You chose {_name(chosen)} but ticked “Confirm the AI's diagnosis”, and the AI's "
                                  f"diagnosis is {_name(ai)}: choose “Override” to record {_name(chosen)}, or clear "
                                  f"the diagnosis to confirm {_name(ai)}.")]
        return []
    if decision.decision == ReviewDecision.OVERRIDE:
        if not chosen:
            return [("diagnosis", "You chose “Override”: choose the diagnosis that replaces the AI's.")]
        if chosen not in NAMES:
            return [("diagnosis", "Choose one of the seven diagnoses.")]
        if chosen == ai:
            return [("diagnosis", f"{_name(chosen)} is the AI's diagnosis: choose “Confirm” instead.")]
        return []
    return [("decision", "Choose “Confirm the AI's diagnosis” or “Override with another diagnosis”.")]


def _plan_problems(plan: str, follow_up_months, diagnosis: str) -> list[tuple[str, str]]:
    if plan not in ManagementPlan.values:
        return [("plan", "Choose the management plan: " + ", ".join(ManagementPlan.labels).lower() + ".")]
    problems = []
    if plan == ManagementPlan.FOLLOW_UP:
        if follow_up_months in (None, ""):
            problems.append(("follow_up_months", "Give the follow-up interval in months."))
        elif not 1 <= int(follow_up_months) <= MAX_FOLLOW_UP_MONTHS:
            problems.append(("follow_up_months", f"The follow-up interval is 1 to {MAX_FOLLOW_UP_MONTHS} months."))
    elif follow_up_months not in (None, ""):
        problems.append(("follow_up_months", "A follow-up interval goes only with a follow-up plan."))
    if diagnosis in MALIGNANT and plan == ManagementPlan.REASSURE:
        problems.append(("plan", f"“Reassure” does not fit {_name(diagnosis)}, a malignant lesion: choose excision, "
                                 "biopsy or referral (or a follow-up, with your reason)."))
    elif diagnosis == "mel" and plan == ManagementPlan.FOLLOW_UP:
        problems.append(("plan", "“Follow-up” does not fit Melanoma: choose excision, biopsy or referral."))
    return problems


def review_problems(decision: Decision, opinion: Opinion) -> list[tuple[str, str]]:
    """Everything wrong with the decision, as (field, message) pairs; empty when it may be recorded."""
    problems = _decision_problems(decision, opinion)
    diagnosis = "" if problems else diagnosis_recorded(decision, opinion)
    problems += _plan_problems(decision.plan, decision.follow_up_months, diagnosis)
    if not diagnosis or any(field == "plan" for field, _ in problems):
        return problems  # whether it is a downgrade depends on the diagnosis and plan it records
    reason = (decision.downgrade_reason or "").strip()
    turned = _turned_into(diagnosis, decision.plan)
    sources = opinion.malignant_sources()
    if turned and sources and not reason:
        problems.append(("downgrade_reason", (
            "Not saved without a reason: " + " and ".join(words for _, words in sources) + "; your decision gives "
            + " and ".join(turned) + ". Write why: it is recorded as a downgrade."
        )))
    elif reason and not (turned and sources):
        problems.append(("downgrade_reason", (
            "A reason is asked only when a decision turns a malignant or flagged opinion into a benign diagnosis or "
            "a “Reassure”/“Follow-up” plan; this one does not: leave it empty."
        )))
    return problems
