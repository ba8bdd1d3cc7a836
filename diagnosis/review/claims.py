"""Claims on the review queue: a dermatologist who opens a waiting case holds it, colleagues see who does.

What a clinic expects (and so what this does):
- Opening a waiting case claims it; opening it again, or sending its form, keeps the claim alive. It lapses after
  DERM_CLAIM_IDLE_MINUTES idle, so a case left open on a desk returns to the colleagues by itself.
- A colleague who opens a held case sees who holds it since when, and reads it (read-only, nothing blocks
  consultation); to review it they take it over explicitly (a button, audited). No silent double review, and no
  case stuck behind an absent colleague when a melanoma waits.
- A review by someone else than an active holder is refused; recording a review releases the claim.
Keyword-only functions; each holds its transaction and locks the case row, as review_submit does.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from dermplatform.api import policy
from dermplatform.api.errors import StateConflict
from dermplatform.audit.services import Action, event_record
from diagnosis.models import ReviewClaim
from patients.models import Case


def _check_dermatologist(*, case: Case, user) -> None:
    if not policy.can_review(user, case.patient.clinic_id):
        raise PermissionDenied("Only a dermatologist of the case's clinic can claim it.")


def _claimable(case: Case) -> bool:
    return case.waiting_for_review()


def claim_current(*, case: Case) -> ReviewClaim | None:
    """The claim in force on a case (lapsed ones are none), with its holder; the case was scoped by the caller."""
    claim = ReviewClaim.objects.filter(case=case).select_related("holder").first()
    return claim if claim is not None and claim.is_active() else None


def _locked(case: Case) -> tuple[Case, ReviewClaim | None]:
    case = Case.objects.select_for_update().select_related("patient").get(pk=case.pk)
    claim = ReviewClaim.objects.select_for_update().select_related("holder").filter(case=case).first()
    return case, claim


def _take(*, case: Case, user, claim: ReviewClaim | None, action: str) -> ReviewClaim:
    now = timezone.now()
    if claim is None:
        claim = ReviewClaim(case=case)
    claim.holder, claim.claimed_at, claim.last_active_at = user, now, now
    claim.save()
    event_record(action=action, actor=user, obj=case)
    return claim


def claim_open(*, case: Case, user) -> ReviewClaim | None:
    """A dermatologist opens a case to review it: a free (or lapsed) waiting case becomes theirs, their own claim
    is kept alive. Returns the claim in force (a colleague's when one holds it: then the case is read-only for
    this user), or None for a case that is not waiting for review."""
    _check_dermatologist(case=case, user=user)
    with transaction.atomic():
        case, claim = _locked(case)
        if claim is not None and claim.is_active():
            if claim.holder_id == user.pk:
                claim.last_active_at = timezone.now()
                claim.save(update_fields=["last_active_at"])
            return claim
        if not _claimable(case):
            return None
        return _take(case=case, user=user, claim=claim, action=Action.CLAIM_TAKE)


def claim_take(*, case: Case, user, take_over: bool = False) -> ReviewClaim:
    """Claim a waiting case explicitly (the API's POST). A colleague's active claim is refused unless `take_over`,
    which moves it to this user (audited as a take-over)."""
    _check_dermatologist(case=case, user=user)
    with transaction.atomic():
        case, claim = _locked(case)
        if not _claimable(case):
            raise StateConflict("Only an open case awaiting review can be claimed.")
        if claim is not None and claim.is_active():
            if claim.holder_id == user.pk:
                claim.last_active_at = timezone.now()
                claim.save(update_fields=["last_active_at"])
                return claim
            if not take_over:
                raise ClaimHeld(claim)
            return _take(case=case, user=user, claim=claim, action=Action.CLAIM_TAKE_OVER)
        return _take(case=case, user=user, claim=claim, action=Action.CLAIM_TAKE)


def claim_take_over(*, case: Case, user) -> ReviewClaim:
    return claim_take(case=case, user=user, take_over=True)


def claim_release(*, case: Case, user) -> None:
    """The holder lets the case go back to the queue without reviewing it."""
    _check_dermatologist(case=case, user=user)
    with transaction.atomic():
        case, claim = _locked(case)
        if claim is None or not claim.is_held_by(user):
            raise StateConflict("You hold no claim on this case.")
        claim.delete()
        event_record(action=Action.CLAIM_RELEASE, actor=user, obj=case)


def claim_settle_for_review(*, case: Case, reviewer) -> None:
    """Inside review_submit's transaction (the case row is locked): refuse a review while a colleague holds the
    case, and release the claim once the review is recorded."""
    claim = ReviewClaim.objects.select_for_update().select_related("holder").filter(case=case).first()
    if claim is None:
        return
    if claim.is_active() and claim.holder_id != reviewer.pk:
        raise ClaimHeld(claim)
    claim.delete()


class ClaimHeld(StateConflict):
    """A colleague holds the case: the message names them; the API answers 409."""

    def __init__(self, claim: ReviewClaim):
        self.claim = claim
        super().__init__(
            f"{claim.holder_name} is reviewing this case (since {timezone.localtime(claim.claimed_at):%H:%M %Z}). "
            "Take it over to review it yourself.",
            code="claimed",
        )
