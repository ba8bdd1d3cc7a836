from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "diagnosis"
    verbose_name = "AI diagnosis and review"

    def ready(self):
        from patients.signals import images_stored

        images_stored.connect(_queue_stored_images, dispatch_uid="diagnosis.queue_stored_images")

        from django.db.models.signals import post_save

        from diagnosis.triage import case_saved
        from patients.models import Case

        post_save.connect(case_saved, sender=Case, dispatch_uid="diagnosis.triage_case_saved")

        from diagnosis.review.api.serializers import case_headline_data
        from patients.api.serializers import case_detail_providers

        case_detail_providers["headline"] = case_headline_data

        from patients.page_slots import slot_register

        # What diagnosis shows on patients' pages (patients offers the slots and never loads diagnosis's tags).
        slot_register("case_status", "diagnosis/case_page/_status.html")
        slot_register("case_opinion", "diagnosis/case_page/_opinion.html")
        slot_register("case_image", "diagnosis/case_page/_image.html")
        slot_register("lesion_visits", "diagnosis/case_page/_lesion_visits.html")

        from celery.signals import worker_ready, worker_shutdown

        from dermplatform.health import check_register
        from diagnosis.inference import scheduler_heartbeat

        # /healthz reports the scheduler; every worker watches its heartbeat and sweeps in its place if it stops.
        check_register("scheduler", scheduler_heartbeat.health_check)
        worker_ready.connect(scheduler_heartbeat.worker_watch_start, dispatch_uid="diagnosis.scheduler_watch")
        worker_shutdown.connect(scheduler_heartbeat.worker_watch_stop, dispatch_uid="diagnosis.scheduler_unwatch")

        from celery.signals import worker_init, worker_process_init

        from diagnosis.inference import warmup

        # A worker loads and warms the active model before its first task (no cold start for the first upload).
        # Celery's Django fix-up runs django.setup() (so this) before the worker sends worker_init.
        worker_init.connect(warmup.warm_in_main_process, dispatch_uid="diagnosis.warm_main_process")
        worker_process_init.connect(warmup.warm_in_pool_process, dispatch_uid="diagnosis.warm_pool_process")


def _queue_stored_images(sender, image_ids, **kwargs):
    from diagnosis.inference.enqueue import images_enqueue

    images_enqueue(image_ids=image_ids)
