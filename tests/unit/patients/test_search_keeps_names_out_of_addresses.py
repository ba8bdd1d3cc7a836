"""Searching patients by name or record number never puts the terms in an address (server logs, browser history,
Referer): the page's form posts them and comes back under an opaque search id; the API takes them in a POST body.
Page titles carry no patient name."""

import re

import pytest
from django.urls import reverse

from tests.factories import CaseFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patients(clinic, staff, other_clinic, outsider_staff):
    hopper = PatientFactory(clinic=clinic, created_by=staff, medical_record_number="S-1", first_name="Grace", last_name="Hopper")
    turing = PatientFactory(clinic=clinic, created_by=staff, medical_record_number="S-2", first_name="Alan", last_name="Turing")
    foreign = PatientFactory(clinic=other_clinic, created_by=outsider_staff, medical_record_number="S-1", last_name="Hopper")
    return hopper, turing, foreign


def _listed(response) -> list:
    return [p.medical_record_number for p in response.context["page"].object_list]


def test_page_search_goes_by_post_and_an_opaque_id(client, staff, patients):
    client.force_login(staff)
    answer = client.post(reverse("patients:list"), {"q": "hopper"})
    assert answer.status_code == 302
    location = answer["Location"]
    assert re.fullmatch(r"/patients/\?search=[\w-]{12}", location), location
    assert client.post(reverse("patients:list"), {"q": "hopper", "archived": "1"})["Location"].endswith("&archived=1")
    page = client.get(location)
    assert _listed(page) == ["S-1"] and b"Turing" not in page.content
    # Paging keeps the id, never the terms.
    assert "hopper" not in page.content.decode().split("<form")[0].lower()
    for href in re.findall(r'href="([^"]*)"', page.content.decode()):
        assert "hopper" not in href.lower() and "S-1" not in href
    by_number = client.get(client.post(reverse("patients:list"), {"q": "S-2"})["Location"])
    assert _listed(by_number) == ["S-2"]


def test_terms_in_the_address_are_not_a_search(client, staff, patients):
    client.force_login(staff)
    assert sorted(_listed(client.get(reverse("patients:list"), {"q": "hopper"}))) == ["S-1", "S-2"]


def test_a_search_id_is_only_good_in_its_own_session(client, staff, dermatologist, patients):
    client.force_login(staff)
    location = client.post(reverse("patients:list"), {"q": "hopper"})["Location"]
    client.force_login(dermatologist)  # a new session: the colleague cannot replay the id
    assert sorted(_listed(client.get(location))) == ["S-1", "S-2"]


def test_outsider_finds_only_their_own_clinics_patients(client, outsider_staff, patients):
    client.force_login(outsider_staff)
    page = client.get(client.post(reverse("patients:list"), {"q": "S-1"})["Location"])
    assert [p.public_id for p in page.context["page"].object_list] == [patients[2].public_id]


def test_include_archived_is_kept_with_the_search(client, staff, patients):
    hopper = patients[0]
    hopper.archived_at = hopper.created_at
    hopper.save(update_fields=["archived_at"])
    client.force_login(staff)
    assert _listed(client.get(client.post(reverse("patients:list"), {"q": "hopper"})["Location"])) == []
    found = client.get(client.post(reverse("patients:list"), {"q": "hopper", "archived": "1"})["Location"])
    assert _listed(found) == ["S-1"]


@pytest.mark.parametrize("role", ["staff", "dermatologist"])
def test_api_search_in_the_body(client, request, role, patients):
    user = request.getfixturevalue(role)
    client.force_login(user)
    answer = client.post("/api/patients/search/", {"q": "hopper"}, content_type="application/json")
    assert answer.status_code == 200
    assert [row["public_id"] for row in answer.json()["results"]] == [str(patients[0].public_id)]


def test_api_search_is_scoped_and_refused_to_others(client, outsider_staff, admin_user, patients):
    client.force_login(outsider_staff)
    answer = client.post("/api/patients/search/", {"q": "hopper"}, content_type="application/json")
    assert [row["public_id"] for row in answer.json()["results"]] == [str(patients[2].public_id)]
    client.force_login(admin_user)
    assert client.post("/api/patients/search/", {"q": "x"}, content_type="application/json").status_code == 403
    client.logout()
    assert client.post("/api/patients/search/", {"q": "x"}, content_type="application/json").status_code == 401


def test_page_titles_carry_no_patient_name(client, staff, dermatologist, patients):
    hopper = patients[0]
    case = CaseFactory(patient=hopper, created_by=staff)
    client.force_login(staff)
    staff_pages = [hopper.get_absolute_url(), f"{hopper.get_absolute_url()}edit/", case.get_absolute_url(),
                   case.lesion.get_absolute_url(), f"{case.get_absolute_url()}edit/"]
    client.force_login(dermatologist)
    for url in staff_pages[:1] + [f"/review/cases/{case.public_id}/", f"/review/cases/{case.public_id}/histology/"]:
        client.force_login(dermatologist)
        title = re.search(r"<title>(.*?)</title>", client.get(url).content.decode(), re.S).group(1)
        assert "Grace" not in title and "Hopper" not in title and "S-1" not in title, (url, title)
    client.force_login(staff)
    for url in staff_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        title = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)
        assert "Grace" not in title and "Hopper" not in title and "S-1" not in title, (url, title)
