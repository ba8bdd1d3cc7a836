"""Local validation in a real browser: a dermatologist uploads a ZIP + CSV, watches the progress bar (the page
refreshes itself: no script), then reads the result page with its ROC curve. Screenshots of the progress and
result pages are kept under var/screenshots/ (DERM_SCREENSHOTS)."""

import io
import os
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, DermatologistFactory
from tests.images import jpeg_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("DERM_SCREENSHOTS", Path(settings.BASE_DIR) / "var" / "screenshots"))
CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def test_upload_progress_and_result(page, celery_worker_process, active_model, tmp_path):
    dermatologist = DermatologistFactory()
    bundle, rows = io.BytesIO(), ["file_name,diagnosis,age,sex,body_site"]
    with zipfile.ZipFile(bundle, "w") as archive:
        for i in range(24):
            archive.writestr(f"img{i}.jpg", jpeg_bytes(size=(96, 72), seed=i, color=(30 + 8 * i, 70, 100)))
            rows.append(f"img{i}.jpg,{'mel' if i % 3 == 0 else CLASSES[i % 7]},{30 + i},male,back")
    (tmp_path / "images.zip").write_bytes(bundle.getvalue())
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)

    sign_in(page, dermatologist.username, PASSWORD)
    page.get_by_role("link", name="Local validation").click()
    form = page.get_by_test_id("validation-upload")
    form.locator("#id_name").fill("Dermatoscope B")
    form.locator("input[name=images]").set_input_files(str(tmp_path / "images.zip"))
    form.locator("input[name=labels]").set_input_files(str(tmp_path / "labels.csv"))
    form.get_by_role("button", name="Start validation").click()

    progress = page.get_by_test_id("validation-progress")
    progress.wait_for()
    assert page.locator("progress").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "local-validation-progress.png"), full_page=True)
    # The page refreshes itself (meta refresh) until the worker has scored every image.
    page.wait_for_selector("[data-testid=validation-progress][data-status=done]", timeout=120_000)
    assert page.get_by_test_id("validation-done").inner_text() == "24"
    statement = page.get_by_test_id("validation-statement").inner_text()
    assert "10 melanomas" in statement  # the tiny model's card has no operating point: no flag to judge
    assert page.get_by_test_id("roc-curve").is_visible()
    assert page.locator("[data-testid=validation-recall] tbody tr").count() == 7
    page.screenshot(path=str(SHOTS / "local-validation-result.png"), full_page=True)
    assert (SHOTS / "local-validation-result.png").stat().st_size > 10_000
    assert violations == []
