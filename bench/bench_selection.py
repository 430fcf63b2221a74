"""How a sweep should choose on small data: one split or K folds, with or without the confirmation (issue 30).

For each small dataset of bench/run.py and each seed s, on the benchmark split of seed s (`bench_data.split`:
the test rows are scored and never searched; the sweeps see only the train + validation rows,
`bench_data.search_subset`), the task's bundled sweep YAML with its `scenario` set to the row the data selects
(as bench/searches.py runs it) is swept twice with sweep seed s and the same trial budget:

- one split: `run_sweep(cv=0, confirm=3)`: every trial on one validation split;
- K folds: `run_sweep(cv=K, confirm=3)`: every trial on the same K folds, judged by their mean.

Each sweep gives two choices: its best trial (what the sweep picks without a confirmation) and the
confirmation's winner (the 3 best trials and the row's default, retrained with 3 more seeds, on the same split or
folds; the best mean wins). Each chosen recipe, as the sweep resolved it, is trained again on the benchmark split
with seed s and scored on its test rows, as bench/searches.py scores the swept recipe; so is the default recipe.
A recipe two choices share is trained once.

Cost: the trainings each sweep ran (calls of `runs._fit.run`: a fold is a training), and its wall seconds, the
confirmation's share apart.

    python bench/bench_selection.py                       # 5 small datasets, seeds 0,1
    python bench/bench_selection.py --datasets iris --seeds 0 --trials 4   # a smoke run
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

SMALL = ["iris", "wine", "breast_cancer", "digits", "diabetes"]
"""bench/run.py's datasets under the large-dataset threshold: where a sweep confirms by default."""


def resolved_trial_recipe(out: Path, index: int, folds: int) -> dict:
    """The recipe trial `index` trained, as its run directory resolved it (fold 0's, folds cleared, with folds)."""
    import yaml

    trial = out / "trials" / f"trial-{index:03d}"
    recipe = yaml.safe_load(((trial / "fold-0") if folds else trial).joinpath("recipe.yaml").read_text())
    return {**recipe, "folds": None, "fold": None}


def sweep(config: dict, subset, seed: int, row: str, trials: int, folds: int) -> dict:
    """One sweep of the search subset: its two choices (resolved recipes), trainings and seconds."""
    import bench_data

    from kerasrecipes.runs import _fit
    from kerasrecipes.tuning import confirm as confirming
    from kerasrecipes.tuning.runner import run_sweep

    trainings, confirming_seconds = [], []
    fit_run, confirm = _fit.run, confirming.confirm
    bench_data.time_calls(_fit, "run", trainings)
    bench_data.time_calls(confirming, "confirm", confirming_seconds)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-selection-") as tmp:
            start = time.perf_counter()
            result = run_sweep(
                config,
                trials=trials,
                seed=seed,
                out=tmp,
                dataset=subset,
                tracking="none",
                verbose=0,
                overrides={"scenario": row},
                cv=folds,
                confirm=3,
                confirm_seeds=3,
            )
            seconds = time.perf_counter() - start
            best = resolved_trial_recipe(Path(tmp), result.best.index, folds)
    finally:
        _fit.run, confirming.confirm = fit_run, confirm
    confirmation = result.confirmation
    comparison = confirmation.comparison if confirmation is not None else None
    return {
        "folds": folds,
        "trials": len(result.trials),
        "trainings": len(trainings),
        "seconds": seconds,
        "confirmation_seconds": sum(confirming_seconds),
        "best_trial": {"index": result.best.index, "metric": result.best.metric, "recipe": best},
        "winner": {
            "label": None if confirmation is None or confirmation.winner is None else confirmation.winner.label,
            "recipe": result.best_recipe,
            "beats_default": None if comparison is None else comparison.beats_default,
            "verdict": None if comparison is None else comparison.verdict(result.metric),
        },
    }


def retrain(dataset, sp, recipe: dict, cache: dict) -> float:
    """The test score of `recipe` trained on the benchmark split with its seed (each distinct recipe once)."""
    import numpy as np

    from kerasrecipes import runs

    key = json.dumps({**recipe, "seed": sp.seed}, sort_keys=True, default=str)
    if key not in cache:
        run = runs.train(dataset, recipe={**recipe, "seed": sp.seed}, tracking="none", verbose=0)
        assert np.array_equal(run.data.indices["test"], sp.prepared.indices["test"]), "test rows differ"
        cache[key] = float(run.test_metrics["score"])
    return cache[key]


def bench(name: str, seed: int, trials: int, folds: int) -> dict:
    import bench_data
    import searches

    from kerasrecipes import runs

    dataset, sp, subset, config, yaml_name = bench_data.search_setup(name, seed)
    default = runs.train(dataset, recipe={"seed": seed}, tracking="none", verbose=0)
    cache: dict = {}
    out = {"yaml": yaml_name, "row": default.scenario.name, "default": float(default.test_metrics["score"])}
    for mode, k in (("split", 0), ("folds", folds)):
        swept = sweep(config, subset, seed, default.scenario.name, searches.budget(config, trials), k)
        swept["best_trial"]["score"] = retrain(dataset, sp, swept["best_trial"]["recipe"], cache)
        swept["winner"]["score"] = retrain(dataset, sp, swept["winner"]["recipe"], cache)
        out[mode] = swept
        print(
            f"{name} seed {seed} {mode:<5} {swept['trainings']} trainings {swept['seconds']:.0f}s: best trial "
            f"{swept['best_trial']['score']:.4f}, confirmed {swept['winner']['score']:.4f} "
            f"({swept['winner']['label']}); default {out['default']:.4f}",
            flush=True,
        )
    return out


