"""The worklist pages: thin views. Scoping by the selectors (visible_to) and the case lookup (404 for another
clinic's case); reads audited by the audit middleware's routes, the done and reopen writes by the services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dermplatform.accounts.permissions import role_required
from dermplatform.api.downloads import private_download
from diagnosis.review.worklist import selectors, services
from diagnosis.review.worklist.csv_export import worklist_csv
from diagnosis.review.worklist.forms import ItemForm, WorklistFilterForm
from diagnosis.review.worklist.models import ItemKind
from patients import selectors as patient_selectors


def _filtered(request):
    form = WorklistFilterForm(request.GET or None)
    kind, due_by = "", None
    if form.is_valid():
        kind, due_by = form.cleaned_data["kind"], form.cleaned_data["due_by"]
    items = selectors.worklist_items(user=request.user)
    return form, items, selectors.items_filtered(items, kind=kind, due_by=due_by)


@require_GET
@role_required(*services.WORKLIST_ROLES)
def worklist(request):
    form, items, shown = _filtered(request)
    context = {
        "form": form,
        "items": shown,
        "counts": selectors.item_counts(items),
        "kinds": ItemKind.choices,
        "today": timezone.localdate(),
        "recent": selectors.marks_recent(user=request.user),
        "query": request.GET.urlencode(),
    }
    return render(request, "diagnosis/worklist.html", context)


@require_GET
@role_required(*services.WORKLIST_ROLES)
def worklist_export(request):
    _, _, shown = _filtered(request)
    response = StreamingHttpResponse(worklist_csv(shown), content_type="text/csv; charset=utf-8")
    return private_download(response, f"worklist-{timezone.localtime():%Y%m%d-%H%M}.csv")


def _back(request):
    """Back to the worklist with the filters it was shown with."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith("/worklist/"):
        return redirect(target)
    return redirect("worklist:list")


def _item_action(request, public_id, action, done_message):
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    form = ItemForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("No such worklist item.")
        action(case=case, user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done_message)
    return _back(request)


@require_POST
@role_required(*services.WORKLIST_ROLES)
def item_done(request, public_id):
    return _item_action(request, public_id, services.item_mark_done, "Marked done: it has left the worklist.")


@require_POST
@role_required(*services.WORKLIST_ROLES)
def item_reopen(request, public_id):
    return _item_action(request, public_id, services.item_reopen, "Reopened: it is back on the worklist.")
