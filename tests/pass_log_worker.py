"""Test only: the platform's Celery app, whose pool process appends one line per pass of the model to the file
DERM_TEST_PASS_LOG ("<pid> <image id> <image id> ...", written as the pass starts), so that a test counts how
often each image went through the model, whichever worker ran it; with DERM_TEST_BATCH_PAUSE (seconds) a pass of
more than one image waits that long before the model runs (a window in which a test kills the worker mid-batch).
Started with `celery -A tests.pass_log_worker worker`."""

import os
import time

from celery import signals

from dermplatform.celery import app  # noqa: F401  (what `celery -A tests.pass_log_worker` serves)


@signals.worker_init.connect(weak=False)  # the solo pool runs tasks in the main process
@signals.worker_process_init.connect(weak=False)  # a prefork pool process
def _log_each_pass(**kwargs):
    from diagnosis.inference import services

    if getattr(services.images_classify_together, "logs_passes", False):
        return  # installed in the main process before the fork

    path = os.environ["DERM_TEST_PASS_LOG"]
    pause = float(os.environ.get("DERM_TEST_BATCH_PAUSE", "0"))
    classify_together = services.images_classify_together

    def images_classify_together(batch, version):
        with open(path, "a") as log:  # one short line per write: appends from several processes stay whole
            log.write(" ".join(str(n) for n in [os.getpid(), *(image.pk for image, _ in batch)]) + "\n")
        if len(batch) > 1 and pause:
            time.sleep(pause)
        return classify_together(batch, version)

    images_classify_together.logs_passes = True
    services.images_classify_together = images_classify_together


def passes(path) -> list[tuple[int, list[int]]]:
    """(pid, image ids) of each pass written so far."""
    if not os.path.exists(path):
        return []
    with open(path) as log:
        rows = [[int(n) for n in line.split()] for line in log if line.strip()]
    return [(row[0], row[1:]) for row in rows]
