"""The dermatologist's writes: reviews (held against diagnosis.review.rules) and histology. Each function holds
its transaction."""



from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dermplatform.api import policy
from dermplatform.api.errors import StateConflict
from dermplatform.audit.services import Action, event_record
from diagnosis.models import Histology, ManagementPlan, Review
from diagnosis.models.histology import HISTOLOGY_DIAGNOSES
from diagnosis.opinion import case_ai_summary
from diagnosis.review.claims import claim_settle_for_review
from diagnosis.review.rules import Decision, Opinion, diagnosis_recorded, downgrade_of, review_problems
from diagnosis.review.stale_review import review_version_check
from patients.models import Case, CaseStatus


def review_opinion(case: Case, *, summary: dict | None = None) -> Opinion:
    """What a review of the case is held against (diagnosis.review.rules): the AI's opinion, the review and the
    histology in force. `summary`: the case's AI summary when the caller has it already."""
    if summary is None:
        summary = case_ai_summary(case)
    summary = summary or {}
    flags = summary.get("flags") or {}
    previous = case.reviews.filter(superseded_by__isnull=True).first()
    histology = case.histologies.filter(superseded_by__isnull=True).first()
    return Opinion(
        ai_diagnosis=summary.get("top_class") or "",
        ai_mel_flag=bool(flags.get("mel")),
        ai_malignant_flag=bool(flags.get("malignant")),
        review_diagnosis=previous.diagnosis if previous else "",
        histology_diagnosis=histology.diagnosis if histology else "",
    )


def review_submit(
    *, case: Case, reviewer, decision: str, plan: str = "", follow_up_months: int | None = None,
    diagnosis: str = "", notes: str = "", downgrade_reason: str = "", review_version: int | None = None,
) -> Review:
    """Record a dermatologist's decision and management plan; it supersedes the case's previous review.

    A decision that contradicts itself or the rules (diagnosis.review.rules) is refused with a ValidationError
    naming each problem by field; nothing is rewritten. A decision that turns a malignant or flagged opinion
    benign needs a reason and is recorded as a downgrade (`downgrade_of`, `downgraded_from`).

    `review_version`: the case's review version when the form was opened (diagnosis.review.stale_review); a review
    recorded since refuses this one (ReviewStale) rather than being silently superseded. None: not checked."""
    if not policy.can_review(reviewer, case.patient.clinic_id):
        raise PermissionDenied("Only a dermatologist of the case's clinic can review it.")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.is_archived:
            raise StateConflict("An archived case cannot be reviewed.")
        if not case.can_move_to(CaseStatus.REVIEWED):
            raise StateConflict("This case has no AI result to review yet.")
        # A colleague's active claim refuses the review; the reviewer's own claim goes with it (rolled back on error).
        claim_settle_for_review(case=case, reviewer=reviewer)
        review_version_check(case=case, seen=review_version)
        opinion = review_opinion(case)
        wanted = Decision(decision=decision, diagnosis=diagnosis or "", plan=plan or "",
                          follow_up_months=follow_up_months, downgrade_reason=downgrade_reason or "")
        problems = review_problems(wanted, opinion)
        if problems:
            errors: dict[str, list[str]] = {}
            for field, message in problems:
                errors.setdefault(field, []).append(message)
            raise ValidationError(errors)
        review = Review(
            case=case, reviewer=reviewer, decision=decision, diagnosis=diagnosis_recorded(wanted, opinion),
            ai_diagnosis=opinion.ai_diagnosis, notes=notes.strip(),
            supersedes=case.reviews.filter(superseded_by__isnull=True).first(),
            plan=plan, follow_up_months=int(follow_up_months) if plan == ManagementPlan.FOLLOW_UP else None,
            downgrade_of=downgrade_of(wanted, opinion),
            downgrade_reason=(downgrade_reason or "").strip(),
        )
        review.downgraded_from = opinion.malignant_class if review.downgrade_of else ""
        review.full_clean()
        review.save()
        case.move_to(CaseStatus.REVIEWED)
        event_record(action=Action.REVIEW_CREATE, actor=reviewer, obj=case)
    return review


def histology_record(*, case: Case, user, diagnosis: str, reported_on, report_reference: str) -> Histology:
    """Enter the histopathology result of a case (staff or a dermatologist of its clinic): its ground truth.

    A later entry supersedes the earlier one (a corrected report); none is edited."""
    if not policy.can_enter_histology(user, case.patient.clinic_id):
        raise PermissionDenied("Only the staff and dermatologists of the case's clinic can enter its histology.")
    errors = {}
    if diagnosis not in dict(HISTOLOGY_DIAGNOSES):
        errors["diagnosis"] = "Choose the histological diagnosis: one of the seven classes, or other."
    if reported_on is None:
        errors["reported_on"] = "Give the date of the histopathology report."
    elif reported_on > timezone.localdate():
        errors["reported_on"] = "The report date cannot be in the future."
    report_reference = (report_reference or "").strip()
    if not report_reference:
        errors["report_reference"] = "Give the laboratory's reference of the report."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.is_archived:
            raise StateConflict("An archived case cannot be changed.")
        previous = case.histologies.filter(superseded_by__isnull=True).first()
        histology = Histology(
            case=case, diagnosis=diagnosis, reported_on=reported_on, report_reference=report_reference,
            entered_by=user, supersedes=previous,
        )
        histology.full_clean()
        histology.save()
        event_record(action=Action.HISTOLOGY_CREATE, actor=user, obj=case)
    return histology
