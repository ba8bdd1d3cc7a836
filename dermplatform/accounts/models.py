from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from dermplatform.audit.history import tracked


@tracked()
class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # The system of the clinic's record numbers in exported FHIR (Patient.identifier.system): the hospital's own
    # URI where it has one, so that the receiving record matches our numbers with its own.
    patient_identifier_system = models.CharField(
        "record number system (FHIR)", max_length=255, blank=True,
        validators=[RegexValidator(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", "Enter a URI, e.g. urn:oid:1.2.3 or https://...")],
        help_text="The URI naming this clinic's medical record numbers in FHIR exports. Blank: "
                  "DERM_PATIENT_ID_SYSTEM with the clinic's id.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def record_number_system(self) -> str:
        """The URI of this clinic's record numbers: its own, or the platform's default for the clinic."""
        return self.patient_identifier_system or settings.DERM_PATIENT_ID_SYSTEM.replace("{clinic}", str(self.pk))

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    STAFF = "staff", "Clinic staff"
    DERMATOLOGIST = "dermatologist", "Dermatologist"
    ADMIN = "admin", "Administrator"


# Who may do what, and whether they may sign in: never the password hash (nor OTP secrets, kept elsewhere),
# nor last_login, which every sign-in changes.
@tracked(fields=["username", "role", "clinic", "is_active", "is_staff", "is_superuser"])
class User(AbstractUser):
    """A person who signs in. Staff and dermatologists belong to one clinic; admins run the platform."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    clinic = models.ForeignKey(Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="members")

    objects = UserManager()

    class Meta:
        ordering = ["username"]

    def clean(self):
        super().clean()
        if self.role != Role.ADMIN and self.clinic_id is None:
            raise ValidationError({"clinic": "Clinic staff and dermatologists must belong to a clinic."})

    def save(self, *args, **kwargs):
        # The Django admin is for admins only: its gate (is_staff) follows the role.
        if self.is_superuser:
            self.role = Role.ADMIN
        self.is_staff = self.role == Role.ADMIN
        super().save(*args, **kwargs)

    @property
    def is_clinic_staff(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_dermatologist(self) -> bool:
        return self.role == Role.DERMATOLOGIST

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.ADMIN

    def start_url(self) -> str:
        """The page each role lands on after signing in."""
        if self.role == Role.ADMIN:
            return reverse("admin:index")
        if self.role == Role.DERMATOLOGIST:
            return reverse("diagnosis:queue")
        return reverse("patients:list")
