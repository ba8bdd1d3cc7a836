"""A follow-up visit of a lesion, opened and uploaded in a real browser, shown beside the first visit on the
lesion page: same size, side by side, zoomed and panned together, with the change in P(melanoma)."""

import pytest

from patients import services as patient_services
from patients.models import Case
from tests.clinical_world import add_prediction
from tests.e2e.conftest import sign_in, wait_for_images
from tests.factories import PASSWORD, PatientFactory, StaffFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_follow_up_visit_side_by_side(page, tmp_path):
    staff = StaffFactory()
    patient = PatientFactory(clinic=staff.clinic, created_by=staff)
    first = patient_services.case_create(patient=patient, created_by=staff, body_site="back", label="6 mm pigmented")
    (image,) = patient_services.images_upload(case=first, files=[upload(jpeg_bytes(seed=3, size=(320, 240)))], uploaded_by=staff)
    add_prediction(image, mel=0.2)

    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, staff.username, PASSWORD)
    page.wait_for_url("**/patients/")
    page.goto(first.lesion.get_absolute_url())
    page.get_by_role("link", name="New visit of this lesion").click()
    assert page.locator("#id_lesion").input_value() == str(first.lesion.public_id)  # the lesion is chosen already
    page.fill("#id_clinical_notes", "Follow-up at 3 months.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/cases/*/")
    second = Case.objects.exclude(pk=first.pk).get(lesion=first.lesion)
    picture = tmp_path / "follow-up.jpg"
    picture.write_bytes(jpeg_bytes(seed=4, size=(320, 240)))
    page.set_input_files("input[type=file]", str(picture))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("[data-testid=images] img")
    add_prediction(second.images.get(), mel=0.5)  # the AI's opinion, as the worker would record it

    page.goto(first.lesion.get_absolute_url())
    visits = page.get_by_test_id("visit")
    assert visits.count() == 2
    wait_for_images(page, ".visit-image")
    before, after = (page.locator(".visit-image").nth(i).bounding_box() for i in range(2))
    assert (before["width"], before["height"]) == (after["width"], after["height"])  # same size, same zoom
    assert before["y"] == after["y"] and after["x"] >= before["x"] + before["width"]  # side by side, oldest first
    assert "Visit 1" in visits.nth(0).inner_text() and "Visit 2" in visits.nth(1).inner_text()
    assert visits.nth(1).get_by_test_id("visit-mel").inner_text() == "P(melanoma) 50.0% (+30.0 pp since the visit before)"

    # Zoomed and panned together: the same part of the lesion shows in both visits, from the full images.
    stages, images = page.locator(".visit-stage"), page.locator(".visit-image")
    stages.first.scroll_into_view_if_needed()
    visits.nth(0).get_by_test_id("zoom-in").click()
    assert [page.get_by_test_id("zoom-level").nth(i).inner_text() for i in range(2)] == ["150%", "150%"]
    stage = stages.first.bounding_box()
    page.mouse.move(stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2)
    page.mouse.down()
    page.mouse.move(stage["x"] + stage["width"] / 2 - 30, stage["y"] + stage["height"] / 2 - 20, steps=4)
    page.mouse.up()
    views = []
    for i in range(2):
        box, frame = images.nth(i).bounding_box(), stages.nth(i).bounding_box()
        views.append(((box["x"] - frame["x"]) / frame["width"], (box["y"] - frame["y"]) / frame["height"], box["width"] / frame["width"]))
    assert views[0] == pytest.approx(views[1], abs=0.005)
    assert views[0][2] == pytest.approx(1.5, abs=0.01) and views[0][0] < -0.25  # zoomed about the centre, then moved left
    page.wait_for_function("() => [...document.querySelectorAll('.visit-image')].every(i => i.src.includes('/content') && i.complete && i.naturalWidth === 320)")
    visits.nth(1).get_by_test_id("zoom-reset").click()
    assert [page.get_by_test_id("zoom-level").nth(i).inner_text() for i in range(2)] == ["100%", "100%"]
    assert images.first.bounding_box() == pytest.approx(stages.first.bounding_box(), abs=1)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.viewport_size["width"]
    assert not errors, errors
