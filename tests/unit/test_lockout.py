"""Sign-in lockout (django-axes): five failures lock a user name, and separately an address, on the sign-in page,
the admin's sign-in and POST /api/token/; the answer says so plainly; an admin unlocks; all of it is audited."""

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from dermplatform.audit.models import Action, AuditEvent
from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db

LIMIT = 5


def _sign_in(client, username, password, url="/accounts/login/", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def _actions():
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def test_the_sign_in_page_locks_a_user_after_five_failures(client, staff):
    for _ in range(LIMIT - 1):
        assert _sign_in(client, staff.username, "wrong").status_code == 200  # the form again, with its error
    locked = _sign_in(client, staff.username, "wrong")
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content
    # The right password now changes nothing.
    again = _sign_in(client, staff.username, PASSWORD)
    assert again.status_code == 429 and "_auth_user_id" not in client.session

    # django-axes announces the lockout before the failure that caused it is recorded; each try while locked
    # (the right password too) is a lockout and a failed sign-in.
    failed, locked_out = Action.SIGN_IN_FAILED, Action.LOCKED_OUT
    assert _actions() == [failed] * (LIMIT - 1) + [locked_out, failed] + [locked_out, failed]
    failed = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).first()
    assert (failed.username, failed.actor, failed.outcome, failed.client_address) == (
        staff.username, None, "denied", "127.0.0.1"
    )


def test_an_address_is_locked_after_failures_for_several_user_names(client, staff, clinic):
    for n in range(LIMIT):
        _sign_in(client, f"guess{n}", "wrong")
    assert _sign_in(client, staff.username, PASSWORD).status_code == 429
    # Another address is not locked, and neither is the user name there.
    assert _sign_in(client, staff.username, PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, staff):
    for _ in range(LIMIT - 1):
        _sign_in(client, staff.username, "wrong")
    assert _sign_in(client, staff.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        _sign_in(client, staff.username, "wrong")
    assert _sign_in(client, staff.username, PASSWORD).status_code == 302


def test_the_admin_sign_in_locks_too(client, admin_user):
    for _ in range(LIMIT):
        response = _sign_in(client, admin_user.username, "wrong", url="/admin/login/")
    assert response.status_code == 429 and b"Too many failed sign-in attempts" in response.content
    assert _sign_in(client, admin_user.username, PASSWORD, url="/admin/login/").status_code == 429


def test_the_token_api_locks_and_answers_json():
    user = StaffFactory()
    api = APIClient()
    for _ in range(LIMIT - 1):
        assert _sign_in(api, user.username, "wrong", url="/api/token/").status_code == 400
    locked = _sign_in(api, user.username, "wrong", url="/api/token/")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.json()["errors"][0]
    refused = _sign_in(api, user.username, PASSWORD, url="/api/token/")
    assert refused.status_code == 429 and "token" not in refused.json()
    # The page is locked for the same user name.
    assert _sign_in(APIClient(), user.username, PASSWORD).status_code == 429


def test_a_token_issue_is_audited():
    user = StaffFactory()
    assert _sign_in(APIClient(), user.username, PASSWORD, url="/api/token/").status_code == 200
    assert _actions() == [Action.TOKEN_ISSUED]


def test_an_admin_unlocks_a_user_from_the_user_list(client, staff, admin_user):
    for _ in range(LIMIT):
        _sign_in(client, staff.username, "wrong")
    assert AccessAttempt.objects.filter(username=staff.username).exists()

    admin = APIClient()
    admin.force_login(admin_user)
    response = admin.post("/admin/accounts/user/", {"action": "unlock_sign_in", "_selected_action": [staff.pk]})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=staff.username).exists()
    assert AuditEvent.objects.filter(action=Action.UNLOCKED, actor=admin_user).count() == 1
    assert _sign_in(client, staff.username, PASSWORD).status_code == 302


def test_an_admin_unlocks_from_the_failed_attempts(client, staff, admin_user):
    for _ in range(LIMIT):
        _sign_in(client, staff.username, "wrong")
    attempt = AccessAttempt.objects.get(username=staff.username)

    admin = APIClient()
    admin.force_login(admin_user)
    response = admin.post("/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": [attempt.pk]})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert _sign_in(client, staff.username, PASSWORD).status_code == 302


def test_sign_in_and_sign_out_are_audited(client, staff):
    assert _sign_in(client, staff.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    events = list(AuditEvent.objects.order_by("pk"))
    assert [(e.action, e.actor) for e in events] == [(Action.SIGN_IN, staff), (Action.SIGN_OUT, staff)]
    assert events[0].clinic == staff.clinic
