from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dermplatform.accounts.models import Role
from dermplatform.accounts.permissions import role_required

from .. import selectors, services
from ..forms import ArchiveForm, PatientForm
from .forms_support import archive_from_form, attach_errors

READERS = (Role.STAFF, Role.DERMATOLOGIST)


@role_required(*READERS)
def patient_list(request):
    query = request.GET.get("q", "")
    include_archived = request.GET.get("archived") == "1"
    patients = selectors.patient_list(user=request.user, search=query, include_archived=include_archived)
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    return render(
        request, "patients/patient_list.html", {"page": page, "q": query, "include_archived": include_archived}
    )


@role_required(Role.STAFF)
def patient_create(request):
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"Patient {patient.full_name} registered.")
            return redirect(patient)
    return render(request, "patients/patient_form.html", {"form": form, "title": "Register patient"})


@role_required(*READERS)
def patient_detail(request, public_id):
    patient = selectors.patient_get(user=request.user, public_id=public_id)
    cases = selectors.case_list(user=request.user, patient=patient, include_archived=True)
    return render(
        request, "patients/patient_detail.html", {"patient": patient, "cases": cases, "archive_form": ArchiveForm()}
    )


@role_required(Role.STAFF)
def patient_update(request, public_id):
    patient = selectors.patient_get(user=request.user, public_id=public_id)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=patient, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "Patient details saved.")
            return redirect(patient)
    return render(request, "patients/patient_form.html", {"form": form, "title": "Edit patient", "patient": patient})


@require_POST
@role_required(Role.STAFF)
def patient_archive(request, public_id):
    patient = selectors.patient_get(user=request.user, public_id=public_id)
    return archive_from_form(request, patient, lambda p, **kw: services.patient_archive(patient=p, **kw), "Patient")
