from django.db import models
from django.utils import timezone


class SchedulerHeartbeat(models.Model):
    """The scheduler's heartbeat: one row, written by each sweep beat sends (diagnosis.inference.scheduler_heartbeat).

    In the database, not Redis, so that a Redis restart (the very fault the sweep repairs) does not erase it.
    `watching_since` starts the clock for a deployment whose beat never ran at all."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    watching_since = models.DateTimeField(default=timezone.now, help_text="When the platform began to watch.")
    beat_sweep_at = models.DateTimeField(null=True, blank=True, help_text="When the last sweep beat sent ran.")
    worker_sweep_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last swept in the missing scheduler's place."
    )
    worker_sweep_by = models.CharField(max_length=200, blank=True, help_text="That worker's name.")

    class Meta:
        verbose_name = "scheduler heartbeat"

    def __str__(self) -> str:
        return f"scheduler heartbeat: last sweep {self.beat_sweep_at or 'never'}"
