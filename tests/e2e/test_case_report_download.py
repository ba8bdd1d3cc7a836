"""The case report downloads from the case page in a real browser, as a PDF a reader can open."""

import io

import pytest
from pypdf import PdfReader

from tests.clinical_world import clinical_world
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, DermatologistFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_report_downloads_from_the_case_page(page, django_capture_on_commit_callbacks, tmp_path):
    staff = StaffFactory()
    world = clinical_world(
        staff=staff, dermatologist=DermatologistFactory(clinic=staff.clinic), capture_on_commit=django_capture_on_commit_callbacks
    )
    sign_in(page, staff.username, PASSWORD)
    page.wait_for_url("**/patients/")
    page.goto(f"/cases/{world['case'].public_id}/")
    with page.expect_download() as download_info:
        page.get_by_test_id("report-pdf").click()
    download = download_info.value
    assert download.suggested_filename == f"case-{world['case'].public_id}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert world["patient"].medical_record_number in text
    assert "Dermatologist: Melanoma" in text
