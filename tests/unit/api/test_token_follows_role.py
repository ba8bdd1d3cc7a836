"""An API token stops working when what it was issued for changes: the user's role, clinic, staff or superuser
flag, active flag, second factor (turned on, or reset by an admin), and when the user signs out of the site (which
signs out everywhere). Each revocation is audited with what made it."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from dermplatform.accounts.models import Role
from dermplatform.audit.models import Action, AuditEvent
from tests.factories import PASSWORD, ClinicFactory
from tests.two_factor import current_code

pytestmark = pytest.mark.django_db


def _token(user) -> str:
    response = APIClient().post("/api/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def _status(key) -> int:
    return APIClient().get("/api/patients/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def _revoked_for(user, reason) -> bool:
    return AuditEvent.objects.filter(action=Action.TOKEN_REVOKED, actor=user, changed_fields__contains=[reason]).exists()


@pytest.mark.parametrize("change,reason", [
    (lambda u: setattr(u, "role", Role.ADMIN), "role"),  # promoted: its is_staff follows
    (lambda u: setattr(u, "role", Role.DERMATOLOGIST), "role"),
    (lambda u: setattr(u, "clinic", ClinicFactory()), "clinic"),
    (lambda u: setattr(u, "is_superuser", True), "is_superuser"),
    (lambda u: setattr(u, "is_active", False), "is_active"),
])
def test_a_change_of_role_clinic_or_flags_ends_the_users_tokens(staff, patient, change, reason):
    key = _token(staff)
    assert _status(key) == 200
    change(staff)
    staff.save()
    assert _status(key) == 401
    assert _revoked_for(staff, reason)


def test_promotion_to_admin_in_the_admin_ends_the_token(admin_client_, staff, patient):
    key = _token(staff)
    assert _status(key) == 200
    response = admin_client_.post(f"/admin/accounts/user/{staff.pk}/change/", {
        "username": staff.username, "role": Role.ADMIN, "clinic": staff.clinic.pk, "is_active": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
    })
    assert response.status_code == 302
    staff.refresh_from_db()
    assert (staff.role, staff.is_staff) == (Role.ADMIN, True)
    assert _status(key) == 401
    assert _revoked_for(staff, "role") and _revoked_for(staff, "is_staff")
    # Saved with nothing bound changed (the same role, clinic, flags): a new token keeps working.
    key = _token_with_code(staff)
    staff.first_name = "Grace"
    staff.save()
    assert _status(key) == 403  # an admin's token reaches no patient data, but it is still a valid token


def _token_with_code(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True) if TOTPDevice.objects.filter(
        user=user, confirmed=True).exists() else TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    response = APIClient().post("/api/token/", {"username": user.username, "password": PASSWORD,
                                                "otp_token": current_code(device)}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_turning_on_a_second_factor_ends_the_tokens(client, staff, patient):
    key = _token(staff)
    client.force_login(staff)
    assert client.get("/accounts/two-factor/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert _status(key) == 200
    response = client.post("/accounts/two-factor/setup/", {"code": current_code(device)})
    assert response.status_code == 200 and TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    assert _status(key) == 401
    assert _revoked_for(staff, "second_factor")


def test_an_admins_reset_of_two_factor_sign_in_ends_the_tokens(admin_client_, staff, patient):
    key = _token_with_code(staff)
    assert _status(key) == 200
    response = admin_client_.post("/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [staff.pk]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert _status(key) == 401
    assert _revoked_for(staff, "second_factor")


def test_signing_out_of_the_site_ends_the_tokens(client, staff, patient):
    key = _token(staff)
    client.force_login(staff)
    assert _status(key) == 200
    assert client.post("/accounts/logout/").status_code in (200, 302)
    assert _status(key) == 401
    assert _revoked_for(staff, "sign_out")


def test_an_unrelated_save_keeps_the_token(staff, patient):
    key = _token(staff)
    staff.email = "someone@example.org"
    staff.last_login = None
    staff.save()
    assert _status(key) == 200
