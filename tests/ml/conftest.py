"""Fixtures for the ml tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlhelpers import make_dataset


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("ham_tiny"))
