"""Which model the platform uses, and one loaded Predictor per worker process."""

import json
import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import transaction

from diagnosis.models import ModelVersion
from diagnosis.models.model_version import Runtime

logger = logging.getLogger(__name__)
_loaded: dict[str, object] = {}
_lock = threading.Lock()


def default_model_dir() -> Path:
    import ml

    return Path(settings.DERM_MODEL_DIR) if settings.DERM_MODEL_DIR else ml.DEFAULT_MODEL_DIR


def model_version_register(*, directory, activate: bool = False, notes: str = "") -> ModelVersion:
    """Record a model folder by the SHA-256 of its .keras file (idempotent); optionally make it the active one."""
    from ml.card import CARD_FILE, MODEL_FILE, file_sha256

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
        model_version_convert(version)
    return version


def litert_path(version: ModelVersion) -> Path:
    return Path(settings.DERM_MODEL_CACHE_DIR) / f"{version.sha256}.tflite"


def model_version_convert(version: ModelVersion) -> ModelVersion:
    """Convert the version's Keras file to LiteRT (once per cache folder) and record the outcome.

    A model that does not convert keeps working through Keras; the reason is logged and shown in the admin.
    """
    from ml.card import file_sha256

    if settings.DERM_INFERENCE_RUNTIME != "litert":
        return version
    path = litert_path(version)
    try:
        if not path.is_file():
            from ml import Predictor
            from ml.serving.litert import convert

            convert(Predictor.load(version.directory).model, path)
        version.runtime, version.litert_sha256, version.runtime_note = Runtime.LITERT, file_sha256(path), ""
    except Exception as exc:  # any conversion failure: serve with Keras rather than not at all
        logger.warning("model %s does not convert to LiteRT, serving with Keras: %r", version, exc)
        version.runtime, version.litert_sha256, version.runtime_note = Runtime.KERAS, "", f"LiteRT conversion failed: {exc!r}"[:2000]
    version.save(update_fields=["runtime", "litert_sha256", "runtime_note"])
    return version


def model_version_active() -> ModelVersion:
    """The admin-chosen active version; with none chosen, the configured default folder."""
    # The card (tens of kB of JSON) loads only where it is read: every task asks for the active version.
    version = ModelVersion.objects.defer("card").filter(is_active=True).first()
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
            _serve_with_litert(predictor, version)
            _loaded[version.sha256] = predictor
            logger.info("loaded %r on %s", predictor, predictor.runtime)
        return predictor


def _serve_with_litert(predictor, version: ModelVersion) -> None:
    """Switch a loaded predictor to the version's LiteRT file when it has one that is intact here."""
    from ml.card import file_sha256

    if settings.DERM_INFERENCE_RUNTIME != "litert" or version.runtime_note:
        return  # Keras asked for, or the conversion failed before: stay on Keras
    path = litert_path(version)
    if version.runtime != Runtime.LITERT or not path.is_file():
        # Never converted (registered before LiteRT), or converted on another machine: convert here.
        model_version_convert(version)
    if version.runtime == Runtime.LITERT and path.is_file() and file_sha256(path) == version.litert_sha256:
        predictor.use_litert(path)
    else:
        logger.warning("LiteRT file of %s missing or altered; serving with Keras", version)
