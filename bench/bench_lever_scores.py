"""Scores of recipe levers beside the default recipe, on one set of datasets (issue 14: keep a lever
only if it helps on the real-data benchmark *and* here).

`--datasets benchmark` (the default): bench/run.py's 7 datasets, seeds 0, 1, 2.
`--datasets large-binary`: five scikit-learn generators of 30,000 rows each (none of them
make_classification with bench/run.py's parameters), seeds 0 and 1. The binary-large-dataset row
serves every binary table with at least 10,000 training rows; of the benchmark sets only
make_classification is one, and no real-data set is (bench/real_data.py), so a default chosen for
this row on that one dataset could fit it alone: these five check it. Every run there must select
that row.

Each lever is a JSON dict of recipe fields; every dataset is trained with each seed through
`runs.train` (the default recipe of the row the data selects, plus the lever), and scored on the
recipe's test rows (accuracy or R2); in brackets the difference to the default, the mean epochs
trained and the median wall seconds of one `runs.train` call (after one warm-up run on other data;
tracing included: each graph is traced once per process, so with one seed every run pays it; on
shared cores the seconds are indicative,
bench/run.py compares times against baselines). A lever that does not apply to a dataset
(`label_smoothing` on a regression) is "n/a" there, and its mean is over the datasets where it applies,
beside the default's mean over the same datasets.

    .venv/bin/python bench/bench_lever_scores.py '{"scaling": "robust"}' '{"embedding": "periodic"}'
    .venv/bin/python bench/bench_lever_scores.py --datasets large-binary '{"dropout": 0.0}'
    .venv/bin/python bench/bench_lever_scores.py --seeds 0 --tag tabm '{"ensemble": 8, "ensemble_kind": "tabm_mini"}'

Writes bench/results/<date>-lever-scores[-<set>][-<tag>].{md,json} (`-large-binary` for that set).
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


def benchmark_sets() -> dict:
    import bench_data

    return {name: (bench_data.load(name),) for name in bench_data.ALL}


def large_binary_sets() -> dict:
    from sklearn import datasets as sk

    made = {
        "classification_20f": sk.make_classification(30000, 20, n_informative=8, random_state=1),
        "classification_60f_noisy": sk.make_classification(30000, 60, n_informative=20, flip_y=0.05, random_state=2),
        "moons": sk.make_moons(30000, noise=0.35, random_state=3),
        "hastie_10_2": sk.make_hastie_10_2(30000, random_state=4),
        "gaussian_quantiles": sk.make_gaussian_quantiles(n_samples=30000, n_features=6, n_classes=2, random_state=5),
    }
    return {name: (X.astype("float32"), y) for name, (X, y) in made.items()}


SETS = {  # name: (datasets, seeds, the row every run must select or None, title)
    "benchmark": (benchmark_sets, (0, 1, 2), None, "bench/run.py's 7 datasets"),
    "large-binary": (large_binary_sets, (0, 1), "binary-large-dataset", "large binary data (30,000 rows each)"),
}


def main(argv: list[str] | None = None) -> int:
    import bench_data
    import numpy as np

    from kerasrecipes import runs
    from kerasrecipes.errors import UserError

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", choices=sorted(SETS), default="benchmark")
    p.add_argument("--seeds", help="comma-separated seeds (default: the set's)")
    p.add_argument("--tag", help="file-name suffix of the results")
    p.add_argument("levers", nargs="*", help="JSON dicts of recipe fields")
    args = p.parse_args(argv)
    if not args.levers:
        print(__doc__)
        return 2
    load, seeds, row_name, title = SETS[args.datasets]
    seeds = tuple(int(s) for s in args.seeds.split(",")) if args.seeds else seeds

    def measure(data, lever):
        """(mean score, mean epochs, median seconds) over the seeds; None where the lever does not apply."""
        results, seconds = [], []
        try:
            for s in seeds:
                start = time.perf_counter()
                results.append(runs.train(*data, recipe={"seed": s, **lever}, tracking="none", verbose=0))
                seconds.append(time.perf_counter() - start)
        except UserError:
            return None
        if row_name is not None:
            assert all(r.scenario.name == row_name for r in results), [r.scenario.name for r in results]
        return (
            statistics.mean(r.test_metrics["score"] for r in results),
            statistics.mean(len(r.history["loss"]) for r in results),
            statistics.median(seconds),
        )

    load_start = [round(x, 2) for x in os.getloadavg()]
    warm_up = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")  # a graph no dataset here has
    runs.train(warm_up, warm_up[:, 0], recipe={"epochs": 1}, tracking="none", verbose=0)  # the process' first-run costs
    levers = [json.loads(text) for text in args.levers]
    variants = [{}, *levers]
    scores: dict[str, list] = {}
    for name, data in load().items():
        scores[name] = [measure(data, lever) for lever in variants]
        print(name, scores[name], flush=True)
    labels = ["default", *(json.dumps(lever) for lever in levers)]
    lines = ["| dataset | " + " | ".join(f"`{label}`" for label in labels) + " |", "|---|" + "---:|" * len(labels)]
    for name, row in scores.items():
        (base, epochs, seconds), rest = row[0], row[1:]
        lines.append(
            f"| {name} | {base:.4f} ({epochs:.0f} ep., {seconds:.1f} s) | "
            + " | ".join(
                "n/a" if v is None else f"{v[0]:.4f} ({v[0] - base:+.4f}, {v[1]:.0f} ep., {v[2]:.1f} s)" for v in rest
            )
            + " |"
        )
    means = []
    for i in range(1, len(variants)):
        rows = [row for row in scores.values() if row[i] is not None]
        lever, default = statistics.mean(row[i][0] for row in rows), statistics.mean(row[0][0] for row in rows)
        means.append(f"{lever:.4f} vs {default:.4f} ({lever - default:+.4f}; {len(rows)} datasets)")
    everywhere = statistics.mean(row[0][0] for row in scores.values())
    lines.append(f"| **mean** (lever vs default where it applies) | {everywhere:.4f} | " + " | ".join(means) + " |")
    stamp = _dt.date.today().isoformat()
    option = "" if args.datasets == "benchmark" else f" --datasets {args.datasets}"
    option += (f" --seeds {args.seeds}" if args.seeds else "") + (f" --tag {args.tag}" if args.tag else "")
    command = f"python bench/bench_lever_scores.py{option} " + " ".join(f"'{json.dumps(lever)}'" for lever in levers)
    load_now = [round(x, 2) for x in os.getloadavg()]
    text = "\n".join(
        [
            f"# Recipe levers on {title} ({stamp})",
            "",
            f"`{command}`; mean test score (accuracy or R2) over seeds {list(seeds)}; in brackets the "
            "difference to the default, the mean epochs trained and the median wall seconds of one run "
            f"({os.cpu_count()} CPUs, load average {load_start} at the start, {load_now} at the end; "
            f"commit {bench_data.source_commit(HERE.parent)}).",
            "",
            *lines,
            "",
        ]
    )
    suffix = ("" if args.datasets == "benchmark" else "-" + args.datasets) + (f"-{args.tag}" if args.tag else "")
    out = HERE / "results" / f"{stamp}-lever-scores{suffix}"
    bench_data.write_result(out, text, {"levers": labels, "seeds": list(seeds), "scores": scores})
    return 0


if __name__ == "__main__":
    sys.exit(main())
