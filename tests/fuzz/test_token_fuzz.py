"""Sign-in and token revocation fuzzed with schemathesis: POST /api/token/ anonymously with generated credentials,
and with real user names in play (a staff user, a user with two factors); POST /api/token/revoke/ and
/api/token/revoke-all/ without a token, with a made-up one and with real ones. No answer is a server error, every
answer is documented (the lockout's 429 included), a token is issued only for the right password (and code), and a
revoked token stops working. django-axes is reset before each example, so that one example's failures never lock
the next one out and hide its real answer; the lockout itself is then driven on purpose."""

import pytest
from axes.utils import reset as axes_reset
from django.conf import settings as django_settings
from hypothesis import HealthCheck, Phase, given, settings
from knox.models import AuthToken
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import PASSWORD, StaffFactory
from tests.fuzz.wsgi_schema import wsgi_schema
from tests.two_factor import confirmed_device

pytestmark = pytest.mark.django_db

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
EXAMPLES = 8
# The only 400s of a sign-in the schema allows: wrong credentials, or no valid code for a user with two factors.
CREDENTIAL_ERRORS = {"non_field_errors", "otp_token"}


@pytest.fixture
def people():
    reader = StaffFactory()  # loads the schema; never signs in or out through the fuzzed operations
    _, key = AuthToken.objects.create(user=reader)
    two_factor = StaffFactory()
    confirmed_device(two_factor)
    return {"signer": StaffFactory(), "two_factor": two_factor, "reader_headers": {"Authorization": f"Token {key}"},
            "requests": 0}


@pytest.fixture
def token_schema(people):
    with wsgi_schema(headers=people["reader_headers"]) as schema:
        people["schema"] = schema
        yield schema


def _send(case, people, *, body=None, headers=None):
    if body is not None:
        case.body = body
    people["requests"] += 1
    return case.call_and_validate(headers=headers or {}, checks=CHECKS)


def _refused(response) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    body = response.json()
    assert "token" not in body and set(body) <= CREDENTIAL_ERRORS, body


# Through the schema's WSGI transport like every other request: Django's test client would reconnect the signal
# that closes the test's database connection after each request (tests.fuzz.wsgi_schema).
def _works(people, key: str) -> bool:
    answer = people["schema"]["/api/patients/"]["GET"].Case().call(headers={"Authorization": f"Token {key}"})
    assert answer.status_code in (200, 401), answer.status_code
    return answer.status_code == 200


def _sign_in(case, people) -> None:
    axes_reset()
    generated = dict(case.body)
    # Made-up credentials: refused as wrong, never a token.
    _refused(_send(case, people))
    # A real user name with a made-up password.
    _refused(_send(case, people, body={**generated, "username": people["signer"].username}))
    # The right password of a user with two factors, with a made-up code.
    answer = _send(case, people, body={**generated, "username": people["two_factor"].username, "password": PASSWORD})
    _refused(answer)
    assert set(answer.json()) == {"otp_token"}
    # The right password (any otp_token is ignored without two factors): a token that works.
    answer = _send(case, people, body={**generated, "username": people["signer"].username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text[:300]
    assert _works(people, answer.json()["token"])


def _issue(people, user) -> str:
    sign_in = people["schema"]["/api/token/"]["POST"]
    answer = sign_in.Case(media_type="application/json", body={"username": user.username, "password": PASSWORD}).call()
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["token"]


def _revoke(case, people, *, everywhere: bool) -> None:
    axes_reset()
    assert _send(case, people).status_code == 401  # no token
    assert _send(case, people, headers={"Authorization": "Token made-up-key"}).status_code == 401
    used, other = _issue(people, people["signer"]), _issue(people, people["signer"])
    assert _send(case, people, headers={"Authorization": f"Token {used}"}).status_code == 204
    assert not _works(people, used)
    assert _works(people, other) is not everywhere  # revoke-all takes the user's other tokens too; revoke only this one
    assert _send(case, people, headers={"Authorization": f"Token {used}"}).status_code == 401  # already revoked


def _lockout(case, people) -> None:
    """After DERM_LOCKOUT_FAILURES wrong passwords the answer is the documented 429, for the right one too."""
    axes_reset()
    wrong = {"username": people["signer"].username, "password": "wrong-" + PASSWORD}
    answers = [_send(case, people, body=wrong) for _ in range(django_settings.AXES_FAILURE_LIMIT)]
    assert [a.status_code for a in answers] == [400] * (len(answers) - 1) + [429]
    locked = _send(case, people, body={**wrong, "password": PASSWORD})
    assert locked.status_code == 429 and "token" not in locked.json()
    axes_reset()


FUZZED = {
    ("POST", "/api/token/"): _sign_in,
    ("POST", "/api/token/revoke/"): lambda case, people: _revoke(case, people, everywhere=False),
    ("POST", "/api/token/revoke-all/"): lambda case, people: _revoke(case, people, everywhere=True),
}


def test_sign_in_and_revocation_answer_by_their_schema(token_schema, people):
    failures, operations = [], 0
    for result in token_schema.get_all_operations():
        operation = result.ok()
        exercise = FUZZED.get((operation.method.upper(), operation.path))
        if exercise is None:
            assert not operation.path.startswith("/api/token/"), f"not fuzzed: {operation.method} {operation.path}"
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        def fuzz(case):
            exercise(case, people)  # noqa: B023  the test runs inside this loop's iteration

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  every operation is tried; all failures reported
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    _lockout(token_schema["/api/token/"]["POST"].Case(media_type="application/json", body={}), people)
    print(f"schemathesis (tokens): {operations} operations, {people['requests']} requests, {len(failures)} failing")
    assert operations == len(FUZZED)
    assert not failures, "\n\n".join(failures)
