"""Shared fixtures: the three people of every access test.

For a clinic user: a colleague in the same clinic with another role, and an
outsider in another clinic.
"""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests.factories import AdminFactory, ClinicFactory, DermatologistFactory, StaffFactory
from tests.worker import celery_worker_process, shared_celery_worker  # noqa: F401  (fixtures: integration, browser)


def _broker_of_this_xdist_worker():
    """Under pytest-xdist each worker process publishes to a Redis database of its own: the base URL's number plus
    the worker's index (gw0: the number itself), so a test that reads or empties a queue sees only its worker's
    messages. pytest-django gives each worker its own test database the same way (a _gw<n> suffix)."""
    from dermplatform.celery import app

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    base = settings.CELERY_BROKER_URL
    if not worker.startswith("gw") or not base.startswith("redis://"):
        return
    parts = urlsplit(base)
    db = int(parts.path.strip("/") or 0) + int(worker[2:])
    url = urlunsplit(parts._replace(path=f"/{db}"))
    settings.CELERY_BROKER_URL = url
    os.environ["CELERY_BROKER_URL"] = url  # the processes the tests start inherit it
    if settings.CELERY_RESULT_BACKEND == base:
        settings.CELERY_RESULT_BACKEND = url
    app.conf.update(broker_url=url, result_backend=settings.CELERY_RESULT_BACKEND)


def pytest_configure(config):
    _broker_of_this_xdist_worker()


def pytest_terminal_summary(terminalreporter):
    # The fault tests' figures (tests/faults.py: report), read from the test reports: under pytest-xdist they are
    # made in the worker processes and reach this one only that way.
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "fault"
    ]
    if lines:
        terminalreporter.section("fault recovery")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _timed_tests_run_alone(request, tmp_path_factory):
    """Under pytest-xdist a test marked `timed` (it holds a wall-clock latency to a production limit) runs while no
    other test of the run does: it waits for the running ones to end, and none starts until it has ended. An
    exclusive/shared file lock pair, the gate first so that a waiting timed test is not starved by new shared ones.
    Autouse and function scope: set up before, torn down after, the processes a fault test starts."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    import fcntl

    root = tmp_path_factory.getbasetemp().parent  # shared by the run's xdist processes
    with open(root / "timed.gate", "a") as gate, open(root / "timed.lock", "a") as lock:
        fcntl.flock(gate, fcntl.LOCK_EX)
        alone = request.node.get_closest_marker("timed") is not None
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def clinic(db):
    return ClinicFactory()


@pytest.fixture
def other_clinic(db):
    return ClinicFactory()


@pytest.fixture
def staff(clinic):
    return StaffFactory(clinic=clinic)


@pytest.fixture
def dermatologist(clinic):
    return DermatologistFactory(clinic=clinic)


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def outsider_staff(other_clinic):
    return StaffFactory(clinic=other_clinic)


@pytest.fixture
def outsider_dermatologist(other_clinic):
    return DermatologistFactory(clinic=other_clinic)


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(client, staff):
    return _client_for(client, staff)


@pytest.fixture
def dermatologist_client(client, dermatologist):
    return _client_for(client, dermatologist)


@pytest.fixture
def admin_client_(client, admin_user):
    return _client_for(client, admin_user)


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(monkeypatch):
    """force_login stands for a user fully signed in: for one who needs a second factor (admins), the session is
    verified with a confirmed authenticator too. Tests of the sign-in flows themselves sign in for real."""
    from django.test.client import ClientMixin

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from tests.two_factor import two_factor_verify_session

        two_factor_verify_session(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for production, not for hundreds of test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A real (tiny) model folder, trained through ml's own pipeline on synthetic lesions in a few seconds."""
    from ml.training.train import TrainOptions, train
    from tests.ml.mlhelpers import make_dataset

    root = tmp_path_factory.mktemp("tiny_model")
    data = make_dataset(root / "data", size=(64, 48))
    options = TrainOptions(
        data=str(data), arch="simple_cnn", out=str(root / "model"), height=48, width=64, epochs=1, batch_size=8, patience=1
    )
    return train(options, log=lambda *args, **kwargs: None)


@pytest.fixture
def active_model(db, tiny_model_dir):
    from diagnosis.inference.model_registry import model_version_register

    return model_version_register(directory=tiny_model_dir, activate=True)



@pytest.fixture
def model_variant(db, tiny_model_dir, tmp_path, monkeypatch):
    """model_variant(mel=t, malignant=t, refuse_all=False) activates a copy of the tiny model whose card has those
    operating points (threshold 0.0: always flagged, 1.01: never) and, with refuse_all, an image guard that
    finds every image too blurred to judge.

    The copy's .keras file is the tiny model's, so it is the same ModelVersion (same SHA-256): each call points
    that version at the new folder and card, and empties the per-process Predictor cache (restored afterwards,
    so no other test sees a variant).
    """
    import itertools
    import json
    import shutil

    from diagnosis.inference import model_registry
    from diagnosis.models import ModelVersion

    monkeypatch.setattr(model_registry, "_loaded", {})
    numbers = itertools.count()

    def make(*, mel=None, malignant=None, refuse_all=False, target_sensitivity=0.9):
        directory = tmp_path / f"model_variant_{next(numbers)}"
        shutil.copytree(tiny_model_dir, directory)
        card = json.loads((directory / "model.json").read_text())
        points = {}
        for key, threshold, classes in [("mel", mel, ["mel"]), ("malignant", malignant, ["akiec", "bcc", "mel"])]:
            if threshold is not None:
                points[key] = {"threshold": threshold, "classes": classes, "target_sensitivity": target_sensitivity}
        card["operating_points"] = points
        if refuse_all:
            card["guard"] = {"thresholds": {"focus": {"threshold": 1e12, "direction": "min"}}}
        (directory / "model.json").write_text(json.dumps(card))
        version = model_registry.model_version_register(directory=directory, activate=True)
        ModelVersion.objects.filter(pk=version.pk).update(directory=str(directory), card=card)
        model_registry._loaded.clear()
        version.refresh_from_db()
        return version

    return make
