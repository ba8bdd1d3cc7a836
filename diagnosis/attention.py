"""The staff's "needs attention" list: what of their clinic's cases asks for them now.

- Cases the AI failed on (entirely, or on some images of a case waiting for review): staff can ask it again.
- Reviews recorded since the user's last visit to the list (the first visit shows the last 7 days).
Reads scoped by visible_to(); the visit itself is remembered (AttentionSeen) as the page is shown.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from patients.models import Case, CaseStatus

from .models import AttentionSeen, Review

FIRST_VISIT_LOOKBACK = timedelta(days=7)
LIMIT = 100  # a list to act on, not an archive: the oldest beyond this wait for the next visit


def cases_ai_failed(*, user):
    """Open cases of the user's clinic whose AI failed, on every image or on some, oldest first."""
    failed = Q(status=CaseStatus.AI_FAILED) | Q(status=CaseStatus.AWAITING_REVIEW, triage__ai_failed=True)
    return (
        Case.objects.visible_to(user).active().filter(failed)
        .select_related("patient", "lesion").order_by("created_at", "pk")[:LIMIT]
    )


def last_visit(*, user):
    seen = AttentionSeen.objects.filter(user=user).values_list("seen_at", flat=True).first()
    return seen or timezone.now() - FIRST_VISIT_LOOKBACK


def reviews_since(*, user, since):
    """Reviews in force of the clinic's cases recorded after `since`, newest first."""
    return (
        Review.objects.filter(case__in=Case.objects.visible_to(user), superseded_by__isnull=True, created_at__gt=since)
        .select_related("case__patient", "case__lesion", "reviewer").order_by("-created_at", "-pk")[:LIMIT]
    )


def visit_record(*, user) -> None:
    """Remember this visit: the next one shows what was reviewed after it."""
    AttentionSeen.objects.update_or_create(user=user, defaults={"seen_at": timezone.now()})
