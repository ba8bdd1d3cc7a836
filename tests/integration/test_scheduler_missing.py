"""Beat not running plus one Redis restart (issue 20, item 2): the lost upload is shown "delayed" on the case page
and in the API with Retry AI offered, /healthz says degraded naming the scheduler, and a real worker that finds no
heartbeat sweeps in the scheduler's place, so every image is classified.

Short periods through the settings and the worker's environment (sweep every 2 s, stale after 3 missed sweeps,
delayed after 5 s) stand for production's 30 s, 4 and 10 minutes: the mechanism is under test, not the clock.
"""

import time

import pytest
from django.urls import reverse

from diagnosis.models import Prediction, SchedulerHeartbeat
from patients import services
from patients.models import Case, CaseStatus
from tests import faults
from tests.factories import CaseFactory, PatientFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SHORT = {"DERM_SWEEP_INTERVAL": "2", "DERM_SWEEP_GRACE": "2", "DERM_SCHEDULER_MISSED_SWEEPS": "3"}


def test_without_beat_a_lost_upload_is_delayed_then_a_worker_sweeps_it(pipeline, staff, client, settings, active_model,
                                                                       request):
    settings.DERM_SWEEP_INTERVAL, settings.DERM_SWEEP_GRACE, settings.DERM_SCHEDULER_MISSED_SWEEPS = 2, 2, 3
    settings.DERM_AI_DELAYED_SECONDS = 5
    client.force_login(staff)
    assert client.get(reverse("healthz")).json()["checks"]["scheduler"] == "ok"  # the platform starts watching

    # No worker and no beat: the upload's messages wait in Redis, and a restart without persistence loses them.
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    images = services.images_upload(case=case, files=faults.lesion_uploads(3), uploaded_by=staff)
    redis = pipeline.redis.client()
    assert redis.llen("inference") == 3
    uploaded = time.monotonic()
    pipeline.redis.restart()
    assert pipeline.redis.client().llen("inference") == 0

    def page():
        return client.get(case.get_absolute_url()).content.decode()

    assert faults.wait_for(lambda: 'data-testid="ai-delayed"' in page(), timeout=60, step=0.5)
    time_to_delayed = time.monotonic() - uploaded
    shown = page()
    assert "The AI is delayed: 3 images waiting for it since" in shown
    assert "this page updates by itself" not in shown and "Retry AI" in shown
    ai = client.get(reverse("diagnosis_api:case_ai", args=[case.public_id])).json()
    assert ai["status"] == "awaiting_ai" and len(ai["delayed_images"]) == 3 and ai["retry_allowed"] is True

    assert faults.wait_for(lambda: client.get(reverse("healthz")).json()["checks"]["scheduler"] == "stale", timeout=60)
    health = client.get(reverse("healthz"))
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "checks": {"database": "ok", "broker": "ok", "scheduler": "stale"}}

    # A worker starts, beat still absent: it finds the heartbeat stale, sweeps itself and the images get classified.
    worker = pipeline.worker(env=SHORT)
    started = time.monotonic()
    done = faults.wait_for(
        lambda: Prediction.objects.filter(image__in=images).values("image").distinct().count() == 3, timeout=120
    )
    assert done, pipeline.logs()
    classified_after = time.monotonic() - started
    assert "swept in its place" in worker.log_path.read_text()
    heartbeat = SchedulerHeartbeat.objects.get()
    assert heartbeat.beat_sweep_at is None and heartbeat.worker_sweep_at is not None
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_REVIEW
    assert 'data-testid="ai-delayed"' not in page()
    faults.report(
        request, "beat absent, Redis restarted without persistence, 3 queued", **faults.outcome(images),
        time_to_delayed_s=f"{time_to_delayed:.0f} (threshold {settings.DERM_AI_DELAYED_SECONDS} s)",
        classified_after_worker_start_s=f"{classified_after:.0f} (stale after 3 x 2 s sweeps)",
    )
