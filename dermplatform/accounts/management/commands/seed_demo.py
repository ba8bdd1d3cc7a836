from django.core.management.base import BaseCommand
from django.db import transaction

from dermplatform.accounts.models import Clinic, Role, User

# User name, role, and the full name that reports print (never the user name).
DEMO_USERS = [
    ("staff", Role.STAFF, "Sam", "Baker"),
    ("derm", Role.DERMATOLOGIST, "Dana", "Moreau"),
    ("admin", Role.ADMIN, "Alex", "Novak"),
]


class Command(BaseCommand):
    help = "Create a demo clinic with one user of each role (idempotent) and print their credentials."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo-pass-2026", help="password for the demo users")

    @transaction.atomic
    def handle(self, *args, password, **options):
        clinic, _ = Clinic.objects.get_or_create(name="Demo Dermatology Clinic")
        self.stdout.write(f"Demo clinic: {clinic.name}")
        for username, role, first_name, last_name in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.role = role
            user.first_name, user.last_name = first_name, last_name
            user.clinic = None if role == Role.ADMIN else clinic
            user.is_superuser = role == Role.ADMIN
            user.set_password(password)
            user.save()
            self.stdout.write(f"  {role.label:<14} username={username:<6} password={password}")
