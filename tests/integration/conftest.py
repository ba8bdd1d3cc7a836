"""Integration tests use the celery_worker_process fixture from tests/conftest.py."""
