"""Prediction benchmark (issue 13): `load_run(...).predict` against a fitted scikit-learn Pipeline.

    .venv/bin/python bench/bench_predict.py                    # 100k rows in memory, latency, 200k/2M-row CSVs
    .venv/bin/python bench/bench_predict.py --csv-rows 0       # skip the CSV memory part

One table with mixed raw columns (8 numeric with 5 % missing cells, 3 text categories of 5, 12 and 40
values with missing cells, a binary text target), 20,000 training rows. Both sides fit on the same
rows: the default recipe through the public API (`kerasrecipes.train`), and a scikit-learn `Pipeline`
(`ColumnTransformer` of median imputation + `StandardScaler` and most-frequent imputation +
`OneHotEncoder`, then `HistGradientBoostingClassifier`). Then, side by side in one process:

- batch throughput: rows/s of `predict` on the same 100,000 raw rows (a DataFrame in memory), the
  median of 5 calls each after one warm-up call;
- single-row latency: the median of 1,000 calls of `predict` with one row (a dict of scalars for the
  run, a one-row DataFrame for the Pipeline, which needs one), after 20 warm-up calls;
- streaming memory: `kerasrecipes predict RUN rows.csv --out p.csv` in a fresh process on CSV files
  of `--csv-rows` sizes, peak RSS (`ru_maxrss` of the child) and rows/s end to end (TensorFlow's
  import and the model's load included).

Goals: throughput >= the Pipeline's; single-row latency <= 5 ms. Results go to bench/results/. Not
part of `make test`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results"
LATENCY_GOAL_MS = 5.0


def make_rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    frame = pd.DataFrame({f"x{i}": np.where(rng.random(n) < 0.05, np.nan, x[:, i]) for i in range(8)})
    for name, k in (("small", 5), ("medium", 12), ("large", 40)):
        values = np.array([f"{name}_{j}" for j in range(k)], dtype=object)[rng.integers(0, k, n)]
        frame[name] = np.where(rng.random(n) < 0.03, None, values)
    signal = x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + (frame["small"] == "small_1") - 0.7 * (frame["medium"] == "medium_3")
    frame["label"] = np.where(signal + 0.5 * rng.normal(size=n) > 0.2, "yes", "no")
    return frame


def sklearn_pipeline():
    from sklearn import compose, ensemble, impute, pipeline, preprocessing

    numeric = [f"x{i}" for i in range(8)]
    categorical = ["small", "medium", "large"]
    columns = compose.ColumnTransformer(
        [
            (
                "numeric",
                pipeline.make_pipeline(impute.SimpleImputer(strategy="median"), preprocessing.StandardScaler()),
                numeric,
            ),
            (
                "categorical",
                pipeline.make_pipeline(
                    impute.SimpleImputer(strategy="most_frequent"),
                    preprocessing.OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ]
    )
    return pipeline.make_pipeline(columns, ensemble.HistGradientBoostingClassifier(random_state=0))


def _median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def in_memory(work: Path) -> dict:
    import kerasrecipes as kr
    from kerasrecipes import data

    train_rows = make_rows(20_000, seed=0)
    train_rows.to_csv(work / "train.csv", index=False)
    kr.train(data.load_csv(work / "train.csv", "label"), out=work / "run", tracking="none", verbose=0)
    run = kr.load_run(work / "run")
    pipe = sklearn_pipeline().fit(train_rows.drop(columns="label"), train_rows["label"])
    rows = make_rows(100_000, seed=1).drop(columns="label")
    run.predict(rows), pipe.predict(rows)  # warm-up
    out = {
        "rows": len(rows),
        "recipe_batch_s": _median_seconds(lambda: run.predict(rows), 5),
        "sklearn_batch_s": _median_seconds(lambda: pipe.predict(rows), 5),
    }
    one_dict = {k: v for k, v in rows.iloc[0].items()}
    one_frame = rows.iloc[:1]
    for _ in range(20):
        run.predict(one_dict), pipe.predict(one_frame)
    out["recipe_latency_ms"] = 1000 * _median_seconds(lambda: run.predict(one_dict), 1000)
    out["recipe_latency_frame_ms"] = 1000 * _median_seconds(lambda: run.predict(one_frame), 1000)
    out["sklearn_latency_ms"] = 1000 * _median_seconds(lambda: pipe.predict(one_frame), 1000)
    agree = run.predict(rows.iloc[:5000]) == pipe.predict(rows.iloc[:5000])
    out["agreement_with_sklearn"] = float(np.mean(agree))
    return out


def streaming(work: Path, sizes: list[int]) -> list[dict]:
    results = []
    for n in sizes:
        path = work / f"rows-{n}.csv"
        for start in range(0, n, 200_000):  # written in chunks: the benchmark itself stays small
            make_rows(min(200_000, n - start), seed=10 + start).drop(columns="label").to_csv(
                path, mode="a", header=start == 0, index=False
            )
        out = work / f"p-{n}.csv"
        code = (
            "import resource, runpy, sys; sys.argv = ['kerasrecipes', 'predict', sys.argv[1], sys.argv[2], "
            "'--out', sys.argv[3]]; from kerasrecipes.cli import main; code = main(sys.argv[1:]); "
            "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)"
        )
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code, str(work / "run"), str(path), str(out)],
            capture_output=True,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        rss_kb = int(next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("RSS")))
        results.append(
            {
                "rows": n,
                "file_mb": path.stat().st_size / 2**20,
                "seconds": seconds,
                "rows_per_s": n / seconds,
                "peak_rss_mb": rss_kb / 1024,
                "lines_out": sum(1 for _ in open(out)) - 1,
            }
        )
        path.unlink()
        out.unlink()
    return results


def render(memory: dict, csv: list[dict], stamp: str) -> str:
    rec_tp, sk_tp = memory["rows"] / memory["recipe_batch_s"], memory["rows"] / memory["sklearn_batch_s"]
    lines = [
        f"# Prediction benchmark, {stamp}",
        "",
        f"`python bench/bench_predict.py` on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| | kerasrecipes `load_run(...).predict` | scikit-learn Pipeline (one-hot + HistGradientBoosting) | "
        "ratio | goal |",
        "|---|---:|---:|---:|---|",
        f"| batch throughput, {memory['rows']:,} rows in memory | {rec_tp:,.0f} rows/s | {sk_tp:,.0f} rows/s | "
        f"{rec_tp / sk_tp:.2f}x | >= 1x: {'met' if rec_tp >= sk_tp else 'NOT met'} |",
        f"| single-row latency (median of 1,000) | {memory['recipe_latency_ms']:.3f} ms (dict) / "
        f"{memory['recipe_latency_frame_ms']:.3f} ms (1-row DataFrame) | {memory['sklearn_latency_ms']:.3f} ms | "
        f"{memory['recipe_latency_ms'] / memory['sklearn_latency_ms']:.2f}x | <= {LATENCY_GOAL_MS:g} ms: "
        f"{'met' if memory['recipe_latency_ms'] <= LATENCY_GOAL_MS else 'NOT met'} |",
        "",
        f"Labels agree with the Pipeline's on {memory['agreement_with_sklearn']:.1%} of 5,000 rows.",
        "",
    ]
    if csv:
        lines += [
            "`kerasrecipes predict RUN rows.csv --out p.csv` in a fresh process (TensorFlow import and model "
            "load included):",
            "",
            "| rows | file | peak RSS | end to end | rows/s |",
            "|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['rows']:,} | {r['file_mb']:.0f} MiB | {r['peak_rss_mb']:.0f} MiB | {r['seconds']:.1f} s | "
            f"{r['rows_per_s']:,.0f} |"
            for r in csv
        ]
        if len(csv) > 1:
            lines += [
                "",
                f"Peak RSS, {csv[-1]['rows']:,} / {csv[0]['rows']:,} rows: "
                f"{csv[-1]['peak_rss_mb'] / csv[0]['peak_rss_mb']:.3f}",
            ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", default="200000,2000000", help="CSV sizes for the streaming part (0: none)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sizes = [int(s) for s in args.csv_rows.split(",") if int(s) > 0]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        memory = in_memory(work)
        csv = streaming(work, sizes)
    stamp = _dt.date.today().isoformat()
    report = render(memory, csv, stamp)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stamp}-predict.md").write_text(report)
    (RESULTS / f"{stamp}-predict.json").write_text(json.dumps({"in_memory": memory, "csv": csv}, indent=2) + "\n")


if __name__ == "__main__":
    main()
