"""Every main page works under the Content-Security-Policy: a browser walks them as staff, dermatologist and admin
and fails on any policy violation or console error (an inline style or script would be refused and reported)."""

import contextlib

import pytest

from tests.clinical_world import clinical_world
from tests.e2e.conftest import sign_in, wait_for_images
from tests.factories import PASSWORD, AdminFactory, CaseFactory, DermatologistFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Recorded in the page before any of its own script runs: the browser's report of each refused inline resource.
VIOLATION_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_init_script(VIOLATION_RECORDER)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.problems = problems
    yield page
    context.close()


def _visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (url, policy)
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__cspViolations")
    assert not violations, (url, violations)
    assert not page.problems, page.problems


def test_main_pages_run_under_the_policy(watched):
    staff = StaffFactory()
    derm = DermatologistFactory(clinic=staff.clinic)
    world = clinical_world(staff=staff, dermatologist=derm, capture_on_commit=contextlib.nullcontext)
    patient, case, prediction = world["patient"], world["case"], world["prediction"]
    CaseFactory(patient=patient, created_by=staff, status="awaiting_review")

    _visit(watched, "/accounts/login/")
    sign_in(watched, staff.username, PASSWORD)
    for url in ("/patients/", "/patients/new/", patient.get_absolute_url(), f"{patient.get_absolute_url()}edit/",
                f"{patient.get_absolute_url()}cases/new/", case.get_absolute_url(), f"{case.get_absolute_url()}edit/",
                world["lesion"].get_absolute_url(), "/accounts/password/", "/accounts/two-factor/",
                "/accounts/two-factor/setup/", "/api/docs/"):
        _visit(watched, url)
    watched.goto(case.get_absolute_url())
    wait_for_images(watched, "[data-testid=images] img")
    watched.get_by_role("button", name="Sign out").click()

    sign_in(watched, derm.username, PASSWORD)
    for url in ("/review/", f"/review/cases/{case.public_id}/", f"/review/cases/{case.public_id}/histology/",
                "/reports/performance/"):
        _visit(watched, url)
    # The AI summary's probability bars and the heat-map viewer (script-driven) under the policy.
    watched.goto(f"/review/cases/{case.public_id}/")
    assert watched.locator("meter.bar").count() == 7
    wait_for_images(watched, "[data-testid=heatmap]")
    assert not watched.evaluate("window.__cspViolations") and not watched.problems
    watched.get_by_role("button", name="Sign out").click()

    admin = AdminFactory()
    sign_in(watched, admin.username, PASSWORD)
    watched.wait_for_url("**/")
    for url in ("/admin/", "/admin/patients/patient/", f"/admin/patients/patient/{patient.pk}/change/",
                "/admin/diagnosis/prediction/", f"/admin/diagnosis/prediction/{prediction.pk}/change/",
                "/admin/accounts/user/", f"/admin/accounts/user/{staff.pk}/change/", "/admin/audit/auditevent/",
                "/reports/performance/"):
        _visit(watched, url)
