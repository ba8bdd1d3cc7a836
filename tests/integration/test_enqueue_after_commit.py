"""An upload queues one classify_image message per stored image on Redis, only after commit."""

import base64
import json

import pytest
import redis
from django.conf import settings
from django.db import transaction

from patients import services
from patients.models import LesionImage, StoredFile
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker():
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://... (make test sets it)")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("inference")
    yield client
    client.delete("inference")


def _queued(broker):
    messages = [json.loads(raw) for raw in broker.lrange("inference", 0, -1)]
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


@pytest.fixture
def case(staff):
    return CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)


def test_committed_upload_queues_each_image_once(broker, case, staff):
    stored = services.images_upload(
        case=case, files=[upload(jpeg_bytes(seed=1)), upload(jpeg_bytes(seed=2))], uploaded_by=staff
    )
    assert sorted(_queued(broker)) == sorted(("diagnosis.tasks.classify_image", [i.pk]) for i in stored)


def test_nothing_is_queued_before_commit_or_after_rollback(broker, case, staff):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.images_upload(case=case, files=[upload(jpeg_bytes(seed=3))], uploaded_by=staff)
            assert _queued(broker) == []  # not yet: the transaction is open
            raise RuntimeError("the request failed after the upload")
    assert _queued(broker) == []
    assert not LesionImage.objects.exists()
    assert not StoredFile.objects.exists()  # the bytes rolled back with the rows
