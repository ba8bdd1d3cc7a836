"""What is open on a clinic's worklist, computed from the records (a fixed number of queries, however long the list).

Each kind, its trigger, and how it leaves besides being marked done (the fact resolving):
- discordant: the histology in force contradicts the decision in force (diagnosis.review.discordance); leaves when a new
  review or a corrected histology agrees.
- ai_failed: the AI gave up on an image of an open case still waiting for it or for review; leaves when staff ask
  the AI again (the failure is cleared) or the image gets an opinion.
- retake: an image whose latest AI opinion is "not assessable"; leaves when a newer image of the same lesion is
  uploaded (to this visit or a later one).
- book: the decision in force plans an excision or a biopsy; leaves once histology is entered, or a new decision
  plans something else.
- histology: an excision or biopsy planned more than DERM_WORKLIST_HISTOLOGY_DAYS ago (from the first review of the
  case that planned one) with no histology; leaves when histology is entered.
- follow_up: the decision in force plans a follow-up in N months; it appears DERM_WORKLIST_FOLLOW_UP_LEAD_DAYS
  before the visit is due and leaves when a later visit of the lesion is opened.
Every item leaves when its case is archived. A done mark (WorklistMark) holds for the item's `fact`: when the fact
changes (another plan, a new failure, a new not-assessable image, another follow-up date) the item comes back.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Exists, Max, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from diagnosis.models import ClassificationJob, Histology, ManagementPlan, Prediction, Review
from diagnosis.not_assessable import reason_in_words
from diagnosis.review.discordance import discordant_cases
from diagnosis.review.worklist.models import ItemKind, WorklistMark
from patients.models import Case, CaseStatus, LesionImage

PROCEDURES = (ManagementPlan.EXCISION, ManagementPlan.BIOPSY)
KIND_ORDER = {kind: index for index, kind in enumerate(ItemKind.values)}


def histology_days() -> int:
    return settings.DERM_WORKLIST_HISTOLOGY_DAYS


def follow_up_lead_days() -> int:
    return settings.DERM_WORKLIST_FOLLOW_UP_LEAD_DAYS


@dataclass(frozen=True)
class Item:
    kind: str
    case: Case
    fact: str  # what the item shows; a done mark holds for this fact only
    due: date
    since: datetime  # when the fact arose
    text: str  # what to do, in words (no patient names: the card shows them apart)

    @property
    def kind_label(self) -> str:
        return ItemKind(self.kind).label

    @property
    def url(self) -> str:
        """Where the item is acted on."""
        if self.kind == ItemKind.HISTOLOGY:
            return reverse("diagnosis:histology", args=[self.case.public_id])
        if self.kind == ItemKind.FOLLOW_UP:
            return self.case.lesion.get_absolute_url()
        return self.case.get_absolute_url()

    def is_overdue(self, today: date | None = None) -> bool:
        return self.due < (today or timezone.localdate())


def _day(moment: datetime) -> date:
    return timezone.localdate(moment)


def _discordant(cases) -> list[tuple]:
    return [
        (ItemKind.DISCORDANT, found.case_id, f"histology:{found.histology_id}:review:{found.review_id}",
         found.histology_at, found.discordance.text)
        for found in discordant_cases(cases)
    ]


def _ai_failed(cases) -> list[tuple]:
    # As the retry allows: an open case still waiting for the AI or for review, an image with no opinion yet.
    rows = (
        ClassificationJob.objects.filter(
            failed_at__isnull=False,
            image__case__in=cases.filter(status__in=[CaseStatus.AI_FAILED, CaseStatus.AWAITING_REVIEW]),
            image__predictions__isnull=True,
        )
        .values("image__case_id").annotate(last=Max("failed_at"), latest=Max("image_id")).order_by()
    )
    return [
        (ItemKind.AI_FAILED, row["image__case_id"], f"failed:{row['latest']}:{row['last']:%Y%m%d%H%M%S}", row["last"],
         "The AI gave up on an image of this visit: open it, see why, and ask the AI again.")
        for row in rows
    ]


def _retake(cases) -> list[tuple]:
    latest = Prediction.objects.filter(image=OuterRef("pk")).order_by("-created_at", "-pk")
    newer = LesionImage.objects.filter(case__lesion_id=OuterRef("case__lesion_id"), uploaded_at__gt=OuterRef("uploaded_at"))
    rows = (
        # Only images the guard ever refused are candidates (a clinic's other images are not read).
        LesionImage.objects.filter(case__in=cases)
        .filter(Exists(Prediction.objects.filter(image=OuterRef("pk"), assessable=False)))
        .annotate(
            assessable=Subquery(latest.values("assessable")[:1]),
            reason=Subquery(latest.values("not_assessable_reason")[:1]),
            judged_at=Subquery(latest.values("created_at")[:1]),
        )
        .filter(assessable=False).exclude(Exists(newer))
        .values("id", "case_id", "reason", "judged_at").order_by("case_id", "-uploaded_at", "-pk")
    )
    found = {}
    for row in rows:
        if row["case_id"] in found:
            continue  # the case's newest not-assessable image speaks for it
        sentence, _ = reason_in_words(row["reason"])
        found[row["case_id"]] = (ItemKind.RETAKE, row["case_id"], f"image:{row['id']}", row["judged_at"],
                                 f"{sentence}. Upload a new image of the lesion.")
    return list(found.values())


def _planned(cases, today: date) -> list[tuple]:
    """Excisions and biopsies to book, histology outstanding, follow-up visits due: from the decision in force."""
    first_procedure = Review.objects.filter(case=OuterRef("case"), plan__in=PROCEDURES).values("case").annotate(
        first=Min("created_at")).values("first")
    later_visit = Case.objects.filter(lesion_id=OuterRef("case__lesion_id"), created_at__gt=OuterRef("case__created_at"))
    rows = (
        Review.objects.filter(case__in=cases, superseded_by__isnull=True, plan__in=[*PROCEDURES, ManagementPlan.FOLLOW_UP])
        .annotate(
            has_histology=Exists(Histology.objects.filter(case=OuterRef("case"))),
            first_planned=Subquery(first_procedure[:1]),
            later_visit=Exists(later_visit),
        )
        # Settled plans stay in the database: the years of excisions with histology are never read.
        .filter(Q(plan__in=PROCEDURES, has_histology=False) | Q(plan=ManagementPlan.FOLLOW_UP, later_visit=False))
        .values("id", "case_id", "plan", "follow_up_months", "created_at", "has_histology", "first_planned", "later_visit")
    )
    days = histology_days()
    found = []
    for row in rows:
        plan = ManagementPlan(row["plan"])
        if plan in PROCEDURES:
            found.append((ItemKind.BOOK, row["case_id"], f"plan:{plan.value}", row["created_at"],
                          f"Book the {plan.label.lower()} the dermatologist planned."))
            planned = row["first_planned"] or row["created_at"]
            due = _day(planned) + timedelta(days=days)
            if due <= today:
                found.append((ItemKind.HISTOLOGY, row["case_id"], f"planned:{_day(planned):%Y-%m-%d}", planned,
                              f"{plan.label} planned on {_day(planned):%Y-%m-%d}, no histology after {days} days: "
                              "chase the result and enter it.", due))
        elif row["follow_up_months"]:
            due = _day(row["created_at"]) + relativedelta(months=row["follow_up_months"])
            if due - timedelta(days=follow_up_lead_days()) <= today:
                found.append((ItemKind.FOLLOW_UP, row["case_id"], f"due:{due:%Y-%m-%d}", row["created_at"],
                              f"Follow-up visit due on {due:%Y-%m-%d}: book it, then open the new visit of the lesion.",
                              due))
    return found


def worklist_items(*, user, case: Case | None = None, include_done: bool = False, today: date | None = None) -> list[Item]:
    """The open items of the user's clinic (admins: none; see views), most urgent kind first, then oldest due.

    `case`: only that case's items (a scoped case). `include_done`: also the items marked done (for the service's
    checks)."""
    today = today or timezone.localdate()
    cases = Case.objects.visible_to(user).active()
    if case is not None:
        cases = cases.filter(pk=case.pk)
    raw = [*_discordant(cases), *_ai_failed(cases), *_retake(cases), *_planned(cases, today)]
    if not raw:
        return []
    done = set()
    if not include_done:
        done = set(
            WorklistMark.objects.in_force().filter(case_id__in={entry[1] for entry in raw})
            .values_list("kind", "case_id", "fact")
        )
    raw = [entry for entry in raw if (entry[0], entry[1], entry[2]) not in done]
    by_id = Case.objects.select_related("patient", "lesion").in_bulk({entry[1] for entry in raw})
    items = [
        Item(kind=entry[0], case=by_id[entry[1]], fact=entry[2], since=entry[3], text=entry[4],
             due=entry[5] if len(entry) > 5 else _day(entry[3]))
        for entry in raw
    ]
    items.sort(key=lambda item: (KIND_ORDER[item.kind], item.due, item.since, item.case.pk))
    return items


def items_filtered(items: list[Item], *, kind: str = "", due_by: date | None = None) -> list[Item]:
    return [item for item in items if (not kind or item.kind == kind) and (due_by is None or item.due <= due_by)]


def item_counts(items: list[Item]) -> dict:
    counts = {kind: 0 for kind in ItemKind.values}
    for item in items:
        counts[item.kind] += 1
    return {"total": len(items), "by_kind": counts}


def marks_recent(*, user, days: int = 30, limit: int = 50):
    """Marks in force of the user's clinic made in the last `days`: what was done, by whom, to reopen by mistake."""
    since = timezone.now() - timedelta(days=days)
    return (
        WorklistMark.objects.in_force().filter(case__in=Case.objects.visible_to(user).active(), done_at__gte=since)
        .select_related("case__patient", "case__lesion", "done_by")[:limit]
    )
