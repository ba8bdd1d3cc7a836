"""Reads of local validation, each scoped to the user's clinic and role (ValidationRun.objects.visible_to)."""

from django.http import Http404

from diagnosis.models import ClinicThresholds, Histology, ValidationRun
from diagnosis.models.review import DIAGNOSES
from diagnosis.reports.local_validation import DEFAULT_TARGET_SENSITIVITY, Scored, ValidationFigures, validation_figures

CLASSES = {code for code, _ in DIAGNOSES}


def runs_visible(*, user):
    return ValidationRun.objects.visible_to(user).select_related("clinic", "model_version", "created_by")


def run_get(*, user, public_id) -> ValidationRun:
    """Another clinic's run, or none: not found (404)."""
    run = runs_visible(user=user).filter(public_id=public_id).first()
    if run is None:
        raise Http404("No such local validation run.")
    return run


def card_thresholds(version) -> dict:
    points = (version.card or {}).get("operating_points") or {}
    return {key: (points.get(key) or {}).get("threshold") for key in ("mel", "malignant")}


def target_sensitivity(version) -> float:
    point = ((version.card or {}).get("operating_points") or {}).get("mel") or {}
    target = point.get("target_sensitivity")
    return float(target) if isinstance(target, (int, float)) and 0 < target <= 1 else DEFAULT_TARGET_SENSITIVITY


def run_figures(run: ValidationRun) -> ValidationFigures:
    scored = [
        Scored(truth=truth, probabilities=probabilities, assessable=bool(assessable), reasons=tuple(reasons or ()))
        for truth, probabilities, assessable, reasons in run.images.filter(scored=True).values_list(
            "truth", "probabilities", "assessable", "not_assessable_reasons")
    ]
    return validation_figures(scored, total=run.total, thresholds=card_thresholds(run.model_version),
                              target=target_sensitivity(run.model_version))


def run_errors(run: ValidationRun) -> list:
    return list(run.images.exclude(error="").values_list("file_name", "error")[:50])


def thresholds_in_force(*, clinic_id: int, model_version_id: int) -> ClinicThresholds | None:
    return ClinicThresholds.objects.in_force(clinic_id=clinic_id, model_version_id=model_version_id)


def thresholds_history(*, clinic_id: int, model_version_id: int):
    return ClinicThresholds.objects.filter(clinic_id=clinic_id, model_version_id=model_version_id).select_related(
        "decided_by", "run")


def histology_cases(*, clinic_id: int):
    """The histology in force of each of the clinic's open cases whose histology is one of the seven classes
    ("other" has no place in the figures), with its case."""
    return (Histology.objects.filter(superseded_by__isnull=True, case__patient__clinic_id=clinic_id,
                                     case__archived_at__isnull=True, diagnosis__in=CLASSES)
            .select_related("case").order_by("case__created_at", "case_id"))


def histology_images(*, clinic_id: int, case_ids=None) -> list:
    """(LesionImage, histological class) for each image of those cases (only the cases picked, by public id, when
    `case_ids` is given)."""
    histologies = histology_cases(clinic_id=clinic_id).prefetch_related("case__images__case__patient")
    if case_ids:
        histologies = histologies.filter(case__public_id__in=list(case_ids))
    return [(image, histology.diagnosis) for histology in histologies for image in histology.case.images.all()]
