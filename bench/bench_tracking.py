"""What W&B tracking costs a run, and the CLI end to end (issue 15, item 5).

    .venv/bin/python bench/bench_tracking.py [--repeats 7]

Side by side in one session, alternating the variants in each round (so a burst of load hits them
alike), medians over the rounds:

- CLI: `python -m kerasrecipes train --dataset iris --quiet` with `--tracking offline` (the default)
  and with `--tracking none`, each a fresh process, against `python -c "import tensorflow"` (the
  floor any TensorFlow command pays). Goal: the default (offline) CLI run <= TensorFlow's import
  + 1.5 s. The CLI ends with `os._exit` once its work is done (`kerasrecipes.cli.run`), skipping
  the 0.8-1 s of Python's teardown of TensorFlow that `python -c "import tensorflow"` still pays;
  so the goal is also checked against the import alone (`import os, tensorflow; os._exit(0)`).
- In process: `kerasrecipes.train("iris", out=..., tracking=...)` offline and none, after a warm-up
  run of each. Goal: tracking adds <= 0.3 s to a run.

Offline runs go to a temporary directory (WANDB_MODE is unset for the children, WANDB_SILENT set).
Results go to bench/results/<date>-tracking.{md,json}. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _env() -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", WANDB_SILENT="true")
    env.pop("WANDB_MODE", None)
    return env


def _wall(argv: list[str], cwd: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed: {proc.stderr[-2000:]}")
    return seconds


def _source() -> str:
    """Which kerasrecipes this measures: its folder and git commit."""
    import bench_data

    import kerasrecipes

    folder = Path(kerasrecipes.__file__).resolve().parent.parent
    return f"{folder} at {bench_data.source_commit(folder)}"


def cli_round(tmp: str, index: int) -> dict[str, float]:
    python = sys.executable
    train = [python, "-m", "kerasrecipes", "train", "--dataset", "iris", "--quiet", "--overwrite"]
    return {
        "import tensorflow": _wall([python, "-c", "import tensorflow"], tmp),
        "import tensorflow, no teardown": _wall([python, "-c", "import os, tensorflow; os._exit(0)"], tmp),
        "cli tracking=none": _wall(train + ["--tracking", "none", "--out", f"{tmp}/none-{index}"], tmp),
        "cli tracking=offline": _wall(train + ["--tracking", "offline", "--out", f"{tmp}/offline-{index}"], tmp),
    }


def in_process(tmp: str, repeats: int) -> dict[str, list[float]]:
    os.environ.pop("WANDB_MODE", None)
    os.environ["WANDB_SILENT"] = "true"
    from kerasrecipes import runs

    times: dict[str, list[float]] = {"train tracking=none": [], "train tracking=offline": []}
    for index in range(repeats + 1):  # round 0 warms both up
        for mode in ("none", "offline"):
            start = time.perf_counter()
            runs.train("iris", out=f"{tmp}/in-{mode}-{index}", tracking=mode, verbose=0)
            if index:
                times[f"train tracking={mode}"].append(time.perf_counter() - start)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--tag", default="", help="file-name suffix, e.g. 'before' when measuring an older commit")
    args = parser.parse_args(argv)
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.repeats):
            for key, value in cli_round(tmp, index).items():
                samples.setdefault(key, []).append(value)
            print(
                f"round {index + 1}/{args.repeats}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in samples.items()),
                file=sys.stderr,
            )
        samples.update(in_process(tmp, args.repeats))
    median = {k: statistics.median(v) for k, v in samples.items()}
    floor = median["import tensorflow"] + 1.5
    strict = median["import tensorflow, no teardown"] + 1.5
    overhead = median["train tracking=offline"] - median["train tracking=none"]
    cli = median["cli tracking=offline"]
    lines = [
        f"# W&B tracking cost ({_dt.datetime.now().isoformat(timespec='seconds')})",
        "",
        f"`python bench/bench_tracking.py --repeats {args.repeats}{' --tag ' + args.tag if args.tag else ''}` "
        f"(kerasrecipes from {_source()}) on {os.cpu_count()} CPUs, load average at "
        f"end {[round(x, 2) for x in os.getloadavg()]}; medians over {args.repeats} rounds (min-max).",
        "",
        "| what | median s | min s | max s |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {k} | {median[k]:.2f} | {min(v):.2f} | {max(v):.2f} |" for k, v in samples.items()]
    lines += [
        "",
        "## Goals",
        "",
        f"- **Tracking adds <= 0.3 s to a run** (in process, offline - none): "
        f"{'MET' if overhead <= 0.3 else 'NOT MET'}: {overhead:+.2f} s",
        f"- **CLI end to end <= TensorFlow's import + 1.5 s** (iris, default offline tracking): "
        f"{'MET' if cli <= floor else 'NOT MET'}: {cli:.2f} s vs {median['import tensorflow']:.2f} + 1.5 = "
        f"{floor:.2f} s (tracking none: {median['cli tracking=none']:.2f} s)",
        f"  - against the import alone (ended with `os._exit`, as the CLI ends since it skips Python's "
        f"teardown of TensorFlow): {'MET' if cli <= strict else 'NOT MET'}: {cli:.2f} s vs "
        f"{median['import tensorflow, no teardown']:.2f} + 1.5 = {strict:.2f} s",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"{_dt.date.today().isoformat()}-tracking{'-' + args.tag if args.tag else ''}"
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps({"samples": samples, "median": median}, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