CHOICES = [
    ("split", "best_trial", "one split, best trial"),
    ("split", "winner", "one split, confirmed"),
    ("folds", "best_trial", "K folds, best trial"),
    ("folds", "winner", "K folds, confirmed"),
]


def report(results: dict) -> str:
    meta = results["meta"]
    seeds, folds = meta["seeds"], meta["folds"]
    lines = [
        f"# How a sweep chooses on small data: one split or {folds} folds, confirmed or not ({meta['date']})",
        "",
        f"`{meta['command']}` on {meta['machine']}; library {meta['commit']}; total {meta['minutes']:.1f} min.",
        f"Seeds {seeds}; {meta['trials']} trials per sweep (a grid: its points); confirmation: the 3 best trials and "
        "the default, 3 more seeds each. Scores: test accuracy or R^2, mean over the seeds, of each choice trained "
        "again on the benchmark split (bench/bench_selection.py's docstring).",
        "",
        "| dataset | default | " + " | ".join(label for _, _, label in CHOICES) + " | trainings: split · folds | "
        "seconds: split · folds (confirmation's share) |",
        "|---|---|" + "---|" * len(CHOICES) + "---|---|",
    ]
    means = {label: [] for _, _, label in CHOICES}
    means["default"] = []
    for name, per_seed in results["datasets"].items():
        runs = [per_seed[str(s)] for s in seeds if str(s) in per_seed]
        if not runs:
            continue
        cells = []
        for mode, choice, label in CHOICES:
            value = statistics.mean(r[mode][choice]["score"] for r in runs)
            means[label].append(value)
            cells.append(f"{value:.4f}")
        default = statistics.mean(r["default"] for r in runs)
        means["default"].append(default)

        def total(mode: str, key: str, runs=runs) -> float:
            return sum(r[mode][key] for r in runs) / len(runs)

        lines.append(
            f"| {name} | {default:.4f} | "
            + " | ".join(cells)
            + f" | {total('split', 'trainings'):.0f} · {total('folds', 'trainings'):.0f} | "
            f"{total('split', 'seconds'):.0f} ({total('split', 'confirmation_seconds'):.0f}) · "
            f"{total('folds', 'seconds'):.0f} ({total('folds', 'confirmation_seconds'):.0f}) |"
        )
    if means["default"]:
        lines.append(
            f"| **mean** | {statistics.mean(means['default']):.4f} | "
            + " | ".join(f"{statistics.mean(means[label]):.4f}" for _, _, label in CHOICES)
            + " | | |"
        )
    lines += ["", "Per seed (test score of the best trial → the confirmed winner; the winner against the default):", ""]
    for name, per_seed in results["datasets"].items():
        for seed, r in per_seed.items():
            for mode in ("split", "folds"):
                s = r[mode]
                lines.append(
                    f"- {name} seed {seed}, {mode}: trial {s['best_trial']['index']} {s['best_trial']['score']:.4f} → "
                    f"{s['winner']['label']} {s['winner']['score']:.4f}; {s['winner']['verdict']}"
                )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import bench_data

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default=",".join(SMALL), help=f"comma-separated, of {','.join(SMALL)}")
    p.add_argument("--seeds", default="0,1", help="comma-separated benchmark and sweep seeds (default 0,1)")
    p.add_argument("--trials", type=int, default=20, help="trials per sweep (default 20, a grid's points at most)")
    p.add_argument("--folds", type=int, default=5, help="K of the cross-validated sweeps (default 5)")
    p.add_argument("--tag", default="selection", help="the result's name: bench/results/<date>-<tag>.{md,json}")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    seeds = [int(s) for s in args.seeds.split(",")]
    start = time.perf_counter()
    meta = bench_data.run_meta("bench_selection.py", argv)
    date = meta["date"]
    results = {
        "meta": {
            **meta,
            "seeds": seeds,
            "trials": args.trials,
            "folds": args.folds,
        },
        "datasets": {},
    }
    stem = HERE / "results" / f"{date}-{args.tag}"
    kept = json.loads(stem.with_suffix(".json").read_text()) if stem.with_suffix(".json").is_file() else None
    same = kept is not None and all(kept["meta"][k] == results["meta"][k] for k in ("trials", "folds", "commit"))
    if same:  # the same library and sweeps: keep its (dataset, seed) results, add the others
        results["datasets"] = kept["datasets"]
        results["meta"]["seeds"] = sorted(set(kept["meta"]["seeds"]) | set(seeds))
        results["meta"]["command"] += f" (added to: {kept['meta']['command']})"
    for name in args.datasets.split(","):
        for seed in seeds:
            if str(seed) in results["datasets"].get(name, {}):
                print(f"{name} seed {seed}: kept", flush=True)
                continue
            results["datasets"].setdefault(name, {})[str(seed)] = bench(name, seed, args.trials, args.folds)
            results["meta"]["minutes"] = (kept["meta"]["minutes"] if same else 0) + (time.perf_counter() - start) / 60
            stem.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))  # a partial result
    bench_data.write_result(stem, report(results), results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
