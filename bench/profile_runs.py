"""pyinstrument profiles of one `runs.train("iris", ...)` and one hand-written Keras fit on iris.

Both run after a warm-up fit (TensorFlow's one-time start-up is not in either profile), on the
same seed-0 split. Writes bench/results/profile-<date>-{recipe,hand_keras}.txt and prints
the top of each.

    .venv/bin/python bench/profile_runs.py
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

RESULTS = Path(__file__).resolve().parent / "results"


def warm_up() -> None:
    import keras
    import numpy as np

    x = np.zeros((64, 4), "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(x, x[:, :2], epochs=2, validation_split=0.25, verbose=0)
    model.predict(x, verbose=0)


def profile(label: str, fn, stamp: str) -> dict:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    start = time.perf_counter()
    profiler.start()
    fn()
    profiler.stop()
    seconds = time.perf_counter() - start
    RESULTS.mkdir(exist_ok=True)
    tree = profiler.output_text(unicode=False, color=False)
    flat = profiler.output_text(unicode=False, color=False, flat=True)
    keras_frames = profiler.output_text(
        unicode=False,
        color=False,
        processor_options={
            "filter_threshold": 0.02,  # nodes under 2 % of the total are dropped
            "show_regex": r".*(keras/src/(backend/tensorflow/trainer|trainers/|callbacks/|models/)|"
            r"kerasrecipes/|tensorflow/python/data/ops/iterator_ops|autograph/impl/api).*",
        },
    )
    text = "\n".join(
        [
            "## call tree (library frames folded)",
            tree,
            "## flat: self time per function",
            "\n".join(flat.splitlines()[:45]),
            "## call tree with Keras' trainer, callbacks, tf.data iterators and autograph shown (>= 2 %)",
            keras_frames,
        ]
    )
    (RESULTS / f"profile-{stamp}-{label}.txt").write_text(text)
    return {"label": label, "seconds": seconds, "text": text, "tree": tree, "flat": flat, "keras_tree": keras_frames}


def main(stamp: str | None = None) -> list[dict]:
    import bench_data
    from baselines import run_hand_keras

    from kerasrecipes import runs

    stamp = stamp or _dt.date.today().isoformat()
    warm_up()
    dataset = bench_data.load("iris")
    sp = bench_data.split(dataset, bench_data.task_of(dataset), 0)
    out = [
        profile("recipe", lambda: runs.train(dataset, recipe={"seed": 0}, tracking="none", verbose=0), stamp),
        profile("hand_keras", lambda: run_hand_keras(sp), stamp),
    ]
    return out


if __name__ == "__main__":
    for result in main():
        print(f"==== {result['label']}: {result['seconds']:.2f} s")
        print(result["tree"])
        print("\n".join(result["flat"].splitlines()[:30]))
