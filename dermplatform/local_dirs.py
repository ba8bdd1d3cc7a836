"""The local folders the embedded defaults write to (the SQLite file, media, the file-system broker, the slots'
lock files), made when Django starts (dermplatform.apps) rather than as a side effect of reading the settings."""

from pathlib import Path

from django.conf import settings


def local_dirs_make() -> None:
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = getattr(settings, "CELERY_RESULT_BACKEND", "") or ""
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
