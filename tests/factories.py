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


class LesionImageFactory(factory.django.DjangoModelFactory):
    """An image row without bytes (its file names point at nothing): for tests that count, not look."""

    class Meta:
        model = "patients.LesionImage"

    case = factory.SubFactory(CaseFactory)
    image = factory.Sequence(lambda n: f"images/factory-{n}.jpg")
    thumbnail = factory.Sequence(lambda n: f"thumbnails/factory-{n}.jpg")
    content_type = "image/jpeg"
    width = 640
    height = 480
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    size_bytes = 1000
    uploaded_by = factory.SelfAttribute("case.created_by")


AI_CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "diagnosis.ModelVersion"

    name = factory.Sequence(lambda n: f"model-{n}")
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    directory = "/nowhere"
    classes = factory.LazyFunction(lambda: list(AI_CLASSES))
    card = factory.LazyFunction(dict)


class PredictionFactory(factory.django.DjangoModelFactory):
    """The AI's opinion on an image, written directly (no model run): P(mel) = mel_score, the rest spread evenly."""

    class Meta:
        model = "diagnosis.Prediction"

    image = factory.SubFactory(LesionImageFactory)
    model_version = factory.SubFactory(ModelVersionFactory)
    mel_score = 0.1
    probabilities = factory.LazyAttribute(
        lambda p: {c: (p.mel_score if c == "mel" else (1 - p.mel_score) / 6) for c in AI_CLASSES}
    )
    top_class = factory.LazyAttribute(lambda p: max(p.probabilities, key=p.probabilities.get))
    confidence = factory.LazyAttribute(lambda p: p.probabilities[p.top_class])
    malignancy_risk = factory.LazyAttribute(lambda p: p.mel_score + 2 * (1 - p.mel_score) / 6)
    mel_flag = factory.LazyAttribute(lambda p: p.mel_score >= 0.3)
    mel_threshold = 0.3
    malignant_flag = factory.LazyAttribute(lambda p: p.malignancy_risk >= 0.4)
    malignant_threshold = 0.4
    assessable = True
    duration_ms = 10
