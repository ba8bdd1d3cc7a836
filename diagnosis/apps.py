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


def _queue_stored_images(sender, image_ids, **kwargs):
    from .services import images_enqueue

    images_enqueue(image_ids=image_ids)
