"""Where a warm `runs.train()` spends its time on the fast road: the first epoch call (tracing the
compiled epoch, then running it once), the other epochs, and everything else (data preparation,
build, callbacks, test evaluation, manifest).

It explains the floor that issue 15's time goal (recipe <= 0.25x Keras on a cached tf.data) meets on
small data: the first call alone is a large part of the best-practice Keras time there. A process
traces each graph once (`kerasrecipes/runs/_traces.py`): the first seed of a dataset traces, the
later seeds reuse its trace, and the table shows both; of a traced first call it also shows the
trace alone (Python building the graph), the rest being TensorFlow optimizing, instantiating and
running it. Same process, after a warm-up fit, like bench/run.py; one line per dataset and seed, and
a summary table. `--no-grappler` switches TensorFlow's graph optimizer off, to see what it costs in
the first call and saves in the epochs.

    .venv/bin/python bench/bench_fixed_cost.py [--datasets iris,wine] [--seeds 0,1,2] [--tag NAME] [--no-grappler]

Writes bench/results/<date>-fixed-cost[-TAG].{md,json}.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def timed_epochs(engine, calls: list) -> None:
    """Wrap `engine._run` so that each epoch call's seconds land in `calls` (the first one traces)."""
    original = engine._run

    def run(model, program, epoch_fn, *args, **kwargs):
        def epoch(e):
            start = time.perf_counter()
            logs = epoch_fn(e)
            calls.append(time.perf_counter() - start)
            return logs

        return original(model, program, epoch, *args, **kwargs)

    engine._run = run


def main(argv=None) -> int:
    import bench_data
    from profile_runs import warm_up

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default=",".join(bench_data.ALL))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--tag", default=None)
    p.add_argument("--no-grappler", action="store_true",
                   help="switch TensorFlow's graph optimizer (Grappler) off for the whole process")
    args = p.parse_args(argv)

    from kerasrecipes import runs
    from kerasrecipes.runs import _traces, engine

    if args.no_grappler:
        import tensorflow as tf

        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    warm_up()
    calls: list[float] = []
    timed_epochs(engine, calls)
    tracing: list[float] = []
    bench_data.time_calls(_traces, "compile_epoch", tracing)
    rows = []
    for name in args.datasets.split(","):
        dataset = bench_data.load(name)
        for seed in (int(s) for s in args.seeds.split(",")):
            calls.clear()
            tracing.clear()
            reused = _traces.counts["reused"]
            start = time.perf_counter()
            result = runs.train(dataset, recipe={"seed": seed}, tracking="none", verbose=0)
            total = time.perf_counter() - start
            row = {"dataset": name, "seed": seed, "road": result.manifest["execution"]["road"], "total": total,
                   "kept_trace": _traces.counts["reused"] > reused,
                   "first_call": calls[0] if calls else None, "compile": sum(tracing), "other_epochs": sum(calls[1:]),
                   "epochs": len(calls), "rest": total - sum(calls)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    table = ["| dataset | total s: traced / kept trace | first epoch call s: traced / kept trace | "
             "of it, tracing s (traced) | other epochs s (n) | per epoch ms | "
             "preparation, build, callbacks, evaluation s |",
             "|---|---:|---:|---:|---:|---:|---:|"]

    def median(values):
        return f"{statistics.median(values):.2f}" if values else "-"

    for name in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == name]
        traced, kept = ([r for r in mine if r["kept_trace"] == k] for k in (False, True))
        med = {k: statistics.median(r[k] for r in mine) for k in ("other_epochs", "rest")}
        epochs = statistics.median(r["epochs"] for r in mine)
        per = statistics.median(r["other_epochs"] / max(1, r["epochs"] - 1) for r in mine) * 1000
        table.append(f"| {name} | {median([r['total'] for r in traced])} / {median([r['total'] for r in kept])} | "
                     f"{median([r['first_call'] for r in traced])} / {median([r['first_call'] for r in kept])} | "
                     f"{median([r['compile'] for r in traced])} | {med['other_epochs']:.2f} ({epochs:.0f}) | "
                     f"{per:.1f} | {med['rest']:.2f} |")
    stamp = _dt.date.today().isoformat()
    out = HERE / "results" / f"{stamp}-fixed-cost{'-' + args.tag if args.tag else ''}"
    command = "python bench/bench_fixed_cost.py" + (f" {' '.join(argv or sys.argv[1:])}" if (argv or sys.argv[1:]) else "")
    text = "\n".join([f"# Where a warm train() spends its time ({stamp})", "", f"`{command}`; medians over seeds "
                      f"{args.seeds}, one process after a warm-up fit.", "", *table, ""])
    bench_data.write_result(out, text, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
