from django.core.management.base import BaseCommand, CommandError

from diagnosis.inference.scheduler_heartbeat import scheduler_state


class Command(BaseCommand):
    help = (
        "Say when the scheduler (celery beat) last sent the sweep; with --check, exit 1 when that is more than "
        "DERM_SCHEDULER_MISSED_SWEEPS sweeps ago (the compose beat service's health check)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="exit non-zero when the heartbeat is stale")

    def handle(self, *args, check, **options):
        state = scheduler_state()
        last = state.last_sweep_at.isoformat() if state.last_sweep_at else "never"
        line = f"last sweep from the scheduler: {last}; silent for {state.silent_seconds} s"
        if state.worker_sweep_at:
            line += f"; last swept by worker {state.worker_sweep_by} at {state.worker_sweep_at.isoformat()}"
        if state.stale:
            line += f"; STALE (more than {int(state.stale_after.total_seconds())} s)"
        self.stdout.write(line)
        if check and state.stale:
            raise CommandError("the scheduler's heartbeat is stale: is celery beat running?")
