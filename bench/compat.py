"""Run the core tests on other TensorFlow / Keras minors, each in a venv of its own; a table of the outcome.

    python bench/compat.py                              # the default pairs below
    python bench/compat.py --pair 2.20.0,3.14.0 --pair 2.21.0,3.13.2
    python bench/compat.py --pair 2.20.0,3.14.0 --keep  # keep the venvs (under --root) for a second look

For each (TensorFlow, Keras) pair it creates a venv, installs those two versions and the package's
other dependencies as pyproject.toml lists them, then the package itself without its pins
(`--no-deps`), and runs `CORE_TESTS`. The results (passed / failed counts and the first failures)
go to `bench/results/<date>-compat.md` and `.json`; a pair run again the same day replaces its row and
the other pairs' rows stay. The pins in pyproject.toml widen only to pairs
this script reports green. Not part of `make test`: each pair downloads TensorFlow (about 600 MB).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
PAIRS = [("2.20.0", "3.14.0"), ("2.21.0", "3.14.0"), ("2.21.0", "3.13.2")]
CORE_TESTS = [
    "tests/runs/test_engine.py",
    "tests/runs/test_traces.py",
    "tests/runs/test_training.py",
    "tests/runs/test_reproduce.py",
    "tests/test_tf_internals.py",
    "tests/callbacks",
    "tests/test_seeding.py",
]


def other_requirements() -> list[str]:
    """pyproject.toml's dependencies and dev extra, less TensorFlow, Keras and the package itself."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [
        *project["dependencies"],
        *project["optional-dependencies"]["dev"],
        *project["optional-dependencies"]["onnx"],
    ]
    return [r for r in wanted if not re.match(r"(tensorflow|keras|kerasrecipes)\b", r)]


def run_pair(tensorflow: str, keras: str, root: Path, keep: bool) -> dict:
    venv = root / f"tf{tensorflow}-keras{keras}"
    python = venv / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True).returncode:
        shutil.rmtree(venv)  # a venv left half-made (its creation was interrupted): make it again
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    install = subprocess.run(
        [*pip, f"tensorflow=={tensorflow}", f"keras=={keras}", *other_requirements()], capture_output=True, text=True
    )
    if install.returncode != 0:
        return {
            "tensorflow": tensorflow,
            "keras": keras,
            "outcome": "install failed",
            "detail": install.stderr.strip().splitlines()[-1:],
        }
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile", *CORE_TESTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    failures = [line for line in done.stdout.splitlines() if line.startswith("FAILED")][:10]
    if not keep:
        shutil.rmtree(venv, ignore_errors=True)
    return {
        "tensorflow": tensorflow,
        "keras": keras,
        "outcome": "passed" if done.returncode == 0 else "failed",
        "summary": summary,
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", action="append", metavar="TF,KERAS", help="versions to test (repeatable)")
    parser.add_argument("--root", default="/tmp/kerasrecipes-compat", help="where the venvs go")
    parser.add_argument("--keep", action="store_true", help="keep the venvs")
    args = parser.parse_args()
    pairs = [tuple(p.split(",")) for p in args.pair] if args.pair else PAIRS
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    day = datetime.date.today().isoformat()
    out = ROOT / "bench" / "results" / f"{day}-compat"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    new = [{**run_pair(tf, keras, root, args.keep), "commit": commit} for tf, keras in pairs]
    earlier = json.loads(out.with_suffix(".json").read_text()) if out.with_suffix(".json").exists() else []
    tested = {(r["tensorflow"], r["keras"]) for r in new}
    rows = [r for r in earlier if (r["tensorflow"], r["keras"]) not in tested] + new
    lines = [
        f"# Core tests on other TensorFlow / Keras minors ({day})",
        "",
        f"`python bench/compat.py` on this machine; tests: {' '.join(CORE_TESTS)}",
        "",
        "| TensorFlow | Keras | outcome | pytest's summary | commit |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['tensorflow']} | {r['keras']} | {r['outcome']} | {r.get('summary') or r.get('detail')} | "
        f"{r.get('commit', '')} |"
        for r in rows
    ]
    for r in rows:
        if r.get("failures"):
            lines += [
                "",
                f"First failures with TensorFlow {r['tensorflow']}, Keras {r['keras']}:",
                "",
                *[f"- `{f}`" for f in r["failures"]],
            ]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
