"""Only admins reach the Django admin; it manages users, clinics and roles."""

import pytest
from django.urls import reverse

from dermplatform.accounts.models import Role, User


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["staff", "dermatologist"])
def test_clinic_roles_are_kept_out_of_admin(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for url in (reverse("admin:index"), reverse("admin:accounts_user_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_admin_manages_users_and_clinics(admin_client_, clinic):
    assert admin_client_.get(reverse("admin:index")).status_code == 200
    assert admin_client_.get(reverse("admin:accounts_clinic_changelist")).status_code == 200
    user = User.objects.create_user("newderm", password="irrelevant-pass-123", clinic=clinic)
    response = admin_client_.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "username": "newderm",
            "role": Role.DERMATOLOGIST,
            "clinic": clinic.pk,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    assert user.role == Role.DERMATOLOGIST
    assert not user.is_staff  # the admin gate follows the role


@pytest.mark.django_db
def test_promoting_to_admin_opens_the_admin(client, staff):
    staff.role = Role.ADMIN
    staff.save()
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_clinic_user_needs_a_clinic():
    from django.core.exceptions import ValidationError

    user = User(username="lonely", role=Role.STAFF)
    with pytest.raises(ValidationError):
        user.full_clean()
