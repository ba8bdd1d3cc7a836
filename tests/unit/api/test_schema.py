"""The OpenAPI schema generates cleanly and the docs page works offline (no CDN)."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

API_PATHS = {
    "/api/patients/",
    "/api/patients/{public_id}/",
    "/api/patients/{public_id}/archive/",
    "/api/cases/",
    "/api/cases/{public_id}/",
    "/api/cases/{public_id}/archive/",
    "/api/cases/{public_id}/images/",
    "/api/images/{public_id}/",
    "/api/images/{public_id}/content/",
    "/api/images/{public_id}/thumbnail/",
    "/api/token/",
    "/api/token/revoke/",
    "/api/token/revoke-all/",
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        # --fail-on-warn: any warning or error of the generator fails the command.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_generates_without_warnings_and_lists_every_endpoint(schema):
    assert API_PATHS <= set(schema["paths"])


def test_schema_documents_filters_pagination_and_upload(schema):
    case_list = schema["paths"]["/api/cases/"]["get"]
    assert {"patient", "status", "body_site", "include_archived", "page"} <= {p["name"] for p in case_list["parameters"]}
    patient_list = schema["paths"]["/api/patients/"]["get"]
    assert {"search", "q", "include_archived", "page"} <= {p["name"] for p in patient_list["parameters"]}
    upload = schema["paths"]["/api/cases/{public_id}/images/"]["post"]
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    assert set(schema["paths"]["/api/images/{public_id}/content/"]["get"]["responses"]["200"]["content"]) == {
        "image/jpeg",
        "image/png",
    }
    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == {"knoxApiToken", "cookieAuth"}  # no plain DRF token scheme left
    assert schemes["knoxApiToken"]["type"] == "apiKey" and schemes["knoxApiToken"]["name"] == "Authorization"


def test_schema_shows_no_database_ids(schema):
    for name, component in schema["components"]["schemas"].items():
        for field in component.get("properties", {}):
            assert field not in ("id", "pk") and not (field.endswith("_id") and field != "public_id"), (name, field)


def test_schema_is_served_to_signed_in_users(client, staff):
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(staff)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/cases/{public_id}/images/" in response.content


def test_docs_page_uses_only_local_assets(client, staff):
    client.force_login(staff)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    # The start-up script comes from the page's own address (?script=), not inline (Content-Security-Policy).
    assert "/api/docs/?script=" in assets
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    for asset in (a for a in assets if a != "/api/docs/?script="):
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a local static file"
    assert not re.search(r"https?://(?!testserver)", html), "the docs page must not load anything from the internet"
