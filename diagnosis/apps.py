from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "diagnosis"
    verbose_name = "AI diagnosis and review"

    def ready(self):
        from patients.signals import images_stored

        images_stored.connect(_queue_stored_images, dispatch_uid="diagnosis.queue_stored_images")

        from django.db.models.signals import post_save

        from patients.models import Case

        from .triage import case_saved

        post_save.connect(case_saved, sender=Case, dispatch_uid="diagnosis.triage_case_saved")

        from patients.api.serializers import case_detail_providers

        from .api.serializers import case_headline_data

        case_detail_providers["headline"] = case_headline_data

        from celery.signals import worker_ready, worker_shutdown

        from dermplatform.health import check_register

        from . import scheduler_heartbeat

        # /healthz reports the scheduler; every worker watches its heartbeat and sweeps in its place if it stops.
        check_register("scheduler", scheduler_heartbeat.health_check)
        worker_ready.connect(scheduler_heartbeat.worker_watch_start, dispatch_uid="diagnosis.scheduler_watch")
        worker_shutdown.connect(scheduler_heartbeat.worker_watch_stop, dispatch_uid="diagnosis.scheduler_unwatch")


def _queue_stored_images(sender, image_ids, **kwargs):
    from .services import images_enqueue

    images_enqueue(image_ids=image_ids)
