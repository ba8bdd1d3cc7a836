"""Claims and attempt counting at the start of a try (services.image_delivery_started), on PostgreSQL: a live
worker's claim keeps another worker off the image, a dead one's does not; the solitary try after an unfinished
batch pass is not charged again. The worker processes themselves are in tests/integration."""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from diagnosis.inference import services
from diagnosis.inference.worker_identity import _machine, worker_gone, worker_name
from diagnosis.models import ClassificationJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_worker():
    """Another process of this machine, running: the name it would write on its claims."""
    proc = subprocess.Popen(["sleep", "60"])
    yield f"{_machine()}/{proc.pid}"
    proc.kill()
    proc.wait()


@pytest.fixture
def dead_worker():
    proc = subprocess.Popen(["true"])
    proc.wait()
    return f"{_machine()}/{proc.pid}"


def test_a_live_workers_claim_keeps_another_worker_off_the_image(uploaded_case, active_model, live_worker):
    image = uploaded_case.images.first()
    assert services.image_delivery_started(image_id=image.pk, worker=live_worker) == (1, True)
    with pytest.raises(services.ImageClaimed) as claimed:
        services.image_delivery_started(image_id=image.pk, worker=worker_name())
    assert 0 < claimed.value.seconds_left <= services.CLAIM_SECONDS
    assert ClassificationJob.objects.get(image=image).attempts == 1  # the refused start counted nothing
    services.images_release(image_ids=[image.pk], worker=live_worker)  # its pass is over
    assert services.image_delivery_started(image_id=image.pk, worker=worker_name()).attempt == 2


def test_a_claim_lapses_after_the_time_limit_or_at_once_when_its_holder_is_dead(
    uploaded_case, active_model, live_worker, dead_worker
):
    first, second = uploaded_case.images.all()
    services.image_delivery_started(image_id=first.pk, worker=live_worker)
    ClassificationJob.objects.filter(image=first).update(
        claimed_at=timezone.now() - timedelta(seconds=services.CLAIM_SECONDS + 1)
    )
    assert services.image_delivery_started(image_id=first.pk, worker=worker_name()).attempt == 2
    assert worker_gone(dead_worker) and not worker_gone(live_worker) and not worker_gone("elsewhere/1/2/3")
    services.image_delivery_started(image_id=second.pk, worker=dead_worker)
    assert services.image_delivery_started(image_id=second.pk, worker=worker_name()).attempt == 2
    assert ClassificationJob.objects.get(image=second).claimed_by == worker_name()


def test_the_solitary_try_after_an_unfinished_batch_is_not_charged_again(uploaded_case, active_model, dead_worker):
    image = uploaded_case.images.first()
    # The state a batch pass leaves when its worker is killed: counted once, claimed by the dead, pending.
    ClassificationJob.objects.create(image=image, attempts=1, batch_pending=True, claimed_by=dead_worker,
                                     claimed_at=timezone.now())
    delivery = services.image_delivery_started(image_id=image.pk, worker=worker_name())
    assert delivery == (1, False)  # alone, under the batch's count
    job = ClassificationJob.objects.get(image=image)
    assert not job.batch_pending and job.claimed_by == worker_name()
    # That solitary try dies too (its holder gone): the next one is charged, as for any image that kills its worker.
    ClassificationJob.objects.filter(image=image).update(claimed_by=dead_worker)
    assert services.image_delivery_started(image_id=image.pk, worker=worker_name()).attempt == 2
