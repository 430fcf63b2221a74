"""Cross-validated sweeps and runs (`--cv K`): every trial trains on the same K folds and is judged by their mean."""

import csv
import json
import os
import signal
import subprocess
import sys
import types

import numpy as np
import pytest
import yaml

from kerasrecipes import cli, runs
from kerasrecipes.runs import tracking
from kerasrecipes.runs._cross_validate import mean_and_spread
from kerasrecipes.tuning.runner import run_sweep

GRID = """
name: cv-grid
method: grid
metric: {name: epoch/val_loss, goal: minimize}
parameters:
  units: {value: 4}
  learning_rate: {values: [0.01, 0.03]}
  epochs: {value: 1}
command: [python, -m, kerasrecipes, train, --dataset, iris, --cv=2, '${args}']
"""
CLI = ["--seed", "3", "--confirm", "0", "--tracking", "none", "--quiet"]


@pytest.fixture(scope="module")
def cv_sweep(tmp_path_factory):
    """GRID (2 trials, 2 folds from the YAML's command, 1 epoch, seed 3), unconfirmed: the reference of the rerun
    and of the resumed sweep. Its trials differ in their learning rate alone: every fold of every trial (and `train
    --cv` with units 4) trains one graph, traced once in this process."""
    folder = tmp_path_factory.mktemp("cv")
    (folder / "cv.yaml").write_text(GRID)
    return run_sweep(str(folder / "cv.yaml"), seed=3, out=folder / "one", tracking="none", verbose=0, confirm=0)


def _manifest(out, trial, fold):
    return json.loads((out / "trials" / f"trial-{trial:03d}" / f"fold-{fold}" / "manifest.json").read_text())


def _best_val_loss(out, trial, fold):
    rows = csv.DictReader((out / "trials" / f"trial-{trial:03d}" / f"fold-{fold}" / "history.csv").open())
    return min(float(r["val_loss"]) for r in rows)


def test_every_trial_trains_on_the_same_folds_and_is_judged_by_their_mean(cv_sweep):
    result, out = cv_sweep, cv_sweep.out
    assert result.folds == 2 and [t.folds for t in result.trials] == [2, 2]
    fingerprints = {(i, f): _manifest(out, i, f)["data"]["fingerprint"] for i in (0, 1) for f in (0, 1)}
    assert fingerprints[0, 0] == fingerprints[1, 0] and fingerprints[0, 1] == fingerprints[1, 1]  # the same folds
    assert fingerprints[0, 0] != fingerprints[0, 1]  # that are different rows
    for trial in result.trials:
        recipes = [_manifest(out, trial.index, f)["recipe"] for f in (0, 1)]
        assert [(r["seed"], r["split_seed"], r["folds"], r["fold"]) for r in recipes] == [
            (trial.seed, 3, 2, 0),
            (trial.seed, 3, 2, 1),
        ]  # only the initialization follows the trial
        assert trial.fold_metrics == [_best_val_loss(out, trial.index, f) for f in (0, 1)]
        assert (trial.metric, trial.metric_std) == mean_and_spread(trial.fold_metrics)
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert list(rows[0])[:7] == ["index", "seed", "state", "metric", "metric_std", "fold_0", "fold_1"]
    assert [float(r["fold_1"]) for r in rows] == [t.fold_metrics[1] for t in result.trials]
    best = yaml.safe_load((out / "best_recipe.yaml").read_text())
    assert (best["folds"], best["fold"], best["split_seed"]) == (None, None, 3)  # retrains on one split
    assert result.summary()["best"]["folds"] == result.best.fold_metrics
    report = (out / "report.html").read_text()  # the fold scores and fold 0's learning curves
    assert "<th>fold 1</th>" in report and "the mean over 2 folds" in report and "No learning curves" not in report


