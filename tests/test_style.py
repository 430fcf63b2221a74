"""The code passes the linter and the formatter configured in pyproject.toml (`[tool.ruff]`)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PATHS = ["kerasrecipes", "tests", "bench", "examples", "docs"]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_passes(command):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", *PATHS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (
        f"`ruff {' '.join(command)}` found:\n{done.stdout[-4000:]}{done.stderr[-2000:]}\n"
        "Fix: `ruff check --fix` then `ruff format` (CONTRIBUTING.md)."
    )
