"""Marking a worklist item done, and reopening one done by mistake: each audited (who, when, which case)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dermplatform.api import policy
from dermplatform.audit.services import Action, event_record
from diagnosis.review.worklist.models import ItemKind, WorklistMark
from diagnosis.review.worklist.selectors import worklist_items
from patients.models import Case

WORKLIST_ROLES = policy.CLINICAL_READERS


def _require_clinic_member(user, case: Case) -> None:
    if not policy.can_read_clinical(user, case.patient.clinic_id):
        raise PermissionDenied("Only the staff and dermatologists of the case's clinic work on its worklist.")


def item_mark_done(*, case: Case, user, kind: str, fact: str) -> WorklistMark:
    """Take the item (kind, fact) of the case off the worklist. Refused when the item is not open as shown: done
    meanwhile, or its fact changed (the page was stale) - the worklist then shows what is open now."""
    _require_clinic_member(user, case)
    if kind not in ItemKind.values:
        raise ValidationError({"kind": "No such kind of worklist item."})
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("patient").get(pk=case.pk)
        open_items = worklist_items(user=user, case=case)
        if not any(item.kind == kind and item.fact == fact for item in open_items):
            raise ValidationError(
                "This item is no longer open as shown (done by a colleague, or its facts changed): nothing was marked."
            )
        try:
            with transaction.atomic():
                mark = WorklistMark.objects.create(kind=kind, case=case, fact=fact, done_by=user, done_at=timezone.now())
        except IntegrityError as exc:  # the same item done at the same moment by a colleague
            raise ValidationError("A colleague has just marked this item done.") from exc
        event_record(action=Action.WORKLIST_DONE, actor=user, obj=case, changed_fields=[f"worklist.{kind}"])
    return mark


def item_reopen(*, case: Case, user, kind: str, fact: str) -> WorklistMark:
    """Put an item done by mistake back on the worklist (if its fact still holds, it shows again at once)."""
    _require_clinic_member(user, case)
    with transaction.atomic():
        mark = (
            WorklistMark.objects.in_force().select_for_update()
            .filter(case=case, kind=kind, fact=fact).first()
        )
        if mark is None:
            raise ValidationError("This item is not marked done: nothing to reopen.")
        mark.reopened_by, mark.reopened_at = user, timezone.now()
        mark.save(update_fields=["reopened_by", "reopened_at"])
        event_record(action=Action.WORKLIST_REOPEN, actor=user, obj=case, changed_fields=[f"worklist.{kind}"])
    return mark
