"""Who may use the diagnosis part of the API. Deny by default.

Reading an AI opinion, a heat-map or a case's reviews follows
dermplatform.api.permissions.ClinicalApiPermission (staff and dermatologists read;
retrying the AI is a write, so staff only). Reviewing and the review queue are
for dermatologists alone. Admins and anyone without a clinic get 403 (but for
the clinic's reports, which admins read too), anonymous requests 401; another
clinic's objects are not found (404).
"""

from rest_framework.permissions import SAFE_METHODS

from dermplatform.accounts.models import Role
from dermplatform.api import policy
from dermplatform.api.permissions import ClinicalApiPermission


class DermatologistApiPermission(ClinicalApiPermission):
    message = "Only dermatologists review cases."
    read_roles = write_roles = policy.REVIEWERS


class HistologyApiPermission(ClinicalApiPermission):
    message = "Only the clinic's staff and dermatologists enter histology."
    read_roles = write_roles = policy.HISTOLOGY_WRITERS


class ClinicReportsApiPermission(ClinicalApiPermission):
    """The clinic's CSV export and real-world performance, as on their pages: the clinic's dermatologists, and
    platform admins (bound to no clinic: they see every clinic's, or choose one). Read only."""

    message = "Only dermatologists and administrators read the clinic's reports."
    read_roles = policy.REPORT_READERS
    write_roles = frozenset()

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user and user.is_authenticated and user.is_active and user.role == Role.ADMIN:
            return request.method in SAFE_METHODS
        return super().has_permission(request, view)
