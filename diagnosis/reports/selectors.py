"""Reads of the clinic-wide reports (the CSV export, the real-world performance and the drift watch), shared by pages,
API and admin."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from dermplatform.accounts.models import Clinic, Role
from diagnosis.models import ModelVersion, Prediction
from diagnosis.reports.drift import WeekCounts, WeekDrift, drift_reference, weeks_drift
from patients.models import Case

DRIFT_WEEKS = 8  # the drift watch shows the last 8 ISO weeks


def report_cases(*, user, clinic_id: int | None = None):
    """The cases the user may see (visible_to), narrowed to one clinic when asked: an admin's choice among every
    clinic; for a dermatologist, another clinic's id leaves nothing."""
    cases = Case.objects.visible_to(user)
    if clinic_id is not None:
        cases = cases.filter(patient__clinic_id=clinic_id)
    return cases


def report_scope(*, user, clinic_id: int | None = None) -> str:
    """What the figures cover, in words: the user's clinic, the admin's chosen clinic, or all clinics."""
    if user.role != Role.ADMIN:
        return str(user.clinic or "")
    if clinic_id is None:
        return "all clinics"
    return str(Clinic.objects.filter(pk=clinic_id).first() or "")


def drift_weeks_start(*, weeks: int = DRIFT_WEEKS, today: date | None = None) -> date:
    """The Monday of the oldest of the last `weeks` ISO weeks (this week included), in the platform's time zone."""
    today = today or timezone.localdate()
    return today - timedelta(days=today.weekday(), weeks=weeks - 1)


def drift_weekly_counts(*, user, clinic_id: int | None = None, since: date | None = None,
                        model_version_id: int | None = None) -> list[WeekCounts]:
    """Per clinic, model version and ISO week of upload: the counts the drift watch tests, in one query.

    Predictions the user may see (visible_to), narrowed to one clinic when asked; archived cases (entered twice,
    wrong patient) left out. A week is the week the image was uploaded: a version registered later that classifies
    old images puts them in their own weeks."""
    predictions = Prediction.objects.visible_to(user).filter(image__case__archived_at__isnull=True)
    if clinic_id is not None:
        predictions = predictions.filter(image__case__patient__clinic_id=clinic_id)
    if model_version_id is not None:
        predictions = predictions.filter(model_version_id=model_version_id)
    if since is not None:
        predictions = predictions.filter(
            image__uploaded_at__gte=timezone.make_aware(datetime.combine(since, datetime.min.time()))
        )
    rows = (
        predictions.annotate(week=TruncWeek("image__uploaded_at"))
        .values("image__case__patient__clinic_id", "model_version_id", "week")
        .annotate(
            images=Count("pk"),
            not_assessable=Count("pk", filter=Q(assessable=False)),
            mel_evaluated=Count("mel_flag"),
            mel_flagged=Count("pk", filter=Q(mel_flag=True)),
            malignant_evaluated=Count("malignant_flag"),
            malignant_flagged=Count("pk", filter=Q(malignant_flag=True)),
            p_mel_n=Count("mel_score"),
            mean_p_mel=Avg("mel_score"),
        )
        .order_by("image__case__patient__clinic_id", "model_version_id", "week")
    )
    return [
        WeekCounts(
            week=timezone.localtime(row["week"]).date() if timezone.is_aware(row["week"]) else row["week"].date(),
            images=row["images"], not_assessable=row["not_assessable"],
            mel_evaluated=row["mel_evaluated"], mel_flagged=row["mel_flagged"],
            malignant_evaluated=row["malignant_evaluated"], malignant_flagged=row["malignant_flagged"],
            p_mel_n=row["p_mel_n"], mean_p_mel=row["mean_p_mel"],
            clinic_id=row["image__case__patient__clinic_id"], model_version_id=row["model_version_id"],
        )
        for row in rows
    ]


@dataclass
class DriftTable:
    """The drift watch of one clinic and one model version: its last weeks, newest first."""

    clinic: Clinic
    version: ModelVersion
    reference: dict | None
    weeks: list[WeekDrift]

    @property
    def warnings(self) -> list[str]:
        return [warning for week in self.weeks for warning in week.warnings]

    @property
    def out_of_range_weeks(self) -> int:
        return sum(week.out_of_range for week in self.weeks)


def drift_watch(*, user, clinic_id: int | None = None, weeks: int = DRIFT_WEEKS, today: date | None = None,
                model_version_id: int | None = None) -> list[DriftTable]:
    """The drift tables the user may see: per clinic (the user's own; an admin's choice, or every clinic) and model
    version with images in the last `weeks` ISO weeks, each week shown (an empty one as "too few images to judge").
    Three queries whatever the number of clinics and weeks: the counts, the versions' cards, the clinics."""
    start = drift_weeks_start(weeks=weeks, today=today)
    counts = drift_weekly_counts(user=user, clinic_id=clinic_id, since=start, model_version_id=model_version_id)
    by_table: dict[tuple[int, int], dict[date, WeekCounts]] = {}
    for row in counts:
        by_table.setdefault((row.clinic_id, row.model_version_id), {})[row.week] = row
    versions = ModelVersion.objects.in_bulk({version_id for _, version_id in by_table})
    clinics = Clinic.objects.in_bulk({clinic_id for clinic_id, _ in by_table})
    mondays = [start + timedelta(weeks=i) for i in range(weeks)]
    tables = []
    for (clinic_pk, version_pk), rows in by_table.items():
        version = versions[version_pk]
        reference = drift_reference(version.card)
        filled = [rows.get(monday) or WeekCounts(week=monday) for monday in mondays]
        tables.append(DriftTable(clinics[clinic_pk], version, reference, weeks_drift(filled, reference)))
    return sorted(tables, key=lambda t: (t.clinic.name, -t.version.registered_at.timestamp()))
