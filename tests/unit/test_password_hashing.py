"""Passwords are stored with Argon2id at OWASP's baseline parameters; a hash stored with PBKDF2 before still
signs in and is replaced at that sign-in."""

import pytest
from django.contrib.auth.hashers import make_password

from dermplatform import settings as platform_settings
from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_hashers(settings):
    settings.PASSWORD_HASHERS = platform_settings.PASSWORD_HASHERS


def test_new_passwords_are_argon2id_19_mib_2_passes_1_lane():
    encoded = make_password("a long enough password")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$"), encoded


def test_a_pbkdf2_hash_signs_in_and_is_upgraded(client):
    user = StaffFactory()
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and "/login/" not in response["Location"]
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")
