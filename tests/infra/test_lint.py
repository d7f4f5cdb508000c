"""The code stays tidy: ruff's lint rules and formatting (configuration in ruff.toml)."""

import subprocess
import sys
from pathlib import Path

PATHS = ["layers", "functions", "tests", "tools", "training", "studies", "conftest.py"]
RUFF = str(Path(sys.executable).parent / "ruff")


def test_ruff_lint(root):
    done = subprocess.run([RUFF, "check", *PATHS], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format(root):
    done = subprocess.run([RUFF, "format", "--check", *PATHS], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
