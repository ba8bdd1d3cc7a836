from django.core.management.base import BaseCommand

from diagnosis.tasks import requeue_unclassified


class Command(BaseCommand):
    help = "Queue again every image of an open case that still has no prediction from the active model."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=5, help="minutes since upload (default 5)")

    def handle(self, *args, older_than, **options):
        self.stdout.write(f"re-queued {requeue_unclassified(older_than)} image(s)")
