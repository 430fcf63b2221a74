"""The training function, run directories, determinism and reproduction."""

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import runs
from kerasrecipes.callbacks.fit_diagnosis import TRIVIAL_PREDICTORS, VERDICTS
from kerasrecipes.errors import UserError
from kerasrecipes.models.losses import LOSSES
from kerasrecipes.runs import _evaluate, reproduce, rundir

FAST = {"epochs": 8, "units": 16}


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "iris"
    return runs.train("iris", recipe=FAST, out=out, tracking="none", verbose=0)


def test_run_directory_has_every_file(iris_run):
    names = {p.name for p in iris_run.run_dir.iterdir()}
    assert {
        "model.weights.h5",
        "last.weights.h5",
        "manifest.json",
        "history.csv",
        "learning_curves.png",
        "diagnosis.txt",
        "recipe.yaml",
    } <= names
    assert not [p for p in iris_run.run_dir.parent.iterdir() if p.name.startswith(".")], "staging left behind"


def test_manifest_contents(iris_run):
    m = json.loads((iris_run.run_dir / "manifest.json").read_text())
    assert m["scenario"] == "multiclass-less-features"
    assert m["recipe"]["units"] == 16 and m["seed"] == 42
    assert len(m["weights_sha256"]) == 64 and m["weights_sha256"] == rundir.weights_sha256(iris_run.model.get_weights())
    assert m["data"]["fingerprint"] == iris_run.data.fingerprint()
    assert m["data"]["source"]["kind"] == "sklearn" and m["data"]["source"]["name"] == "iris"
    assert {"tensorflow", "keras", "numpy", "scikit-learn", "python"} <= set(m["versions"])
    assert {"system", "machine"} <= set(m["platform"])
    assert 0.0 <= m["test_metrics"]["accuracy"] <= 1.0
    assert m["diagnosis"]["verdict"] in VERDICTS
    assert set(m["test_baseline"]["metrics"]) == set(m["test_metrics"]) - {"loss"}
    assert m["files"]["model.weights.h5"]
    history = pd.read_csv(iris_run.run_dir / "history.csv")
    assert len(history) == m["training"]["epochs_run"] and "val_loss" in history


def test_same_seed_identical_weights_different_seed_differs(iris_run, tmp_path):
    again = runs.train("iris", recipe=FAST, out=tmp_path / "again", tracking="none", verbose=0)
    other = runs.train("iris", recipe=FAST, seed=7, tracking="none", verbose=0)
    assert again.manifest["weights_sha256"] == iris_run.manifest["weights_sha256"]
    assert other.manifest["weights_sha256"] != iris_run.manifest["weights_sha256"]
    for a, b in zip(again.model.get_weights(), iris_run.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_reproduce_untouched_run_is_identical(iris_run):
    report = reproduce(iris_run.run_dir)
    assert report.identical, report.reasons
    assert report.test_metrics == iris_run.test_metrics


def test_reproduce_retrain_is_bit_identical(iris_run):
    report = reproduce(iris_run.run_dir, retrain=True)
    assert report.identical, report.reasons
    assert report.retrained_weights_sha256 == iris_run.manifest["weights_sha256"]


def test_reproduce_detects_altered_weights(iris_run, tmp_path):
    import shutil

    copy = tmp_path / "altered"
    shutil.copytree(iris_run.run_dir, copy)
    model = iris_run.model
    original = model.get_weights()
    model.set_weights([w + 0.01 for w in original])
    model.save_weights(copy / "model.weights.h5")
    model.set_weights(original)
    with pytest.raises(UserError, match=r"altered/model\.weights\.h5 does not match the sha256 in manifest\.json"):
        reproduce(copy)


def test_best_weights_restored_and_last_saved(tmp_path):
    result = runs.train(
        "iris",
        recipe={"epochs": 60, "patience": 3, "units": 8, "learning_rate": 0.05},
        out=tmp_path / "r",
        tracking="none",
        verbose=0,
    )
    t = result.manifest["training"]
    assert t["stop_reason"] == "patience_exhausted" and t["best_epoch"] < t["epochs_run"] - 1
    val = result.history["val_loss"]
    assert min(val) == val[t["best_epoch"]]
    evaluated = result.model.evaluate(result.data.X_val, result.data.y_val, verbose=0, return_dict=True)["loss"]
    assert evaluated == pytest.approx(min(val), rel=1e-5)


def test_regression_reports_original_units(tmp_path):
    result = runs.train("diabetes", recipe={"epochs": 5}, tracking="none", verbose=0)
    assert result.scenario.name == "regression-less-features"
    assert result.data.target["std"] > 10 and result.test_metrics["mae"] > 10  # disease-score units, not z-scores


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_of_the_table_trains_a_run(loss):
    """Each loss of the table runs end to end; the fit diagnosis has a trivial predictor's loss only for
    the losses that have one (a huber run once failed after training, in the diagnosis)."""
    task = sorted(LOSSES[loss].tasks)[0]
    dataset = {"regression": "diabetes", "binary": "breast_cancer", "multiclass": "iris"}[task]
    recipe = {"loss": loss, "epochs": 2, "units": 8}
    if loss == "categorical_crossentropy":  # one-hot labels; a run's labels are class ids
        with pytest.raises(UserError, match="expects one-hot labels"):
            runs.train(dataset, recipe=recipe, task=task, tracking="none", verbose=0)
        return
    result = runs.train(dataset, recipe=recipe, task=task, tracking="none", verbose=0)
    assert result.model.head.loss == loss
    assert (result.diagnosis.baseline_loss is not None) == (loss in TRIVIAL_PREDICTORS)


def test_size_defaults_follow_the_rows_given_and_are_recorded():
    from kerasrecipes.data import array_dataset
    from kerasrecipes.recipes import Thresholds

    digits = runs.train("digits", recipe={"epochs": 1}, tracking="none", verbose=0)
    assert digits.scenario.name == "multiclass-more-features"
    assert (digits.recipe.dropout, digits.recipe.l2, digits.recipe.batch_size) == (0.1, 1e-4, 32)
    assert digits.manifest["recipe"]["dropout"] == 0.1
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)).astype("float32")
    ds = array_dataset("sum", X, X.sum(axis=1))
    large = runs.train(ds, recipe={"epochs": 1}, tracking="none", verbose=0, thresholds=Thresholds(large_dataset=300))
    assert (large.recipe.batch_size, large.recipe.patience) == (128, 10)
    # the default learning rate follows the batch size (sqrt(128 / 32) x Adam's 1e-3) into the optimizer
    assert large.recipe.learning_rate == pytest.approx(2e-3, rel=1e-15)
    assert large.manifest["recipe"]["learning_rate"] == large.recipe.learning_rate
    assert float(large.model.optimizer.learning_rate) == pytest.approx(2e-3, rel=1e-6)
    small = runs.train(ds, recipe={"epochs": 1}, tracking="none", verbose=0, thresholds=Thresholds(large_dataset=301))
    assert (small.recipe.batch_size, small.recipe.patience, small.recipe.learning_rate) == (32, 20, 1e-3)


