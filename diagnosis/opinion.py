"""The AI opinion of a case as pages, reviews and reports read it: one summary led by its flag, built from the
latest prediction of each image; and the case's metadata in the model's vocabulary."""



from django.utils import timezone

from diagnosis.models import Prediction
from diagnosis.models.prediction import FLAG_KEYS, Flag
from patients.models import BodySite, Case, Sex


def case_metadata(case: Case) -> dict:
    """What the clinic recorded, in the model's vocabulary: age at the visit, sex, body site (None when unknown)."""
    patient = case.patient
    visit = timezone.localdate(case.created_at) if case.created_at else timezone.localdate()
    born = patient.date_of_birth
    age = None
    if born is not None:
        years = visit.year - born.year - ((visit.month, visit.day) < (born.month, born.day))
        age = float(years) if years >= 0 else None
    return {
        "age": age,
        "sex": patient.sex if patient.sex in (Sex.MALE, Sex.FEMALE) else None,
        "localization": case.body_site if case.body_site and case.body_site != BodySite.UNKNOWN else None,
    }


def _case_flag(assessed: list[Prediction], key: str) -> bool | None:
    """True when any assessed image is flagged, False when some were evaluated and none is, None without an operating point."""
    values = [getattr(p, f"{key}_flag") for p in assessed]
    if any(values):
        return True
    return False if any(v is not None for v in values) else None


def case_ai_summary(case: Case) -> dict | None:
    """The AI's opinion on the whole case, led by its flag.

    Built from the latest prediction of each image. Only assessable images count towards the flag and the
    probabilities (averaged over them); with none assessable there is no AI diagnosis (top_class None).
    """
    latest = {}
    for prediction in Prediction.objects.filter(image__case=case).select_related("model_version", "image", "clinic_thresholds").order_by("created_at"):
        latest[prediction.image_id] = prediction
    return ai_summary_of(list(latest.values()))


def ai_summary_of(predictions: list[Prediction]) -> dict | None:
    """case_ai_summary from one prediction per image, already fetched (exports and statistics fetch in bulk)."""
    if not predictions:
        return None
    assessed = [p for p in predictions if p.assessable]
    flags = {key: _case_flag(assessed, key) for key in FLAG_KEYS}
    if not assessed:
        flag = Flag.NOT_ASSESSABLE
    elif flags["mel"]:
        flag = Flag.MEL
    elif flags["malignant"]:
        flag = Flag.MALIGNANT
    elif flags["mel"] is None and flags["malignant"] is None:
        flag = Flag.UNAVAILABLE
    else:
        flag = Flag.NONE
    # The operating point that raised the flag (or, unflagged, the ones the images were held against).
    source = next((p for p in assessed if p.flag == flag), None) or next((p for p in assessed if p.flag == Flag.NONE), None)
    summary = {
        "flag": flag,
        "flag_text": Flag.TEXT[flag],
        "operating_point": source.operating_points if source else "",
        "flags": flags,
        "assessable": bool(assessed),
        "not_assessable": [p for p in predictions if not p.assessable],
        "probabilities": [],
        "top_class": None,
        "confidence": None,
        "malignancy_risk": None,
        "predictions": predictions,
        "model_versions": sorted({str(p.model_version) for p in predictions}),
    }
    if assessed:
        classes = list(assessed[0].probabilities)
        mean = {c: sum(p.probabilities.get(c, 0.0) for p in assessed) / len(assessed) for c in classes}
        top = max(mean, key=mean.get)
        summary.update(
            probabilities=sorted(mean.items(), key=lambda item: item[1], reverse=True),
            top_class=top,
            confidence=mean[top],
            malignancy_risk=max(p.malignancy_risk for p in assessed),
        )
    return summary
