"""Every page, admin page and API endpoint, walked as each role over real objects, answers without a 5xx.

The walk reads the URL configuration itself, so a page added later is walked too. Path parameters are filled
with the object the path names (patients/<id> a patient, cases/<id> a case, ...); a kind of object the walk does
not know yet gets a random id and must answer 404, not 500. The API is also asked for its browsable HTML page
and with OPTIONS, as a browser or a client discovering it would.
"""

import re
import uuid

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.clinical_world import clinical_world

pytestmark = pytest.mark.django_db

ROLES = {"staff": "staff", "dermatologist": "dermatologist", "admin": "admin_user"}
# The object a path parameter names, by the word just before it (…/cases/<uuid:public_id>/ is a case).
OBJECT_BY_SEGMENT = {
    "patients": "patient", "cases": "case", "images": "image", "predictions": "prediction", "lesions": "lesion",
}
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@pytest.fixture
def world(staff, dermatologist, django_capture_on_commit_callbacks):
    return clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=django_capture_on_commit_callbacks)


def _routes(resolver=None, prefix=""):
    """Every route of the URL configuration as a path template ("cases/<uuid:public_id>/"), admin's excepted."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route == "admin/":
                continue  # walked model by model below: its own patterns are regular expressions
            yield from _routes(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route


def _fill(template: str, world) -> str:
    def object_id(match):
        before = template[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        kind = OBJECT_BY_SEGMENT.get(before) or OBJECT_BY_SEGMENT.get(match["name"].removesuffix("_id") + "s")
        return str(world[kind].public_id) if kind else str(uuid.uuid4())

    return "/" + PARAMETER.sub(object_id, template)


def _page_urls(world):
    urls = sorted({_fill(template, world) for template in _routes()})
    assert "/api/cases/{}/images/".format(world["case"].public_id) in urls  # the walk does reach parameters
    return urls


def _admin_urls(world):
    objects = {type(value): value for value in world.values()}
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{info}_changelist"), reverse(f"{info}_add")]
        obj = objects.get(model) or model._default_manager.order_by("pk").first()
        if obj is not None:
            urls += [reverse(f"{info}_{page}", args=[obj.pk]) for page in ("change", "history", "delete")]
        urls.append(reverse("admin:app_list", args=[model._meta.app_label]))
    return sorted(set(urls))


@pytest.fixture
def walker(client):
    """walker.get(url, ...) records every 5xx (the client answers 500 instead of raising) for one report at the end."""

    class Walker:
        failures = []

        def __call__(self, method, url, **extra):
            response = getattr(client, method)(url, **extra)
            if response.status_code >= 500:
                label = f"{method.upper()}{' (browser)' if extra else ''} {url}"
                self.failures.append(f"{label} answered {response.status_code}")
            return response

    client.raise_request_exception = False
    walk = Walker()
    yield walk
    assert not walk.failures, "\n".join(walk.failures)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_answers_without_a_server_error(client, walker, request, world, role):
    client.force_login(request.getfixturevalue(ROLES[role]))
    for url in _page_urls(world):
        if url == reverse("logout"):
            continue  # GET is refused anyway; nothing to learn from signing out mid-walk
        walker("get", url)
        if url.startswith("/api/"):
            # The browsable API (a browser's Accept header) and OPTIONS (a client discovering the endpoint).
            walker("get", url, HTTP_ACCEPT="text/html")
            walker("options", url)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_admin_page_answers_without_a_server_error(client, walker, request, world, role):
    client.force_login(request.getfixturevalue(ROLES[role]))
    for url in _admin_urls(world):
        response = walker("get", url)
        if role == "admin" and response.status_code < 500:
            assert response.status_code in (200, 403), f"GET {url} answered {response.status_code}"


def test_the_walk_covers_the_clinical_pages_as_200(client, staff, dermatologist, world):
    """Guards the walk itself: the pages each role works with really render (not just "no 5xx")."""
    client.force_login(staff)
    for name, obj in [("patients:detail", "patient"), ("patients:case_detail", "case")]:
        assert client.get(reverse(name, args=[world[obj].public_id])).status_code == 200
    client.force_login(dermatologist)
    assert client.get(reverse("diagnosis:case_review", args=[world["case"].public_id])).status_code == 200
    assert client.get(reverse("diagnosis:heatmap", args=[world["prediction"].public_id])).status_code == 200


@pytest.mark.parametrize("path", ["/api/patients/", "/api/cases/", "case images"])
def test_browsable_api_and_options_describe_list_endpoints(client, staff, world, path):
    path = f"/api/cases/{world['case'].public_id}/images/" if path == "case images" else path
    client.force_login(staff)
    page = client.get(path, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    options = client.options(path)
    assert options.status_code == 200
    assert "POST" in options.json()["actions"]  # described by the view's input serializer


def test_admin_shows_stored_files_through_access_checked_views(admin_client_, world):
    image, prediction = world["image"], world["prediction"]
    page = admin_client_.get(reverse("admin:patients_lesionimage_change", args=[image.pk])).content.decode()
    assert image.content_url() in page and image.thumbnail_url() in page
    page = admin_client_.get(reverse("admin:diagnosis_prediction_change", args=[prediction.pk])).content.decode()
    assert reverse("diagnosis:heatmap", args=[prediction.public_id]) in page
    assert admin_client_.get(reverse("diagnosis:heatmap", args=[prediction.public_id])).status_code == 200