def test_the_confirmation_retrains_every_fold_and_pairs_the_winner_with_the_default_fold_by_fold(monkeypatch):
    """Each candidate's metrics are one per (seed, fold), seed-major; the comparison pairs them (no training here:
    each fold's run is a stand-in with a history)."""
    from kerasrecipes.runs import _cross_validate
    from kerasrecipes.tuning import confirm
    from kerasrecipes.tuning._trial import Trial

    def fake(data, *, recipe, folds, **kw):
        base = {4: 0.5, 64: 0.7}[recipe.units or 64] + recipe.seed % 7 / 100
        return _cross_validate.CrossValidation(
            [
                types.SimpleNamespace(
                    history={"val_loss": [base + 0.1, base + fold / 10]}, test_metrics={"score": 0.9}, recipe=recipe
                )
                for fold in range(folds)
            ]
        )

    monkeypatch.setattr(_cross_validate, "cross_validate", fake)
    scored = []  # the units of each retraining whose test rows are scored, once the winner is chosen
    monkeypatch.setattr(confirm, "_test_score", lambda result: scored.append(result.recipe.units) or 0.9)
    trials = [Trial(0, 11, {"units": 4}, metric=0.5, folds=2)]
    config = {"parameters": {"units": {"values": [4, 8]}}}
    winner, pool = confirm.confirm(
        "iris", trials, config, key="val_loss", goal="minimize", sweep_seed=3, top=1, seeds=2, folds=2
    )
    assert [c.label for c in pool] == ["trial 0", "default"] and winner is pool[0]
    assert len(winner.metrics) == 4 and winner.recipe["folds"] is None  # 2 seeds x 2 folds; retrains on one split
    assert scored == [4] * 4 + [None] * 4 and winner.test_scores == [0.9] * 4  # the winner's, then the default's
    comparison = confirm.compare(winner, pool, "minimize", folds=2)
    assert comparison.differences == pytest.approx([0.2] * 4)
    assert "beats the default by 0.2 ± 0 in val_loss (paired over 2 seeds x 2 folds)" in comparison.verdict("val_loss")


@pytest.mark.slow
def test_a_sweep_killed_between_folds_reruns_that_trial_and_ends_bit_identical_to_the_uninterrupted_one(
    cv_sweep, tmp_path
):
    """Killed (SIGKILL, as tests/tuning/test_sweep_resume.py kills) as trial 0's second fold begins: the state
    file has no trial yet, so the resumed sweep (the CLI, in this process) trains trial 0 again, both folds, then
    trial 1: a rerun of the whole sweep, which writes the uninterrupted sweep's bytes."""
    out = tmp_path / "killed"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERASRECIPES_FAULT="fold:1")
    yaml_path = str(cv_sweep.out.parent / "cv.yaml")
    argv = [sys.executable, "-m", "kerasrecipes", "sweep", yaml_path, *CLI, "--out", str(out)]
    killed = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (out / "trials" / "trial-000" / "fold-0" / "manifest.json").is_file()
    assert not (out / "trials" / "trial-000" / "fold-1").exists()
    assert cli.main(["sweep", yaml_path, *CLI, "--out", str(out)]) == 0
    assert (out / "results.csv").read_bytes() == (cv_sweep.out / "results.csv").read_bytes()


class _Recorder(tracking.Tracker):
    """A W&B tracker that keeps what it is given (the real one's callback, no W&B process)."""

    def __init__(self, mode, directory, recipe, name, group):
        self.name, self.logged, self.summary = name, [], None

    def log(self, values):
        self.logged.append(values)

    def finish(self, summary, files=()):
        self.summary = summary

    def abort(self):
        raise AssertionError("the cross-validation failed")


