"""The case page's image viewer zooms and pans (buttons, mouse wheel about the pointer, pinch, drag, keyboard) with
the heat-map staying exactly over the image, at a desktop's 1280 px and a phone's 390 px: no console error, no
sideways scroll. A zoomed view of each width is saved under var/screenshots/ (DERM_SCREENSHOTS)."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.conftest import sign_in
from tests.e2e.test_mobile_and_keyboard import _gradient_jpeg, _model_view_png, _stage_pixels
from tests.factories import PASSWORD, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("DERM_SCREENSHOTS", Path(settings.BASE_DIR) / "var" / "screenshots"))
WIDTHS = {"desktop": 1280, "mobile": 390}
TOLERANCE = 1.0  # px: layout rounding


@pytest.fixture
def case_with_heatmap():
    from patients import services
    from patients.models import CaseStatus
    from tests.clinical_world import add_prediction
    from tests.factories import CaseFactory, PatientFactory
    from tests.images import upload

    staff = StaffFactory()
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    # Portrait: the model turns it a quarter turn, so registration is tested through the rotation too.
    (image,) = services.images_upload(case=case, files=[upload(_gradient_jpeg((240, 320)))], uploaded_by=staff)
    add_prediction(image, heatmap=_model_view_png(image, size=(160, 120)))
    case.status = CaseStatus.AWAITING_REVIEW
    case.save(update_fields=["status"])
    return staff, case


def _boxes(page):
    stage = page.locator(".viewer-stage").first
    return (stage.bounding_box(), page.locator("img.viewer-base").first.bounding_box(),
            page.get_by_test_id("heatmap").first.bounding_box())


def _registration(base, overlay):
    """Where the image lies relative to its heat-map, in heat-map widths and heights: the same at every zoom."""
    return ((base["x"] - overlay["x"]) / overlay["width"], (base["y"] - overlay["y"]) / overlay["height"],
            base["width"] / overlay["width"], base["height"] / overlay["height"])


def _assert_registered(page, reference):
    _, base, overlay = _boxes(page)
    assert _registration(base, overlay) == pytest.approx(reference, abs=0.01)


def _level(page) -> str:
    return page.get_by_test_id("zoom-level").inner_text()


@pytest.mark.parametrize("label", sorted(WIDTHS))
def test_zoom_and_pan_keep_the_heatmap_on_its_image(browser, live_server, case_with_heatmap, label):
    staff, case = case_with_heatmap
    width = WIDTHS[label]
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900},
                                  has_touch=label == "mobile")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, staff.username, PASSWORD)
        page.wait_for_url("**/patients/")
        page.goto(case.get_absolute_url())
        page.wait_for_selector("[data-viewer-ready]")
        stage_locator = page.locator(".viewer-stage").first
        # The viewer and its controls in view, where the mouse can reach them (boxes are viewport coordinates).
        page.locator("[data-viewer-ready] figure").first.evaluate("f => f.scrollIntoView({block: 'center'})")
        stage, base, overlay = _boxes(page)
        assert overlay == pytest.approx(stage, abs=TOLERANCE)  # not zoomed: the heat-map fills the stage
        registration = _registration(base, overlay)
        assert _level(page) == "100%"
        assert page.get_by_test_id("zoom-out").is_disabled() and page.get_by_test_id("zoom-reset").is_disabled()

        # The + button zooms 1.5 times about the stage's centre.
        page.get_by_test_id("zoom-in").click()
        assert _level(page) == "150%"
        _, _, overlay = _boxes(page)
        assert overlay["width"] == pytest.approx(stage["width"] * 1.5, abs=TOLERANCE)
        assert overlay["x"] + overlay["width"] / 2 == pytest.approx(stage["x"] + stage["width"] / 2, abs=TOLERANCE)
        _assert_registered(page, registration)

        # The wheel zooms about the pointer: the heat-map's point under it stays under it.
        px, py = stage["x"] + stage["width"] * 0.3, stage["y"] + stage["height"] * 0.25
        under = ((px - overlay["x"]) / overlay["width"], (py - overlay["y"]) / overlay["height"])
        page.mouse.move(px, py)
        page.mouse.wheel(0, -200)
        page.wait_for_function("() => document.querySelector('[data-testid=zoom-level]').value !== '150%'")
        _, _, overlay = _boxes(page)
        assert overlay["width"] > stage["width"] * 1.9
        assert ((px - overlay["x"]) / overlay["width"], (py - overlay["y"]) / overlay["height"]) == pytest.approx(under, abs=0.01)
        _assert_registered(page, registration)
        scrolled = page.evaluate("window.scrollY")

        # Dragging pans image and heat-map together, and scrolls nothing.
        before = overlay
        page.mouse.move(stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2)
        page.mouse.down()
        page.mouse.move(stage["x"] + stage["width"] / 2 - 40, stage["y"] + stage["height"] / 2 - 30, steps=5)
        page.mouse.up()
        _, _, overlay = _boxes(page)
        assert (overlay["x"] - before["x"], overlay["y"] - before["y"]) == pytest.approx((-40, -30), abs=TOLERANCE)
        _assert_registered(page, registration)
        assert page.evaluate("window.scrollY") == scrolled

        # The picture cannot be dragged out of view: it stops at the stage's edges.
        for far, edge in ((3000, "start"), (-3000, "end")):
            page.mouse.move(stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2)
            page.mouse.down()
            page.mouse.move(stage["x"] + stage["width"] / 2 + far, stage["y"] + stage["height"] / 2 + far, steps=4)
            page.mouse.up()
            _, _, overlay = _boxes(page)
            if edge == "start":
                assert (overlay["x"], overlay["y"]) == pytest.approx((stage["x"], stage["y"]), abs=TOLERANCE)
            else:
                assert (overlay["x"] + overlay["width"], overlay["y"] + overlay["height"]) == pytest.approx(
                    (stage["x"] + stage["width"], stage["y"] + stage["height"]), abs=TOLERANCE)
            _assert_registered(page, registration)

        # Zoomed in, the heat-map's pixels still lie over the image's (the "heat-map" is the model's view of it).
        toggle, opacity = page.get_by_test_id("heatmap-toggle"), page.get_by_test_id("heatmap-opacity")
        opacity.fill("100")
        with_overlay = _stage_pixels(page)
        toggle.uncheck()
        assert not page.get_by_test_id("heatmap").first.is_visible() and opacity.is_disabled()
        without = _stage_pixels(page)
        assert abs(with_overlay - without).mean() < 12
        toggle.check()
        opacity.fill("40")
        assert page.get_by_test_id("heatmap").first.evaluate("o => getComputedStyle(o).opacity") == "0.4"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"case-viewer-zoomed-{label}.png"), full_page=True)

        # Reset restores the whole picture.
        page.get_by_test_id("zoom-reset").click()
        assert _level(page) == "100%"
        assert _boxes(page)[2] == pytest.approx(stage, abs=TOLERANCE)

        # The keyboard: the buttons take Enter, the focused stage takes +, -, 0 and the arrow keys.
        page.get_by_test_id("zoom-in").focus()
        page.keyboard.press("Enter")
        assert _level(page) == "150%"
        stage_locator.focus()
        assert page.evaluate("document.activeElement.classList.contains('viewer-stage')")
        page.keyboard.press("+")
        assert _level(page) == "225%"
        _, _, before = _boxes(page)
        page.keyboard.press("ArrowRight")  # look further right: the picture slides left by a tenth of the stage
        page.keyboard.press("ArrowDown")
        _, _, overlay = _boxes(page)
        assert (overlay["x"] - before["x"], overlay["y"] - before["y"]) == pytest.approx(
            (-stage["width"] / 10, -stage["height"] / 10), abs=TOLERANCE)
        _assert_registered(page, registration)
        page.keyboard.press("-")
        assert _level(page) == "150%"
        page.keyboard.press("0")
        assert _level(page) == "100%"
        assert _boxes(page)[2] == pytest.approx(stage, abs=TOLERANCE)

        if label == "mobile":
            _pinch(page, context, stage)
            _, _, overlay = _boxes(page)
            assert overlay["width"] > stage["width"] * 1.5, overlay
            _assert_registered(page, registration)

        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        assert not errors, errors
    finally:
        context.close()


def _pinch(page, context, stage):
    """Two fingers moving apart over the stage (Chromium's touch input, through the DevTools protocol)."""
    cdp = context.new_cdp_session(page)
    cx, cy = stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2

    def fingers(spread):
        return [{"x": cx - spread, "y": cy, "id": 1}, {"x": cx + spread, "y": cy, "id": 2}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(20)})
    for spread in range(25, 61, 5):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": fingers(spread)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
