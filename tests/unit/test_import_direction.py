"""Apps import in the direction data flows: patients -> diagnosis, never back (patients announces stored images
with a signal); ml is a plain Python package that imports no Django; dermplatform (settings, accounts, audit, the API
layer) imports no app: apps import it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(package: str) -> dict[str, set[str]]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def _offenders(package: str, forbidden: str) -> list[str]:
    return [
        f"{path} imports {name}"
        for path, names in _imported_modules(package).items()
        for name in sorted(names)
        if name == forbidden or name.startswith(forbidden + ".")
    ]


def test_no_module_of_patients_imports_diagnosis():
    assert _imported_modules("patients")  # the scan sees the app's modules
    assert _offenders("patients", "diagnosis") == []


def test_ml_imports_no_django_and_no_app():
    for forbidden in ("django", "patients", "diagnosis", "dermplatform"):
        assert _offenders("ml", forbidden) == []


def test_the_scan_finds_an_import_from_diagnosis():
    # diagnosis imports patients (the data-flow direction): the same scan must see that.
    assert any(name.startswith("patients") for names in _imported_modules("diagnosis").values() for name in names)


def test_the_platform_imports_no_app():
    # Apps plug into dermplatform (AppConfig.ready, signals, settings, urls by name) and import dermplatform.api.
    assert _imported_modules("dermplatform")  # the scan sees the platform's modules, dermplatform/api among them
    for app in ("patients", "diagnosis", "ml"):
        assert _offenders("dermplatform", app) == []
