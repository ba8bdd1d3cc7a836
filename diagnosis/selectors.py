from django.db.models import Max
from django.shortcuts import get_object_or_404

from patients.models import Case, CaseStatus

from .models import Prediction


def review_queue(*, user):
    """Cases waiting for a dermatologist, highest malignancy risk first, then oldest."""
    return (
        Case.objects.visible_to(user)
        .active()
        .with_status(CaseStatus.AWAITING_REVIEW)
        .select_related("patient")
        .annotate(risk=Max("images__predictions__malignancy_risk"))
        .order_by("-risk", "created_at")
    )


def prediction_get(*, user, public_id) -> Prediction:
    return get_object_or_404(Prediction.objects.visible_to(user), public_id=public_id)
