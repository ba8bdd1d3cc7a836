"""`manage.py db_roles [--migrate]`: as the owner of the tables, (migrate, then) set up the application's role.

The owner's connection is DATABASE_OWNER_URL; the application's role and password are DATABASE_URL's (or --role and
--password, as the tests do on their own database). Without DATABASE_OWNER_URL, DATABASE_URL itself must be the
owner and --role names the application's role. SQLite (the embedded defaults) has no roles: --migrate only migrates.
"""

import contextlib

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dermplatform.audit.db_roles import RoleError, app_role_secure

_CONNECTION_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


@contextlib.contextmanager
def _connected_as_owner(owner: dict | None):
    """The default connection opens as the owner (migrate's data migrations use it too), then as before."""
    if owner is None:
        yield
        return
    if owner.get("NAME") != connection.settings_dict["NAME"]:
        raise CommandError("DATABASE_OWNER_URL and DATABASE_URL must name the same database.")
    saved = {key: connection.settings_dict.get(key) for key in _CONNECTION_KEYS}
    connection.close()
    connection.settings_dict.update({key: owner.get(key) for key in _CONNECTION_KEYS})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


class Command(BaseCommand):
    help = "As the tables' owner: migrate (with --migrate), then create or update the application's database role."

    def add_arguments(self, parser):
        parser.add_argument("--migrate", action="store_true", help="run migrate as the owner first")
        parser.add_argument("--role", help="the application's role (default: DATABASE_URL's user)")
        parser.add_argument("--password", help="its password (default: DATABASE_URL's; unchanged when none)")

    def handle(self, *args, migrate=False, role=None, password=None, **options):
        owner = getattr(settings, "DERM_DATABASE_OWNER", None)
        application = dict(connection.settings_dict)
        with _connected_as_owner(owner):
            if migrate:
                call_command("migrate", interactive=False, verbosity=options["verbosity"])
            if connection.vendor != "postgresql":
                self.stdout.write("No database roles on this database (only PostgreSQL has them).")
                return
            if role is None:
                if owner is None:
                    raise CommandError(
                        "Name the application's role: set DATABASE_OWNER_URL (the owner) beside DATABASE_URL "
                        "(the application), or pass --role."
                    )
                role, password = application["USER"], password or application.get("PASSWORD") or None
            try:
                app_role_secure(connection, role=role, password=password)
            except RoleError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(f"Role {role}: SELECT and INSERT only on the audit and value-history tables.")
