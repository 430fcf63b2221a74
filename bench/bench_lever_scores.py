"""Scores of recipe levers on bench/run.py's 7 datasets, beside the default recipe (issue 14: keep a
lever only if it helps on the real-data benchmark *and* here).

Each lever is a JSON dict of recipe fields; every dataset is trained with seeds 0, 1, 2 through
`runs.train` (the default recipe of the row the data selects, plus the lever), and scored on the
recipe's test rows (accuracy or R2). Scores only: training here is deterministic, times are not
compared (bench/run.py does that). A lever that does not apply to a dataset (`label_smoothing` on a
regression) is "n/a" there, and its mean is over the datasets where it applies, beside the default's
mean over the same datasets.

    .venv/bin/python bench/bench_lever_scores.py '{"scaling": "robust"}' '{"embedding": "periodic"}'

Writes bench/results/<date>-lever-scores.{md,json}.
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
SEEDS = (0, 1, 2)


def main(argv: list[str] | None = None) -> int:
    import bench_data

    from kerasrecipes import runs
    from kerasrecipes.errors import UserError

    def score(dataset, lever):
        try:
            return statistics.mean(runs.train(dataset, recipe={"seed": s, **lever}, tracking="none",
                                              verbose=0).test_metrics["score"] for s in SEEDS)
        except UserError:
            return None

    levers = [json.loads(text) for text in (sys.argv[1:] if argv is None else argv)]
    if not levers:
        print(__doc__)
        return 2
    variants = [{}, *levers]
    scores: dict[str, list[float | None]] = {}
    for name in bench_data.ALL:
        dataset = bench_data.load(name)
        scores[name] = [score(dataset, lever) for lever in variants]
        print(name, scores[name], flush=True)
    labels = ["default", *(json.dumps(lever) for lever in levers)]
    lines = ["| dataset | " + " | ".join(f"`{label}`" for label in labels) + " |",
             "|---|" + "---:|" * len(labels)]
    for name, row in scores.items():
        lines.append(f"| {name} | {row[0]:.4f} | " + " | ".join("n/a" if v is None else f"{v:.4f} ({v - row[0]:+.4f})"
                                                               for v in row[1:]) + " |")
    means = []
    for i in range(1, len(variants)):
        rows = [row for row in scores.values() if row[i] is not None]
        lever, default = statistics.mean(row[i] for row in rows), statistics.mean(row[0] for row in rows)
        means.append(f"{lever:.4f} vs {default:.4f} ({lever - default:+.4f}; {len(rows)} datasets)")
    everywhere = statistics.mean(row[0] for row in scores.values())
    lines.append(f"| **mean** (lever vs default where it applies) | {everywhere:.4f} | " + " | ".join(means) + " |")
    stamp = _dt.date.today().isoformat()
    command = "python bench/bench_lever_scores.py " + " ".join(f"'{json.dumps(lever)}'" for lever in levers)
    text = "\n".join([f"# Recipe levers on bench/run.py's 7 datasets ({stamp})", "", f"`{command}`; mean test "
                      f"score (accuracy or R2) over seeds {list(SEEDS)}; in brackets the difference to the default.",
                      "", *lines, ""])
    out = HERE / "results" / f"{stamp}-lever-scores"
    bench_data.write_result(out, text, {"levers": labels, "scores": scores})
    return 0


if __name__ == "__main__":
    sys.exit(main())
