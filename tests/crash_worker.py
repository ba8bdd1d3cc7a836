"""Test only: the platform's Celery app, whose pool process dies (os._exit, as SIGKILL or the OOM killer would
leave it: no error recorded, the message unacknowledged) every time it starts classifying the image
DERM_TEST_CRASH_IMAGE_ID. Started with `celery -A tests.crash_worker worker --pool prefork`."""

import os

from celery import signals

from dermplatform.celery import app  # noqa: F401  (what `celery -A tests.crash_worker` serves)


@signals.worker_process_init.connect(weak=False)
def _die_on_that_image(**kwargs):
    from diagnosis import services

    doomed = int(os.environ["DERM_TEST_CRASH_IMAGE_ID"])
    classify = services.image_classify

    def image_classify(*, image_id):
        if int(image_id) == doomed:
            os._exit(137)
        return classify(image_id=image_id)

    services.image_classify = image_classify
