"""Who may use the clinical API, by the role policy. Deny by default.

Clinic staff read and write; dermatologists read; platform admins (who work in the Django admin) and anyone
without a clinic get 403; anonymous requests 401. Which rows a permitted user reaches is decided by each model's
visible_to().
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from . import policy


class ClinicalApiPermission(BasePermission):
    message = "Your role does not give access to this part of the API."
    read_roles = policy.CLINICAL_READERS
    write_roles = policy.CLINICAL_WRITERS

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if user.clinic_id is None:
            return False
        return policy.has_role(user, self.read_roles if request.method in SAFE_METHODS else self.write_roles)
