"""The Content-Security-Policy header, and templates that need nothing it forbids (the browser side is
tests/e2e/test_content_security_policy.py)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE = {
    "style attribute": re.compile(r"\sstyle\s*="),
    "style element": re.compile(r"<style\b"),
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>"),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: address": re.compile(r"javascript:", re.I),
}


def test_templates_carry_no_inline_script_or_style():
    found = [
        f"{path.relative_to(TEMPLATES)}: {kind}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for kind, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert not found, found


@pytest.mark.parametrize("url", ["/accounts/login/", "/patients/", "/api/docs/", "/api/patients/"])
def test_pages_and_api_send_a_strict_policy(client, staff, url):
    client.force_login(staff)
    policy = client.get(url)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy  # no inline or eval allowance, no other origin


def test_image_bytes_keep_their_own_stricter_policy(client, staff, django_capture_on_commit_callbacks):
    from patients import services
    from tests.factories import CaseFactory, PatientFactory
    from tests.images import jpeg_bytes, upload

    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    with django_capture_on_commit_callbacks():
        (image,) = services.images_upload(case=case, files=[upload(jpeg_bytes())], uploaded_by=staff)
    client.force_login(staff)
    assert client.get(f"/images/{image.public_id}/content/")["Content-Security-Policy"] == "default-src 'none'; sandbox"
