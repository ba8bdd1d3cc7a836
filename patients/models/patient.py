import uuid
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone

from dermplatform.audit.history import tracked

from .archivable import Archivable, ClinicScopedQuerySet


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


def searched_date(term: str) -> date | None:
    """The date a search term spells in the site's formats (14/03/1986, 1986-03-14, 14.03.1986), or None."""
    for fmt in (*formats.get_format("DATE_INPUT_FORMATS"), "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(term, fmt).date()
        except ValueError:
            continue
    return None


class PatientQuerySet(ClinicScopedQuerySet):
    clinic_path = "clinic"

    def search(self, term: str):
        """Any part of the record number (a clinic's numbers share prefixes: "0042" finds "MRN-00421"), either
        name by any word, or the date of birth when the term is a date."""
        term = term.strip()
        if not term:
            return self
        query = models.Q(medical_record_number__icontains=term)
        born = searched_date(term)
        if born is not None:
            query |= models.Q(date_of_birth=born)
        for word in term.split():
            query |= models.Q(first_name__icontains=word) | models.Q(last_name__icontains=word)
        return self.filter(query)


@tracked()
class Patient(Archivable):
    # Pseudonymous id for URLs and the API: database ids never leave the server.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="patients")
    medical_record_number = models.CharField("medical record number", max_length=64)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        # The patient list: a clinic's patients by name.
        indexes = [models.Index(fields=["clinic", "last_name", "first_name", "id"], name="patient_by_name")]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "medical_record_number"], name="unique_mrn_per_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.medical_record_number})"

    def clean(self):
        # In clean() rather than a field validator: "today" moves, and a validator would be frozen into migrations.
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "The date of birth cannot be in the future."}, code="future")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def get_absolute_url(self) -> str:
        return reverse("patients:detail", args=[self.public_id])
