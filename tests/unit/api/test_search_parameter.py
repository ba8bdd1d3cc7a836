"""The patient list API takes the page's `q` as well as its own `search`."""

import pytest

from .conftest import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patients(staff):
    return make_patient(staff, mrn="Q-1", first_name="Grace", last_name="Hopper"), make_patient(staff, mrn="Q-2")


@pytest.mark.parametrize("parameter", ["q", "search"])
def test_search_by_either_name(api_as, staff, patients, parameter):
    hopper, _ = patients
    for term in ("hopper", "Q-1"):
        results = api_as(staff).get("/api/patients/", {parameter: term}).json()["results"]
        assert [row["public_id"] for row in results] == [str(hopper.public_id)]


def test_no_search_lists_everyone(api_as, staff, patients):
    assert api_as(staff).get("/api/patients/").json()["count"] == 2
