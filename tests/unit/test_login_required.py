"""Anonymous users reach nothing but the sign-in page."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Pages that must answer anonymous users (the sign-in pages themselves).
PUBLIC = {"login", "admin:login", "healthz", "api_token", "favicon"}
# A fixed UUID (no object has it): the test ids must be the same in every pytest-xdist process.
SAMPLE_ARGS = {"int": "1", "uuid": str(uuid.UUID(int=0x5A17)), "str": "x", "slug": "x", "path": "x"}


def _page_urls(patterns=None, prefix="", namespace=None):
    """Every routed URL with its converters filled with sample values."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _page_urls(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            if name in PUBLIC or "(?P" in route or route.startswith("^"):
                continue  # regex routes (admin internals, static) are covered by their prefixes
            while "<" in route:
                start, end = route.index("<"), route.index(">")
                converter = route[start + 1 : end].split(":")[0] if ":" in route[start:end] else "str"
                route = route[:start] + SAMPLE_ARGS[converter] + route[end + 1 :]
            yield name or "", "/" + route


ALL_PAGES = sorted(set(_page_urls()))


def test_the_walk_finds_the_main_pages():
    names = {name for name, _ in ALL_PAGES}
    assert {"home", "patients:list", "patients:case_detail", "patients:image_content", "diagnosis:queue",
            "password_change", "admin:index", "api_schema"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url"), ALL_PAGES, ids=[u for _, u in ALL_PAGES])
def test_anonymous_is_sent_to_sign_in(client, name, url):
    response = client.get(url)
    if url.startswith("/api/"):
        assert response.status_code in (401, 403), url
        return
    assert response.status_code == 302, (url, response.status_code)
    assert "/login/" in response["Location"], response["Location"]


@pytest.mark.django_db
def test_login_page_is_public(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content
