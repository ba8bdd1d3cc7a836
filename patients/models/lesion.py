import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from dermplatform.audit.history import tracked

from .archivable import ClinicScopedQuerySet
from .case import BodySite


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    MIDLINE = "midline", "Midline"
    NOT_APPLICABLE = "", "Not applicable"


class LesionQuerySet(ClinicScopedQuerySet):
    clinic_path = "patient__clinic"


@tracked()
class Lesion(models.Model):
    """One lesion of a patient, followed across visits: each of its cases is one visit."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="lesions")
    body_site = models.CharField(max_length=20, choices=BodySite.choices, default=BodySite.UNKNOWN)
    side = models.CharField(max_length=10, choices=Side.choices, blank=True)
    label = models.CharField(max_length=100, blank=True, help_text='A short label, e.g. "left shoulder, 6 mm pigmented".')
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LesionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        site = self.get_body_site_display()
        where = f"{site} ({self.get_side_display().lower()})" if self.side else site
        return f"{where}: {self.label}" if self.label else where

    def get_absolute_url(self) -> str:
        return reverse("patients:lesion_detail", args=[self.public_id])
