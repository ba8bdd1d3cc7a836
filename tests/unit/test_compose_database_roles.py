"""docker-compose.yml runs the platform as the application's database role, never as the tables' owner: only the
one-shot `migrate` service holds the owner's URL, and it migrates and sets the role's rights before the others
start (dermplatform.audit.db_roles)."""

from pathlib import Path
from urllib.parse import urlsplit

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, service in SERVICES.items() if "DATABASE_URL" in service.get("environment", {})]


def _user(url: str) -> str:
    return urlsplit(url).username


def test_only_the_migrate_service_holds_the_owner_and_it_runs_the_role_command():
    owner = SERVICES["postgres"]["environment"]["POSTGRES_USER"]
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["python", "manage.py", "db_roles", "--migrate"]
    assert _user(migrate["environment"]["DATABASE_OWNER_URL"]) == owner
    assert {"web", "worker", "worker-gpu", "beat"} <= set(APP_SERVICES)
    for name in APP_SERVICES:
        environment = SERVICES[name]["environment"]
        assert _user(environment["DATABASE_URL"]) not in {owner, "postgres"}, name
        assert name == "migrate" or "DATABASE_OWNER_URL" not in environment, name
        assert "migrate" not in " ".join(SERVICES[name].get("command", [])) or name == "migrate", name


def test_the_services_that_use_the_database_wait_for_the_migration_and_grants():
    for name in ("web", "worker", "worker-gpu"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
    assert SERVICES["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
