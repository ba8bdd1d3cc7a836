"""Every time on a page says which time zone it is in (the platform's TIME_ZONE)."""

import re

import pytest
from django.urls import reverse

from patients.models import CaseStatus
from tests.factories import CaseFactory, PatientFactory

pytestmark = pytest.mark.django_db

TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(?: ([A-Z][A-Za-z0-9+-]*))?")


@pytest.mark.parametrize(("zone", "names"), [("UTC", {"UTC"}), ("Europe/Berlin", {"CET", "CEST"})])
def test_pages_show_the_zone_of_each_time(client, settings, staff, dermatologist, zone, names):
    settings.TIME_ZONE = zone
    patient = PatientFactory(clinic=staff.clinic, created_by=staff)
    case = CaseFactory(patient=patient, created_by=staff, status=CaseStatus.AWAITING_REVIEW)
    pages = [(staff, patient.get_absolute_url()), (staff, case.get_absolute_url()), (dermatologist, reverse("diagnosis:queue"))]
    for user, url in pages:
        client.force_login(user)
        times = TIME.findall(client.get(url).content.decode())
        assert times and set(times) <= names, (url, times)
