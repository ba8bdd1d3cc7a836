"""Sign-in lockout (django-axes): five failures lock the pair (user name, client address), and an address alone
after its own, higher limit, on the sign-in page, the admin's sign-in and POST /api/token/; the answer says so
plainly; an admin unlocks; all of it is audited. The client address is X-Forwarded-For's only from a trusted proxy."""

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


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(client, staff):
    # Anyone can type a colleague's name five times: that locks the name at the typist's address only.
    for _ in range(LIMIT):
        _sign_in(client, staff.username, "wrong", REMOTE_ADDR="198.51.100.9")
    assert _sign_in(client, staff.username, PASSWORD, REMOTE_ADDR="198.51.100.9").status_code == 429
    assert _sign_in(client, staff.username, PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302
    assert AccessAttempt.objects.get().ip_address == "198.51.100.9"


def test_an_address_trying_many_user_names_is_locked_at_its_own_limit(client, staff, settings):
    settings.DERM_LOCKOUT_ADDRESS_FAILURES = 3 * LIMIT
    # Below the address's limit, failures on other names leave a user of that address free to sign in.
    for n in range(3 * LIMIT - 1):
        assert _sign_in(client, f"guess{n}", "wrong").status_code == 200
    assert _sign_in(client, staff.username, PASSWORD).status_code == 302
    client.logout()
    # The success forgot only that user's failures here, not the address's: one more name and it is locked.
    assert _sign_in(client, "guess-last", "wrong").status_code == 429
    assert _sign_in(client, staff.username, PASSWORD).status_code == 429
    assert Action.LOCKED_OUT in _actions()
    # Another address is not locked, and neither is the user name there.
    assert _sign_in(client, staff.username, PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302


def test_a_spoofed_forwarded_for_from_an_untrusted_address_is_ignored(client, staff, settings):
    settings.DERM_TRUSTED_PROXIES = ["10.9.0.2"]
    # A client varying X-Forwarded-For cannot escape its pair's lockout or put a made-up address in the trail.
    for n in range(LIMIT):
        response = _sign_in(client, staff.username, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    addresses = set(AuditEvent.objects.values_list("client_address", flat=True))
    assert addresses == {"127.0.0.1"}


def test_behind_a_trusted_proxy_each_client_is_locked_at_its_own_address(client, staff, settings):
    settings.DERM_TRUSTED_PROXIES = ["10.9.0.0/24"]
    proxy = {"REMOTE_ADDR": "10.9.0.2"}
    for _ in range(LIMIT):
        # What a client sent before the proxy appended the address it saw is not believed either.
        _sign_in(client, staff.username, "wrong", HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.1", **proxy)
    assert _sign_in(client, staff.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 429
    # The same user from another client behind the same proxy is not locked out.
    assert _sign_in(client, staff.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy).status_code == 302
    assert AccessAttempt.objects.get().ip_address == "198.51.100.1"
    failed = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED)
    assert set(failed.values_list("client_address", flat=True)) == {"198.51.100.1"}
    assert AuditEvent.objects.get(action=Action.SIGN_IN).client_address == "198.51.100.2"


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
    # Locked at two addresses: the user's unlock lifts both.
    for address in ("198.51.100.1", "198.51.100.2"):
        for _ in range(LIMIT):
            _sign_in(client, staff.username, "wrong", REMOTE_ADDR=address)
        assert _sign_in(client, staff.username, PASSWORD, REMOTE_ADDR=address).status_code == 429

    admin = APIClient()
    admin.force_login(admin_user)
    response = admin.post("/admin/accounts/user/", {"action": "unlock_sign_in", "_selected_action": [staff.pk]},
                          REMOTE_ADDR="192.0.2.50")
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=staff.username).exists()
    unlocked = AuditEvent.objects.get(action=Action.UNLOCKED)
    assert (unlocked.actor, unlocked.object_type, unlocked.outcome, unlocked.client_address) == (
        admin_user, "user", "allowed", "192.0.2.50"
    )
    for address in ("198.51.100.1", "198.51.100.2"):
        assert _sign_in(client, staff.username, PASSWORD, REMOTE_ADDR=address).status_code == 302
        client.logout()


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