def test_csv_with_missing_categorical_and_imbalance_trains_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "income": rng.lognormal(10, 1, n),
            "city": rng.choice(["paris", "oslo", "lima"], n),
            "score": rng.normal(size=n),
        }
    )
    df.loc[rng.choice(n, 40, replace=False), "age"] = np.nan
    df.loc[rng.choice(n, 20, replace=False), "city"] = np.nan
    df["churn"] = np.where(rng.random(n) < 0.1, "yes", "no")
    path = tmp_path / "churn.csv"
    df.to_csv(path, index=False)
    before = path.read_bytes()
    from kerasrecipes import data

    for imbalance in ("class_weight", "downsample"):
        result = runs.train(
            data.load_csv(path, "churn"),
            recipe={"epochs": 4, "imbalance": imbalance},
            out=tmp_path / imbalance,
            tracking="none",
            verbose=0,
        )
        assert result.scenario.task == "binary" and np.isfinite(result.test_metrics["loss"])
        assert reproduce(tmp_path / imbalance).identical
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "dataset,row", [("digits_images", "cnn-small-dataset"), ("digits_sequences", "rnn-small-dataset")]
)
def test_deep_rows_train(dataset, row):
    result = runs.train(
        dataset,
        recipe={"epochs": 4, "units": 16, "learning_rate": 0.01, **({"filters": 8} if row.startswith("cnn") else {})},
        tracking="none",
        verbose=0,
    )
    assert result.scenario.name == row and result.test_metrics["accuracy"] > 0.3  # chance is 0.1


def test_existing_run_is_not_overwritten(iris_run):
    before = (iris_run.run_dir / "manifest.json").read_bytes()
    with pytest.raises(ValueError, match="already exists and is not empty.*--overwrite"):
        runs.train("iris", recipe=FAST, out=iris_run.run_dir, tracking="none", verbose=0)
    assert (iris_run.run_dir / "manifest.json").read_bytes() == before


