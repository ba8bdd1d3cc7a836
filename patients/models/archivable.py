from django.conf import settings
from django.db import models


class Archivable(models.Model):
    """Clinical records are archived with a reason, never deleted."""

    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    archive_reason = models.TextField(blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ClinicScopedQuerySet(models.QuerySet):
    """One scoping method per model: what a user of a clinic may see."""

    clinic_path = "clinic"

    def visible_to(self, user):
        from dermplatform.accounts.models import Role

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self.all()  # platform admins are bound to no clinic
        if user.role not in (Role.STAFF, Role.DERMATOLOGIST) or user.clinic_id is None:
            return self.none()
        return self.filter(**{self.clinic_path: user.clinic_id})

    def active(self):
        return self.filter(archived_at__isnull=True)
