"""Shared fixtures: the three people of every access test.

For a clinic user: a colleague in the same clinic with another role, and an
outsider in another clinic.
"""

import pytest

from tests.factories import AdminFactory, ClinicFactory, DermatologistFactory, StaffFactory
from tests.worker import celery_worker_process  # noqa: F401  (a fixture for integration and browser tests)


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
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for production, not for hundreds of test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A real (tiny) model folder, trained through ml's own pipeline on synthetic lesions in a few seconds."""
    from ml.training import TrainOptions, train
    from tests.ml.mlhelpers import make_dataset

    root = tmp_path_factory.mktemp("tiny_model")
    data = make_dataset(root / "data", size=(64, 48))
    options = TrainOptions(
        data=str(data), arch="simple_cnn", out=str(root / "model"), height=48, width=64, epochs=1, batch_size=8, patience=1
    )
    return train(options, log=lambda *args, **kwargs: None)


@pytest.fixture
def active_model(db, tiny_model_dir):
    from diagnosis.model_registry import model_version_register

    return model_version_register(directory=tiny_model_dir, activate=True)

