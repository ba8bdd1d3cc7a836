"""Errors answer with the site's own pages in plain words and a way back (DEBUG off, as in production): 404 for an
unknown address, 403 for a page the role does not open (with the reason), an expired form, and 500, which renders
with no database and no context processors. Under /api/ the answers stay JSON."""

import pytest
from django.test import RequestFactory
from django.urls import include, path
from django.views import defaults


def _fails(request):
    raise RuntimeError("a bug in a view")


# This module is also the URLconf of the 500 test: the site's addresses and one view that fails.
urlpatterns = [path("fails/", _fails), path("", include("dermplatform.urls"))]


def _error_page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f'data-testid="error-page" data-status="{status}"' in page
    assert 'href="/static/css/app.css"' in page and 'class="brand"' in page  # the site's look
    return page


@pytest.mark.django_db
def test_an_unknown_address_has_the_sites_404_page(staff_client, staff):
    page = _error_page(staff_client.get("/patients/no-such-page/"), 404)
    assert "Page not found" in page and 'href="/">Go to the start page' in page
    assert staff.username in page or staff.get_full_name() in page  # the top bar of a signed-in page, as elsewhere


@pytest.mark.django_db
def test_a_page_of_another_role_has_the_sites_403_page_with_the_reason(staff_client):
    page = _error_page(staff_client.get("/review/"), 403)
    assert "You do not have access to this page" in page
    assert "Your role does not give access to this page." in page
    assert "Go to the start page" in page


@pytest.mark.django_db
def test_an_expired_form_says_so(client, staff):
    client.force_login(staff)
    client.handler.enforce_csrf_checks = True
    page = _error_page(client.post("/patients/new/", {"first_name": "Ada"}), 403)
    assert "This form has expired" in page and "nothing was saved" in page


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_has_the_sites_500_page(staff_client):
    staff_client.raise_request_exception = False
    page = _error_page(staff_client.get("/fails/"), 500)
    assert "Something went wrong on our side" in page and "a bug in a view" not in page


def test_the_500_page_needs_no_database():
    # No django_db mark: any query would fail this test.
    page = _error_page(defaults.server_error(RequestFactory().get("/")), 500)
    assert "try again" in page


@pytest.mark.django_db
def test_api_errors_stay_json(staff_client):
    response = staff_client.get("/api/cases/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    forbidden = staff_client.get("/api/review-queue/")
    assert forbidden.status_code == 403 and forbidden["Content-Type"].startswith("application/json")
