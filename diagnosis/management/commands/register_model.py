from django.core.management.base import BaseCommand

from diagnosis.inference.model_registry import default_model_dir, model_version_register


class Command(BaseCommand):
    help = "Register a model folder (model.keras + model.json) as a ModelVersion, optionally making it active."

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", help="model folder (default: DERM_MODEL_DIR or the shipped model)")
        parser.add_argument("--activate", action="store_true", help="make it the version the worker uses")

    def handle(self, *args, directory=None, activate=False, **options):
        version = model_version_register(directory=directory or default_model_dir(), activate=activate)
        state = "active" if version.is_active else "inactive"
        self.stdout.write(f"{version.name} sha256={version.sha256} ({state})")
