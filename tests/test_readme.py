"""README.md stays true: its Python blocks run, and the table it shows is the real one."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = (Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_starts_with_the_two_commands():
    first = re.search(r"```sh\n(.*?)```", README, flags=re.S).group(1)
    assert first.splitlines()[0].startswith("make demo") and first.splitlines()[1].startswith("make test")


def _marks(block: str):
    """Blocks that cross-validate train many models: `slow` (still run by make test)."""
    return [pytest.mark.slow] if "cross_val_score" in block or "GridSearchCV" in block else []


@pytest.mark.parametrize("index", [pytest.param(i, marks=_marks(b)) for i, b in enumerate(BLOCKS)])
def test_python_blocks_run(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {"__name__": "__readme__"})


def test_scenario_table_matches_the_cli():
    out = subprocess.run([sys.executable, "-m", "kerasrecipes", "recipes"], capture_output=True, text=True).stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 14  # header, 10 rows, regimes, size defaults, learning rates
    for line in lines:
        assert " ".join(line.split()) in " ".join(README.split()), line
