"""Passwords an attacker tries first are refused in every form that sets one: a user's own change, the admin's
"add user" and the admin's "change password"."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from dermplatform.accounts.models import User
from tests.factories import PASSWORD

GOOD = "violet-harbour-tuesday-lamp"

REFUSED = [
    ("Dermatology", "at least 12 characters"),  # accepted before: 11 characters, a dictionary word
    ("Dermatology1!", "too easy to guess"),  # long enough, a word with a suffix
    ("P@ssw0rd2024!", "seen in data breaches"),  # a breached password in l33t with a year
    ("iloveyou12345", "seen in data breaches"),
    ("1qaz2wsx3edc", "seen in data breaches"),  # a keyboard walk from the breach lists
    ("123456789012", "entirely numeric"),
]


def _messages(password, user=None) -> str:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


@pytest.mark.parametrize("password,reason", REFUSED)
def test_guessable_passwords_are_refused_with_the_reason(password, reason):
    assert reason in _messages(password)


def test_the_users_own_details_make_a_weak_password(staff):
    staff.first_name, staff.last_name = "Marguerite", "Okonkwo-Lindqvist"
    staff.clinic.name = "Northfield Skin Centre"
    assert _messages("Okonkwo-Lindqvist2026", staff)
    assert _messages("Northfield2026!", staff)
    assert _messages("Northfield2026!") == ""  # the same without knowing the clinic: not in any list
    assert _messages(GOOD, staff) == ""


@pytest.mark.django_db
def test_a_users_own_change_refuses_a_breached_password(client, staff):
    client.force_login(staff)
    weak = "P@ssw0rd2024!"
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak}
    )
    assert response.status_code == 200 and "seen in data breaches" in response.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_the_admin_cannot_create_a_user_with_a_weak_password(admin_client_, clinic):
    weak = "Dermatology1!"
    response = admin_client_.post(
        reverse("admin:accounts_user_add"),
        {"username": "newcomer", "password1": weak, "password2": weak, "usable_password": "true",
         "role": "staff", "clinic": clinic.pk},
    )
    assert response.status_code == 200 and "too easy to guess" in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()
    response = admin_client_.post(
        reverse("admin:accounts_user_add"),
        {"username": "newcomer", "password1": GOOD, "password2": GOOD, "usable_password": "true",
         "role": "staff", "clinic": clinic.pk},
    )
    assert response.status_code == 302
    assert User.objects.get(username="newcomer").check_password(GOOD)


def test_the_admin_cannot_set_a_weak_password(admin_client_, staff):
    url = reverse("admin:auth_user_password_change", args=[staff.pk])
    response = admin_client_.post(url, {"password1": "iloveyou12345", "password2": "iloveyou12345"})
    assert response.status_code == 200 and "seen in data breaches" in response.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)
    assert admin_client_.post(url, {"password1": GOOD, "password2": GOOD}).status_code == 302
    staff.refresh_from_db()
    assert staff.check_password(GOOD)
