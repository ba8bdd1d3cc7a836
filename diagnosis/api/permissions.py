"""Who may use the diagnosis part of the API. Deny by default.

Reading an AI opinion, a heat-map or a case's reviews follows
patients.api.permissions.ClinicalApiPermission (staff and dermatologists read;
retrying the AI is a write, so staff only). Reviewing and the review queue are
for dermatologists alone. Admins and anyone without a clinic get 403,
anonymous requests 401; another clinic's objects are not found (404).
"""

from rest_framework.permissions import BasePermission

from dermplatform.accounts.models import Role


class DermatologistApiPermission(BasePermission):
    message = "Only dermatologists review cases."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.clinic_id is not None and user.role == Role.DERMATOLOGIST
