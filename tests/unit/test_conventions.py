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


def test_tasks_are_acknowledged_late():
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
