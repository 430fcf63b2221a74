"""What recording every compiled metric costs the fast road (issue 14, item 4).

    .venv/bin/python bench/bench_metrics.py

The fast road updates the metrics a row compiles (binary: accuracy and AUC; regression: MAE and
RMSE; multiclass: accuracy) inside its compiled epoch, as `model.fit` does. Side by side in one
process, the same model on the same data is trained twice on the fast road (`engine.fast_fit`,
early stopping off): compiled with the row's metrics, and with its first metric only (what the fast
road recorded before). Each variant: the first epoch (trace + graph set-up) and the median of the
other epochs, over 3 repetitions (best of the medians). Results go to bench/results/. Not part of
`make test`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
CASES = (("iris", {}), ("breast_cancer", {}), ("digits", {}), ("diabetes", {}), ("friedman1", {"n_samples": 20_000}))
EPOCHS = 30


def _time(dataset, n_samples, metrics_kept: str) -> tuple[float, float, list[str]]:
    import keras

    from kerasrecipes import data, recipes
    from kerasrecipes.data._sources import InMemory
    from kerasrecipes.recipes._build import build_model
    from kerasrecipes.runs.fast_road import _traces, engine
    from kerasrecipes.seeding import set_seed

    ds = data.load_dataset(dataset, **({"n_samples": n_samples} if n_samples else {}))
    recipe = recipes.Recipe(epochs=EPOCHS, early_stopping=False)
    prepared = InMemory(ds).prepare(recipe, task="auto")
    info = prepared.target_info()
    row = recipes._task._row_for("auto", info)
    resolved = recipe.resolved(row, dataset_size=recipes.dataset_size(sum(prepared.n_rows.values())))
    keras.backend.clear_session(free_memory=False)
    _traces.clear()  # every repetition traces its epoch, as the first epoch's time says
    set_seed(0)
    model = build_model(resolved, prepared.input_shape, target=info)
    if metrics_kept == "first":
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=model.head.metrics[:1])
    stamps = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            stamps.append(time.perf_counter())

    start = time.perf_counter()
    history = engine.fast_fit(
        model,
        prepared.X_train,
        prepared.y_train,
        validation_data=(prepared.X_val, prepared.y_val),
        epochs=EPOCHS,
        batch_size=resolved.batch_size,
        seed=0,
        callbacks=[Clock()],
    )
    gaps = np.diff(stamps)
    return stamps[0] - start, float(np.median(gaps)), sorted(k for k in history if not k.startswith("val_"))


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    rows = []
    for dataset, kwargs in CASES:
        result = {"dataset": dataset}
        for variant in ("all", "first"):
            runs = [_time(dataset, kwargs.get("n_samples"), variant) for _ in range(3)]
            result[variant] = {
                "first_epoch_s": min(r[0] for r in runs),
                "epoch_ms": 1000 * min(r[1] for r in runs),
                "metrics": runs[0][2],
            }
        result["ratio"] = result["all"]["epoch_ms"] / result["first"]["epoch_ms"]
        rows.append(result)
        print(json.dumps(result))
    stamp = _dt.date.today().isoformat()
    lines = [
        f"# Every compiled metric on the fast road, {stamp}",
        "",
        "`python bench/bench_metrics.py`: median "
        f"epoch time over {EPOCHS} epochs (best of 3), fast road, early stopping off.",
        "",
        "| dataset | recorded | ms/epoch | first epoch | one metric only | ms/epoch | first epoch | ratio |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        a, f = r["all"], r["first"]
        lines.append(
            f"| {r['dataset']} | {', '.join(a['metrics'])} | {a['epoch_ms']:.2f} | {a['first_epoch_s']:.2f} s "
            f"| {', '.join(f['metrics'])} | {f['epoch_ms']:.2f} | {f['first_epoch_s']:.2f} s | "
            f"{r['ratio']:.2f} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stamp}-metrics.md").write_text(report)
    (RESULTS / f"{stamp}-metrics.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
