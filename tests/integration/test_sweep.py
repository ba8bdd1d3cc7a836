"""The sweep sends again only what is really lost: not images waiting in the queue, not those a worker holds,
not those queued moments ago; and what it sends, it sends once."""

import json
import time

import pytest

from diagnosis.models import ClassificationJob
from diagnosis.tasks import requeue_unclassified
from patients import services
from tests import faults
from tests.factories import CaseFactory, PatientFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case(staff, active_model):
    return CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)


def test_the_sweep_leaves_queued_images_alone_and_sends_lost_ones_once(private_redis, case, staff, active_model):
    # No worker: the five messages wait in the queue, as behind a long backlog.
    stored = services.images_upload(
        case=case, files=faults.lesion_uploads(5), uploaded_by=staff
    )
    redis = private_redis.client()
    assert redis.llen("inference") == 5
    assert requeue_unclassified(grace_seconds=0) == 0
    assert redis.llen("inference") == 5

    # One is delivered to a worker and not yet acknowledged (running, or waiting out a retry's countdown).
    raw = redis.rpop("inference")
    redis.hset("unacked", "tag-1", json.dumps([json.loads(raw), "", "inference"]))
    redis.zadd("unacked_index", {"tag-1": time.time()})
    assert requeue_unclassified(grace_seconds=0) == 0
    assert redis.llen("inference") == 4 and redis.hlen("unacked") == 1

    # Redis restarts without persistence: every message is gone.
    redis.flushall()
    assert requeue_unclassified() == 0  # queued moments ago: not due before the grace (DERM_SWEEP_GRACE)
    assert requeue_unclassified(grace_seconds=0) == 5
    assert redis.llen("inference") == 5
    assert requeue_unclassified(grace_seconds=0) == 0  # sent once, not once per sweep
    assert redis.llen("inference") == 5
    assert sorted(ClassificationJob.objects.filter(image__in=stored).values_list("times_queued", flat=True)) == [2] * 5
