"""List pages cost a fixed number of SQL queries whatever their length (no query per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients import services
from tests.factories import CaseFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_of", [
    lambda patient: reverse("patients:detail", args=[patient.public_id]),
    lambda patient: "/api/cases/",
])
def test_patient_page_and_case_list_do_not_query_per_case(staff_client, staff, patient, url_of, django_capture_on_commit_callbacks):
    def add_cases(n):
        for _ in range(n):
            case = CaseFactory(patient=patient, created_by=staff)
            with django_capture_on_commit_callbacks():
                services.images_upload(case=case, files=[upload(jpeg_bytes(seed=case.pk))], uploaded_by=staff)

    url = url_of(patient)
    add_cases(1)
    staff_client.get(url)
    few = _queries(staff_client, url)
    add_cases(6)
    assert _queries(staff_client, url) == few
    if url.startswith("/patients/"):
        assert staff_client.get(url).content.decode().count('<td data-label="Images">1</td>') == 7  # each case's image count
