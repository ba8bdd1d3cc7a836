"""What the inference worker writes is audited too: each AI opinion, and each image the AI gives up on."""

import pytest

from dermplatform.audit.models import AuditEvent
from diagnosis.inference import services
from diagnosis.models import Prediction

pytestmark = pytest.mark.django_db


def test_each_opinion_is_recorded_for_the_case_clinic(uploaded_case, active_model):
    image = uploaded_case.images.first()
    prediction = services.image_classify(image_id=image.pk)
    services.image_classify(image_id=image.pk)  # a re-delivered task adds neither a prediction nor an event
    events = AuditEvent.objects.filter(action="prediction.create")
    assert events.count() == 1
    event = events.get()
    assert (event.username, event.actor_id) == (services.AI_WORKER, None)
    assert event.clinic_id == uploaded_case.patient.clinic_id
    assert (event.object_type, event.object_id) == ("prediction", prediction.public_id)
    assert Prediction.objects.filter(image=image).count() == 1


def test_an_image_the_ai_gives_up_on_is_recorded(uploaded_case, active_model):
    image = uploaded_case.images.first()
    services.image_classification_failed(image_id=image.pk, error="stored image file is missing")
    event = AuditEvent.objects.get(action="prediction.failed")
    assert (event.object_type, event.object_id) == ("image", image.public_id)
    assert event.clinic_id == uploaded_case.patient.clinic_id
    assert "missing" not in str(event.__dict__)  # the reason stays on the job, not in the audit trail
