"""The review page shows the clean image beside the heat-map viewer, the heat-map off until the dermatologist
asks for it (one click, or the H key); the case page keeps its heat-map on."""

import contextlib

import pytest

from tests.e2e.conftest import sign_in, wait_for_images
from tests.factories import PASSWORD, DermatologistFactory, StaffFactory
from tests.unit.diagnosis.test_claims import waiting_case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_review_page_heatmap_starts_off_beside_the_clean_image(page):
    staff = StaffFactory()
    derm = DermatologistFactory(clinic=staff.clinic)
    case = waiting_case(staff, contextlib.nullcontext)
    sign_in(page, derm.username, PASSWORD)
    page.wait_for_url("**/review/")
    page.goto(f"/review/cases/{case.public_id}/")
    page.wait_for_selector("[data-viewer-ready]")
    wait_for_images(page, "[data-testid=clean-image]")
    overlay, toggle = page.get_by_test_id("heatmap"), page.get_by_test_id("heatmap-toggle")
    assert page.get_by_test_id("clean-image").is_visible()
    assert not overlay.is_visible() and not toggle.is_checked()

    toggle.check()  # one click
    assert overlay.is_visible()
    page.locator("h1").click()  # focus out of the controls, then the key
    page.keyboard.press("h")
    assert not overlay.is_visible() and not toggle.is_checked()
    page.keyboard.press("h")
    assert overlay.is_visible()

    # Typing an "h" in the notes is text, not a shortcut.
    page.fill("#id_notes", "")
    page.locator("#id_notes").press("h")
    assert overlay.is_visible() and page.input_value("#id_notes") == "h"

    # The case page keeps the heat-map on, without a second copy of the image.
    page.goto(case.get_absolute_url())
    page.wait_for_selector("[data-viewer-ready]")
    assert page.get_by_test_id("heatmap").is_visible()
    assert page.get_by_test_id("clean-image").count() == 0
