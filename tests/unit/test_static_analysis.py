"""bandit finds no medium or high severity issue in the platform's code (tests and benchmarks aside).
`check --deploy` in production settings: tests/unit/test_production_settings.py."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["dermplatform", "patients", "diagnosis", "ml"]


def test_bandit_finds_no_medium_or_high_issue():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", *PACKAGES, "--severity-level", "medium", "--format", "txt", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
