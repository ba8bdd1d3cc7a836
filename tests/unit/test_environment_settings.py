"""Settings read from the environment: a variable set but left blank means the embedded default."""

import os
import subprocess
import sys
from pathlib import Path

from dermplatform.env import envstr

ROOT = Path(__file__).resolve().parents[2]


def test_a_blank_value_means_the_default(monkeypatch):
    monkeypatch.setenv("DERM_TEST_SETTING", "  ")
    assert envstr("DERM_TEST_SETTING", "fallback") == "fallback"
    monkeypatch.setenv("DERM_TEST_SETTING", "set")
    assert envstr("DERM_TEST_SETTING", "fallback") == "set"


def test_blank_database_and_broker_urls_start_on_the_embedded_defaults(tmp_path):
    env = {**os.environ, "DATABASE_URL": "", "CELERY_BROKER_URL": "", "DERM_VAR_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "dermplatform.settings"}
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE']); print(settings.CELERY_BROKER_URL)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    engine, broker = out.stdout.split()[-2:]
    assert engine == "django.db.backends.sqlite3"
    assert broker == "filesystem://"
