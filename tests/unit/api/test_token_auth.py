"""Token authentication: obtain a token with username and password, then use it."""

from tests.factories import PASSWORD


def test_obtain_and_use_token(api, staff, patient):
    response = api.post("/api/token/", {"username": staff.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]

    fresh = api.__class__()
    response = fresh.get("/api/patients/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert [row["public_id"] for row in response.json()["results"]] == [str(patient.public_id)]

    response = fresh.post(
        "/api/cases/",
        {"patient": str(patient.public_id), "body_site": "back"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 201  # token requests need no CSRF token


def test_wrong_password_gets_no_token(api, staff):
    response = api.post("/api/token/", {"username": staff.username, "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_bad_token_is_401(api, staff):
    response = api.get("/api/patients/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401


def test_anonymous_is_401_with_token_challenge(api):
    response = api.get("/api/patients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_admin_token_is_403(api, admin_user):
    from tests.two_factor import confirmed_device, current_code

    # An admin's token needs their second factor too.
    response = api.post("/api/token/", {"username": admin_user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 400 and "token" not in response.json()
    code = current_code(confirmed_device(admin_user))
    response = api.post(
        "/api/token/", {"username": admin_user.username, "password": PASSWORD, "otp_token": code}, format="json"
    )
    token = response.json()["token"]
    assert api.get("/api/patients/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 403


# --- django-rest-knox: hashed, expiring, revocable --------------------------------------------------------------

import hashlib  # noqa: E402
from datetime import timedelta  # noqa: E402

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from dermplatform.audit.models import Action, AuditEvent  # noqa: E402


def _issue(user):
    response = APIClient().post("/api/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def _get(key, url="/api/patients/"):
    return APIClient().get(url, HTTP_AUTHORIZATION=f"Token {key}")


def _post(key, url):
    return APIClient().post(url, HTTP_AUTHORIZATION=f"Token {key}")


@pytest.mark.django_db
def test_a_token_is_stored_as_a_digest_and_expires_after_the_configured_hours(staff):
    before = timezone.now()
    answer = _issue(staff)
    key = answer["token"]
    stored = AuthToken.objects.get(user=staff)
    assert stored.digest == hashlib.sha512(key.encode()).hexdigest() and key not in stored.digest
    assert not AuthToken.objects.filter(digest=key).exists()
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    assert ttl == timedelta(hours=10)
    assert before + ttl <= stored.expiry <= timezone.now() + ttl
    assert answer["expiry"]


@pytest.mark.django_db
def test_an_expired_token_is_refused_and_deleted(staff):
    key = _issue(staff)["token"]
    assert _get(key).status_code == 200
    AuthToken.objects.filter(user=staff).update(expiry=timezone.now() - timedelta(seconds=1))
    assert _get(key).status_code == 401
    assert not AuthToken.objects.filter(user=staff).exists()


@pytest.mark.django_db
def test_token_lifetime_comes_from_settings(staff, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(minutes=5)}
    _issue(staff)
    expiry = AuthToken.objects.get(user=staff).expiry
    assert timezone.now() + timedelta(minutes=4) < expiry <= timezone.now() + timedelta(minutes=5)


@pytest.mark.django_db
def test_the_user_revokes_the_token_in_use_and_keeps_the_others(staff):
    first, second = _issue(staff)["token"], _issue(staff)["token"]
    assert _post(first, "/api/token/revoke/").status_code == 204
    assert _get(first).status_code == 401
    assert _get(second).status_code == 200
    assert AuditEvent.objects.filter(action=Action.TOKEN_REVOKED, actor=staff).count() == 1


@pytest.mark.django_db
def test_the_user_revokes_all_their_tokens(staff, dermatologist):
    first, second = _issue(staff)["token"], _issue(staff)["token"]
    colleague = _issue(dermatologist)["token"]
    assert _post(first, "/api/token/revoke-all/").status_code == 204
    assert _get(first).status_code == 401 and _get(second).status_code == 401
    assert _get(colleague, "/api/review-queue/").status_code == 200


@pytest.mark.django_db
def test_revoking_needs_a_token(staff_client):
    assert staff_client.post("/api/token/revoke/").status_code == 401
    assert staff_client.post("/api/token/revoke-all/").status_code == 401


@pytest.mark.django_db
def test_a_password_change_revokes_the_tokens(staff):
    key = _issue(staff)["token"]
    staff.set_password("a-new-password-2026")
    staff.save()
    assert _get(key).status_code == 401
    assert not AuthToken.objects.filter(user=staff).exists()
    assert AuditEvent.objects.filter(action=Action.TOKEN_REVOKED, actor=staff).exists()


@pytest.mark.django_db
def test_the_password_change_page_revokes_the_tokens(client, staff):
    key = _issue(staff)["token"]
    client.force_login(staff)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Another-pass-2026!", "new_password2": "Another-pass-2026!"},
    )
    assert response.status_code == 302
    assert _get(key).status_code == 401


@pytest.mark.django_db
def test_deactivation_revokes_the_tokens(staff):
    key = _issue(staff)["token"]
    staff.is_active = False
    staff.save()
    assert not AuthToken.objects.filter(user=staff).exists()
    staff.is_active = True
    staff.save()
    assert _get(key).status_code == 401


@pytest.mark.django_db
def test_other_saves_keep_the_tokens(staff):
    key = _issue(staff)["token"]
    staff.first_name = "Renamed"
    staff.save()
    assert _get(key).status_code == 200


@pytest.mark.django_db
def test_old_plain_drf_tokens_no_longer_authenticate(staff, patient):
    from django.db import connection

    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    assert "authtoken_token" not in connection.introspection.table_names()
    assert "rest_framework.authentication.TokenAuthentication" not in settings.REST_FRAMEWORK[
        "DEFAULT_AUTHENTICATION_CLASSES"
    ]
    # A 40-hex-character key of the old kind is no token at all now.
    assert _get("9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b").status_code == 401


@pytest.mark.django_db
def test_an_admin_revokes_a_users_tokens_from_the_user_list(admin_client_, staff, dermatologist):
    key = _issue(staff)["token"]
    other = _issue(dermatologist)["token"]
    response = admin_client_.post(
        reverse("admin:accounts_user_changelist"), {"action": "revoke_api_tokens", "_selected_action": [staff.pk]}
    )
    assert response.status_code == 302
    assert _get(key).status_code == 401
    assert _get(other, "/api/review-queue/").status_code == 200
    event = AuditEvent.objects.get(action=Action.TOKEN_REVOKED)
    assert event.actor.is_platform_admin


@pytest.mark.django_db
def test_the_admin_lists_and_revokes_tokens_without_showing_keys(admin_client_, staff):
    key = _issue(staff)["token"]
    token = AuthToken.objects.get(user=staff)
    page = admin_client_.get(reverse("admin:knox_authtoken_changelist")).content.decode()
    assert staff.username in page
    # The digest (a SHA-512 of the key) is the row's id, in its links; the key and its stored prefix never appear.
    for secret in (key, token.token_key):
        assert secret not in page
    detail = admin_client_.get(reverse("admin:knox_authtoken_change", args=[token.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert key not in body and token.token_key not in body
    assert admin_client_.get(reverse("admin:knox_authtoken_add")).status_code == 403

    response = admin_client_.post(
        reverse("admin:knox_authtoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert _get(key).status_code == 401
