"""The staff's "needs attention" list: what of their clinic's cases asks for them now.

- Cases the AI failed on (entirely, or on some images of a case waiting for review): staff can ask it again.
- Cases whose images have waited for the AI too long ("delayed"), and whether the scheduler has stopped.
- For a dermatologist (on their review queue): cases whose histology in force contradicts the decision in force
  they made (diagnosis.review.discordance), until a new decision or histology settles it.
- Reviews recorded since the user last marked them seen (the first visit shows the last 7 days). They stay,
  refresh after refresh, until the user presses "Mark these as seen" (AttentionSeen then moves to the newest
  review shown, so one recorded while the page was open stays news); none older than REVIEWED_KEPT (30 days)
  is shown, so a list nobody clears does not grow for ever.
Reads scoped by visible_to().
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from diagnosis.inference.ai_waiting import cases_delayed
from diagnosis.models import AttentionSeen, Histology, Review
from diagnosis.review.discordance import discordant_cases
from patients.models import Case, CaseStatus

FIRST_VISIT_LOOKBACK = timedelta(days=7)
REVIEWED_KEPT = timedelta(days=30)
LIMIT = 100  # a list to act on, not an archive: the oldest beyond this wait for the next visit


def cases_ai_failed(*, user):
    """Open cases of the user's clinic whose AI failed, on every image or on some, oldest first."""
    failed = Q(status=CaseStatus.AI_FAILED) | Q(status=CaseStatus.AWAITING_REVIEW, triage__ai_failed=True)
    return (
        Case.objects.visible_to(user).active().filter(failed)
        .select_related("patient", "lesion").order_by("created_at", "pk")[:LIMIT]
    )


def cases_ai_delayed(*, user):
    """Open cases of the user's clinic with images waiting for the AI longer than DERM_AI_DELAYED_SECONDS (their
    task may be lost: staff can ask again), oldest first."""
    return (
        cases_delayed(Case.objects.visible_to(user).active())
        .select_related("patient", "lesion").order_by("created_at", "pk")[:LIMIT]
    )


def decisions_contradicted(*, user) -> list:
    """Cases whose decision in force is the user's and whose histology in force contradicts it, newest histology
    first, each with its `discordance` (kind, text): the reviewing dermatologist hears of it, as the case pages
    warn everyone else. Derived, never stored: a new decision or a corrected histology takes a case off."""
    found = sorted(discordant_cases(Case.objects.visible_to(user).active(), reviewer=user),
                   key=lambda item: (item.histology_at, item.case_id), reverse=True)[:LIMIT]
    cases = Case.objects.select_related("patient", "lesion").in_bulk([item.case_id for item in found])
    histologies = Histology.objects.in_bulk([item.histology_id for item in found])
    for item in found:
        cases[item.case_id].discordance, cases[item.case_id].histology = item.discordance, histologies[item.histology_id]
    return [cases[item.case_id] for item in found]


def last_visit(*, user):
    """Where "reviewed since your last visit" starts: the newest review the user marked seen, never more than
    REVIEWED_KEPT ago (the first visit: FIRST_VISIT_LOOKBACK)."""
    now = timezone.now()
    seen = AttentionSeen.objects.filter(user=user).values_list("seen_at", flat=True).first()
    return max(seen or now - FIRST_VISIT_LOOKBACK, now - REVIEWED_KEPT)


def reviews_since(*, user, since):
    """Reviews in force of the clinic's cases recorded after `since`, newest first."""
    return (
        Review.objects.filter(case__in=Case.objects.visible_to(user), superseded_by__isnull=True, created_at__gt=since)
        .select_related("case__patient", "case__lesion", "reviewer").order_by("-created_at", "-pk")[:LIMIT]
    )


def reviews_mark_seen(*, user, up_to) -> None:
    """The user has seen the reviews shown up to `up_to` (the newest one's time): later ones stay news. Never
    moves back, and never past now."""
    up_to = min(up_to, timezone.now())
    seen = AttentionSeen.objects.filter(user=user).values_list("seen_at", flat=True).first()
    if seen is None or up_to > seen:
        AttentionSeen.objects.update_or_create(user=user, defaults={"seen_at": up_to})
