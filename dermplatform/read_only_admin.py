"""Admin bases for records the admin may read but not write.

Clinical records, predictions and the audit trail change only through services that check the clinic, keep state
consistent and audit the change; tokens and two-factor devices are only ever issued to their own user.
"""

from django.contrib import admin


class NoAddOrChangeAdmin(admin.ModelAdmin):
    """Listed and viewed; deleting stays possible where the subclass allows it (revoking a token, resetting a device)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoAddOrChangeAdmin):
    """Listed and viewed only: never added, changed or deleted here."""

    def has_delete_permission(self, request, obj=None):
        return False
