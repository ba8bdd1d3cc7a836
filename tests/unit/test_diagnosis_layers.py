"""diagnosis is layered, and imports run one way (issue 19): the AI opinion at the bottom (diagnosis.opinion, the
flag order in diagnosis.triage, the models), inference above it, the review above inference, the reports and the
local validation on top. A layer imports only the layers below it; the app's composition modules (apps, admin,
urls, tasks, template tags, management commands) may import any. Imports of the app's own modules sit at the top
of each module, where a circle would fail at once, not inside functions where it hides."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "diagnosis"

# Each layer and the diagnosis packages it must never import.
_ABOVE_OPINION = ("diagnosis.inference", "diagnosis.review", "diagnosis.reports", "diagnosis.validation")
LAYERS = {
    "diagnosis.opinion": _ABOVE_OPINION + ("ml",),
    "diagnosis.triage": _ABOVE_OPINION + ("ml",),
    "diagnosis.not_assessable": _ABOVE_OPINION + ("ml",),
    "diagnosis.models": ("diagnosis.inference", "diagnosis.reports", "diagnosis.validation", "diagnosis.opinion", "ml"),
    # Only inference runs the model (ml); the others read what it recorded.
    "diagnosis.inference": ("diagnosis.review", "diagnosis.reports", "diagnosis.validation"),
    "diagnosis.review": ("diagnosis.reports", "diagnosis.validation", "ml"),
    "diagnosis.reports": ("diagnosis.validation", "ml"),
    "diagnosis.validation": ("ml",),
}
COMPOSITION = {"apps.py", "admin.py", "urls.py", "tasks.py", "__init__.py"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources():
    for path in sorted(APP.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), filename=str(path))


def _imports(tree, module: str) -> list[tuple[str, bool]]:
    """(imported module, at module level) for every import of the tree, relative ones resolved."""
    found = []
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: len(module.split(".")) - node.level + (1 if module.endswith("__init__") else 0)]
                base = ".".join(package + ([node.module] if node.module else []))
            names = [f"{base}.{alias.name}" for alias in node.names]
            found += [(name, id(node) in top) for name in [base, *names]]
    return found


def _layer_of(module: str) -> str | None:
    return next((layer for layer in LAYERS if module == layer or module.startswith(layer + ".")), None)


def test_every_layer_is_present():
    modules = {_module_name(path) for path, _ in _sources()}
    for layer in LAYERS:
        assert any(m == layer or m.startswith(layer + ".") for m in modules), layer


@pytest.mark.parametrize("layer", list(LAYERS))
def test_a_layer_imports_only_the_layers_below_it(layer):
    offenders = []
    for path, tree in _sources():
        module = _module_name(path)
        if _layer_of(module) != layer:
            continue
        for name, _ in _imports(tree, module):
            offenders += [f"{module} imports {name}" for forbidden in LAYERS[layer]
                          if name == forbidden or name.startswith(forbidden + ".")]
    assert offenders == []


def test_the_app_imports_its_own_modules_at_the_top():
    hidden = []
    for path, tree in _sources():
        if path.name in COMPOSITION and path.parent == APP:
            continue  # AppConfig.ready connects the app once the registry is ready
        module = _module_name(path)
        hidden += [f"{module} imports {name} inside a function" for name, at_top in _imports(tree, module)
                   if not at_top and name.startswith("diagnosis")]
    assert sorted(set(hidden)) == []


def test_the_scan_sees_an_upward_import(tmp_path):
    # The same scan on a review module that reached for the reports would report it.
    tree = ast.parse("from diagnosis.reports import pdf\n")
    assert ("diagnosis.reports", True) in _imports(tree, "diagnosis.review.views")
    assert _layer_of("diagnosis.review.views") == "diagnosis.review"


def test_patients_templates_load_no_diagnosis_tags():
    loaders = [
        f"{path.relative_to(ROOT)}"
        for path in sorted((ROOT / "templates" / "patients").rglob("*.html"))
        if "diagnosis_tags" in path.read_text()
    ]
    assert loaders == []
