"""The scheduler's heartbeat, and the workers' sweep in its place when it stops.

Each sweep that beat sends records when it ran (SchedulerHeartbeat, in the database: a Redis restart, the fault
the sweep repairs, must not erase it). After DERM_SCHEDULER_MISSED_SWEEPS missed sweeps the scheduler is
"stale": /healthz says degraded naming it, the admin and needs-attention show it, and each worker checks every
DERM_SWEEP_INTERVAL whether to sweep itself. One worker at a time does (the heartbeat row locked, others skip),
at most once per interval, with a warning in its log: a missing beat delays work but never strands it.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from diagnosis.inference.sweep import lost_images_requeue
from diagnosis.models import SchedulerHeartbeat

logger = logging.getLogger(__name__)


def stale_after() -> timedelta:
    return timedelta(seconds=settings.DERM_SCHEDULER_MISSED_SWEEPS * settings.DERM_SWEEP_INTERVAL)


def _heartbeat() -> SchedulerHeartbeat:
    # The first read starts the clock for a deployment whose beat never ran.
    return SchedulerHeartbeat.objects.get_or_create(pk=1)[0]


def beat_sweep_record(request) -> None:
    """Called by the sweep task as it starts. A sweep that came as a message (beat sent it) is the heartbeat; one
    called directly (a worker's own sweep, `manage.py requeue_unclassified`, tests) is not."""
    if getattr(request, "called_directly", True):
        return
    try:
        SchedulerHeartbeat.objects.update_or_create(pk=1, defaults={"beat_sweep_at": timezone.now()})
    except DatabaseError:
        logger.warning("could not record the scheduler's heartbeat", exc_info=True)


@dataclass(frozen=True)
class SchedulerState:
    last_sweep_at: datetime | None  # the last sweep beat sent; None: never
    silent_since: datetime  # that sweep, or when the platform began to watch
    stale: bool
    stale_after: timedelta
    worker_sweep_at: datetime | None
    worker_sweep_by: str

    @property
    def silent_seconds(self) -> int:
        return max(0, round((timezone.now() - self.silent_since).total_seconds()))


def scheduler_state() -> SchedulerState:
    row = _heartbeat()
    silent_since = row.beat_sweep_at or row.watching_since
    limit = stale_after()
    return SchedulerState(
        last_sweep_at=row.beat_sweep_at, silent_since=silent_since, stale=timezone.now() - silent_since > limit,
        stale_after=limit, worker_sweep_at=row.worker_sweep_at, worker_sweep_by=row.worker_sweep_by,
    )


def health_check() -> str:
    """For /healthz (dermplatform.health): "ok", or "stale" past DERM_SCHEDULER_MISSED_SWEEPS missed sweeps."""
    return "stale" if scheduler_state().stale else "ok"


def worker_sweep_if_missing(*, worker: str) -> int | None:
    """Sweep in the scheduler's place when it is stale and no worker has in the last interval; the number of
    images sent again, or None when no sweep was due or another worker is sweeping."""
    _heartbeat()
    with transaction.atomic():
        # The lock: the heartbeat row, held through the sweep; a worker that finds it held leaves it to that one.
        row = SchedulerHeartbeat.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        now = timezone.now()
        if row is None or now - (row.beat_sweep_at or row.watching_since) <= stale_after():
            return None
        if row.worker_sweep_at and now - row.worker_sweep_at < timedelta(seconds=settings.DERM_SWEEP_INTERVAL):
            return None
        row.worker_sweep_at, row.worker_sweep_by = now, worker[:200]
        row.save(update_fields=["worker_sweep_at", "worker_sweep_by"])
        sent = lost_images_requeue()
    silent = round((now - (row.beat_sweep_at or row.watching_since)).total_seconds())
    logger.warning(
        "no sweep from the scheduler (celery beat) for %d s: worker %s swept in its place and sent %d image(s) "
        "again; start beat", silent, worker, sent,
    )
    return sent


class _Watch:
    """A worker's thread that checks the heartbeat every DERM_SWEEP_INTERVAL (started by worker_ready)."""

    def __init__(self, worker: str, app):
        self.worker, self.app = worker, app
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="scheduler-watch", daemon=True)

    def _run(self):
        # Celery's "current app" is per thread: this one's must be the worker's (the sweep reads the broker with it).
        self.app.set_current()
        while not self.stopped.wait(settings.DERM_SWEEP_INTERVAL):
            try:
                worker_sweep_if_missing(worker=self.worker)
            except Exception:  # noqa: BLE001  a database or broker outage: look again next interval
                logger.warning("could not check the scheduler's heartbeat", exc_info=True)
            finally:
                close_old_connections()
                connection.close()


_watches: list[_Watch] = []


def worker_watch_start(sender=None, **kwargs) -> None:
    """celery.signals.worker_ready: this worker watches the scheduler's heartbeat."""
    watch = _Watch(getattr(sender, "hostname", "") or "worker", getattr(sender, "app", None) or current_app)
    _watches.append(watch)
    watch.thread.start()


def worker_watch_stop(**kwargs) -> None:
    """celery.signals.worker_shutdown."""
    for watch in _watches:
        watch.stopped.set()
