"""Who may use the clinical API. Deny by default.

Clinic staff read and write; dermatologists read; platform admins (who work in
the Django admin) and anyone without a clinic get 403; anonymous requests 401.
Which rows a permitted user reaches is decided by each model's visible_to().
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from dermplatform.accounts.models import Role


class ClinicalApiPermission(BasePermission):
    message = "Your role does not give access to this part of the API."
    read_roles = frozenset({Role.STAFF, Role.DERMATOLOGIST})
    write_roles = frozenset({Role.STAFF})

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if user.clinic_id is None:
            return False
        roles = self.read_roles if request.method in SAFE_METHODS else self.write_roles
        return user.role in roles
