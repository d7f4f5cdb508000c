"""Shared paths for all tests, and a reproducible environment."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
BENCH = ROOT.parent / "shared" / "bench"
# ExifTool is optional (present on some machines, never on Lambda): results must not depend
# on it, so the suite runs without it; tests/unit/test_metadata_readers.py turns it on.
os.environ.setdefault("VF_EXIFTOOL", "off")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def bench() -> Path:
    if not BENCH.is_dir():
        pytest.skip("../shared/bench is not present beside the repository")
    return BENCH
