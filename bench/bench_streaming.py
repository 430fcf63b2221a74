"""Streaming benchmark (issue 8): peak RSS and rows per second of `train(CsvStream(...))` on growing CSVs.

    .venv/bin/python bench/bench_streaming.py                       # 100k and 2M rows, 1 epoch each
    .venv/bin/python bench/bench_streaming.py --rows 20000,200000   # a quick look
    .venv/bin/python bench/bench_streaming.py --keep DIR            # keep (and reuse) the CSV files

Each size gets a CSV with 20 numeric columns (5 % missing cells), 2 categorical columns (5 and 12
values, 5 % missing) and a binary text target, written in chunks to a temporary directory (100k
rows: 16 MiB, 2M rows: 328 MiB). Each size is trained in a fresh subprocess with
`train(CsvStream(path, "target"), recipe={"epochs": 1, "batch_size": 1024, "early_stopping": False}, seed=0)`:
the scan pass, one training epoch with its validation pass, the test evaluation, no run directory.
The subprocess reports its peak RSS (`VmHWM` from /proc/self/status, which includes TensorFlow's
own ~0.75 GB) and its phase times; the table gives rows per second for the scan (all rows; the time
also covers the file's sha256, building the model and TensorFlow's warm-up, which dominate at
100k rows), for the epoch (training rows; the time includes the validation pass) and end to end
(all rows / total time, test evaluation included).
Goal: peak RSS(2M) / peak RSS(100k) <= 1.2. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_NUMERIC = 20
CHUNK = 100_000
RECIPE = {"epochs": 1, "batch_size": 1024, "early_stopping": False}


def write_csv(path: Path, n_rows: int, seed: int = 0) -> None:
    """A synthetic binary-classification CSV, written CHUNK rows at a time (bounded memory)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    weights = rng.normal(size=N_NUMERIC)
    colors, sizes = np.array(["red", "green", "blue", "black", "white"]), np.array([f"s{i}" for i in range(12)])
    with open(path, "w", newline="") as fh:
        for start in range(0, n_rows, CHUNK):
            n = min(CHUNK, n_rows - start)
            x = rng.normal(size=(n, N_NUMERIC)).round(5)
            color, size = rng.integers(0, 5, n), rng.integers(0, 12, n)
            logit = x @ weights / 3 + (color == 0) - 0.5 * (size % 3 == 0) + rng.normal(scale=0.5, size=n)
            frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(N_NUMERIC)])
            frame = frame.mask(rng.random(frame.shape) < 0.05)
            frame["color"] = pd.Series(colors[color]).mask(rng.random(n) < 0.05)
            frame["size"] = pd.Series(sizes[size]).mask(rng.random(n) < 0.05)
            frame["target"] = np.where(logit > 0, "yes", "no")
            frame.to_csv(fh, index=False, header=start == 0)


def child(path: str) -> None:
    """Runs in the fresh subprocess: train, then print one JSON line of timings and peak RSS."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from kerasrecipes import train
    from kerasrecipes.streaming import CsvStream

    marks: dict[str, float] = {}

    class Clock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            marks["fit_begin"] = time.perf_counter()

        def on_train_end(self, logs=None):
            marks["fit_end"] = time.perf_counter()

    start = time.perf_counter()
    result = train(CsvStream(path, "target"), recipe=RECIPE, seed=0, verbose=0, tracking="none", callbacks=[Clock()])
    end = time.perf_counter()
    status = Path("/proc/self/status").read_text()
    hwm_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    stats = result.data.stats
    print(
        json.dumps(
            {
                "rows": stats.n_rows_read,
                "n_rows": stats.n_rows,
                "size_bytes": stats.size_bytes,
                "scan_s": marks["fit_begin"] - start,  # scan pass, sha256, model build, TF warm-up
                "fit_s": marks["fit_end"] - marks["fit_begin"],
                "test_s": end - marks["fit_end"],
                "total_s": end - start,
                "peak_rss_mb": hwm_kb / 1024,
                "accuracy": result.test_metrics["accuracy"],
                "auc": result.test_metrics["auc"],
            }
        )
    )


def run_size(path: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"child failed on {path}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
    lines = [
        "| rows | file | peak RSS | scan pass (+ sha256, model build) | 1 epoch (train rows; + validation pass) "
        "| end to end | test accuracy |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['size_bytes'] / 2**20:.0f} MiB | {r['peak_rss_mb']:.0f} MiB | "
            f"{r['rows'] / r['scan_s']:,.0f} rows/s ({r['scan_s']:.1f} s) | "
            f"{r['n_rows']['train'] / r['fit_s']:,.0f} rows/s ({r['fit_s']:.1f} s) | "
            f"{r['rows'] / r['total_s']:,.0f} rows/s ({r['total_s']:.1f} s) | {r['accuracy']:.4f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", default="100000,2000000", help="comma-separated row counts (default 100000,2000000)")
    p.add_argument("--keep", metavar="DIR", help="write the CSV files here and keep them (reused if present)")
    p.add_argument("--child", metavar="CSV", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    sizes = [int(s) for s in args.rows.split(",")]
    directory = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-streaming-"))
    directory.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for n in sizes:
            path = directory / f"stream-{n}.csv"
            if not path.exists():
                began = time.perf_counter()
                write_csv(path, n)
                print(
                    f"wrote {path} ({path.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - began:.0f} s",
                    file=sys.stderr,
                )
            results.append(run_size(path))
            print(json.dumps(results[-1]), file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{_dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load:.1f} at the end"
    )
    print(table(results))
    if len(results) > 1:
        ratio = results[-1]["peak_rss_mb"] / results[0]["peak_rss_mb"]
        print(
            f"\npeak RSS ratio {results[-1]['rows']:,} / {results[0]['rows']:,} rows: {ratio:.3f} "
            f"(goal <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
