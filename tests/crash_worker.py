"""Test only: the platform's Celery app, whose pool process dies (os._exit, as SIGKILL or the OOM killer would
leave it: no error recorded, the message unacknowledged) every time a pass of the model holds the image
DERM_TEST_CRASH_IMAGE_ID. Started with `celery -A tests.crash_worker worker --pool prefork`."""

import os

from celery import signals

from dermplatform.celery import app  # noqa: F401  (what `celery -A tests.crash_worker` serves)


@signals.worker_process_init.connect(weak=False)
def _die_on_that_image(**kwargs):
    from diagnosis.inference import services

    doomed = int(os.environ["DERM_TEST_CRASH_IMAGE_ID"])
    classify_together = services.images_classify_together

    def images_classify_together(batch, version):
        # Alone or in a batch with others: the pass that holds it dies.
        if any(image.pk == doomed for image, _ in batch):
            os._exit(137)
        return classify_together(batch, version)

    services.images_classify_together = images_classify_together
