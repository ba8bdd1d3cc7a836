"""House rules that hold everywhere: time limits on every task, no missing migrations."""

import pytest
from django.core.management import call_command

from dermplatform.celery import app


def test_every_task_has_time_limits():
    app.loader.import_default_modules()  # autodiscovery is lazy
    ours = {name: task for name, task in app.tasks.items() if name.startswith(("diagnosis.", "patients.", "dermplatform."))}
    assert "diagnosis.tasks.classify_image" in ours
    for name, task in ours.items():
        assert task.soft_time_limit and task.time_limit, name
        assert task.soft_time_limit < task.time_limit, name


def test_inference_tasks_are_routed_to_the_inference_queue():
    route = app.amqp.router.route({}, "diagnosis.tasks.classify_image")
    assert route["queue"].name == "inference"


def test_the_sweep_runs_on_the_default_queue_from_one_schedule():
    # Behind an inference backlog the sweep would come too late.
    assert app.amqp.router.route({}, "diagnosis.tasks.requeue_unclassified")["queue"].name == "default"
    (entry,) = [e for e in app.conf.beat_schedule.values() if e["task"] == "diagnosis.tasks.requeue_unclassified"]
    assert entry["options"]["queue"] == "default"
    assert entry["schedule"] <= 60  # part of "a lost image is classified within 2 minutes"


def test_a_killed_workers_message_comes_back_soon_after_the_hard_time_limit():
    from django.conf import settings

    app.loader.import_default_modules()
    classify = app.tasks["diagnosis.tasks.classify_image"]
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if "visibility_timeout" not in options:
        pytest.skip("not a Redis broker")
    assert classify.time_limit < options["visibility_timeout"] <= 100
    assert settings.DERM_AI_RETRY_MAX_DELAY < options["visibility_timeout"]  # a retry's wait is held unacknowledged
    assert classify.ignore_result  # no result backend between an upload and the broker


def test_tasks_are_acknowledged_late():
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
