"""Resident memory over many `train()` calls in one process (a sweep's or a notebook's life).

Trains iris for 3 epochs, once per seed, with `--widths` different `units` in turn (more widths
than the 8 kept traces of `kerasrecipes/runs/fast_road/_traces.py` make every run trace a new graph), and
prints the resident set every 8 runs with the functions registered in TensorFlow's eager context.

Every trace used to stay in memory for good, about 5.5 MB a new graph: Keras' optimizer goes
through `tf.custom_gradient`, which in a graph registers its gradient function in a process-wide
registry that holds the traced graph and is never emptied (tensorflow#97697). A run now removes
its own entries (`_traces.release_custom_gradients`); `--keep-custom-gradients` turns that off to
show the growth side by side. The other switches take out the suspects ruled out on the way:

    .venv/bin/python bench/bench_memory.py --widths 16                          # as shipped
    .venv/bin/python bench/bench_memory.py --widths 16 --keep-custom-gradients  # the leak, as before
    .venv/bin/python bench/bench_memory.py --widths 16 --clear                  # TF's kernel cache emptied every run
    .venv/bin/python bench/bench_memory.py --widths 16 --no-kept-traces         # every run traces, none is kept
    .venv/bin/python bench/bench_memory.py --widths 16 --drop-while-functions   # nested loop functions removed
    .venv/bin/python bench/bench_memory.py --widths 16 --trim                   # the C heap's free memory returned

Appends one line per call to bench/results/<date>-memory.md.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as _dt
import gc
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent


def resident_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=48)
    p.add_argument("--widths", type=int, default=16)
    p.add_argument("--clear", action="store_true", help="empty TensorFlow's kernel cache at every run")
    p.add_argument("--no-kept-traces", action="store_true", help="trace every run, keep none")
    p.add_argument(
        "--drop-while-functions",
        action="store_true",
        help="after each run, remove the while_body/while_cond functions left in TensorFlow's context",
    )
    p.add_argument(
        "--keep-custom-gradients",
        action="store_true",
        help="leave each trace's custom gradients registered (TensorFlow's behaviour: the graphs stay)",
    )
    p.add_argument(
        "--trim",
        action="store_true",
        help="after each run, return the C heap's free memory to the system (glibc malloc_trim)",
    )
    args = p.parse_args(argv)

    import bench_data
    from tensorflow.python.eager import context

    from kerasrecipes import runs
    from kerasrecipes.runs import _fit
    from kerasrecipes.runs.fast_road import _traces

    if args.clear:
        _fit._own_code_only = lambda plan: False
    if args.keep_custom_gradients:
        _traces.release_custom_gradients = lambda *traced: 0
    if args.no_kept_traces:
        _traces._key = lambda *a, **k: None
    points = []
    for i in range(args.runs):
        runs.train("iris", recipe={"epochs": 3, "seed": i, "units": 8 + i % args.widths}, tracking="none", verbose=0)
        gc.collect()
        if args.drop_while_functions:
            for name in context.context().list_function_names():
                if name.startswith(("while_body", "while_cond")):
                    context.remove_function(name)
        if args.trim:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        if i % 8 == 7:
            points.append(f"{resident_mb():.0f} MB / {len(context.context().list_function_names())} fn")
            print(f"run {i + 1}: {points[-1]}", flush=True)
    command = "python bench/bench_memory.py " + " ".join(sys.argv[1:] if argv is None else argv)
    line = f"- `{command}` at {bench_data.source_commit(HERE.parent)}: after every 8 runs: " + ", ".join(points)
    out = HERE / "results" / f"{_dt.date.today().isoformat()}-memory.md"
    if not out.exists():
        out.write_text(
            "# Resident memory over many train() calls in one process\n\n"
            "Resident set (MB) and functions registered in TensorFlow's eager context, every 8 runs.\n\n"
        )
    with out.open("a") as f:
        f.write(line + "\n")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
