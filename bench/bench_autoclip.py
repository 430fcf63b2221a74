"""Benchmark: AutoClip's per-step cost against fixed global-norm clipping and no clipping.

Run from the repository root (not collected by pytest):

    KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_autoclip.py

Each configuration gets its own model, built and compiled once, with clipping configured at build
time by `apply_clipping` (as the model factory does), so the train function is traced once in a
warm-up epoch. Then the configurations take turns (in a rotating order), one epoch each, for
`--repeats` rounds; the time between `on_epoch_begin` and `on_epoch_end` divided by the number of
steps is one sample. The table reports the median and min ms/step and the overhead against fixed
clipping as the median over rounds of the paired ratio (same round, so a burst of load from other
processes on a shared machine hits both sides).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kerasrecipes.callbacks import apply_clipping  # noqa: E402

CONFIGS = [  # (label, mode, keyword arguments of apply_clipping)
    ("no clipping", "none", {}),
    ("global_norm (fixed)", "global_norm", {"value": 1.0}),
    ("autoclip (window=None: 10,000)", "autoclip", {"percentile": 10.0}),
    ("autoclip (window=1,000)", "autoclip", {"percentile": 10.0, "window": 1000}),
]


class StepTimer(keras.callbacks.Callback):
    """ms per step of each epoch, timed between on_epoch_begin and on_epoch_end."""

    def __init__(self):
        super().__init__()
        self.samples = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.samples.append(1000.0 * (time.perf_counter() - self._start) / self.params["steps"])


def mlp(mode, kwargs):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((50,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    optimizer = keras.optimizers.Adam(1e-3)
    apply_clipping(optimizer, mode, **kwargs)
    model.compile(optimizer, "mse")
    return model


def lstm(mode, kwargs):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((20, 16)), keras.layers.LSTM(64), keras.layers.Dense(1)])
    optimizer = keras.optimizers.Adam(1e-3)
    apply_clipping(optimizer, mode, **kwargs)
    model.compile(optimizer, "mse")
    return model


WORKLOADS = {  # name: (builder, x shape, batch size)
    "MLP 50-256-256-1, 20k x 50, batch 256": (mlp, (20_000, 50), 256),
    "LSTM(64), 4k x 20 x 16, batch 128": (lstm, (4_000, 20, 16), 128),
}


def run(workload: str, repeats: int) -> list[tuple[str, float, float, float]]:
    """Per configuration: median ms/step, min ms/step, median paired overhead vs fixed clipping."""
    build, shape, batch_size = WORKLOADS[workload]
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    y = rng.normal(size=(shape[0], 1)).astype("float32")
    runs = []
    for label, mode, kwargs in CONFIGS:
        model, timer = build(mode, kwargs), StepTimer()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)  # warm-up: trace and compile
        runs.append((label, model, timer))
    for round_ in range(repeats):
        shift = round_ % len(runs)  # rotate the order so no configuration always runs first
        for _label, model, timer in runs[shift:] + runs[:shift]:
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, callbacks=[timer])
    fixed = dict((label, timer.samples) for label, _, timer in runs)["global_norm (fixed)"]
    rows = []
    for label, _, timer in runs:
        paired = statistics.median(t / f - 1.0 for t, f in zip(timer.samples, fixed))
        rows.append((label, statistics.median(timer.samples), min(timer.samples), paired))
    return rows


def table(workload: str, rows) -> str:
    lines = [
        f"\n{workload}",
        "| configuration | median ms/step | min ms/step | overhead vs fixed clipping |",
        "|---|---:|---:|---:|",
    ]
    for label, median, fastest, paired in rows:
        lines.append(f"| {label} | {median:.3f} | {fastest:.3f} | {100.0 * paired:+.1f}% |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed epochs per configuration")
    parser.add_argument(
        "--workload",
        choices=sorted(WORKLOADS),
        action="append",
        help="run only this workload (repeatable); default: all",
    )
    args = parser.parse_args()
    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPU(s), "
        f"{args.repeats} timed epochs per configuration"
    )
    for workload in args.workload or list(WORKLOADS):
        print(table(workload, run(workload, args.repeats)), flush=True)


if __name__ == "__main__":
    main()
