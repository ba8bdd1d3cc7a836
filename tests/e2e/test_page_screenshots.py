"""Each main page, as each role, in a real browser: a full-page screenshot of it is kept under var/screenshots/
(DERM_SCREENSHOTS to put them elsewhere; git ignores var/) for a person to look at, at desktop width and at 390 px
(the case page also with its image viewer zoomed in);
any browser console error, failed page load, uncaught script error or sideways scroll fails the test."""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from diagnosis.review import services
from tests.clinical_world import clinical_world, worklist_world
from tests.e2e.conftest import sign_in, wait_for_images
from tests.factories import PASSWORD, AdminFactory, DermatologistFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("DERM_SCREENSHOTS", Path(settings.BASE_DIR) / "var" / "screenshots"))
WIDTHS = {"desktop": 1280, "mobile": 390}


class NullContext:
    def __call__(self):
        return self

    def __enter__(self):
        return []

    def __exit__(self, *exc):
        return False


@pytest.fixture
def world():
    staff = StaffFactory()
    derm = DermatologistFactory(clinic=staff.clinic)
    world = clinical_world(staff=staff, dermatologist=derm, capture_on_commit=NullContext())
    services.histology_record(case=world["case"], user=staff, diagnosis="mel", reported_on=datetime.date(2026, 11, 2),
                              report_reference="LAB-1")
    worklist_world(staff=staff, dermatologist=derm)  # items on the worklist page
    _waiting_case(staff)  # a row in the review queue (a card on a phone)
    return {**world, "staff": staff, "derm": derm}


def _waiting_case(staff):
    from diagnosis.triage import triage_refresh
    from patients import services as patient_services
    from patients.models import Case, CaseStatus
    from tests.clinical_world import add_prediction
    from tests.factories import CaseFactory, PatientFactory
    from tests.images import jpeg_bytes, upload

    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    (image,) = patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=31))], uploaded_by=staff)
    add_prediction(image, mel=0.6)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.AWAITING_REVIEW)
    triage_refresh(case_ids=[case.pk])


def _pages(world):
    patient, case, lesion = world["patient"], world["case"], world["lesion"]
    common = {"patient": patient.get_absolute_url(), "case": case.get_absolute_url(), "lesion": lesion.get_absolute_url(),
              "password": "/accounts/password/", "two-factor": "/accounts/two-factor/"}
    return {
        "staff": {"patients": "/patients/", "patient-new": "/patients/new/", "patient-edit": f"{patient.get_absolute_url()}edit/",
                  "case-new": f"{patient.get_absolute_url()}cases/new/", "case-edit": f"{case.get_absolute_url()}edit/",
                  "histology": f"/review/cases/{case.public_id}/histology/", "attention": "/attention/",
                  "worklist": "/worklist/", **common},
        "dermatologist": {"queue": "/review/", "queue-filtered": "/review/?flag=none&risk=low&waiting_days=3",
                          "my-reviews": "/review/mine/", "reviewed": "/review/reviewed/",
                          "review": f"/review/cases/{case.public_id}/", "performance": "/reports/performance/",
                          "patients": "/patients/", "worklist": "/worklist/", "validation": "/validation/",
                          "access-history": f"/review/patients/{patient.public_id}/access/", **common},
        "admin": {"admin": "/admin/", "performance": "/reports/performance/", "audit": "/admin/audit/auditevent/",
                  "users": "/admin/accounts/user/"},
    }


def _screenshot_zoomed(page, path):
    """The case page with its image viewer zoomed in twice (the heat-map over the image, both enlarged)."""
    page.wait_for_selector("[data-viewer-ready]")
    for _ in range(2):
        page.get_by_test_id("zoom-in").first.click()
    assert page.get_by_test_id("zoom-level").first.inner_text() == "225%"
    page.screenshot(path=str(path), full_page=True)


@pytest.mark.parametrize("role", ["staff", "dermatologist", "admin"])
def test_screenshot_every_page_without_console_errors(browser, live_server, world, role):
    user = {"staff": world["staff"], "dermatologist": world["derm"], "admin": AdminFactory()}[role]
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    try:
        sign_in(page, user.username, PASSWORD)
        page.wait_for_load_state("load")
        for name, url in _pages(world)[role].items():
            for label, width in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(url)
                assert response.status == 200, (url, response.status)
                page.wait_for_load_state("load")
                if page.locator("main img").count():
                    wait_for_images(page, "main img")
                path = SHOTS / f"{role}-{re.sub(r'[^a-z0-9-]', '-', name)}-{label}.png"
                page.screenshot(path=str(path), full_page=True)
                assert path.stat().st_size > 1000
                if name == "case" and page.locator("[data-heatmap-viewer]").count():
                    _screenshot_zoomed(page, SHOTS / f"{role}-case-zoomed-{label}.png")
                overflow = page.evaluate("document.documentElement.scrollWidth") - width
                if overflow > 0:
                    wide = page.evaluate("""w => Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > w && !e.closest('.table-scroll')).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""", width)
                    problems.append(f"{url} scrolls sideways by {overflow} px at {width} px wide: {wide}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
