"""Two-factor sign-in (django-otp TOTP and recovery codes): required for admins before any page, the admin
included; available to everyone from the settings page; real codes computed from the device's key."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from dermplatform.audit.models import Action, AuditEvent
from tests.factories import PASSWORD
from tests.two_factor import confirmed_device, current_code

pytestmark = pytest.mark.django_db


def _sign_in(client, user, url="/accounts/login/"):
    response = client.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return response


def _code(device, offset_steps=0):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset_steps):06d}"


def _actions():
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def test_an_admin_without_an_authenticator_is_sent_to_set_one_up(client, admin_user):
    _sign_in(client, admin_user)
    for url in ("/admin/", "/admin/accounts/user/", "/admin/audit/auditevent/", "/"):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("two_factor_setup")), (url, response.redirect_chain)
        assert b"Set up two-factor sign-in" in response.content


def test_an_admin_sets_up_an_authenticator_and_gets_recovery_codes(client, admin_user):
    _sign_in(client, admin_user)
    page = client.get(reverse("two_factor_setup") + "?next=/admin/")
    secret = page.context["secret"].replace(" ", "")
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    from base64 import b32decode

    assert b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    assert client.get("/admin/").status_code == 302  # still not verified

    wrong = client.post(reverse("two_factor_setup"), {"code": "000000" if _code(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and b"not right" in wrong.content
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # each failure makes the next try wait longer
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)

    answer = client.post(reverse("two_factor_setup"), {"code": _code(device), "next": "/admin/"})
    assert answer.status_code == 200
    codes = answer.context["codes"]
    assert len(codes) == 10 and all(code.encode() in answer.content for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    assert {Action.OTP_FAILED, Action.OTP_DEVICE_ADDED, Action.RECOVERY_CODES} <= set(_actions())


def test_an_admin_with_an_authenticator_enters_its_code_after_signing_in(client, admin_user):
    device = confirmed_device(admin_user)
    response = _sign_in(client, admin_user, url="/admin/login/?next=/admin/")
    followed = client.get(response["Location"], follow=True)
    assert followed.redirect_chain[-1][0].startswith(reverse("two_factor_verify"))
    assert client.get("/admin/accounts/user/").status_code == 302

    refused = client.post(reverse("two_factor_verify"), {"code": _code(device, offset_steps=-10), "next": "/admin/"})
    assert refused.status_code == 200 and b"not right" in refused.content
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the refused code started the throttle: this test does not wait it out
    device.throttling_failure_timestamp = None
    device.save()

    accepted = client.post(reverse("two_factor_verify"), {"code": _code(device), "next": "/admin/accounts/user/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/admin/accounts/user/"
    assert client.get("/admin/accounts/user/").status_code == 200
    assert Action.OTP_VERIFIED in _actions() and Action.OTP_FAILED in _actions()


def test_a_code_cannot_be_used_twice(client, admin_user):
    device = confirmed_device(admin_user)
    code = _code(device)
    _sign_in(client, admin_user)
    assert client.post(reverse("two_factor_verify"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    _sign_in(client, admin_user)
    again = client.post(reverse("two_factor_verify"), {"code": code})
    assert again.status_code == 200 and client.get("/admin/").status_code == 302


def test_the_verify_page_refuses_an_offsite_next(client, admin_user):
    device = confirmed_device(admin_user)
    _sign_in(client, admin_user)
    response = client.post(reverse("two_factor_verify"), {"code": _code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_a_recovery_code_signs_in_once(client, admin_user):
    from dermplatform.accounts.two_factor import recovery_codes_issue

    confirmed_device(admin_user)
    codes = recovery_codes_issue(user=admin_user)
    _sign_in(client, admin_user)
    assert client.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(device__user=admin_user).count() == 9
    client.post(reverse("logout"))
    _sign_in(client, admin_user)
    assert client.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 200
    # The refused code started the device's throttle (a growing wait after each failure): not waited out here.
    StaticDevice.objects.filter(user=admin_user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert client.post(reverse("two_factor_verify"), {"code": codes[1]}).status_code == 302


def test_a_session_signed_in_admin_cannot_use_the_api_before_the_code(client, admin_user):
    confirmed_device(admin_user)
    _sign_in(client, admin_user)
    response = client.get("/api/patients/")
    assert response.status_code == 403 and "Two-factor" in response.json()["errors"][0]


def test_staff_need_no_second_factor_until_they_turn_it_on(client, staff):
    _sign_in(client, staff)
    assert client.get("/patients/").status_code == 200
    settings_page = client.get(reverse("two_factor_settings"))
    assert settings_page.status_code == 200 and b"Turn on two-factor sign-in" in settings_page.content
    assert b'href="/accounts/two-factor/"' in client.get("/patients/").content  # linked from every page

    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff)
    answer = client.post(reverse("two_factor_setup"), {"code": _code(device)})
    assert answer.status_code == 200 and len(answer.context["codes"]) == 10
    assert b"Recovery codes left: 10" in client.get(reverse("two_factor_settings")).content

    # The next sign-in asks for the code.
    client.post(reverse("logout"))
    _sign_in(client, staff)
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_verify"))
    assert client.post(reverse("two_factor_verify"), {"code": _code(device, offset_steps=1)}).status_code == 302
    assert client.get("/patients/").status_code == 200

    # New recovery codes replace the old ones; then it can be turned off.
    old = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    fresh = client.post(reverse("two_factor_recovery_codes")).context["codes"]
    assert len(fresh) == 10 and not old & set(fresh)
    assert client.post(reverse("two_factor_disable")).status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    client.post(reverse("logout"))
    _sign_in(client, staff)
    assert client.get("/patients/").status_code == 200


def test_admins_cannot_turn_it_off(admin_client_, admin_user):
    assert admin_client_.post(reverse("two_factor_disable")).status_code == 302
    assert TOTPDevice.objects.filter(user=admin_user, confirmed=True).exists()


def test_a_user_with_two_factor_needs_a_code_for_an_api_token(staff):
    device = confirmed_device(staff)
    api = APIClient()
    refused = api.post("/api/token/", {"username": staff.username, "password": PASSWORD}, format="json")
    assert refused.status_code == 400 and "otp_token" in refused.json()
    issued = api.post(
        "/api/token/", {"username": staff.username, "password": PASSWORD, "otp_token": _code(device)}, format="json"
    )
    assert issued.status_code == 200 and issued.json()["token"]


def test_the_admin_shows_devices_without_their_keys_and_resets_them(admin_client_, staff):
    device = confirmed_device(staff)
    key = device.key
    for url in (
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
    ):
        response = admin_client_.get(url)
        assert response.status_code == 200 and key.encode() not in response.content
    response = admin_client_.post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_two_factor", "_selected_action": [staff.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert AuditEvent.objects.filter(action=Action.OTP_DEVICE_REMOVED).exists()


def test_the_helper_code_matches_the_device(admin_user):
    device = confirmed_device(admin_user)
    assert device.verify_token(current_code(device))
