"""The code stays tidy: ruff (ruff.toml), the import contracts (.importlinter) and mypy (mypy.ini)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PATHS = ["layers", "functions", "tests", "tools", "training", "studies", "conftest.py"]
BIN = Path(sys.executable).parent
RUFF = str(BIN / "ruff")
HANDLERS = sorted(
    str(p.relative_to(Path(__file__).parents[2])) for p in Path(__file__).parents[2].glob("functions/*/app.py")
)


def test_ruff_lint(root):
    done = subprocess.run([RUFF, "check", *PATHS], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format(root):
    done = subprocess.run([RUFF, "format", "--check", *PATHS], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_import_contracts_hold(root):
    """.importlinter: media -> analyzers -> scoring -> report -> pipeline -> tools; families apart; no cycles."""
    env = {**os.environ, "PYTHONPATH": str(root / "layers" / "vforensics")}
    done = subprocess.run([str(BIN / "lint-imports")], cwd=root, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("target", ["library", *HANDLERS])
def test_mypy_is_clean(root, target):
    """mypy.ini: the library as a package, each handler on its own (they are all named app.py)."""
    args = [] if target == "library" else [target]
    env = {**os.environ, "MYPYPATH": str(root / "layers" / "vforensics")}
    done = subprocess.run([str(BIN / "mypy"), *args], cwd=root, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
