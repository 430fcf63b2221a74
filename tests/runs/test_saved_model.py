"""The saved model is the whole pipeline: `model.keras` takes the raw rows and gives the run's test
predictions (class probabilities, or the regression value in original units) bit for bit, on every
kind of data a run can train on."""

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import data, train
from kerasrecipes.runs import _evaluate, rundir
from kerasrecipes.streaming import CsvStream


def _csv(path, n=400, seed=0):
    """Numbers with missing cells, a text category with missing cells, a string label."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    color = rng.choice(["red", "green", "blue", None], n)
    frame = pd.DataFrame(
        {
            "x0": np.where(rng.random(n) < 0.1, np.nan, x[:, 0]),
            "x1": x[:, 1],
            "color": color,
            "label": np.where(x[:, 0] + (color == "red") > 0.3, "yes", "no"),
        }
    )
    frame.to_csv(path, index=False)
    return path


SOURCES = {
    "csv": lambda tmp: data.load_csv(_csv(tmp / "people.csv"), "label"),
    "csv-stream": lambda tmp: CsvStream(_csv(tmp / "people.csv"), "label", shuffle_buffer=100),
    "bundled": lambda tmp: "wine",
    "arrays": lambda tmp: data.array_dataset(
        "arrays", np.random.default_rng(1).normal(size=(120, 3)), np.random.default_rng(2).normal(size=120) * 50 + 300
    ),
    "images": lambda tmp: "digits_images",
    "sequences": lambda tmp: "digits_sequences",
}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_model_keras_on_raw_test_rows_gives_the_runs_predictions_bit_for_bit(kind, tmp_path):
    result = train(SOURCES[kind](tmp_path), recipe={"epochs": 2}, out=tmp_path / "run", tracking="none", verbose=0)
    loaded = rundir.load_saved_model(tmp_path / "run" / "model.keras")  # Keras' safe mode: no pickle, no code
    assert _evaluate.saved_predictions(loaded, result.data)[0] == result.manifest["predictions_sha256"]
    raw = next(iter(result.data.raw_test_batches(8)))
    inputs = loaded.inputs if isinstance(loaded.inputs, list) else [loaded.inputs]
    outputs = np.asarray(loaded({k: np.asarray(v) for k, v in raw.items()} if isinstance(raw, dict) else raw))
    if result.data.task == "regression":  # original units, not z-scores
        assert outputs.shape == (8, 1) and abs(outputs.mean()) > 100
    else:  # one probability per class
        assert outputs.shape == (8, len(result.data.classes)) and np.allclose(outputs.sum(axis=1), 1, atol=1e-5)
    assert all(i.dtype in ("float32", "string") for i in inputs)
