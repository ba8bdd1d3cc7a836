from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from dermplatform.accounts.permissions import role_required
from dermplatform.api import policy

from .. import selectors, services
from ..forms import ArchiveForm, PatientForm, PatientSearchForm
from ..search_memory import search_recall, search_remember
from .forms_support import archive_from_form, attach_errors

@require_http_methods(["GET", "HEAD", "POST"])
@role_required(*policy.CLINICAL_READERS)
def patient_list(request):
    """The list, searched by record number or name. The terms are posted and kept in the session: the address
    carries only an opaque search id (patients.search_memory)."""
    if request.method == "POST":
        form = PatientSearchForm(request.POST)
        form.is_valid()  # every field is optional and bounded: what is valid is used
        terms = form.cleaned_data.get("q", "").strip()
        query = {"search": search_remember(request.session, terms=terms)} if terms else {}
        if form.cleaned_data.get("archived"):
            query["archived"] = "1"  # says nothing about a patient: may stay in the address
        return redirect(f"{reverse('patients:list')}?{urlencode(query)}" if query else reverse("patients:list"))
    terms = search_recall(request.session, request.GET.get("search"))
    include_archived = request.GET.get("archived") == "1"
    patients = selectors.with_open_cases(
        selectors.patient_list(user=request.user, search=terms, include_archived=include_archived)
    )
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": terms,
        "include_archived": include_archived,
        "search_id": request.GET.get("search", "") if terms else "",
    }
    return render(request, "patients/patient_list.html", context)


@role_required(*policy.CLINICAL_WRITERS)
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


@role_required(*policy.CLINICAL_READERS)
def patient_detail(request, public_id):
    patient = selectors.patient_get(user=request.user, public_id=public_id)
    cases = selectors.case_list(user=request.user, patient=patient, include_archived=True, with_image_count=True)
    return render(
        request, "patients/patient_detail.html", {"patient": patient, "cases": cases, "archive_form": ArchiveForm()}
    )


@role_required(*policy.CLINICAL_WRITERS)
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
@role_required(*policy.CLINICAL_WRITERS)
def patient_archive(request, public_id):
    patient = selectors.patient_get(user=request.user, public_id=public_id)
    return archive_from_form(request, patient, lambda p, **kw: services.patient_archive(patient=p, **kw), "Patient")
