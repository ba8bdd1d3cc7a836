"""Keeps each case's CaseTriage (its place in the review queue) in step with its AI opinions and status.

Called where they change: after each AI opinion or failure (diagnosis.inference.services), and on every save of a case
(a receiver: a review, an archive, a new upload or a retry all save the case). Tests that fabricate predictions or
statuses without the services call triage_refresh themselves.
"""

from django.db import models
from django.db.models import Exists, Max, OuterRef, Q, Value, When

from diagnosis.models import CaseTriage, ClassificationJob, Prediction
from diagnosis.models.prediction import Flag
from patients.models import Case, waiting_for_review

# The queue's groups, most urgent first. "Not flagged" and "no operating point" wait together after them.
FLAG_GROUPS = [
    (Q(mel_flagged=True), Flag.MEL),
    (Q(malignant_flagged=True), Flag.MALIGNANT),
    (Q(any_not_assessable=True), Flag.NOT_ASSESSABLE),
    (Q(flags_evaluated=True), Flag.NONE),
]
OTHER_RANK = 3


def with_flags(cases, *, prediction_model=Prediction, job_model=ClassificationJob):
    """Annotate cases with `flag`, `flag_rank`, `risk` and `ai_failed`, from every prediction of their images.

    Flags and risk come from assessable images only: a refused image's scores are not an opinion. (The models are
    parameters so that a migration can pass its historical ones.)"""

    def predictions(*args, **kwargs):
        return prediction_model.objects.filter(*args, image__case=OuterRef("pk"), **kwargs)

    return cases.annotate(
        mel_flagged=Exists(predictions(assessable=True, mel_flag=True)),
        malignant_flagged=Exists(predictions(assessable=True, malignant_flag=True)),
        any_not_assessable=Exists(predictions(assessable=False)),
        flags_evaluated=Exists(predictions(Q(mel_flag__isnull=False) | Q(malignant_flag__isnull=False), assessable=True)),
        risk=Max("images__predictions__malignancy_risk", filter=Q(images__predictions__assessable=True)),
        ai_failed=Exists(job_model.objects.filter(image__case=OuterRef("pk"), failed_at__isnull=False)),
    ).annotate(
        flag=models.Case(
            *[When(condition, then=Value(flag)) for condition, flag in FLAG_GROUPS],
            default=Value(Flag.UNAVAILABLE),
            output_field=models.CharField(),
        ),
        flag_rank=models.Case(
            *[When(condition, then=Value(rank)) for rank, (condition, _) in enumerate(FLAG_GROUPS[:OTHER_RANK])],
            default=Value(OTHER_RANK),
            output_field=models.IntegerField(),
        ),
    )


FIELDS = ["clinic", "public_id", "waiting_since", "waiting", "flag", "flag_rank", "risk", "risk_sort", "ai_failed"]


def triage_rows(cases, *, triage_model=CaseTriage, **models_) -> list:
    rows = with_flags(cases, **models_).values(
        "pk", "patient__clinic_id", "public_id", "created_at", "status", "archived_at", "flag", "flag_rank", "risk",
        "ai_failed",
    )
    return [
        triage_model(
            case_id=row["pk"], clinic_id=row["patient__clinic_id"], public_id=row["public_id"],
            waiting_since=row["created_at"], waiting=waiting_for_review(row["status"], row["archived_at"]),
            flag=row["flag"], flag_rank=row["flag_rank"], risk=row["risk"],
            risk_sort=1.0 if row["risk"] is None else -row["risk"], ai_failed=row["ai_failed"],
        )
        for row in rows
    ]


def triage_refresh(*, case_ids, triage_model=CaseTriage, case_model=Case, **models_) -> int:
    """Recompute the triage of these cases (one query to read, one to write); returns how many were written."""
    rows = triage_rows(case_model.objects.filter(pk__in=list(case_ids)), triage_model=triage_model, **models_)
    triage_model.objects.bulk_create(rows, update_conflicts=True, unique_fields=["case"], update_fields=FIELDS)
    return len(rows)


def case_saved(sender, instance, created, raw=False, **kwargs):
    """A case was saved (its status or archive may have changed): a case that now waits for review is placed in
    the queue, created waiting too (imports, fixtures), and any other leaves it."""
    if raw:
        return
    if waiting_for_review(instance.status, instance.archived_at):
        triage_refresh(case_ids=[instance.pk])
    elif not created:
        CaseTriage.objects.filter(case_id=instance.pk, waiting=True).update(waiting=False)
