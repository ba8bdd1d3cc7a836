from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dermplatform.accounts.permissions import role_required
from dermplatform.api import policy

from .. import selectors, services
from ..forms import ArchiveForm, CaseCreateForm, CaseForm, ImageUploadForm
from ..page_slots import page_slots
from .forms_support import archive_from_form, attach_errors


@role_required(*policy.CLINICAL_WRITERS)
def case_create(request, patient_id):
    patient = selectors.patient_get(user=request.user, public_id=patient_id)
    form = CaseCreateForm(request.POST or None, lesions=selectors.lesions_of(patient=patient),
                          initial={"lesion": request.GET.get("lesion") or None})
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(patient=patient, created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "Case opened. Upload its dermoscopic images below.")
            return redirect(case)
    return render(request, "patients/case_form.html", {"form": form, "patient": patient, "title": "Open case"})


# Session key: why the last upload to a case was refused, shown once on the case page it redirects to.
UPLOAD_REFUSED = "upload_refused"


def _upload_errors(request, case) -> list[str]:
    refused = request.session.get(UPLOAD_REFUSED)
    if not refused or refused.get("case") != str(case.public_id):
        return []
    del request.session[UPLOAD_REFUSED]
    return refused["errors"]


@role_required(*policy.CLINICAL_READERS)
def case_detail(request, public_id):
    case = selectors.case_get(user=request.user, public_id=public_id)
    context = {
        "case": case,
        "patient": case.patient,
        "images": case.images.select_related("uploaded_by", "ai_job").prefetch_related("predictions"),
        "upload_form": ImageUploadForm(),
        "upload_errors": _upload_errors(request, case),
        "archive_form": ArchiveForm(),
        "slots": page_slots(),
    }
    return render(request, "patients/case_detail.html", context)


@role_required(*policy.CLINICAL_WRITERS)
def case_update(request, public_id):
    case = selectors.case_get(user=request.user, public_id=public_id)
    form = CaseForm(request.POST or None, instance=case)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(case=case, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "Case saved.")
            return redirect(case)
    return render(request, "patients/case_form.html", {"form": form, "patient": case.patient, "case": case, "title": "Edit case"})


@require_POST
@role_required(*policy.CLINICAL_WRITERS)
def case_archive(request, public_id):
    case = selectors.case_get(user=request.user, public_id=public_id)
    return archive_from_form(request, case, lambda c, **kw: services.case_archive(case=c, **kw), "Case")


@role_required(*policy.CLINICAL_READERS)
def lesion_detail(request, public_id):
    lesion = selectors.lesion_get(user=request.user, public_id=public_id)
    context = {
        "lesion": lesion, "patient": lesion.patient, "visits": selectors.lesion_visits(lesion=lesion), "slots": page_slots(),
    }
    return render(request, "patients/lesion_detail.html", context)
