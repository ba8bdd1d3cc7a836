import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.urls import reverse

from dermplatform.audit.history import tracked

from .archivable import ClinicScopedQuerySet


def image_storage():
    return storages["images"]


class LesionImageQuerySet(ClinicScopedQuerySet):
    clinic_path = "case__patient__clinic"

    def active(self):
        return self.filter(case__archived_at__isnull=True)


# The stored files' names are left out; their bytes live in StoredFile, which is not tracked.
@tracked(exclude=["image", "thumbnail"])
class LesionImage(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("patients.Case", on_delete=models.PROTECT, related_name="images")
    image = models.FileField(storage=image_storage, max_length=255, editable=False)
    thumbnail = models.FileField(storage=image_storage, max_length=255, editable=False)
    content_type = models.CharField(max_length=50, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    # SHA-256 of the bytes as uploaded (before metadata was stripped).
    sha256 = models.CharField(max_length=64, editable=False, db_index=True)
    original_filename = models.CharField(max_length=255, blank=True, editable=False)
    size_bytes = models.PositiveBigIntegerField(editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = LesionImageQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "sha256"], name="unique_image_per_case")]

    def __str__(self) -> str:
        return f"Image {str(self.public_id)[:8]} of {self.case}"

    def content_url(self) -> str:
        return reverse("patients:image_content", args=[self.public_id])

    def thumbnail_url(self) -> str:
        return reverse("patients:image_thumbnail", args=[self.public_id])
