from django.core.management.base import BaseCommand

from diagnosis.tasks import requeue_unclassified


class Command(BaseCommand):
    help = (
        "Queue again every image of an open case that waits for the active model, was last queued more than "
        "--older-than minutes ago and has no message in the broker (the scheduled sweep does the same)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=None, help="minutes since last queued (default: DERM_SWEEP_GRACE)")

    def handle(self, *args, older_than, **options):
        grace = None if older_than is None else round(older_than * 60)
        self.stdout.write(f"re-queued {requeue_unclassified(grace)} image(s)")
