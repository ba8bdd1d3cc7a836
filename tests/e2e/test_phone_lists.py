"""On a phone (390 px) no main page scrolls sideways, not even inside a box (a table in a scrolling box hides its
right-hand columns: the queue's Review button was one), and every list of patients or cases is a column of cards:
a tap anywhere on a card opens its item, while a link inside the card (an open case's badge) still opens its own.

Long names and record numbers on purpose: they are what pushes a table sideways.
"""

import pytest
from django.urls import NoReverseMatch, reverse

from diagnosis.models import AttentionSeen
from diagnosis.triage import triage_refresh
from patients import services as patient_services
from patients.models import Case, CaseStatus
from tests.clinical_world import add_prediction, clinical_world
from tests.e2e.conftest import sign_in, wait_for_images
from tests.factories import PASSWORD, CaseFactory, DermatologistFactory, PatientFactory, StaffFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 390

# A box that scrolls sideways inside the page (overflow-x auto or scroll, wider content than its box).
SIDEWAYS_BOXES = """() => Array.from(document.querySelectorAll('main *')).filter(e => {
  const overflow = getComputedStyle(e).overflowX;
  return (overflow === 'auto' || overflow === 'scroll') && e.scrollWidth > e.clientWidth + 1
    && !['TEXTAREA', 'INPUT', 'SELECT'].includes(e.tagName);
}).map(e => `${e.tagName}.${e.className} ${e.scrollWidth}>${e.clientWidth}`)"""


class _NoCapture:
    def __call__(self):
        return self

    def __enter__(self):
        return []

    def __exit__(self, *exc):
        return False


@pytest.fixture
def world():
    staff = StaffFactory()
    derm = DermatologistFactory(clinic=staff.clinic, first_name="Bartholomew", last_name="Featherstonehaugh")
    objects = clinical_world(staff=staff, dermatologist=derm, capture_on_commit=_NoCapture())
    patient = PatientFactory(clinic=staff.clinic, created_by=staff, medical_record_number="MRN-2026-0000012345678",
                             first_name="Maximiliana-Theodora", last_name="Vandenberghe-Oppenheimer")
    waiting = CaseFactory(patient=patient, created_by=staff)
    (image,) = patient_services.images_upload(case=waiting, files=[upload(jpeg_bytes(seed=31))], uploaded_by=staff)
    add_prediction(image, mel=0.6)
    Case.objects.filter(pk=waiting.pk).update(status=CaseStatus.AWAITING_REVIEW)
    triage_refresh(case_ids=[waiting.pk])
    failed = CaseFactory(patient=patient, created_by=staff)
    Case.objects.filter(pk=failed.pk).update(status=CaseStatus.AI_FAILED)
    return {**objects, "staff": staff, "derm": derm, "long_patient": patient, "waiting": waiting, "failed": failed}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTH, "height": 844}, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    yield page
    context.close()
    assert not errors, errors


def _fits(page, url, *, status=200):
    response = page.goto(url)
    assert response.status == status, (url, response.status)
    page.wait_for_load_state("load")
    if page.locator("main img").count():
        wait_for_images(page, "main img")
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert inner == WIDTH and width <= inner, f"{url}: {width} px wide at {inner} px"
    assert page.evaluate(SIDEWAYS_BOXES) == [], url


def _tap_card(page, table, label, expected_url):
    """The first row of `table` is a card on screen; a tap on its `label` cell (no link there) opens the item."""
    row = page.locator(f"{table} > tbody > tr").first
    row.scroll_into_view_if_needed()
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    link = row.locator("a.row-link")
    link_box = link.bounding_box()
    assert link.is_visible() and link_box["x"] >= 0 and link_box["x"] + link_box["width"] <= WIDTH, link_box
    cell = row.locator(f'td[data-label="{label}"]').bounding_box()
    x, y = cell["x"] + cell["width"] * 0.8, cell["y"] + cell["height"] / 2
    # What a finger there touches: the card's own link, stretched over the card.
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('a')?.classList.contains('row-link')", [x, y])
    page.touchscreen.tap(x, y)
    page.wait_for_url(f"**{expected_url}")


def test_staff_pages_fit_and_lists_are_cards(phone, world):
    patient, case, long_patient = world["patient"], world["case"], world["long_patient"]
    sign_in(phone, world["staff"].username, PASSWORD)
    phone.wait_for_url("**/patients/")
    pages = [
        "/patients/", "/patients/new/", patient.get_absolute_url(), f"{patient.get_absolute_url()}edit/",
        long_patient.get_absolute_url(), world["lesion"].get_absolute_url(), f"{patient.get_absolute_url()}cases/new/",
        case.get_absolute_url(), f"{case.get_absolute_url()}edit/", f"/review/cases/{case.public_id}/histology/",
        "/attention/", "/accounts/password/", "/accounts/two-factor/",
    ]
    try:
        pages.append(reverse("worklist:list"))
    except NoReverseMatch:  # the staff worklist, where the platform has it
        pass
    for url in pages:
        _fits(phone, url)
    _fits(phone, "/patients/no-such-page/", status=404)
    phone.console_errors.remove("Failed to load resource: the server responded with a status of 404 (Not Found)")

    phone.goto("/patients/")
    row = phone.locator("[data-testid=patient-list] > tbody > tr", has_text=long_patient.medical_record_number)
    # An open case's badge inside the card opens that case, not the patient.
    row.locator("[data-testid=open-cases] a").first.tap()
    phone.wait_for_url("**/cases/**")
    phone.goto("/patients/")
    _tap_card(phone, "[data-testid=patient-list]", "Name", patient.get_absolute_url())
    _tap_card(phone, "[data-testid=patient-cases]", "Images", case.get_absolute_url())

    phone.goto("/attention/")
    _tap_card(phone, "[data-testid=attention-ai-failed] table", "Patient", world["failed"].get_absolute_url())
    AttentionSeen.objects.all().delete()  # the reviews show again, as on a first visit
    phone.goto("/attention/")
    _tap_card(phone, "[data-testid=attention-reviewed] table", "Patient", case.get_absolute_url())


def test_dermatologist_pages_fit_and_the_queue_is_cards(phone, world):
    case, waiting = world["case"], world["waiting"]
    sign_in(phone, world["derm"].username, PASSWORD)
    phone.wait_for_url("**/review/")
    for url in ["/review/", "/review/mine/", "/review/reviewed/", "/patients/", world["patient"].get_absolute_url(),
                world["lesion"].get_absolute_url(), case.get_absolute_url(), "/reports/performance/", "/validation/",
                f"/review/patients/{world['patient'].public_id}/access/", f"/review/cases/{case.public_id}/"]:
        _fits(phone, url)

    phone.goto("/review/")
    review = phone.get_by_test_id("queue").get_by_role("link", name="Review")
    assert review.is_visible()
    _tap_card(phone, "[data-testid=queue]", "Body site", f"/review/cases/{waiting.public_id}/")
    _fits(phone, f"/review/cases/{waiting.public_id}/")
    phone.goto("/review/mine/")
    _tap_card(phone, "[data-testid=reviews-list]", "Patient", f"/review/cases/{case.public_id}/")
    phone.goto(f"/review/patients/{world['patient'].public_id}/access/")
    row = phone.locator("[data-testid=access-history] > tbody > tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
