"""Every page × each role × own and other clinic. Deny by default."""

import pytest
from django.urls import reverse

from patients.models import Case, LesionImage, Patient
from tests.images import jpeg_bytes, upload

# (page, method, which object, roles allowed): "own" pages are tried on the other clinic's object too.
PAGES = [
    ("patients:list", "get", None, {"staff", "dermatologist"}),
    ("patients:create", "get", None, {"staff"}),
    ("patients:detail", "get", "patient", {"staff", "dermatologist"}),
    ("patients:update", "get", "patient", {"staff"}),
    ("patients:archive", "post", "patient", {"staff"}),
    ("patients:case_create", "get", "patient", {"staff"}),
    ("patients:case_detail", "get", "case", {"staff", "dermatologist"}),
    ("patients:case_update", "get", "case", {"staff"}),
    ("patients:case_archive", "post", "case", {"staff"}),
    ("patients:image_upload", "post", "case", {"staff"}),
    ("patients:image_content", "get", "image", {"staff", "dermatologist", "admin"}),
    ("patients:image_thumbnail", "get", "image", {"staff", "dermatologist", "admin"}),
    ("attention:list", "get", None, {"staff"}),
    ("diagnosis:queue", "get", None, {"dermatologist"}),
    ("diagnosis:my_reviews", "get", None, {"dermatologist"}),
    ("diagnosis:reviewed", "get", None, {"dermatologist"}),
    ("diagnosis:claim_take_over", "post", "case", {"dermatologist"}),
    ("diagnosis:claim_release", "post", "case", {"dermatologist"}),
    ("reports:case_pdf", "get", "case", {"staff", "dermatologist"}),
    ("reports:clinic_cases_csv", "get", None, {"dermatologist", "admin"}),
    ("reports:performance", "get", None, {"dermatologist", "admin"}),
    ("diagnosis:patient_access", "get", "patient", {"dermatologist"}),
    ("worklist:list", "get", None, {"staff", "dermatologist"}),
    ("worklist:csv", "get", None, {"staff", "dermatologist"}),
    ("worklist:done", "post", "case", {"staff", "dermatologist"}),
    ("worklist:reopen", "post", "case", {"staff", "dermatologist"}),
]
ROLES = {"staff": "staff", "dermatologist": "dermatologist", "admin": "admin_user"}
PAYLOAD = {"reason": "duplicate record"}


def _counts():
    return (Patient.objects.active().count(), Case.objects.active().count(), LesionImage.objects.count())


def _request(client, method, url):
    if method == "get":
        return client.get(url)
    if url.endswith("/images/"):
        return client.post(url, {"images": [upload(jpeg_bytes(seed=99))]})
    return client.post(url, PAYLOAD)


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(("name", "method", "target", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_own_clinic(client, request, role, name, method, target, allowed, image, django_capture_on_commit_callbacks):
    objects = {"patient": image.case.patient, "case": image.case, "image": image}
    args = [objects[target].public_id] if target else []
    client.force_login(request.getfixturevalue(ROLES[role]))
    before = _counts()
    with django_capture_on_commit_callbacks():
        response = _request(client, method, reverse(name, args=args))
    if role in allowed:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == 403
        assert _counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "dermatologist"])
@pytest.mark.parametrize(("name", "method", "target", "allowed"), [p for p in PAGES if p[2]], ids=[p[0] for p in PAGES if p[2]])
def test_other_clinic_is_not_found(client, request, role, name, method, target, allowed, other_image, django_capture_on_commit_callbacks):
    objects = {"patient": other_image.case.patient, "case": other_image.case, "image": other_image}
    client.force_login(request.getfixturevalue(ROLES[role]))
    before = _counts()
    with django_capture_on_commit_callbacks():
        response = _request(client, method, reverse(name, args=[objects[target].public_id]))
    # Another clinic's records do not exist for this user (403 where the role itself is refused).
    assert response.status_code == (404 if role in allowed else 403)
    assert _counts() == before


@pytest.mark.django_db
def test_list_and_search_show_only_own_clinic(staff_client, patient, other_patient):
    response = staff_client.get(reverse("patients:list"))
    assert patient.medical_record_number.encode() in response.content
    assert other_patient.medical_record_number.encode() not in response.content
    response = staff_client.post(reverse("patients:list"), {"q": other_patient.medical_record_number}, follow=True)
    assert list(response.context["page"].object_list) == []
