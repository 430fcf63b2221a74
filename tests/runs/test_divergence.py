"""Divergence: a NaN/inf loss stops training, keeps the best finite weights, and says so."""

import json

import keras
import numpy as np
import pytest

from kerasrecipes import cli, runs


def test_learning_rate_10_diverges_cleanly(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main(
        [
            "train",
            "--dataset",
            "diabetes",
            "--out",
            str(out),
            "--tracking",
            "none",
            "--quiet",
            "--set",
            "learning_rate=10",
            "--set",
            "optimizer=sgd",
        ]
    )
    err = capsys.readouterr().err
    assert code == cli.EXIT_DIVERGED == 3
    assert "training diverged" in err and "Lower the learning rate" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "diverged" and manifest["training"]["stop_reason"] == "nan"
    assert manifest["diagnosis"]["verdict"] == "diverged"
    assert any("Gradient clipping" in r[1] for r in manifest["diagnosis"]["remedies"])
    assert "Lower the learning rate" in (out / "diagnosis.txt").read_text()
    assert np.isfinite(manifest["test_metrics"]["loss"])  # initial weights kept, not NaN ones
    assert cli.main(["reproduce", str(out)]) == 0


class PoisonAtEpoch(keras.callbacks.Callback):
    """Turns the first kernel into NaN at the end of epoch `at` (so the next epoch's loss is NaN)."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            weights = self.model.get_weights()
            weights[0] = np.full_like(weights[0], np.nan)
            self.model.set_weights(weights)


@pytest.mark.parametrize("early_stopping", [True, False])
def test_nan_mid_run_keeps_the_best_finite_weights(early_stopping):
    result = runs.train(
        "iris",
        recipe={"epochs": 10, "early_stopping": early_stopping},
        tracking="none",
        verbose=0,
        callbacks=[PoisonAtEpoch(3)],
    )
    assert result.manifest["status"] == "diverged" and result.manifest["training"]["stop_reason"] == "nan"
    assert len(result.history["loss"]) == 5  # epoch 4 (0-based) came out NaN, then training stopped
    assert all(np.all(np.isfinite(w)) for w in result.model.get_weights())
    best = result.manifest["training"]["best_epoch"]
    assert best is not None and best <= 3
    assert np.isfinite(result.test_metrics["accuracy"])
