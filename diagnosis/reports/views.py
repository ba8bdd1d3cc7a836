"""Report pages: thin views; scoping by the selectors (visible_to), auditing by the audit middleware's routes."""

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dermplatform.accounts.models import Clinic, Role
from dermplatform.accounts.permissions import role_required
from patients import selectors as patient_selectors
from patients.models import Case

from ..performance import performance_by_version
from . import csv_export

from .content import case_report
from .responses import case_pdf_response

# Who reads a case reads its report: the clinic's staff and dermatologists.
CASE_READERS = (Role.STAFF, Role.DERMATOLOGIST)


@require_GET
@role_required(*CASE_READERS)
def case_pdf(request, public_id):
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    return case_pdf_response(case_report(case=case, user=request.user))


# The clinic's audit export and the real-world performance page: its dermatologists, and platform admins.
CLINIC_REVIEWERS = (Role.DERMATOLOGIST, Role.ADMIN)


def _clinic_cases(request):
    """The cases the user may see (visible_to), narrowed to one clinic by ?clinic= (admins see every clinic)."""
    cases = Case.objects.visible_to(request.user)
    clinic = request.GET.get("clinic", "")
    if clinic:
        if not clinic.isdigit():
            raise Http404("No such clinic.")
        cases = cases.filter(patient__clinic_id=int(clinic))
    return cases


@require_GET
@role_required(*CLINIC_REVIEWERS)
def clinic_cases_csv(request):
    response = StreamingHttpResponse(csv_export.clinic_cases_csv(_clinic_cases(request)), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@role_required(*CLINIC_REVIEWERS)
def performance(request):
    """Real-world performance of the AI on the clinic's patients, one model version at a time."""
    figures = performance_by_version(_clinic_cases(request))
    chosen = request.GET.get("version", "")
    current = next((f for f in figures if str(f.version.pk) == chosen), figures[0] if figures else None)
    context = {
        "figures": figures,
        "current": current,
        "clinics": Clinic.objects.order_by("name") if request.user.role == Role.ADMIN else None,
        "clinic": request.GET.get("clinic", ""),
        "scope": request.user.clinic or "all clinics",
    }
    if context["clinics"] is not None and context["clinic"]:
        context["scope"] = next((c for c in context["clinics"] if str(c.pk) == context["clinic"]), "")
    return render(request, "diagnosis/performance.html", context)
