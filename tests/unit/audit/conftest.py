import pytest

from dermplatform.audit.models import AuditEvent
from diagnosis.inference import services as diagnosis_services
from diagnosis.models import Prediction
from tests.unit.api.conftest import (  # noqa: F401  (fixtures shared with the API tests)
    api,
    api_as,
    case,
    image,
    make_case,
    make_image,
    make_patient,
    other_case,
    other_image,
    other_patient,
    patient,
)


@pytest.fixture
def classified(staff, active_model):
    """A patient with a case whose one image the tiny model classified (awaiting review)."""
    patient = make_patient(staff, mrn="AUD-001", first_name="Florence", last_name="Nightingale")
    case = make_case(staff, patient, notes="Irregular border.")
    image = make_image(staff, case)
    diagnosis_services.image_classify(image_id=image.pk)
    return {"patient": patient, "lesion": case.lesion, "case": case, "image": image, "prediction": Prediction.objects.get(image=image)}


@pytest.fixture
def new_events():
    """new_events() returns the events recorded since the fixture was set up (then since the last call)."""
    seen = {"pk": AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0}

    def since():
        events = list(AuditEvent.objects.filter(pk__gt=seen["pk"]).order_by("pk"))
        if events:
            seen["pk"] = events[-1].pk
        return events

    return since
