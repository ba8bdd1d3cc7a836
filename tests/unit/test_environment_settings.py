"""Settings read from the environment: a variable set but left blank means the embedded default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from dermplatform.env import envbool, envfloat, envint, envlist, envstr

ROOT = Path(__file__).resolve().parents[2]


def test_a_blank_value_means_the_default(monkeypatch):
    monkeypatch.setenv("DERM_TEST_SETTING", "  ")
    assert envstr("DERM_TEST_SETTING", "fallback") == "fallback"
    monkeypatch.setenv("DERM_TEST_SETTING", "set")
    assert envstr("DERM_TEST_SETTING", "fallback") == "set"


@pytest.mark.parametrize("reader,default,value,parsed", [
    (envbool, True, "off", False), (envint, 7, "12", 12), (envfloat, 0.5, "2.5", 2.5),
    (envlist, ["a"], "b, c", ["b", "c"]), (envstr, "x", "y", "y"),
])
def test_every_reader_takes_blank_as_unset(monkeypatch, reader, default, value, parsed):
    """One rule: an empty substitution (`DJANGO_DEBUG=`) is the default, never False, 0 or an empty list."""
    monkeypatch.delenv("DERM_TEST_SETTING", raising=False)
    assert reader("DERM_TEST_SETTING", default) == default
    monkeypatch.setenv("DERM_TEST_SETTING", " ")
    assert reader("DERM_TEST_SETTING", default) == default
    monkeypatch.setenv("DERM_TEST_SETTING", value)
    assert reader("DERM_TEST_SETTING", default) == parsed


@pytest.mark.parametrize("reader", [envbool, envint, envfloat])
def test_a_value_that_does_not_parse_stops_the_platform(monkeypatch, reader):
    monkeypatch.setenv("DERM_TEST_SETTING", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DERM_TEST_SETTING"):
        reader("DERM_TEST_SETTING", 1)


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


def test_reading_the_settings_writes_nothing_and_start_up_makes_the_local_folders(tmp_path):
    var = tmp_path / "var"
    env = {**os.environ, "DATABASE_URL": "", "CELERY_BROKER_URL": "", "DERM_VAR_DIR": str(var),
           "DJANGO_SETTINGS_MODULE": "dermplatform.settings"}
    code = ("import pathlib, sys; from django.conf import settings; settings.INSTALLED_APPS; "
            "print(pathlib.Path(sys.argv[1]).exists()); import django; django.setup(); "
            "from django.db import connection; connection.ensure_connection(); print('connected')")
    out = subprocess.run([sys.executable, "-c", code, str(var)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["False", "connected"]  # nothing at import; the SQLite file opens after setup
    assert {p.name for p in (var / "celery").iterdir()} == {"queue", "processed", "results", "control"}
