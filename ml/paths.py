"""Where the offline backbone weights live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def weights_dir() -> Path:
    """``$DERM_WEIGHTS_DIR`` or ``<repo>/../shared/weights``."""
    env = os.environ.get("DERM_WEIGHTS_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "weights"
