"""Where the offline backbone weights live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def weights_dir() -> Path:
    """``$DERM_WEIGHTS_DIR`` or ``<repo>/../shared/weights``."""
    env = os.environ.get("DERM_WEIGHTS_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "weights"


def portable(path: str | Path | None, base: Path | None = None) -> str | None:
    """A path as it may be written into a model card or an evaluation JSON: never absolute.

    Relative paths are kept as given; absolute ones become relative to ``base`` (default: the weights
    folder for files inside it, else the repository root), so no machine's layout is recorded.
    """
    if path is None:
        return None
    p = Path(path)
    if not p.is_absolute():
        return str(p)
    for root in ([base] if base else [weights_dir(), REPO_ROOT]):
        try:
            return str(p.resolve().relative_to(root.resolve()))
        except ValueError:
            continue
    return os.path.relpath(p.resolve(), (base or REPO_ROOT).resolve())


def scrub(obj):
    """A JSON document with every absolute path made portable: paths that exist here become relative
    (``portable``), others (a finished run's scratch folder) keep only their last part."""
    if isinstance(obj, dict):
        return {k: scrub(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub(v) for v in obj]
    if isinstance(obj, str) and "/" in obj:
        return " ".join(_scrub_token(t) for t in obj.split(" "))
    return obj


def _scrub_token(token: str) -> str:
    if not token.startswith("/"):
        return token
    p = Path(token)
    return portable(p) if p.exists() else p.name
