"""The admin's model version page in a real browser (issue 17, section 5): the default card as figures, the raw
JSON opened with one click, and switching off the only active version refused while an image waits for the AI.
Screenshots at 1280 and 390 px are kept under var/screenshots/ (DERM_SCREENSHOTS)."""

import json
import os
from pathlib import Path

import pytest
from django.conf import settings

from diagnosis.models import ModelVersion
from patients.models import CaseStatus
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, AdminFactory, CaseFactory, LesionImageFactory, ModelVersionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("DERM_SCREENSHOTS", Path(settings.BASE_DIR) / "var" / "screenshots"))
CARD = Path(settings.BASE_DIR) / "ml" / "default_model" / "model.json"


def test_the_card_as_figures_and_the_switch_off_refused(page):
    card = json.loads(CARD.read_text())
    version = ModelVersionFactory(name=card["name"], card=card, classes=card["classes"], is_active=True)
    LesionImageFactory(case=CaseFactory(status=CaseStatus.AWAITING_AI))
    admin = AdminFactory()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, admin.username, PASSWORD)
    page.wait_for_url("**/admin/**")
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"/admin/diagnosis/modelversion/{version.pk}/change/")
    figures = page.locator("[data-testid=model-card-figures]")
    assert figures.locator("tr[data-class=mel] td").nth(1).inner_text() == \
        f"{card['validation_metrics']['full']['pooled']['per_class_recall']['mel'] * 100:.1f}%"
    assert figures.locator("tr[data-flag=mel] td").nth(1).inner_text() == \
        f"{card['operating_points']['mel']['threshold'] * 100:.1f}%"
    raw = page.locator("[data-testid=model-card-json]")
    assert not raw.is_visible()  # collapsed until asked for
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "admin-model-version-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "admin-model-version-390.png"), full_page=True)
    page.locator("summary", has_text="Model card (raw JSON)").click()
    assert raw.is_visible() and '"operating_points"' in raw.inner_text()

    page.set_viewport_size({"width": 1280, "height": 900})
    assert "1 image is waiting for the AI" in page.locator("[data-testid=only-active-warning]").inner_text()
    page.uncheck("#id_is_active")
    page.check("#id_confirm_switch_off")
    page.click("input[name=_save]")
    assert "Not changed: 1 image is waiting for the AI" in page.locator(".errornote, .errorlist").first.inner_text() \
        or "Not changed: 1 image is waiting for the AI" in page.content()
    version.refresh_from_db()
    assert ModelVersion.objects.get(pk=version.pk).is_active
    assert errors == []
