"""W&B tracking: each epoch logged under WandbMetricsLogger's names, the test metrics in the summary, the
model and manifest as a "model" artifact, in a worker process of its own, and failures never hidden."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from kerasrecipes import runs
from kerasrecipes.errors import UserError
from kerasrecipes.runs import tracking


def _records(run_dir):
    """The bytes of the one offline W&B run under `run_dir` (its .wandb log holds every record)."""
    offline = list((run_dir / "wandb").glob("offline-run-*"))
    assert len(offline) == 1
    return next(offline[0].glob("run-*.wandb")).read_bytes()


def test_an_offline_run_logs_epochs_summary_and_the_model_as_an_artifact(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    runs.train("iris", recipe={"epochs": 2, "seed": 1}, out=tmp_path / "iris-run", tracking="offline", verbose=0)
    log = _records(tmp_path / "iris-run")
    for key in (b"epoch/epoch", b"epoch/val_loss", b"epoch/learning_rate", b"test/accuracy"):
        assert key in log, key
    assert b"model-iris-run" in log  # the artifact, of type "model", with both files
    assert b"model.keras" in log and b"manifest.json" in log
    assert not (tmp_path / "iris-run.partial").exists()


def test_numpy_values_reach_the_wandb_run(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    tracker = tracking.Tracker("offline", tmp_path, {"units": np.int64(8)}, "direct", None)
    tracker.log({"epoch/loss": np.float32(0.25), "epoch/epoch": np.int64(0)})
    tracker.finish({"test/accuracy": np.float32(0.5)})
    log = _records(tmp_path)
    assert b"epoch/loss" in log and b"test/accuracy" in log


def test_artifact_names_keep_only_what_wandb_allows():
    assert tracking.artifact_name("iris seed#42") == "model-iris_seed_42"
    assert tracking.artifact_name("wine-seed42.v1") == "model-wine-seed42.v1"


def test_none_tracks_nothing_and_auto_follows_wandb_mode(tmp_path, monkeypatch):
    assert tracking.start("none", tmp_path, None, "x", None) is None
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert tracking.tracking_mode("auto") == "none"
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert tracking.tracking_mode("auto") == "offline"


def test_a_wandb_start_failure_is_raised_not_swallowed(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_PROJECT", "bad/project")  # wandb.init refuses it, in the worker process
    with pytest.raises(UserError, match="W&B refused to start: UsageError: Invalid project name.*--tracking none"):
        runs.train("iris", recipe={"epochs": 1}, out=tmp_path / "run", tracking="offline", verbose=0)
    assert not (tmp_path / "run").exists()  # no run directory claims a tracked run that was not


def test_a_worker_that_dies_is_reported_with_its_last_words(tmp_path, monkeypatch):
    monkeypatch.setattr(tracking, "WORKER", [sys.executable, "-c", "import sys; sys.exit('no wandb here')"])
    with pytest.raises(RuntimeError, match="ended.*exit code 1.*no wandb here"):
        runs.train("iris", recipe={"epochs": 1}, out=tmp_path / "run", tracking="offline", verbose=0)


def test_a_training_error_ends_the_wandb_run_as_failed(tmp_path, monkeypatch):
    import keras

    aborted = []
    real_abort = tracking.Tracker.abort
    monkeypatch.setattr(tracking.Tracker, "abort", lambda self: (aborted.append(self.name), real_abort(self)))

    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:  # after the first epoch's checkpoint: the partial run is kept to resume
                raise ArithmeticError("injected")

    with pytest.raises(ArithmeticError):
        runs.train(
            "iris",
            recipe={"epochs": 3},
            out=tmp_path / "run",
            tracking="offline",
            verbose=0,
            callbacks=[Boom()],
            checkpoint_every=1e-6,
        )
    assert aborted == ["run"]
    assert b"epoch/" in _records(tmp_path / "run.partial")  # what was logged before the crash is on disk


def test_the_next_run_in_a_process_reuses_the_worker_unless_wandbs_environment_changed(tmp_path, monkeypatch):
    """A finished run's worker serves the next tracked run (W&B imported and set up already); each run
    is complete in its own directory. A changed `WANDB_*` value gets a new worker, which reads it."""
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setattr(tracking, "_spare", None)
    runs.train("iris", recipe={"epochs": 2, "seed": 1}, out=tmp_path / "first", tracking="offline", verbose=0)
    worker = tracking._spare
    assert worker is not None and worker.poll() is None
    runs.train("iris", recipe={"epochs": 2, "seed": 2}, out=tmp_path / "second", tracking="offline", verbose=0)
    assert tracking._spare is worker
    for name in ("first", "second"):
        log = _records(tmp_path / name)
        assert b"epoch/val_loss" in log and f"model-{name}".encode() in log
    monkeypatch.setenv("WANDB_TAGS", "changed")
    runs.train("iris", recipe={"epochs": 1}, out=tmp_path / "third", tracking="offline", verbose=0)
    assert tracking._spare is not worker and worker.wait(timeout=60) == 0
    assert b"changed" in _records(tmp_path / "third")
    tracking._close_spare()