def test_train_cv_writes_a_run_per_fold_and_logs_one_wandb_run_with_the_fold_scores(tmp_path, monkeypatch, capsys):
    """`train --cv 2` (what `wandb agent` runs when the YAML's command has --cv): fold 0's epochs are logged live, and
    the summary holds each metric's fold mean under its usual name, its spread and the fold scores."""
    trackers = []

    def start(mode, *args, **kw):
        if mode != "none":  # the folds' own runs are untracked
            trackers.append(_Recorder(mode, *args, **kw))
            return trackers[-1]

    monkeypatch.setattr(tracking, "start", start)
    out = tmp_path / "cv"
    argv = ["train", "--dataset", "iris", "--cv", "2", "--set", "epochs=1", "--set", "units=4", "--out", str(out)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    scores = json.loads((out / "cross_validation.json").read_text())["metrics"]["val_loss"]
    for fold in (0, 1):
        rows = csv.DictReader((out / f"fold-{fold}" / "history.csv").open())
        assert scores["folds"][fold] == min(float(r["val_loss"]) for r in rows)
        assert json.loads((out / f"fold-{fold}" / "manifest.json").read_text())["recipe"]["fold"] == fold
    assert (scores["mean"], scores["std"]) == mean_and_spread(scores["folds"])
    (tracker,) = trackers
    assert [v["epoch/epoch"] for v in tracker.logged] == [0]  # fold 0's epoch, as it ended
    assert tracker.summary["epoch/val_loss"] == scores["mean"] and tracker.summary["cv/val_loss_std"] == scores["std"]
    assert [tracker.summary[f"cv/fold_{f}/val_loss"] for f in (0, 1)] == scores["folds"] and tracker.summary[
        "cv/folds"
    ] == 2
    assert f"val_loss       {scores['mean']:.4g} ± {scores['std']:.2g} over 2 folds" in printed
    assert runs.reproduce(out / "fold-1").identical  # a fold is an ordinary run: its recipe re-derives its rows


def test_folds_are_stratified_seeded_and_cover_every_row_once():
    from kerasrecipes.data._split import fold_indices

    rows, labels = np.arange(100, 130), np.repeat([0, 1, 2], 10)
    folds = [fold_indices(rows, labels, [0, 1, 2], 5, i, seed=7) for i in range(5)]
    assert sorted(np.concatenate([val for _, val in folds]).tolist()) == rows.tolist()
    for train, val in folds:
        assert sorted([*train, *val]) == rows.tolist() and np.bincount(labels[val - 100]).tolist() == [2, 2, 2]
    again = fold_indices(rows, labels, [0, 1, 2], 5, 3, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(again, folds[3]))
    assert not np.array_equal(fold_indices(rows, labels, [0, 1, 2], 5, 3, seed=8)[1], folds[3][1])


def test_a_hyperband_stopped_trials_other_folds_stop_after_as_many_epochs():
    from kerasrecipes.tuning._trial import stop_after

    callback, model = stop_after(3), types.SimpleNamespace(stop_training=False)
    callback.set_model(model)
    callback.on_epoch_end(1)
    assert not model.stop_training
    callback.on_epoch_end(2)
    assert model.stop_training


def test_a_sweep_on_small_data_cross_validates_on_5_folds_unless_told_or_the_folds_do_not_fit(tmp_path, caplog):
    """With neither `cv` nor `--cv` in the YAML's command: 5 folds on a small dataset (what this sweep runs, each
    trial trained once per fold), one validation split on a large one, on a stream, and where a class has too few
    rows for 5 folds (each says why); `cv=0` is one split."""
    from kerasrecipes.data import load_dataset
    from kerasrecipes.streaming import CsvStream
    from kerasrecipes.tuning.runner import AUTO_FOLDS, auto_folds

    plain = GRID.replace(" --cv=2,", "")
    (tmp_path / "s.yaml").write_text(plain)
    with caplog.at_level("INFO", logger="kerasrecipes"):
        result = run_sweep(
            str(tmp_path / "s.yaml"), trials=1, seed=3, out=tmp_path / "auto", tracking="none", verbose=1
        )
    best = result.trials[0]
    assert AUTO_FOLDS == 5 and result.folds == 5 and len(best.fold_metrics) == 5
    assert "cross-validating each trial on 5 folds (the default on a small dataset; --cv 0 for one" in caplog.text
    # not confirmed on folds: the best trial against the default trained on the same folds with its seed
    comparison = result.confirmation.comparison
    assert not result.confirmation.retrained and not (tmp_path / "auto" / "confirmation.csv").exists()
    default = runs.cross_validate(
        "iris",
        recipe={"units": 4, "epochs": 1, "split_seed": 3, "seed": best.seed},
        folds=5,
        tracking="none",
        verbose=0,
    )
    assert comparison.differences == [d - w for w, d in zip(best.fold_metrics, default.scores("val_loss"))]
    assert "(paired over 1 seed x 5 folds)" in comparison.verdict("val_loss")
    default_won = np.mean(default.scores("val_loss")) < best.metric  # then it is the best recipe, with that seed
    assert (result.confirmation.winner.index is None) == default_won
    chosen = yaml.safe_load((tmp_path / "auto" / "best_recipe.yaml").read_text())
    assert chosen["seed"] == best.seed and (chosen["learning_rate"] == 0.01) != default_won
    assert "fold</th>" in (tmp_path / "auto" / "report.html").read_text()
    one = run_sweep(str(tmp_path / "s.yaml"), trials=1, seed=3, out=tmp_path / "one", tracking="none", verbose=0, cv=0)
    assert one.folds == 0 and one.trials[0].fold_metrics == []
    large = runs._data_adapter.as_source(load_dataset("friedman1", n_samples=12_000), None)
    assert auto_folds(large, 0, None) == (0, "one validation split: the default on a large dataset")
    x = np.random.default_rng(0).normal(size=(60, 2))
    rare = np.array(["a"] * 30 + ["b"] * 26 + ["c"] * 4)  # 4 rows of "c": fewer than 5 folds
    frame = tmp_path / "rare.csv"
    np.savetxt(frame, np.column_stack([x, rare]), fmt="%s", delimiter=",", header="x0,x1,y", comments="")
    folds, why = auto_folds(runs._data_adapter.as_source(str(frame), target="y"), 0, None)
    assert folds == 0 and why.startswith("one validation split, since 5 folds do not fit: ")
    assert auto_folds(CsvStream(frame, "y"), 0, None) == (
        0,
        "one validation split: streamed data cannot be cut into folds (they need the rows in memory)",
    )
