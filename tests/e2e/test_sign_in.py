import pytest
from django.core.management import call_command

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-pass-2026"


@pytest.mark.parametrize(
    ("username", "path", "heading"),
    [("staff", "/patients/", "Patients"), ("derm", "/review/", "Review queue"), ("admin", "/admin/", "Site administration")],
)
def test_demo_users_sign_in_and_land_on_their_page(page, username, path, heading):
    call_command("seed_demo", password=DEMO_PASSWORD)
    sign_in(page, username, DEMO_PASSWORD)
    page.wait_for_url(f"**{path}")
    assert page.get_by_role("heading", name=heading, exact=True).is_visible()


def test_bad_password_shows_an_error(page):
    call_command("seed_demo", password=DEMO_PASSWORD)
    sign_in(page, "staff", "wrong-password")
    alert = page.get_by_role("alert")
    assert "correct username and password" in alert.inner_text()
    assert page.url.endswith("/accounts/login/")
