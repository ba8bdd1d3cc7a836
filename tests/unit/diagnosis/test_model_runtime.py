"""Registering a model converts it to LiteRT, the worker serves through it, and a model that does not convert
falls back to Keras with the reason recorded and shown to admins."""

import pytest
from PIL import Image

from diagnosis.inference import model_registry
from diagnosis.models import ModelVersion
from diagnosis.models.model_version import Runtime
from ml.card import file_sha256

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_cache(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(model_registry, "_loaded", {})
    settings.DERM_MODEL_CACHE_DIR = tmp_path / "models"
    settings.DERM_INFERENCE_RUNTIME = "litert"
    return settings.DERM_MODEL_CACHE_DIR


def test_registration_converts_and_the_worker_serves_through_litert(fresh_cache, tiny_model_dir):
    version = model_registry.model_version_register(directory=tiny_model_dir, activate=True)
    version.refresh_from_db()
    path = fresh_cache / f"{version.sha256}.tflite"
    assert version.runtime == Runtime.LITERT and version.runtime_note == ""
    assert version.litert_sha256 == file_sha256(path)
    predictor = model_registry.predictor_for(version)
    assert predictor.runtime == "litert"
    result = predictor.classify([Image.new("RGB", (64, 48), (150, 90, 80))])[0]
    assert sum(result.probabilities.values()) == pytest.approx(1, abs=1e-5)


def test_a_missing_conversion_is_rebuilt_where_the_worker_runs(fresh_cache, tiny_model_dir):
    version = model_registry.model_version_register(directory=tiny_model_dir, activate=True)
    (fresh_cache / f"{version.sha256}.tflite").unlink()  # e.g. a new worker container without the cache
    assert model_registry.predictor_for(ModelVersion.objects.get(pk=version.pk)).runtime == "litert"


def test_a_model_that_does_not_convert_falls_back_to_keras(fresh_cache, settings, tiny_model_dir, tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the conversion cache should be")
    settings.DERM_MODEL_CACHE_DIR = blocker  # the conversion cannot be written: a real failure
    version = model_registry.model_version_register(directory=tiny_model_dir, activate=True)
    version.refresh_from_db()
    assert version.runtime == Runtime.KERAS
    assert version.runtime_note.startswith("LiteRT conversion failed")
    assert "does not convert to LiteRT" in caplog.text
    assert model_registry.predictor_for(version).runtime == "keras"


def test_the_admin_shows_the_runtime_and_the_reason(fresh_cache, settings, tiny_model_dir, tmp_path, admin_client_):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    settings.DERM_MODEL_CACHE_DIR = blocker
    version = model_registry.model_version_register(directory=tiny_model_dir, activate=True)
    page = admin_client_.get(f"/admin/diagnosis/modelversion/{version.pk}/change/").content.decode()
    assert "LiteRT conversion failed" in page
    listing = admin_client_.get("/admin/diagnosis/modelversion/").content.decode()
    assert "Keras (conversion failed or not attempted)" in listing
