"""The code stays lint- and type-clean (STYLE.md): ruff over the tree, mypy over
the packages. Run in the suite so CI holds every change to it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True,
                          text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_packages() -> None:
    result = run("mypy", "streamkit", "operators")
    assert result.returncode == 0, result.stdout + result.stderr
