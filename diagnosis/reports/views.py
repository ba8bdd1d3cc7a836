"""Report pages: thin views; scoping by the selectors (visible_to), auditing by the audit middleware's routes."""

from django.views.decorators.http import require_GET

from dermplatform.accounts.models import Role
from dermplatform.accounts.permissions import role_required
from patients import selectors as patient_selectors

from .content import case_report
from .responses import case_pdf_response

# Who reads a case reads its report: the clinic's staff and dermatologists.
CASE_READERS = (Role.STAFF, Role.DERMATOLOGIST)


@require_GET
@role_required(*CASE_READERS)
def case_pdf(request, public_id):
    case = patient_selectors.case_get(user=request.user, public_id=public_id)
    return case_pdf_response(case_report(case=case, user=request.user))
