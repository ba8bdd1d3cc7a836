"""The admin names the token, two-factor and value-history records in words (issue 17, section 5), and their
pages answer without a server error."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_index_uses_human_labels(admin_client_):
    text = _text(admin_client_.get(reverse("admin:index")))
    for label in ("API tokens", "Two-factor sign-in: authenticator apps", "Authenticator apps",
                  "Two-factor sign-in: recovery codes", "Recovery code sets", "Review events"):
        assert label in text, label
    for raw in ("Knox", "Auth tokens", "Otp_Totp", "Otp_Static", "TOTP devices", "Static devices"):
        assert raw not in text, raw


def test_token_and_device_pages(admin_client_, staff):
    AuthToken.objects.create(user=staff)
    TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)
    StaticDevice.objects.create(user=staff, name="backup", confirmed=True)
    assert "Select API token to view" in _text(admin_client_.get(reverse("admin:knox_authtoken_changelist")))
    text = _text(admin_client_.get(reverse("admin:otp_totp_totpdevice_changelist")))
    assert "Select authenticator app to" in text and "Phone" in text
    assert "Select recovery code set to" in _text(admin_client_.get(reverse("admin:otp_static_staticdevice_changelist")))
    device = TOTPDevice.objects.get(name="Phone")
    assert "authenticator app" in _text(admin_client_.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])))


def test_value_history_in_words(admin_client_, world):
    from diagnosis.models import Review

    text = _text(admin_client_.get(reverse("admin:diagnosis_reviewevent_changelist")))
    assert "When Change Record Old → new By Request id" in text and "By date" in text
    assert "Pgh" not in text and "pgh" not in text
    event = Review.pgh_event_model.objects.get(pgh_obj_id=world["review"].pk)
    row = _text(admin_client_.get(reverse("admin:diagnosis_reviewevent_change", args=[event.pk])))
    assert f"Review #{world['review'].pk}, created at" in row
    assert "Pgh" not in row and "ReviewEvent object" not in row
    assert "When:" in row and "Change: created" in row
