"""Each role signs in with its password and lands on its own start page."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, AdminFactory, DermatologistFactory, StaffFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("factory", "start_page", "marker"),
    [
        (StaffFactory, "patients:list", b"<h1>Patients</h1>"),
        (DermatologistFactory, "diagnosis:queue", b"<h1>Review queue</h1>"),
        (AdminFactory, "admin:index", b"Site administration"),
    ],
)
def test_role_lands_on_its_page(client, factory, start_page, marker):
    from tests.two_factor import confirmed_device, current_code

    user = factory()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True)
    if user.is_platform_admin:  # an admin enters their authenticator's code first
        assert response.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))
        device = confirmed_device(user)
        response = client.post(
            reverse("two_factor_verify"), {"code": current_code(device), "next": reverse("home")}, follow=True
        )
    assert response.redirect_chain[-1][0] == reverse(start_page)
    assert response.status_code == 200
    assert marker in response.content


@pytest.mark.django_db
def test_wrong_password_is_refused(client, staff):
    response = client.post(reverse("login"), {"username": staff.username, "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_staff_cannot_open_review_queue(staff_client):
    assert staff_client.get(reverse("diagnosis:queue")).status_code == 403


@pytest.mark.django_db
def test_logout_ends_the_session(staff_client):
    response = staff_client.post(reverse("logout"))
    assert response.status_code == 302
    assert staff_client.get(reverse("patients:list")).status_code == 302


@pytest.mark.django_db
def test_password_change(client, staff):
    client.force_login(staff)
    new = "a-new-and-long-passphrase-7"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password(new)
