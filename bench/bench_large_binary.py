"""Recipe levers on large binary data beyond bench/run.py's one such set (make_classification).

The binary-large-dataset row serves every binary table with at least 10,000 training rows; of the
benchmark sets only make_classification is one, and no real-data set is (bench/real_data.py). A
default chosen on one dataset could fit that dataset alone, so a lever for this row is also
measured here on five other scikit-learn generators of 30,000 rows each (none of them
make_classification with bench/run.py's parameters). Scores only (accuracy on the recipe's test
rows, mean over seeds 0 and 1) and epochs; times are bench/run.py's.

    .venv/bin/python bench/bench_large_binary.py '{"dropout": 0.1}'

Writes bench/results/<date>-large-binary.{md,json}.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
SEEDS = (0, 1)


def datasets() -> dict:
    from sklearn import datasets as sk

    return {
        "classification_20f": sk.make_classification(30000, 20, n_informative=8, random_state=1),
        "classification_60f_noisy": sk.make_classification(30000, 60, n_informative=20, flip_y=0.05, random_state=2),
        "moons": sk.make_moons(30000, noise=0.35, random_state=3),
        "hastie_10_2": sk.make_hastie_10_2(30000, random_state=4),
        "gaussian_quantiles": sk.make_gaussian_quantiles(n_samples=30000, n_features=6, n_classes=2, random_state=5),
    }


def main(argv: list[str] | None = None) -> int:
    import bench_data

    from kerasrecipes import runs

    levers = [json.loads(text) for text in (sys.argv[1:] if argv is None else argv)]
    variants = [{}, *levers]
    rows = []
    for name, (X, y) in datasets().items():
        row = {"dataset": name, "scores": [], "epochs": []}
        for lever in variants:
            results = [runs.train(X.astype("float32"), y, recipe={"seed": s, **lever}, tracking="none", verbose=0)
                       for s in SEEDS]
            assert all(r.scenario.name == "binary-large-dataset" for r in results)
            row["scores"].append(statistics.mean(r.test_metrics["score"] for r in results))
            row["epochs"].append(statistics.mean(len(r.history["loss"]) for r in results))
        rows.append(row)
        print(json.dumps(row), flush=True)
    labels = ["default", *(json.dumps(lever) for lever in levers)]
    table = ["| dataset (30,000 rows) | " + " | ".join(f"`{label}`" for label in labels) + " |",
             "|---|" + "---:|" * len(labels)]
    for row in rows:
        s, e = row["scores"], row["epochs"]
        table.append(f"| {row['dataset']} | {s[0]:.4f} ({e[0]:.0f} ep.) | " + " | ".join(
            f"{v:.4f} ({v - s[0]:+.4f}, {n:.0f} ep.)" for v, n in zip(s[1:], e[1:])) + " |")
    means = [statistics.mean(r["scores"][i] for r in rows) for i in range(len(variants))]
    table.append("| **mean** | " + " | ".join(f"{m:.4f}" for m in means) + " |")
    stamp = _dt.date.today().isoformat()
    out = HERE / "results" / f"{stamp}-large-binary"
    command = "python bench/bench_large_binary.py " + " ".join(f"'{label}'" for label in labels[1:])
    text = "\n".join([f"# Levers on large binary data ({stamp})", "",
                      f"`{command}`; accuracy on the recipe's test rows, mean over seeds {list(SEEDS)}; "
                      "in brackets the difference to the default and the mean epochs trained.", "", *table, ""])
    bench_data.write_result(out, text, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
