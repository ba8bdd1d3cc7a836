from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dermplatform.accounts.models import Role
from dermplatform.accounts.permissions import role_required
from diagnosis.review.access_history.selectors import patient_access_history
from patients import selectors as patient_selectors

PAGE_SIZE = 50


@require_GET
@role_required(Role.DERMATOLOGIST)
def patient_access(request, public_id):
    patient = patient_selectors.patient_get(user=request.user, public_id=public_id)
    page = Paginator(patient_access_history(patient=patient), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "diagnosis/patient_access_history.html", {"patient": patient, "page": page})
