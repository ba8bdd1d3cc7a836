"""Shared fixtures: the three people of every access test.

For a clinic user: a colleague in the same clinic with another role, and an
outsider in another clinic.
"""

import pytest

from tests.factories import AdminFactory, ClinicFactory, DermatologistFactory, StaffFactory


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
