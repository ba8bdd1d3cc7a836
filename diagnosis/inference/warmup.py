"""Load and warm the active model when a worker process starts, so the first upload costs what the others do."""

import logging
import time

from diagnosis.inference.model_registry import model_version_active, predictor_for

logger = logging.getLogger(__name__)


def warm_in_pool_process(**_signal_kwargs) -> None:
    """``worker_process_init``: each prefork child warms its own model (TensorFlow does not survive a fork)."""
    warm_active_model()


def warm_in_main_process(sender=None, **_signal_kwargs) -> None:
    """``worker_init``: a solo or threads pool runs tasks in the main process, so warm it there."""
    pool = getattr(sender, "pool_cls", "")
    name = pool if isinstance(pool, str) else f"{getattr(pool, '__module__', '')}.{getattr(pool, '__name__', '')}"
    if "solo" in name or "thread" in name:
        warm_active_model()


def warm_active_model() -> None:
    """A failure is logged, never fatal: the first task loads the model again."""
    from PIL import Image

    started = time.perf_counter()
    try:
        version = model_version_active()
        predictor = predictor_for(version)
        h, w = predictor.input_size
        predictor.classify([Image.new("RGB", (w, h), (180, 120, 100))])  # traces / allocates every kernel once
    except Exception:
        logger.exception("could not warm the active model; the first task will load it")
        return
    finally:
        from django.db import connection

        connection.close()  # a forked child must not share the parent's database socket
    logger.info("model %s warm on %s in %.0f ms", version, predictor.runtime, (time.perf_counter() - started) * 1000)
