"""Start-up times: `kerasrecipes --help` and `import kerasrecipes`, each in a fresh process.

Wall time of the whole subprocess (interpreter start included), best of `repeats`. The bare
interpreter (`python -c pass`) is measured the same way for reference.

    .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def best_of(cmd: list[str], repeats: int = 5) -> float:
    times = []
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return min(times)


def measure(repeats: int = 5) -> dict:
    py = sys.executable
    script = Path(py).with_name("kerasrecipes")
    cli = [str(script), "--help"] if script.exists() else [py, "-m", "kerasrecipes", "--help"]
    return {
        "help_cmd": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cli)),
        "help_seconds": best_of(cli, repeats),
        "import_seconds": best_of([py, "-c", "import kerasrecipes"], repeats),
        "python_seconds": best_of([py, "-c", "pass"], repeats),
        "import_tf_seconds": best_of([py, "-c", "import tensorflow"], 2),
        "repeats": repeats,
    }


if __name__ == "__main__":
    for key, value in measure().items():
        print(f"{key:18} {value:.3f}" if isinstance(value, float) else f"{key:18} {value}")
