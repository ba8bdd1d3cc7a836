"""Local validation pages: thin views; scoping by selectors (visible_to), auditing by the audit middleware's
routes and the services' events."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dermplatform.accounts.models import Role
from dermplatform.accounts.permissions import role_required
from diagnosis.reports.local_validation import MIN_POSITIVES_TO_ADOPT, roc_plot
from diagnosis.validation import selectors, services
from diagnosis.validation.forms import HistologyRunForm, UploadRunForm
from patients.views.forms_support import attach_errors

VALIDATORS = (Role.DERMATOLOGIST, Role.ADMIN)


def _list_page(request, *, upload_form=None, histology_form=None, status=200):
    context = {
        "runs": selectors.runs_visible(user=request.user),
        "upload_form": upload_form or UploadRunForm(user=request.user),
        "histology_form": histology_form or HistologyRunForm(user=request.user),
    }
    return render(request, "diagnosis/validation_list.html", context, status=status)


@require_GET
@role_required(*VALIDATORS)
def run_list(request):
    return _list_page(request)


@require_POST
@role_required(*VALIDATORS)
def run_create(request):
    histology = request.POST.get("source") == "histology"
    form = (HistologyRunForm if histology else UploadRunForm)(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        clinic_id = form.clinic_id()
        if clinic_id is None:
            form.add_error("clinic", "Choose the clinic the run is for.")
        else:
            try:
                if histology:
                    run = services.validation_run_create_from_histology(
                        user=request.user, clinic_id=clinic_id, name=form.cleaned_data["name"],
                        case_ids=form.cleaned_data.get("cases") or None)
                else:
                    run = services.validation_run_create_from_upload(
                        user=request.user, clinic_id=clinic_id, name=form.cleaned_data["name"],
                        archive=request.FILES.get("images"), labels=request.FILES.get("labels"))
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"Local validation started: {run.total} image(s) to score.")
                return redirect("validation:run", public_id=run.public_id)
    forms = {"histology_form" if histology else "upload_form": form}
    return _list_page(request, status=400, **forms)


@require_GET
@role_required(*VALIDATORS)
def run_detail(request, public_id):
    run = selectors.run_get(user=request.user, public_id=public_id)
    context = {"run": run, "errors": selectors.run_errors(run), "can_adopt": services.can_adopt(request.user),
               "min_positives": MIN_POSITIVES_TO_ADOPT,
               "in_force": selectors.thresholds_in_force(clinic_id=run.clinic_id, model_version_id=run.model_version_id),
               "history": selectors.thresholds_history(clinic_id=run.clinic_id, model_version_id=run.model_version_id),
               "card_thresholds": selectors.card_thresholds(run.model_version)}
    if run.status == run.Status.DONE:
        figures = selectors.run_figures(run)
        context.update(figures=figures, roc=roc_plot(figures.roc))
    return render(request, "diagnosis/validation_run.html", context)


@require_POST
@role_required(*VALIDATORS)
def run_delete(request, public_id):
    run = selectors.run_get(user=request.user, public_id=public_id)
    services.validation_run_delete(run=run, user=request.user)
    messages.success(request, "Local validation run deleted with its images.")
    return redirect("validation:list")


@require_POST
@role_required(*VALIDATORS)
def thresholds_adopt(request, public_id):
    run = selectors.run_get(user=request.user, public_id=public_id)
    try:
        row = services.clinic_thresholds_adopt(run=run, user=request.user, keys=request.POST.getlist("flag"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Adopted for {run.clinic}: the worker now flags with the {row.label}.")
    return redirect("validation:run", public_id=run.public_id)


@require_POST
@role_required(*VALIDATORS)
def thresholds_restore(request, public_id):
    run = selectors.run_get(user=request.user, public_id=public_id)
    services.clinic_thresholds_restore(clinic_id=run.clinic_id, version=run.model_version, user=request.user, run=run)
    messages.success(request, f"{run.clinic} is back on the model card's thresholds for this model version.")
    return redirect("validation:run", public_id=run.public_id)


@require_POST
@role_required(*VALIDATORS)
def run_resume(request, public_id):
    run = selectors.run_get(user=request.user, public_id=public_id)
    try:
        services.validation_run_resume(run=run, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Sent to the AI again: the images already scored are kept.")
    return redirect("validation:run", public_id=run.public_id)
