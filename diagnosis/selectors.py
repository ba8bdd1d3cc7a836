from django.db.models import Q
from django.shortcuts import get_object_or_404

from patients.models import Case

from .model_registry import model_version_active
from .models import ClassificationJob, Histology, Prediction, Review
from .models.review import DIAGNOSES
from .queue import review_queue  # noqa: F401  (the queue's reads live in diagnosis.queue)


def prediction_get(*, user, public_id) -> Prediction:
    return get_object_or_404(Prediction.objects.visible_to(user), public_id=public_id)


def images_awaiting_classification(*, queued_before):
    """Images still waiting for the AI (diagnosis.ai_waiting: of open cases, not given up on; a case in review
    only for the images staff sent again), last sent to the queue before `queued_before` (never sent: uploaded
    before it)."""
    from .ai_waiting import images_waiting

    return (
        images_waiting()
        .filter(Q(ai_job__queued_at__lt=queued_before) | Q(ai_job__queued_at__isnull=True, uploaded_at__lt=queued_before))
        .order_by("uploaded_at", "pk")
    )


def images_failed(*, case):
    """The case's images the AI gave up on, with the reason and attempt count (the case was scoped by the caller)."""
    return ClassificationJob.objects.filter(image__case=case, failed_at__isnull=False).select_related("image")


def histology_current(*, case) -> Histology | None:
    """The histology in force (superseded by none) of a case the caller has scoped."""
    return case.histologies.filter(superseded_by__isnull=True).select_related("entered_by").first()


def histologies(*, case):
    """A case's histology entries, newest first (the case was scoped by the caller)."""
    return case.histologies.select_related("entered_by").order_by("-created_at", "-pk")


def review_current(*, case) -> Review | None:
    return case.reviews.filter(superseded_by__isnull=True).select_related("reviewer").first()


def case_discordance(*, case):
    """The histology in force against the decision in force (diagnosis.discordance), for a case the caller has
    scoped: a Discordance (kind, text) or None."""
    from .discordance import histology_discordance

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
    from .services import case_ai_summary

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


def images_classified(*, image_ids) -> set[int]:
    """Those of the images that have a prediction from the active model version."""
    version = model_version_active()
    return set(
        Prediction.objects.filter(image_id__in=list(image_ids), model_version=version).values_list("image_id", flat=True)
    )


def lesion_story(*, user, case) -> dict:
    """Where a case stands in its lesion's story, for the review page: its visit number, the lesion's number of
    visits, and the earlier visits (oldest first), each with its images, AI opinion (flag, top class, P(melanoma)
    and its change since the visit before), the review in force and the histology in force.

    Only cases the user may see (their clinic's), never archived ones; a fixed number of queries whatever the
    number of visits."""
    from .services import ai_summary_of

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