def test_overwrite_replaces_atomically(iris_run, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(iris_run.run_dir, out)  # a finished run (of 8 epochs)
    runs.train("iris", recipe={"epochs": 3}, out=out, overwrite=True, tracking="none", verbose=0)
    assert json.loads((out / "manifest.json").read_text())["recipe"]["epochs"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_the_run_directory_gets_the_umasks_mode(tmp_path):
    """The staged folder becomes the run as it is: readable by others under umask 022 (mkdtemp's is 0700)."""
    old = os.umask(0o022)
    try:
        with rundir.staged_directory(tmp_path / "run") as stage:
            (stage / "manifest.json").write_text("{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_failed_training_leaves_no_run_only_its_checkpoint(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("crash mid-run")

    monkeypatch.setattr(_evaluate, "evaluate", boom)
    with pytest.raises(RuntimeError):
        runs.train("iris", recipe={"epochs": 1}, out=tmp_path / "run", tracking="none", verbose=0, checkpoint_every=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.partial"]  # resumable, not a run
    monkeypatch.undo()
    result = runs.train("iris", recipe={"epochs": 1}, out=tmp_path / "run", tracking="none", verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"] and result.run_dir.is_dir()


def test_offline_wandb_tracking_writes_a_local_run(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_API_KEY", "secret-should-not-leak-0123456789")
    result = runs.train("iris", recipe={"epochs": 2}, out=tmp_path / "run", tracking="offline", verbose=0)
    offline = list((tmp_path / "run" / "wandb").glob("offline-run-*"))
    assert len(offline) == 1
    for p in (tmp_path / "run").glob("*.*"):
        if p.suffix in (".json", ".yaml", ".csv", ".txt"):
            assert "secret-should-not-leak" not in p.read_text()
    assert result.manifest["test_metrics"]


def test_interrupted_overwrite_swap_is_repaired(iris_run, tmp_path):
    """A kill between the two renames of an overwrite leaves the old run aside; the next call restores it."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(iris_run.run_dir, out)  # a finished run
    before = (out / "manifest.json").read_bytes()
    shutil.move(out, tmp_path / ".run.replaced-123")
    (tmp_path / ".run.staging-abc").mkdir()
    with pytest.raises(ValueError, match="already exists"):
        runs.train("iris", recipe={"epochs": 2}, out=out, tracking="none", verbose=0)
    assert (out / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize(
    "column, values, task",
    [
        ("price", lambda rng, n: rng.integers(20_000, 400_000, n), "regression"),  # a price in dollars
        ("year", lambda rng, n: rng.integers(1960, 2021, n), "regression"),  # a year
        ("rating", lambda rng, n: rng.integers(0, 6, n), "multiclass"),  # a 0-5 rating
    ],
)
def test_whole_number_csv_targets_are_read_alike_in_memory_and_streamed(tmp_path, column, values, task):
    """Issue 14: an integer price no longer crashes as 'class labels'; both roads decide alike and say why."""
    from kerasrecipes import data
    from kerasrecipes.streaming import CsvStream

    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"x": rng.normal(size=n), "kind": rng.choice(["a", "b"], n), column: values(rng, n)})
    path = tmp_path / f"{column}.csv"
    frame.to_csv(path, index=False)
    recipe = {"epochs": 1}
    in_memory = runs.train(data.load_csv(path, column), recipe=recipe, tracking="none", verbose=0)
    streamed = runs.train(CsvStream(path, column), recipe=recipe, tracking="none", verbose=0)
    assert in_memory.data.task == streamed.data.task == task
    assert in_memory.manifest["target"]["note"] == streamed.manifest["target"]["note"]
    assert f"target {column!r}" in in_memory.manifest["target"]["note"]


def test_reproduce_reads_the_csv_with_the_runs_data_options(tmp_path):
    """A CSV run trained with na_values, drop and categorical is read the same way by `reproduce` (it once
    read the file with the delimiter only, so the '?' marker broke the numeric column)."""
    from kerasrecipes import data

    rng = np.random.default_rng(0)
    n = 120
    x = rng.normal(size=n).round(3).astype(str)
    x[::7] = "missing"
    frame = pd.DataFrame(
        {
            "x": x,
            "zip": rng.choice([1001, 2002, 3003], size=n),
            "noise": rng.normal(size=n),
            "y": rng.normal(size=n).round(3),
        }
    )
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    ds = data.load_csv(path, "y", na_values=["missing"], drop=["noise"], categorical=["zip"])
    result = runs.train(ds, recipe={"epochs": 2, "units": 8}, out=tmp_path / "run", tracking="none", verbose=0)
    assert result.manifest["data"]["source"]["na_values"] == ["missing"]
    report = reproduce(result.run_dir)
    assert report.identical, report.reasons


def test_reproduce_of_an_array_run_says_the_data_was_not_kept(tmp_path):
    X = np.random.default_rng(0).normal(size=(80, 3))
    result = runs.train(
        X, X[:, 0] > 0, recipe={"epochs": 1, "units": 4}, out=tmp_path / "r", tracking="none", verbose=0
    )
    with pytest.raises(UserError, match=r"trained on arrays in memory, of which it keeps no copy.*train from a CSV"):
        reproduce(result.run_dir)


def test_the_manifest_reference_documents_every_key_and_file(iris_run):
    page = (Path(__file__).parents[2] / "docs" / "reference" / "manifest.md").read_text()
    manifest = json.loads((iris_run.run_dir / "manifest.json").read_text())
    missing = [key for key in manifest if f"`{key}`" not in page]
    missing += [p.name for p in iris_run.run_dir.iterdir() if f"`{p.name}`" not in page]
    assert not missing, f"docs/reference/manifest.md does not document {missing}"
