import uuid

from django.conf import settings
from django.db import models


class ValidationRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Admins: every clinic's runs; a clinic's dermatologists: their clinic's; anyone else: none."""
        from dermplatform.accounts.models import Role

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ADMIN:
            return self
        if user.role == Role.DERMATOLOGIST and user.clinic_id:
            return self.filter(clinic_id=user.clinic_id)
        return self.none()


class ValidationRun(models.Model):
    """A clinic's local validation: the active model scored on a labelled set of the clinic's own images.

    Its images (ValidationImage) are kept apart from patient records; deleting the run deletes them."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded set (ZIP + CSV)"
        HISTOLOGY = "histology", "The clinic's cases with histology"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the AI worker"
        RUNNING = "running", "Scoring"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="validation_runs")
    model_version = models.ForeignKey("diagnosis.ModelVersion", on_delete=models.PROTECT, related_name="validation_runs")
    name = models.CharField(max_length=200, blank=True, help_text="A label for the set, e.g. its device or period.")
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ValidationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Local validation {str(self.public_id)[:8]} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def can_resume(self) -> bool:
        """Failed, or still waiting for the worker minutes after it was sent (its message lost): send it again."""
        from datetime import timedelta

        from django.utils import timezone

        if self.status == self.Status.FAILED:
            return True
        return self.status == self.Status.QUEUED and self.created_at < timezone.now() - timedelta(minutes=2)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
