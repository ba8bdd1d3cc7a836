"""Report pages: thin views; scoping by the selectors (visible_to), auditing by the audit middleware's routes."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dermplatform.accounts.models import Clinic
from dermplatform.accounts.permissions import role_required
from dermplatform.api import policy
from diagnosis.reports import selectors as report_selectors
from diagnosis.reports.content import case_report
from diagnosis.reports.drift import ALPHA, MIN_IMAGES
from diagnosis.reports.performance import performance_by_version
from diagnosis.reports.responses import case_pdf_response, clinic_cases_csv_response
from patients import selectors as patient_selectors

# Who reads a case reads its report: the clinic's staff and dermatologists.
CASE_READERS = policy.CLINICAL_READERS


@require_GET
@role_required(*CASE_READERS)
def case_pdf(request, public_id):
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    return case_pdf_response(case_report(case=case, user=request.user))


# The clinic's audit export and the real-world performance page: its dermatologists, and platform admins.
CLINIC_REVIEWERS = policy.REPORT_READERS


def _clinic_id(request) -> int | None:
    """?clinic= (admins choose among every clinic; see report_cases); anything but a clinic id is not found."""
    clinic = request.GET.get("clinic", "")
    if not clinic:
        return None
    if not (clinic.isascii() and clinic.isdigit() and len(clinic) <= 18):
        raise Http404("No such clinic.")
    return int(clinic)


@require_GET
@role_required(*CLINIC_REVIEWERS)
def clinic_cases_csv(request):
    return clinic_cases_csv_response(report_selectors.report_cases(user=request.user, clinic_id=_clinic_id(request)))


@require_GET
@role_required(*CLINIC_REVIEWERS)
def performance(request):
    """Real-world performance of the AI on the clinic's patients, one model version at a time."""
    clinic_id = _clinic_id(request)
    figures = performance_by_version(report_selectors.report_cases(user=request.user, clinic_id=clinic_id))
    chosen = request.GET.get("version", "")
    current = next((f for f in figures if str(f.version.pk) == chosen), figures[0] if figures else None)
    context = {
        "figures": figures,
        "current": current,
        "clinics": Clinic.objects.order_by("name") if policy.can_administer(request.user) else None,
        "clinic": request.GET.get("clinic", ""),
        "scope": report_selectors.report_scope(user=request.user, clinic_id=clinic_id),
        # The weekly drift watch of the clinic (an admin's choice, or every clinic), each model version apart.
        "drift": report_selectors.drift_watch(user=request.user, clinic_id=clinic_id),
        "drift_alpha": ALPHA,
        "drift_min_images": MIN_IMAGES,
    }
    return render(request, "diagnosis/performance.html", context)
