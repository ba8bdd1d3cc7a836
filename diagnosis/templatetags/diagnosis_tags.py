from django import template

from diagnosis.inference.ai_waiting import case_images_delayed, case_slow_at
from diagnosis.inference.ai_waiting import case_retry_allowed as allowed
from diagnosis.inference.scheduler_heartbeat import scheduler_state as state
from diagnosis.models.prediction import Flag
from diagnosis.models.prediction import risk_level as _risk_level
from diagnosis.models.review import DIAGNOSES
from diagnosis.not_assessable import reason_in_words
from diagnosis.opinion import case_ai_summary
from diagnosis.review.case_warnings import case_warnings as warnings
from diagnosis.review.selectors import case_discordance as discordance
from diagnosis.review.selectors import case_headline as headline
from diagnosis.review.selectors import histologies, histology_current, review_current

register = template.Library()
NAMES = dict(DIAGNOSES)


@register.filter
def dx_name(code: str) -> str:
    return NAMES.get(code, code)


@register.filter
def percent(value) -> str:
    return f"{float(value) * 100:.1f}%"


@register.filter
def risk_level(value) -> str:
    return _risk_level(float(value or 0))


@register.filter
def flag_label(flag: str) -> str:
    """Short words for a Flag value (queue rows)."""
    return Flag.LABEL.get(flag, flag)


@register.filter
def reason_plain(stored: str) -> str:
    """A stored not-assessable reason as the sentence a clinician reads (diagnosis.not_assessable)."""
    return reason_in_words(stored)[0]


@register.filter
def reason_details(stored: str) -> str:
    """The guard's numbers behind a not-assessable reason ("focus 3.2, needs ≥ 6.5"), "" when none."""
    return reason_in_words(stored)[1]


@register.filter
def active_claim(case):
    """The claim in force on a case of a list that selected `review_claim__holder` (None when free or lapsed)."""
    claim = getattr(case, "review_claim", None)
    return claim if claim is not None and claim.is_active() else None


@register.simple_tag
def case_summary(case):
    """The AI's opinion on a case, for pages outside the diagnosis app."""
    return case_ai_summary(case)


@register.simple_tag
def case_headline(case):
    """What the case leads with: histology, then the dermatologist's decision, then the AI's opinion."""
    return headline(case=case)


@register.simple_tag
def case_discordance(case):
    """Histology contradicting the decision in force (diagnosis.review.discordance), or None."""
    return discordance(case=case)


@register.simple_tag
def case_warnings(case):
    """The case's open image warnings (diagnosis.review.case_warnings): duplicate file, not assessable, AI failed."""
    return warnings(case=case)


@register.simple_tag
def case_histologies(case):
    return histologies(case=case)


@register.simple_tag
def visit_ai(case):
    """A visit's AI opinion for the lesion page: the summary plus P(melanoma) averaged over assessable images."""
    summary = case_ai_summary(case)
    if summary is None:
        return None
    return {**summary, "mel_probability": dict(summary["probabilities"]).get("mel")}


@register.simple_tag
def lesion_timeline(visits):
    """Each visit of a lesion (oldest first) with its AI opinion, P(melanoma), its change since the visit before,
    and the dermatologist's current decision."""
    rows, previous = [], None
    for case in visits:
        ai = visit_ai(case)
        mel = ai["mel_probability"] if ai else None
        change = mel - previous if mel is not None and previous is not None else None
        rows.append({"case": case, "ai": ai, "mel": mel, "mel_change": change,
                     "review": review_current(case=case), "histology": histology_current(case=case)})
        previous = mel if mel is not None else previous
    return rows


@register.filter
def signed_points(value) -> str:
    """A change of probability in percentage points, with its sign."""
    return f"{float(value) * 100:+.1f} pp"


@register.simple_tag
def case_ai_delayed(case):
    """The case's images waiting for the AI longer than DERM_AI_DELAYED_SECONDS (diagnosis.inference.ai_waiting)."""
    # Asked by several parts of one page (its status, the retry offer, each image): read once per case object.
    if not hasattr(case, "_ai_delayed_images"):
        case._ai_delayed_images = case_images_delayed(case=case)
    return case._ai_delayed_images


@register.simple_tag
def case_ai_slow(case):
    """None when nothing of the case waits for the AI; else when it counts as slower than usual ("at",
    diagnosis.inference.ai_waiting.case_slow_at) and whether that moment has passed ("passed"; the page's script shows the
    note when it comes)."""
    from django.utils import timezone

    at = case_slow_at(case=case)
    return None if at is None else {"at": at, "passed": at <= timezone.now()}


@register.simple_tag
def case_retry_allowed(case):
    """Whether staff may ask the AI again: the retry service's own predicate."""
    return allowed(case)


@register.simple_tag
def scheduler_state():
    """The scheduler's heartbeat (diagnosis.inference.scheduler_heartbeat), for the admin's and needs-attention's banner."""
    return state()
