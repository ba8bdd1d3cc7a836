"""A request sent to the second factor first (an admin signed in by password only) read nothing: it is recorded as
redirected, never as an allowed read, and does not show in the patient's access history."""

import pytest

from dermplatform.audit.models import Action, Outcome
from diagnosis.review.access_history.selectors import patient_access_history
from tests.factories import PASSWORD
from tests.two_factor import confirmed_device

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("with_device,gate", [(True, "/accounts/two-factor/verify/"),
                                              (False, "/accounts/two-factor/setup/")])
def test_an_unverified_admins_read_is_recorded_as_redirected(client, admin_user, classified, new_events, with_device,
                                                             gate):
    if with_device:
        confirmed_device(admin_user)
    assert client.post("/accounts/login/", {"username": admin_user.username, "password": PASSWORD}).status_code == 302
    new_events()  # the sign-in
    image, patient = classified["image"], classified["patient"]
    for url, action, target in [
        (f"/images/{image.public_id}/content/", Action.IMAGE_CONTENT, image),
        (f"/patients/{patient.public_id}/", Action.PATIENT_VIEW, patient),
        (f"/api/images/{image.public_id}/content/", Action.IMAGE_CONTENT, image),  # the API answers 403
    ]:
        response = client.get(url)
        [event] = new_events()
        assert event.action == action and event.object_id == target.public_id and event.actor == admin_user
        if url.startswith("/api/"):
            assert (response.status_code, event.outcome) == (403, Outcome.DENIED)
        else:
            assert response.status_code == 302 and response["Location"].startswith(gate)
            assert (event.outcome, event.status_code) == (Outcome.REDIRECTED, 302)

    history = patient_access_history(patient=patient)
    assert not history.filter(actor=admin_user, outcome__in=[Outcome.ALLOWED, Outcome.REDIRECTED]).exists()


def test_the_access_history_page_leaves_redirected_requests_out(client, admin_user, dermatologist, classified):
    patient = classified["patient"]
    client.post("/accounts/login/", {"username": admin_user.username, "password": PASSWORD})
    assert client.get(f"/patients/{patient.public_id}/").status_code == 302
    client.logout()
    client.force_login(dermatologist)
    page = client.get(f"/review/patients/{patient.public_id}/access/")
    assert page.status_code == 200
    assert admin_user.username.encode() not in page.content
