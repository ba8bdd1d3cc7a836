"""Which model the platform uses, and one loaded Predictor per worker process."""

import json
import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import ModelVersion

logger = logging.getLogger(__name__)
_loaded: dict[str, object] = {}
_lock = threading.Lock()


def default_model_dir() -> Path:
    import ml

    return Path(settings.DERM_MODEL_DIR) if settings.DERM_MODEL_DIR else ml.DEFAULT_MODEL_DIR


def model_version_register(*, directory, activate: bool = False, notes: str = "") -> ModelVersion:
    """Record a model folder by the SHA-256 of its .keras file (idempotent); optionally make it the active one."""
    from ml.predictor import CARD_FILE, MODEL_FILE, file_sha256

    directory = Path(directory).resolve()
    card = json.loads((directory / CARD_FILE).read_text())
    sha256 = file_sha256(directory / card.get("model_file", MODEL_FILE))
    with transaction.atomic():
        version, created = ModelVersion.objects.get_or_create(
            sha256=sha256,
            defaults={"name": card["name"], "directory": str(directory), "classes": card["classes"], "card": card, "notes": notes},
        )
        if activate and not version.is_active:
            ModelVersion.objects.select_for_update().filter(is_active=True).update(is_active=False)
            version.is_active = True
            version.save(update_fields=["is_active"])
    if created:
        logger.info("registered model version %s", version)
    return version


def model_version_active() -> ModelVersion:
    """The admin-chosen active version; with none chosen, the configured default folder."""
    version = ModelVersion.objects.filter(is_active=True).first()
    return version or model_version_register(directory=default_model_dir(), activate=True)


def predictor_for(version: ModelVersion):
    """Load a version's model once per process; later calls reuse it."""
    from ml import Predictor

    with _lock:
        predictor = _loaded.get(version.sha256)
        if predictor is None:
            predictor = Predictor.load(version.directory)
            if predictor.sha256 != version.sha256:
                raise RuntimeError(f"{version.directory} no longer holds model {version.sha256[:12]}")
            _loaded[version.sha256] = predictor
            logger.info("loaded %r", predictor)
        return predictor
