"""Every route that names a patient record in its URL is audited: a new one cannot be added and forgotten."""

from django.urls import URLPattern, URLResolver, get_resolver

from dermplatform.audit.routes import AUDITED_ROUTES

RECORD_KWARGS = {"public_id", "patient_id"}


def _routes(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", set(entry.pattern.converters)


def test_every_route_with_a_record_id_is_audited():
    with_ids = {name for name, kwargs in _routes(get_resolver()) if kwargs & RECORD_KWARGS and not name.startswith("admin:")}
    assert with_ids  # the walk found the routes
    assert with_ids - set(AUDITED_ROUTES) == set()


def test_every_audited_route_exists():
    names = {name for name, _ in _routes(get_resolver())}
    assert set(AUDITED_ROUTES) - names == set()
