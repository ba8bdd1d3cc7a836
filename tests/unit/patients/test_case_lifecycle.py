"""The case's lifecycle in one place (patients.models.case.CASE_MOVES): every move it allows is made and saved,
every other one is refused with a StateConflict and leaves the case as it was, and the services move cases only
through it (an AI result on a reviewed case, or a review of a case the AI has not answered, is refused)."""

import itertools

import pytest

from diagnosis.review.services import review_submit
from dermplatform.api.errors import StateConflict
from patients.models import CASE_MOVES, Case, CaseStatus

STATUSES = list(CaseStatus.values)
ALLOWED = [(a, b) for a in STATUSES for b in sorted(CASE_MOVES[a])]
REFUSED = [(a, b) for a, b in itertools.product(STATUSES, STATUSES) if b not in CASE_MOVES[a]]


def test_the_table_names_every_status_and_only_statuses():
    assert set(CASE_MOVES) == set(STATUSES)
    assert all(set(targets) <= set(STATUSES) for targets in CASE_MOVES.values())
    # Both kinds are walked below: a table that allowed everything would be no lifecycle.
    assert ALLOWED and REFUSED


def _case_at(case, status):
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    return case


@pytest.mark.parametrize(("start", "end"), ALLOWED)
def test_an_allowed_move_is_made_and_saved(case, start, end):
    case = _case_at(case, start)
    before = case.updated_at
    case.move_to(end)
    case.refresh_from_db()
    assert case.status == end
    assert case.updated_at >= before


@pytest.mark.parametrize(("start", "end"), REFUSED)
def test_a_refused_move_raises_and_changes_nothing(case, start, end):
    case = _case_at(case, start)
    assert not case.can_move_to(end)
    with pytest.raises(StateConflict):
        case.move_to(end)
    case.refresh_from_db()
    assert case.status == start


def test_the_expected_moves_are_the_refused_ones():
    # What a clinic relies on, spelled out: nothing goes back to draft, nothing is reviewed before the AI has
    # answered, and a failed case is not reviewed until the AI answers on a retry.
    assert all(end != CaseStatus.DRAFT for _, end in ALLOWED)
    assert (CaseStatus.AWAITING_AI, CaseStatus.REVIEWED) in REFUSED
    assert (CaseStatus.AI_FAILED, CaseStatus.REVIEWED) in REFUSED
    assert (CaseStatus.DRAFT, CaseStatus.AWAITING_REVIEW) in REFUSED
    assert (CaseStatus.REVIEWED, CaseStatus.AWAITING_REVIEW) in REFUSED


@pytest.mark.parametrize("status", STATUSES)
def test_waiting_for_review_is_one_definition(case, status):
    case = _case_at(case, status)
    expected = status == CaseStatus.AWAITING_REVIEW
    assert case.waiting_for_review() is expected
    assert Case.objects.waiting_for_review().filter(pk=case.pk).exists() is expected
    case.archived_at = case.updated_at
    case.save(update_fields=["archived_at"])
    assert case.waiting_for_review() is False
    assert not Case.objects.waiting_for_review().filter(pk=case.pk).exists()


def test_a_review_of_a_case_the_ai_has_not_answered_is_refused(case, dermatologist):
    case = _case_at(case, CaseStatus.AWAITING_AI)
    with pytest.raises(StateConflict):
        review_submit(case=case, reviewer=dermatologist, decision="confirm")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_AI


@pytest.mark.parametrize("status", STATUSES)
def test_a_case_is_offered_for_review_exactly_when_a_review_would_be_taken(case, status):
    case = _case_at(case, status)
    assert case.reviewable is (status in (CaseStatus.AWAITING_REVIEW, CaseStatus.REVIEWED))
    case.archived_at = case.updated_at
    assert case.reviewable is False
