"""Where a warm `runs.train()` spends its time on the fast road: the first epoch call (tracing the
compiled epoch, then running it once), the other epochs, and everything else (data preparation,
build, callbacks, test evaluation, manifest).

It explains the floor that issue 15's time goal (recipe <= 0.25x Keras on a cached tf.data) meets on
small data: the first call alone is a large part of the best-practice Keras time there. A process
traces each graph once (`kerasrecipes/runs/fast_road/_traces.py`): the first seed of a dataset traces, the
later seeds reuse its trace, and the table shows both; of a traced first call it also shows the
trace alone (Python building the graph), the rest being TensorFlow optimizing, instantiating and
running it. Same process, after a warm-up fit, like bench/run.py; one line per dataset and seed, and
a summary table. `--no-grappler` switches TensorFlow's graph optimizer off, to see what it costs in
the first call and saves in the epochs.

`--executors single,default` runs every seed once each way, side by side in one process (the order
alternating from seed to seed): `single` runs every epoch on TensorFlow's single-threaded executor
(its loop a functional `While`, whose body Grappler leaves as it is), `default` as TensorFlow does by
default (the loop lowered and optimized with the rest of the graph, the default executor), `auto` as
the fast road chooses (`engine.epoch_executor`, `SINGLE_THREADED_WORK`). The table adds the ratio of
the epochs' times, which that threshold rests on, and whether the test scores came out the same (the
two graphs are optimized differently, so the last bits of the weights may differ).

    .venv/bin/python bench/bench_fixed_cost.py [--datasets iris,wine] [--seeds 0,1,2] [--tag NAME] [--no-grappler]
                                               [--executors auto|single,default]

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
    p.add_argument(
        "--no-grappler",
        action="store_true",
        help="switch TensorFlow's graph optimizer (Grappler) off for the whole process",
    )
    p.add_argument(
        "--executors",
        default="auto",
        help="comma-separated: auto (the fast road's choice), single (single-threaded executor for "
        "every epoch), default (TensorFlow's default executor); several run side by side",
    )
    args = p.parse_args(argv)
    executors = args.executors.split(",")
    work = {"auto": None, "single": float("inf"), "default": -1}  # engine.SINGLE_THREADED_WORK for each
    if set(executors) - set(work):
        p.error(f"--executors takes {', '.join(work)}; received {args.executors!r}")

    from kerasrecipes import runs
    from kerasrecipes.runs.fast_road import _traces, engine

    if args.no_grappler:
        import tensorflow as tf

        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    warm_up()
    calls: list[float] = []
    timed_epochs(engine, calls)
    tracing: list[float] = []
    bench_data.time_calls(_traces, "compile_epoch", tracing)
    rows = []
    automatic = engine.SINGLE_THREADED_WORK
    for name in args.datasets.split(","):
        dataset = bench_data.load(name)
        for i, seed in enumerate(int(s) for s in args.seeds.split(",")):
            for executor in executors if i % 2 == 0 else executors[::-1]:
                engine.SINGLE_THREADED_WORK = automatic if work[executor] is None else work[executor]
                calls.clear()
                tracing.clear()
                reused = _traces.counts["reused"]
                start = time.perf_counter()
                result = runs.train(dataset, recipe={"seed": seed}, tracking="none", verbose=0)
                total = time.perf_counter() - start
                row = {
                    "dataset": name,
                    "seed": seed,
                    "executor": executor,
                    "score": result.test_metrics["score"],
                    "road": result.manifest["execution"]["road"],
                    "total": total,
                    "kept_trace": _traces.counts["reused"] > reused,
                    "first_call": calls[0] if calls else None,
                    "compile": sum(tracing),
                    "other_epochs": sum(calls[1:]),
                    "epochs": len(calls),
                    "rest": total - sum(calls),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    engine.SINGLE_THREADED_WORK = automatic
    table = [
        "| dataset | executor | total s: traced / kept trace | first epoch call s: traced / kept trace | "
        "of it, tracing s (traced) | other epochs s (n) | per epoch ms | "
        "preparation, build, callbacks, evaluation s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def median(values):
        return f"{statistics.median(values):.2f}" if values else "-"

    def per_epoch(mine):
        return statistics.median(r["other_epochs"] / max(1, r["epochs"] - 1) for r in mine) * 1000

    ratios = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        for executor in executors:
            mine = [r for r in rows if r["dataset"] == name and r["executor"] == executor]
            traced, kept = ([r for r in mine if r["kept_trace"] == k] for k in (False, True))
            med = {k: statistics.median(r[k] for r in mine) for k in ("other_epochs", "rest")}
            epochs = statistics.median(r["epochs"] for r in mine)
            table.append(
                f"| {name} | {executor} | {median([r['total'] for r in traced])} / "
                f"{median([r['total'] for r in kept])} | {median([r['first_call'] for r in traced])} / "
                f"{median([r['first_call'] for r in kept])} | {median([r['compile'] for r in traced])} | "
                f"{med['other_epochs']:.2f} ({epochs:.0f}) | {per_epoch(mine):.1f} | {med['rest']:.2f} |"
            )
        if executors[:2] == ["single", "default"]:
            pair = [[r for r in rows if r["dataset"] == name and r["executor"] == e] for e in executors[:2]]
            same = [a["score"] for a in pair[0]] == [b["score"] for b in pair[1]]
            ratios.append(f"| {name} | {per_epoch(pair[0]) / per_epoch(pair[1]):.2f} | {'yes' if same else 'NO'} |")
    if ratios:
        table += ["", "| dataset | per epoch ms, single / default | same test scores |", "|---|---:|---|", *ratios]
    stamp = _dt.date.today().isoformat()
    out = HERE / "results" / f"{stamp}-fixed-cost{'-' + args.tag if args.tag else ''}"
    command = "python bench/bench_fixed_cost.py" + (
        f" {' '.join(argv or sys.argv[1:])}" if (argv or sys.argv[1:]) else ""
    )
    text = "\n".join(
        [
            f"# Where a warm train() spends its time ({stamp})",
            "",
            f"`{command}`; medians over seeds {args.seeds}, one process after a warm-up fit.",
            "",
            *table,
            "",
        ]
    )
    bench_data.write_result(out, text, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
