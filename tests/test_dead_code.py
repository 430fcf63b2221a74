"""No dead code: vulture finds nothing unused in the package that tests/dead_code_whitelist.py does not
explain (the whitelist names who uses each name vulture cannot see being used)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_vulture_finds_no_dead_code():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "vulture",
            "kerasrecipes",
            "tests",
            "examples",
            "bench",
            "tests/dead_code_whitelist.py",
            "--min-confidence",
            "60",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    unused = [line for line in proc.stdout.splitlines() if line.startswith("kerasrecipes/")]
    assert not unused, "unused code (delete it, or say in tests/dead_code_whitelist.py who uses it):\n" + "\n".join(
        unused
    )
