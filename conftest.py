"""Shared paths for all tests."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
BENCH = ROOT.parent / "shared" / "bench"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def bench() -> Path:
    if not BENCH.is_dir():
        pytest.skip("../shared/bench is not present beside the repository")
    return BENCH
