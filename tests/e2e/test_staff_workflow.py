"""A staff user registers a patient, opens a case and uploads images in a real browser."""

import pytest

from patients.models import Case, LesionImage, Patient
from tests.e2e.conftest import sign_in, wait_for_images
from tests.factories import PASSWORD, StaffFactory
from tests.images import jpeg_bytes, png_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_register_patient_open_case_upload_images(page, tmp_path):
    staff = StaffFactory()
    sign_in(page, staff.username, PASSWORD)
    page.wait_for_url("**/patients/")

    page.get_by_role("link", name="Register patient").click()
    page.fill("#id_medical_record_number", "E2E-42")
    page.fill("#id_first_name", "Rosalind")
    page.fill("#id_last_name", "Franklin")
    page.fill("#id_date_of_birth", "1970-07-25")
    page.select_option("#id_sex", "female")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_test_id("mrn").inner_text() == "E2E-42"

    page.get_by_role("link", name="Open case").click()
    page.select_option("#id_body_site", "back")
    page.fill("#id_clinical_notes", "Irregular border, grew in 3 months.")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_test_id("case-status").inner_text() == "Draft"

    first, second, bad = tmp_path / "a.jpg", tmp_path / "b.png", tmp_path / "c.jpg"
    first.write_bytes(jpeg_bytes(seed=5))
    second.write_bytes(png_bytes())
    bad.write_bytes(b"<html>not an image</html>")

    page.set_input_files("input[type=file]", [str(bad)])
    page.get_by_role("button", name="Upload").click()
    assert "not a JPEG or PNG" in page.get_by_role("alert").inner_text()

    page.set_input_files("input[type=file]", [str(first), str(second)])
    page.get_by_role("button", name="Upload").click()
    assert "2 image(s) stored" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("case-status").inner_text() == "Awaiting AI"
    thumbnails = page.locator("[data-testid=images] img")
    assert thumbnails.count() == 2
    # The thumbnails really load (served through the access-checked view).
    wait_for_images(page, "[data-testid=images] img")

    patient = Patient.objects.get(medical_record_number="E2E-42")
    assert Case.objects.get(patient=patient).images.count() == 2
    assert LesionImage.objects.count() == 2

    # The search goes by POST: the name never reaches the address bar or the history.
    page.goto("/patients/")
    page.get_by_role("searchbox", name="Search patients").fill("franklin")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("link", name="E2E-42").is_visible()
    assert "franklin" not in page.url.lower() and "search=" in page.url
    assert "Franklin" not in page.title() and "Rosalind" not in page.title()
