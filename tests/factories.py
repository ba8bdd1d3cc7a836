import factory

from dermplatform.accounts.models import Clinic, Role, User

PASSWORD = "correct-horse-battery-9"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.STAFF
    clinic = factory.SubFactory(ClinicFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    role = Role.STAFF


class DermatologistFactory(UserFactory):
    role = Role.DERMATOLOGIST


class AdminFactory(UserFactory):
    role = Role.ADMIN
    clinic = None
    is_superuser = True


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patients.Patient"

    clinic = factory.SubFactory(ClinicFactory)
    medical_record_number = factory.Sequence(lambda n: f"MRN{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
    sex = "female"
    created_by = factory.SubFactory(StaffFactory, clinic=factory.SelfAttribute("..clinic"))


class LesionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patients.Lesion"

    patient = factory.SubFactory(PatientFactory)
    body_site = "back"
    created_by = factory.SelfAttribute("patient.created_by")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patients.Case"

    patient = factory.SubFactory(PatientFactory)
    body_site = "back"
    lesion = factory.SubFactory(
        LesionFactory, patient=factory.SelfAttribute("..patient"), body_site=factory.SelfAttribute("..body_site"),
        created_by=factory.SelfAttribute("..created_by"),
    )
    clinical_notes = "Changing pigmented lesion."
    created_by = factory.SelfAttribute("patient.created_by")
