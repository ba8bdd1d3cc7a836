"""Finding a patient by part of the record number (a prefix, the digits at its end, any part) or by date of birth
typed as the site writes dates, on the page and in the API; never a patient of another clinic."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patients(clinic, staff, other_clinic, outsider_staff):
    hopper = PatientFactory(clinic=clinic, created_by=staff, medical_record_number="MRN-004217", first_name="Grace",
                            last_name="Hopper", date_of_birth=datetime.date(1986, 3, 14))
    turing = PatientFactory(clinic=clinic, created_by=staff, medical_record_number="MRN-118300", first_name="Alan",
                            last_name="Turing", date_of_birth=datetime.date(1954, 6, 7))
    PatientFactory(clinic=other_clinic, created_by=outsider_staff, medical_record_number="MRN-004217",
                   last_name="Hopper", date_of_birth=datetime.date(1986, 3, 14))
    return hopper, turing


def _page_search(client, term) -> list:
    response = client.post(reverse("patients:list"), {"q": term}, follow=True)
    assert term not in response.redirect_chain[-1][0]  # the terms stay out of the address, as before
    return sorted(p.last_name for p in response.context["page"].object_list)


@pytest.mark.parametrize(
    "term, found",
    [
        ("MRN-0042", ["Hopper"]),  # a prefix
        ("4217", ["Hopper"]),  # the digits at the end
        ("n-11", ["Turing"]),  # any part, any case
        ("MRN-", ["Hopper", "Turing"]),
        ("1986-03-14", ["Hopper"]),  # ISO date of birth
        ("14/03/1986", ["Hopper"]),  # the site's day-first date
        ("07.06.1954", ["Turing"]),
        ("15/03/1986", []),
        ("MRN-999", []),
    ],
)
def test_page_search_by_part_of_the_record_number_or_date_of_birth(staff_client, patients, term, found):
    assert _page_search(staff_client, term) == found


def test_names_still_match_by_any_word(staff_client, patients):
    assert _page_search(staff_client, "grace") == ["Hopper"]


def test_api_search_matches_the_same_way(client, staff, patients):
    hopper, turing = patients
    client.force_login(staff)

    def found(term):
        return [row["public_id"] for row in client.get("/api/patients/", {"search": term}).json()["results"]]

    assert found("0042") == [str(hopper.public_id)]
    assert found("14/03/1986") == [str(hopper.public_id)]
    assert found("1954-06-07") == [str(turing.public_id)]
