"""Reads of the review queue and of the reviews made: every list a dermatologist works from.

The queue reads CaseTriage through its partial index `queue_order` (clinic, flag group, highest risk, longest
waiting, public id): a page is one query whatever the queue's length, found by keyset (the last row of the page
before, never an OFFSET), and the counts at the top are one more query over that index alone.
"""

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Q
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan  # row comparison (Django 5.2)
from django.utils import timezone

from dermplatform.api import policy
from diagnosis.models import CaseTriage, Review
from diagnosis.models.prediction import Flag
from diagnosis.triage import OTHER_RANK
from patients.models import BodySite, Case, waiting_for_review_q

PAGE_SIZE = 25
# Risk bands as shown on badges (diagnosis.models.prediction.risk_level): [low, high) of the malignancy risk.
RISK_BANDS = {"high": (0.5, None), "medium": (0.2, 0.5), "low": (None, 0.2)}
# The flag filter: "none" holds both unflagged groups, as the queue orders them.
FLAG_FILTERS = {
    Flag.MEL: Q(flag=Flag.MEL),
    Flag.MALIGNANT: Q(flag=Flag.MALIGNANT),
    Flag.NOT_ASSESSABLE: Q(flag=Flag.NOT_ASSESSABLE),
    Flag.NONE: Q(flag__in=[Flag.NONE, Flag.UNAVAILABLE]),
}
ORDER = ["flag_rank", "risk_sort", "waiting_since", "public_id"]  # all ascending: the index's own order
# The keyset as one row comparison, (flag_rank, risk_sort, waiting_since, public_id) > (...), which the index answers.
KEY = Tuple(*[F(name) for name in ORDER])


MAX_WAITING_DAYS = 3650


@dataclass(frozen=True)
class QueueFilters:
    flag: str = ""
    risk: str = ""
    body_site: str = ""
    waiting_days: int | None = None
    ai_failed: bool = False

    @classmethod
    def from_query(cls, params) -> "QueueFilters":
        """From a page's or the API's query parameters; anything not understood filters nothing."""
        days = params.get("waiting_days") or ""
        return cls(
            flag=params.get("flag", "") if params.get("flag") in FLAG_FILTERS else "",
            risk=params.get("risk", "") if params.get("risk") in RISK_BANDS else "",
            body_site=params.get("body_site", "") if params.get("body_site") in BodySite.values else "",
            waiting_days=int(days) if re.fullmatch(r"[0-9]{1,4}", days) and int(days) <= MAX_WAITING_DAYS else None,
            ai_failed=params.get("ai_failed") in ("1", "true", "on"),
        )

    def q(self) -> Q:
        condition = Q()
        if self.flag:
            condition &= FLAG_FILTERS[self.flag]
        if self.risk:
            low, high = RISK_BANDS[self.risk]
            condition &= Q(risk__isnull=False)
            if low is not None:
                condition &= Q(risk__gte=low)
            if high is not None:
                condition &= Q(risk__lt=high)
        if self.body_site:
            condition &= Q(case__body_site=self.body_site)
        if self.waiting_days:
            condition &= Q(waiting_since__lt=timezone.now() - timedelta(days=self.waiting_days))
        if self.ai_failed:
            condition &= Q(ai_failed=True)
        return condition

    def query(self) -> dict:
        """The filters as query parameters (for links that keep them)."""
        return {key: value for key, value in [
            ("flag", self.flag), ("risk", self.risk), ("body_site", self.body_site),
            ("waiting_days", self.waiting_days or ""), ("ai_failed", "1" if self.ai_failed else ""),
        ] if value}


def _waiting(user):
    """The triage rows of the user's clinic waiting for review (dermatologists only; others see none)."""
    if not (policy.can_review(user) and user.clinic_id):
        return CaseTriage.objects.none()
    return CaseTriage.objects.filter(clinic_id=user.clinic_id, waiting=True)


def _cursor(row: CaseTriage) -> str:
    key = [row.flag_rank, row.risk_sort, row.waiting_since.isoformat(), str(row.public_id)]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple | None:
    """The key of the cursor's row; None for a cursor that is not one."""
    try:
        rank, risk, since, public_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key = int(rank), float(risk), datetime.fromisoformat(since), uuid.UUID(public_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        return None
    # Only keys the queue can hold (a forged one must not reach the database as an out-of-range number).
    if not (0 <= key[0] <= OTHER_RANK and -1.0 <= key[1] <= 1.0 and key[2].tzinfo is not None):
        return None
    return key


@dataclass
class QueuePage:
    object_list: list = field(default_factory=list)
    next_cursor: str = ""
    is_first: bool = True

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)


def queue_page(*, user, filters: QueueFilters = QueueFilters(), cursor: str = "", size: int = PAGE_SIZE) -> QueuePage:
    """One page of the review queue: cases awaiting review, melanoma-flagged first, then malignancy-flagged, then
    those with an image the AI could not assess, then the rest; within a group the highest malignancy risk first,
    then the longest waiting. Each case carries `flag`, `risk` and `ai_failed`, its patient and its claim.

    One query. The case's own status is checked too, so that a triage row left behind can never show a case
    that is not waiting."""
    rows = _waiting(user).filter(filters.q(), waiting_for_review_q("case__"))
    after = _after(cursor) if cursor else None
    if after is not None:
        # One row comparison in the index's order: the index starts the scan right after the cursor's row.
        rows = rows.filter(TupleGreaterThan(KEY, list(after)))
    rows = list(
        rows.select_related("case__patient", "case__review_claim__holder").order_by(*ORDER)[: size + 1]
    )
    cases = []
    for row in rows[:size]:
        case = row.case
        case.flag, case.risk, case.ai_failed = row.flag, row.risk, row.ai_failed
        cases.append(case)
    return QueuePage(
        object_list=cases, next_cursor=_cursor(rows[size - 1]) if len(rows) > size else "", is_first=after is None
    )


def queue_counts(*, user, filters: QueueFilters = QueueFilters()) -> dict:
    """The counts at the top of the queue, in one query over the queue's index: all waiting cases, each flag group,
    those with an image the AI gave up on, and those matching the filters."""
    counts = {"total": Count("pk"), **{key: Count("pk", filter=condition) for key, condition in FLAG_FILTERS.items()},
              "ai_failed": Count("pk", filter=Q(ai_failed=True)), "matching": Count("pk", filter=filters.q())}
    # Named apart from the fields they count (an aggregate called ai_failed would shadow the field).
    result = _waiting(user).aggregate(**{f"n_{key}": count for key, count in counts.items()})
    return {key: result[f"n_{key}"] or 0 for key in counts}


def review_queue(*, user):
    """The whole queue as a queryset of cases in queue order (the browsable API asks for a queryset)."""
    return (
        Case.objects.waiting_for_review().filter(triage__in=_waiting(user))
        .select_related("patient", "triage", "review_claim__holder")
        .annotate(flag=F("triage__flag"), risk=F("triage__risk"), ai_failed=F("triage__ai_failed"))
        .order_by(*[f"triage__{key}" for key in ORDER])
    )


def reviews_made(*, user, mine: bool = False):
    """The reviews in force (superseded by none) of the user's clinic, newest first; `mine`: by this user only.
    Each with its case, patient and reviewer (one query a page)."""
    reviews = Review.objects.filter(
        case__in=Case.objects.visible_to(user), superseded_by__isnull=True
    ).select_related("case__patient", "case__lesion", "reviewer")
    if mine:
        reviews = reviews.filter(reviewer=user)
    return reviews.order_by("-created_at", "-pk")
