"""Reads of the review: predictions, decisions and histology in force, the case's headline and its lesion's
story. Each takes a case the caller has scoped to the user."""

from django.shortcuts import get_object_or_404

from diagnosis.models import Histology, Prediction, Review
from diagnosis.models.review import DIAGNOSES
from diagnosis.opinion import ai_summary_of, case_ai_summary
from diagnosis.review.discordance import histology_discordance
from diagnosis.review.queue import review_queue  # noqa: F401  (the queue's reads live in diagnosis.review.queue)
from patients.models import Case


def prediction_get(*, user, public_id) -> Prediction:
    return get_object_or_404(Prediction.objects.visible_to(user), public_id=public_id)


def histology_current(*, case) -> Histology | None:
    """The histology in force (superseded by none) of a case the caller has scoped."""
    return case.histologies.filter(superseded_by__isnull=True).select_related("entered_by").first()


def histologies(*, case):
    """A case's histology entries, newest first (the case was scoped by the caller)."""
    return case.histologies.select_related("entered_by").order_by("-created_at", "-pk")


def review_current(*, case) -> Review | None:
    return case.reviews.filter(superseded_by__isnull=True).select_related("reviewer").first()


def case_discordance(*, case):
    """The histology in force against the decision in force (diagnosis.review.discordance), for a case the caller has
    scoped: a Discordance (kind, text) or None."""
    histology = histology_current(case=case)
    if histology is None:
        return None
    review = review_current(case=case)
    if review is None:
        return None
    return histology_discordance(histology=histology.diagnosis, diagnosis=review.diagnosis, plan=review.plan)


def case_headline(*, case) -> dict | None:
    """What a case leads with, in order: the histology, then the dermatologist's current decision (with its plan),
    then the AI's opinion (with its flag); None when there is none of them yet (the case was scoped by the caller).

    `source` says which: "histology", "decision" or "ai"."""
    histology = histology_current(case=case)
    if histology is not None:
        return {
            "source": "histology",
            "diagnosis": histology.diagnosis,
            "diagnosis_name": histology.get_diagnosis_display(),
            "text": f"Histology: {histology.get_diagnosis_display()}",
            "detail": f"Report {histology.report_reference} of {histology.reported_on:%Y-%m-%d}",
            "plan": "",
            "flag": "",
        }
    review = review_current(case=case)
    if review is not None:
        return {
            "source": "decision",
            "diagnosis": review.diagnosis,
            "diagnosis_name": review.get_diagnosis_display(),
            "text": f"Dermatologist: {review.get_diagnosis_display()}",
            "detail": review.downgrade_text,
            "plan": review.plan_text,
            "flag": "",
        }
    summary = case_ai_summary(case)
    if summary is None:
        return None
    name = dict(DIAGNOSES).get(summary["top_class"], "") if summary["top_class"] else ""
    return {
        "source": "ai",
        "diagnosis": summary["top_class"] or "",
        "diagnosis_name": name,
        "text": summary["flag_text"],
        "detail": f"AI's most likely class: {name}" if name else "The AI could assess no image: no AI diagnosis.",
        "plan": "",
        "flag": summary["flag"],
    }


def lesion_story(*, user, case) -> dict:
    """Where a case stands in its lesion's story, for the review page: its visit number, the lesion's number of
    visits, and the earlier visits (oldest first), each with its images, AI opinion (flag, top class, P(melanoma)
    and its change since the visit before), the review in force and the histology in force.

    Only cases the user may see (their clinic's), never archived ones; a fixed number of queries whatever the
    number of visits."""
    visits = list(
        Case.objects.visible_to(user).active().filter(lesion_id=case.lesion_id)
        .prefetch_related("images").order_by("created_at", "pk")
    )
    position = next((index for index, visit in enumerate(visits) if visit.pk == case.pk), len(visits))
    earlier = visits[:position]
    ids = [visit.pk for visit in earlier]
    latest: dict[int, dict[int, Prediction]] = {}
    predictions = (
        Prediction.objects.filter(image__case_id__in=ids)
        .select_related("model_version", "image", "clinic_thresholds").order_by("created_at", "pk")
    )
    for prediction in predictions:
        latest.setdefault(prediction.image.case_id, {})[prediction.image_id] = prediction
    reviews = {
        review.case_id: review
        for review in Review.objects.filter(case_id__in=ids, superseded_by__isnull=True).select_related("reviewer")
    }
    results = {
        histology.case_id: histology
        for histology in Histology.objects.filter(case_id__in=ids, superseded_by__isnull=True)
    }
    rows, previous = [], None
    for visit in earlier:
        ai = ai_summary_of(list(latest.get(visit.pk, {}).values()))
        mel = dict(ai["probabilities"]).get("mel") if ai else None
        change = mel - previous if mel is not None and previous is not None else None
        rows.append({"case": visit, "ai": ai, "mel": mel, "mel_change": change,
                     "review": reviews.get(visit.pk), "histology": results.get(visit.pk)})
        previous = mel if mel is not None else previous
    return {
        "visit_number": position + 1,
        "visit_count": max(len(visits), position + 1),
        "is_follow_up": bool(earlier),
        "earlier": rows,
    }
