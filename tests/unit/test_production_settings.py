"""Production mode refuses an insecure configuration and passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3y-" + "x9Zq" * 16


def _manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "secret",
    [None, "django-insecure-dermplatform-local-development-only", "short-key"],
    ids=["missing", "default", "short"],
)
def test_production_refuses_weak_secret_key(secret):
    env = {"DJANGO_PRODUCTION": "1", "DJANGO_ALLOWED_HOSTS": "derm.example.org"}
    if secret is not None:
        env["DJANGO_SECRET_KEY"] = secret
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = _manage(
        "check", DJANGO_PRODUCTION="1", DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_ALLOWED_HOSTS="a.org", DJANGO_DEBUG="1"
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


def test_production_is_clean_under_check_deploy():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_PRODUCTION="1", DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_ALLOWED_HOSTS="derm.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_defaults_warn_under_check_deploy():
    # The same check does fail on the development defaults: it is not vacuous.
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
