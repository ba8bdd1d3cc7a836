"""The API schema loaded for schemathesis from the WSGI application, in the test's database transaction."""

import contextlib

import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections


@contextlib.contextmanager
def wsgi_schema(*, headers: dict, config=None):
    # As Django's test client does: the test's database connection (and its transaction) outlives each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        app = get_wsgi_application()
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, config=config, headers=headers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
