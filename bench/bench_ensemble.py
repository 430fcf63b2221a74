"""A sweep's ensemble of its best K trials against its best trial alone (`sweep --ensemble K`, issue 30).

For each dataset of bench/run.py, on the search subset of the benchmark split of seed s (`bench_data.search_subset`:
the train + validation rows; bench/searches.py searches the same rows), the task's bundled sweep YAML with its
`scenario` set to the row the data selects runs with the sweep's defaults (5 folds and no confirmation on a small
dataset, one split and no confirmation on a large one) and `ensemble=K`. The ensemble (`tuning.ensemble`) trains
the K best trials again, each its recipe with its own seed on the sweep's split, and reports the mean of their
answers against its first member alone (the best trial, trained again): their scores on the validation rows
and on the sweep's test rows, which choose nothing. Time: the ensemble's K trainings against the first one's
(the whole ensemble: its K trainings, the averaging network, its evaluation and run directory) against the best
trial's recipe trained alone into a run directory, what a user retrains without an ensemble; the goal is at most K
times. Each member's training (`runs._fit.run`) is timed too.

    python bench/bench_ensemble.py                      # 7 datasets, seed 0, K = 4
    python bench/bench_ensemble.py --datasets iris --trials 4 --k 2   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def bench(name: str, seed: int, trials: int, k: int) -> dict:
    import bench_data
    import searches

    from kerasrecipes import runs
    from kerasrecipes.runs import _fit
    from kerasrecipes.tuning.runner import run_sweep

    dataset, sp, subset, config, yaml_name = bench_data.search_setup(name, seed)
    row = runs.train(dataset, recipe={"seed": seed}, tracking="none", verbose=0).scenario.name
    fits: list[float] = []
    built: list[float] = []  # the whole ensemble: its members' trainings, averaging network, evaluation, files
    with tempfile.TemporaryDirectory(prefix="bench-ensemble-") as tmp:
        from kerasrecipes.tuning import ensemble as ensembling

        build = ensembling.build

        def timed_build(*args, **kwargs):  # time each member's training, inside the ensemble's build only
            fit_run, began = _fit.run, time.perf_counter()
            bench_data.time_calls(_fit, "run", fits)
            try:
                return build(*args, **kwargs)
            finally:
                _fit.run = fit_run
                built.append(time.perf_counter() - began)

        ensembling.build = timed_build
        start = time.perf_counter()
        try:
            result = run_sweep(
                config,
                trials=searches.budget(config, trials),
                seed=seed,
                out=tmp,
                dataset=subset,
                tracking="none",
                verbose=0,
                overrides={"scenario": row},
                ensemble=k,
            )
        finally:
            ensembling.build = build
        seconds = time.perf_counter() - start
        best = next(t for t in result.trials if t.index == result.ensemble.trials[0])
        began = time.perf_counter()  # the alternative: the best trial's recipe trained alone into a run directory
        runs.train(subset, recipe=ensembling._recipe(best), out=Path(tmp) / "single", tracking="none", verbose=0)
        single = time.perf_counter() - began
    ensemble = result.ensemble
    return {
        "yaml": yaml_name,
        "row": row,
        "folds": result.folds,
        "trials": len(result.trials),
        "members": ensemble.trials,
        "validation": ensemble.validation,
        "test": ensemble.test,
        "score_metric": ensemble.score_metric,
        "member_seconds": fits,
        "ensemble_seconds": built[0],
        "single_seconds": single,
        "time_ratio": built[0] / single,
        "sweep_seconds": seconds,
    }


def report(results: dict) -> str:
    meta = results["meta"]
    k = meta["k"]
    lines = [
        f"# A sweep's ensemble of its {k} best trials against its best trial ({meta['date']})",
        "",
        f"`{meta['command']}` on {meta['machine']}; library {meta['commit']}; total {meta['minutes']:.1f} min.",
        f"Seed {meta['seeds']}; {meta['trials']} trials per sweep (a grid: its points), the sweep's defaults otherwise. "
        "Scores: accuracy or R^2 on the sweep's validation and test rows of the search subset (bench/bench_ensemble.py's "
        "docstring).",
        "",
        "| dataset | folds | members | validation: ensemble · best trial | test: ensemble · best trial | test gain | "
        "time: the ensemble / the best trial's run |",
        "|---|---|---|---|---|---|---|",
    ]
    better, within = 0, 0
    n = 0
    for name, per_seed in results["datasets"].items():
        for seed, r in per_seed.items():
            n += 1
            gain = r["test"]["ensemble"] - r["test"]["best_trial"]
            better += gain > 0
            within += r["time_ratio"] <= k
            lines.append(
                f"| {name} (seed {seed}) | {r['folds'] or '-'} | {', '.join(map(str, r['members']))} | "
                f"{r['validation']['ensemble']:.4f} · {r['validation']['best_trial']:.4f} | "
                f"{r['test']['ensemble']:.4f} · {r['test']['best_trial']:.4f} | {gain:+.4f} | {r['time_ratio']:.2f}x |"
            )
    gains = [
        r["test"]["ensemble"] - r["test"]["best_trial"] for per in results["datasets"].values() for r in per.values()
    ]
    met = better > n / 2 and within == n
    lines += [
        "",
        "## Goal",
        "",
        f"**The ensemble of the best {k} better than the best single trial on most datasets, at <= {k} times its "
        f"time**: {'MET' if met else 'NOT MET'}: better on the test rows on {better} of {n} "
        f"(mean gain {statistics.mean(gains):+.4f}), equal on {sum(g == 0 for g in gains)}, worse on "
        f"{sum(g < 0 for g in gains)}; time within {k}x on {within} of {n}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import bench_data

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default=",".join(bench_data.ALL), help=f"of {','.join(bench_data.ALL)}")
    p.add_argument("--seeds", default="0", help="comma-separated benchmark and sweep seeds (default 0)")
    p.add_argument("--trials", type=int, default=20, help="trials per sweep (default 20, a grid's points at most)")
    p.add_argument("--k", type=int, default=4, help="the ensemble's members (default 4)")
    p.add_argument("--tag", default="ensemble", help="the result's name: bench/results/<date>-<tag>.{md,json}")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    meta = bench_data.run_meta("bench_ensemble.py", argv)
    date = meta["date"]
    results = {
        "meta": {
            **meta,
            "seeds": [int(s) for s in args.seeds.split(",")],
            "trials": args.trials,
            "k": args.k,
        },
        "datasets": {},
    }
    stem = HERE / "results" / f"{date}-{args.tag}"
    for name in args.datasets.split(","):
        for seed in results["meta"]["seeds"]:
            r = bench(name, seed, args.trials, args.k)
            results["datasets"].setdefault(name, {})[str(seed)] = r
            print(
                f"{name} seed {seed}: test {r['test']['ensemble']:.4f} (ensemble) vs {r['test']['best_trial']:.4f}, "
                f"time {r['time_ratio']:.2f}x",
                flush=True,
            )
            results["meta"]["minutes"] = (time.perf_counter() - start) / 60
            stem.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
    bench_data.write_result(stem, report(results), results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
