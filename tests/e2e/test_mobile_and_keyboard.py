"""At a phone's 390 px the main pages do not scroll sideways and the top bar keeps Password and Sign out on
screen; the keyboard gets a skip link and lands on the first error of a failed form; the favicon loads.

Each page is saved as a screenshot under var/screenshots/mobile-390/ (DERM_SCREENSHOT_DIR), and any browser
console error fails the test.
"""

import contextlib
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.clinical_world import clinical_world
from tests.e2e.conftest import sign_in, wait_for_images
from tests.factories import PASSWORD, DermatologistFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 390
SCREENSHOTS = Path(os.environ.get("DERM_SCREENSHOT_DIR", settings.BASE_DIR / "var" / "screenshots")) / "mobile-390"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTH, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def world():
    staff = StaffFactory()
    derm = DermatologistFactory(clinic=staff.clinic)
    objects = clinical_world(staff=staff, dermatologist=derm, capture_on_commit=contextlib.nullcontext)
    return {**objects, "staff": staff, "dermatologist": derm}


def _check(page, name: str) -> None:
    page.wait_for_load_state("load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= WIDTH, f"{name}: the page is {width} px wide at {WIDTH} px"
    if page.locator(".topbar .who").count():
        for link in (page.get_by_role("link", name="Password"), page.get_by_role("button", name="Sign out")):
            assert link.is_visible(), name
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (name, box)


def test_main_pages_fit_a_phone(phone, world):
    case, patient = world["case"], world["patient"]
    phone.goto("/accounts/login/")
    _check(phone, "sign-in")

    sign_in(phone, world["staff"].username, PASSWORD)
    phone.wait_for_url("**/patients/")
    staff_pages = {
        "patient-list": "/patients/",
        "patient-new": "/patients/new/",
        "patient-detail": patient.get_absolute_url(),
        "patient-edit": f"{patient.get_absolute_url()}edit/",
        "case-new": f"{patient.get_absolute_url()}cases/new/",
        "case-detail-staff": case.get_absolute_url(),
        "case-edit": f"{case.get_absolute_url()}edit/",
        "password": "/accounts/password/",
    }
    for name, url in staff_pages.items():
        phone.goto(url)
        if name == "case-detail-staff":
            wait_for_images(phone, "[data-testid=images] img")
        _check(phone, name)

    phone.get_by_role("button", name="Sign out").click()
    sign_in(phone, world["dermatologist"].username, PASSWORD)
    phone.wait_for_url("**/review/")
    _check(phone, "review-queue")
    phone.goto(f"/review/cases/{case.public_id}/")
    wait_for_images(phone, "[data-testid=heatmap]")
    _check(phone, "case-review")
    phone.goto(case.get_absolute_url())
    _check(phone, "case-detail-dermatologist")


def test_skip_link_favicon_and_focus_on_the_first_error(page, world):
    sign_in(page, world["staff"].username, PASSWORD)
    page.wait_for_url("**/patients/")
    favicon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(favicon)
    assert response.ok and response.headers["content-type"].startswith("image/svg")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content" and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.goto("/patients/new/")
    page.fill("#id_medical_record_number", "KB-1")
    page.fill("#id_first_name", "Ada")
    page.fill("#id_last_name", "Lovelace")
    page.fill("#id_date_of_birth", (timezone.localdate() + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    assert "cannot be in the future" in page.content()
    assert page.evaluate("document.activeElement.id") == "id_date_of_birth"

    page.goto(world["case"].get_absolute_url())
    page.get_by_label("Dermoscopic images").set_input_files(
        files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"}]
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"**{world['case'].get_absolute_url()}#upload-errors")
    assert page.evaluate("document.activeElement.id") == "upload-errors"
    assert "notes.jpg" in page.get_by_role("alert").inner_text()


def _model_view_png(image, size=(64, 48)) -> bytes:
    """The image exactly as the model sees it (oriented, cover-scaled, centre-cropped): a perfectly aligned heat-map."""
    import io

    from PIL import Image

    from ml.serving.preprocessing import PreprocessingSpec, preprocess_image

    with image.image.open("rb") as handle:
        seen = preprocess_image(Image.open(io.BytesIO(handle.read())), PreprocessingSpec(height=size[1], width=size[0]))
    out = io.BytesIO()
    Image.fromarray(seen).save(out, format="PNG")
    return out.getvalue()


def _gradient_jpeg(size) -> bytes:
    """Red grows left to right, green top to bottom: any shift, scale or turn of the overlay shows everywhere."""
    import io

    import numpy as np
    from PIL import Image

    width, height = size
    x, y = np.meshgrid(np.linspace(0, 255, width), np.linspace(0, 255, height))
    pixels = np.stack([x, y, np.full_like(x, 90)], axis=-1).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=95)
    return out.getvalue()


def _stage_pixels(page):
    import io

    import numpy as np
    from PIL import Image

    shot = page.locator(".viewer-stage").first.screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=np.float32)


@pytest.mark.parametrize(
    "size", [(320, 240), (480, 240), (240, 320)], ids=["landscape", "wide-cropped-by-the-model", "portrait-turned-by-the-model"]
)
def test_heatmap_overlay_lies_over_the_pixels_it_explains(page, size):
    from patients import services
    from patients.models import CaseStatus
    from tests.clinical_world import add_prediction
    from tests.factories import CaseFactory, PatientFactory
    from tests.images import upload

    staff = StaffFactory()
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    (image,) = services.images_upload(case=case, files=[upload(_gradient_jpeg(size))], uploaded_by=staff)
    add_prediction(image, heatmap=_model_view_png(image))
    case.status = CaseStatus.AWAITING_REVIEW
    case.save(update_fields=["status"])

    sign_in(page, staff.username, PASSWORD)
    page.wait_for_url("**/patients/")
    page.goto(case.get_absolute_url())
    page.wait_for_selector("[data-viewer-ready]")
    assert page.get_by_test_id("heatmap-scale").is_visible()
    overlay, toggle, opacity = (page.get_by_test_id(t) for t in ("heatmap", "heatmap-toggle", "heatmap-opacity"))
    assert overlay.is_visible() and toggle.is_checked()

    opacity.fill("100")
    assert overlay.evaluate("o => getComputedStyle(o).opacity") == "1"
    with_overlay = _stage_pixels(page)
    toggle.uncheck()
    assert not overlay.is_visible() and opacity.is_disabled()
    without = _stage_pixels(page)
    # The "heat-map" here is the model's own view of the image: laid over the original, it matches it.
    assert with_overlay.shape == without.shape
    difference = abs(with_overlay - without).mean()
    assert difference < 12, difference

    toggle.check()
    opacity.fill("25")
    assert overlay.evaluate("o => getComputedStyle(o).opacity") == "0.25"
