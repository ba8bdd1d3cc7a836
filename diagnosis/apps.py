from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "diagnosis"
    verbose_name = "AI diagnosis and review"

    def ready(self):
        from patients.signals import images_stored

        images_stored.connect(_queue_stored_images, dispatch_uid="diagnosis.queue_stored_images")

        from patients.api.serializers import case_detail_providers

        from .api.serializers import case_headline_data

        case_detail_providers["headline"] = case_headline_data


def _queue_stored_images(sender, image_ids, **kwargs):
    from .services import images_enqueue

    images_enqueue(image_ids=image_ids)
