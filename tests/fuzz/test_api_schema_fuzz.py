"""The OpenAPI schema fuzzed with schemathesis (Hypothesis), signed in with an API token as clinic staff (and, for
the operations that refuse staff, again as the clinic's dermatologist), with real records of the user's own clinic
and of another clinic in play: no answer is a server error, every status code, content type and body is
documented, no request the schema allows is refused as invalid (400), another clinic's records are never found.
Bounded: a few examples per operation, about half a minute in all."""

import contextlib

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from knox.models import AuthToken
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from tests.clinical_world import clinical_world
from tests.factories import DermatologistFactory, StaffFactory
from tests.fuzz.wsgi_schema import wsgi_schema

pytestmark = pytest.mark.django_db

CHECKS = (
    not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
    positive_data_acceptance,
)
# A request the schema allows is never a 400: it is carried out, or refused for the user's role (403), an id that
# is not the clinic's (404), the record's state (409: archived, already done) or a rule the schema cannot express
# (422: a birth date in the future, bytes that are no image).
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]}}}
)
EXAMPLES = 8
REVIEWER_PATHS = ("/api/reports/", "/api/review-queue/", "/api/reviews/")
OBJECT_OF_PATH = {"/api/patients/": "patient", "/api/cases/": "case", "/api/images/": "image", "/api/predictions/": "prediction"}


@pytest.fixture
def worlds(clinic, other_clinic):
    own_staff, other_staff = StaffFactory(clinic=clinic), StaffFactory(clinic=other_clinic)
    own_dermatologist = DermatologistFactory(clinic=clinic)
    own = clinical_world(staff=own_staff, dermatologist=own_dermatologist, capture_on_commit=contextlib.nullcontext)
    other = clinical_world(staff=other_staff, dermatologist=DermatologistFactory(clinic=other_clinic), capture_on_commit=contextlib.nullcontext)
    _, token = AuthToken.objects.create(user=own_staff)
    _, reviewer_token = AuthToken.objects.create(user=own_dermatologist)
    return {"own": own, "other": other, "headers": {"Authorization": f"Token {token}"},
            "reviewer_headers": {"Authorization": f"Token {reviewer_token}"}, "requests": 0}


@pytest.fixture
def api_schema(worlds):
    with wsgi_schema(headers=worlds["headers"], config=CONFIG) as schema:
        yield schema


def _object_type(path: str) -> str | None:
    return next((kind for prefix, kind in OBJECT_OF_PATH.items() if path.startswith(prefix)), None)


def _checks(case) -> tuple:
    # Werkzeug's test client (schemathesis's WSGI transport) encodes an empty multipart field without the line
    # break before the next boundary, so the field never arrives; curl, requests and Django's client send it.
    if "multipart" in (case.media_type or "") and isinstance(case.body, dict) and "" in case.body.values():
        return tuple(check for check in CHECKS if check is not positive_data_acceptance)
    return CHECKS


def _exercise(case, worlds) -> None:
    worlds["requests"] += 1
    case.call_and_validate(headers=worlds["headers"], checks=_checks(case))
    if case.path.startswith(REVIEWER_PATHS):
        # Refused to staff (403): fuzzed again as the clinic's dermatologist, who reads them.
        worlds["requests"] += 1
        case.call_and_validate(headers=worlds["reviewer_headers"], checks=_checks(case))
    kind = _object_type(case.path)
    if kind is None or "public_id" not in (case.path_parameters or {}):
        return
    # The same request on a real record of the user's clinic: answered by the schema, never a server error.
    case.path_parameters["public_id"] = str(worlds["own"][kind].public_id)
    worlds["requests"] += 2
    case.call_and_validate(headers=worlds["headers"], checks=_checks(case))
    # And on another clinic's record: not found whatever the method and body (403 where the role is refused first).
    case.path_parameters["public_id"] = str(worlds["other"][kind].public_id)
    response = case.call(headers=worlds["headers"])
    assert response.status_code in (403, 404), (response.status_code, response.text[:200])


def test_api_answers_by_its_schema(api_schema, worlds):
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/token/"):
            continue  # sign-in and revocation would revoke the fuzzer's own token: fuzzed apart (test_token_fuzz)
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        def fuzz(case):
            _exercise(case, worlds)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  every operation is tried; all failures reported
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    print(f"schemathesis: {operations} operations, {worlds['requests']} requests, {len(failures)} failing")
    assert operations >= 20 and worlds["requests"] >= operations * EXAMPLES / 2
    assert not failures, "\n\n".join(failures)
