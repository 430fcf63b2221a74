"""`reproduce` says which promise applies and checks exactly that one; a run stays checkable when it moves."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import _tf_internals, cli, runs
from kerasrecipes.runs import rundir


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """A run trained on a CSV file that sits beside it: `<root>/data/people.csv` and `<root>/runs/people`."""
    root = tmp_path_factory.mktemp("reproduce")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(160, 2)).round(3)
    (root / "data").mkdir()
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(x[:, 0] - x[:, 1] > 0, "up", "down")}).to_csv(
        root / "data" / "people.csv", index=False
    )
    runs.train(
        str(root / "data" / "people.csv"),
        target="y",
        recipe={"epochs": 4},
        out=root / "runs" / "people",
        tracking="none",
        verbose=0,
    )
    return root


def test_the_manifest_records_what_decides_bit_identity(csv_run):
    manifest = rundir.read_manifest(csv_run / "runs" / "people")
    numerics = manifest["platform"]["numerics"]
    assert numerics["onednn"] is _tf_internals.onednn_enabled()
    assert numerics["tensorflow"]["version"] and numerics["op_determinism"] is True
    assert set(numerics["cpu_flags"]) <= set(rundir.NUMERIC_CPU_FLAGS)
    assert manifest["execution"]["executor"] in ("single-threaded", "default")
    assert manifest["data"]["source"]["path_from_run"] == os.path.join("..", "..", "data", "people.csv")
    assert rundir.numeric_differences(manifest) == []
    other = copy.deepcopy(manifest)
    other["platform"]["numerics"]["onednn"] = not numerics["onednn"]
    other["platform"]["numerics"]["cpu_flags"] = [*numerics["cpu_flags"], "amx_tile"]
    here = "on" if numerics["onednn"] else "off"
    assert rundir.numeric_differences(other) == [
        "CPU features amx_tile only in the run",
        f"oneDNN {'off' if here == 'on' else 'on'} in the run, {here} here",
    ]


def test_the_same_platform_is_checked_bit_for_bit(csv_run, capsys):
    assert cli.main(["reproduce", str(csv_run / "runs" / "people")]) == 0
    out = capsys.readouterr().out
    assert "platform      same platform" in out and "reproduces exactly" in out


def test_a_fresh_process_on_the_runs_platform_checks_bit_for_bit(csv_run):
    """In a new process (op determinism not yet on) the platform is still the run's: exact, retrain included."""
    done = subprocess.run(
        [sys.executable, "-m", "kerasrecipes", "reproduce", str(csv_run / "runs" / "people"), "--retrain"],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "platform      same platform\n" in done.stdout
    assert "reproduces exactly (retrained bit for bit)" in done.stdout


def test_a_run_that_moved_with_its_data_is_found_relative_to_the_run(csv_run, tmp_path, capsys):
    moved = tmp_path / "elsewhere"
    shutil.copytree(csv_run, moved)
    shutil.move(str(csv_run / "data"), str(tmp_path / "gone"))  # the recorded absolute path is gone
    try:
        assert cli.main(["reproduce", str(moved / "runs" / "people")]) == 0
        assert "reproduces exactly" in capsys.readouterr().out
    finally:
        shutil.move(str(tmp_path / "gone"), str(csv_run / "data"))


def test_data_names_where_the_file_is_now_and_must_be_the_same_file(csv_run, tmp_path, capsys):
    copy_of = tmp_path / "copy.csv"
    shutil.copyfile(csv_run / "data" / "people.csv", copy_of)
    assert cli.main(["reproduce", str(csv_run / "runs" / "people"), "--data", str(copy_of)]) == 0
    capsys.readouterr()
    copy_of.write_text(copy_of.read_text().replace("up", "UP", 1))
    assert cli.main(["reproduce", str(csv_run / "runs" / "people"), "--data", str(copy_of)]) == 2
    assert "is not the run's data (its sha256 differs from the manifest's)" in capsys.readouterr().err


def test_a_missing_data_file_says_how_to_point_at_it(csv_run, tmp_path, capsys):
    shutil.move(str(csv_run / "data"), str(tmp_path / "gone"))
    try:
        assert cli.main(["reproduce", str(csv_run / "runs" / "people")]) == 2
        assert "people.csv is missing; restore it, or pass --data PATH with where it is now" in capsys.readouterr().err
    finally:
        shutil.move(str(tmp_path / "gone"), str(csv_run / "data"))


def _shrink():
    """A caller's own callback that changes the weights after every batch (so it needs Keras' fit)."""
    import keras

    class Shrink(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            for variable in self.model.trainable_variables:
                variable.assign(variable * 0.999)

    return Shrink()


@pytest.mark.parametrize("changes_weights", [False, True], ids=["observer", "changes-weights"])
def test_a_run_with_the_callers_callbacks_retrains_on_its_road_and_names_them(csv_run, tmp_path, changes_weights):
    from kerasrecipes.callbacks import GradientMonitor

    extra = _shrink() if changes_weights else GradientMonitor(verbose=0)
    result = runs.train(
        str(csv_run / "data" / "people.csv"),
        target="y",
        recipe={"epochs": 3},
        out=tmp_path / "run",
        tracking="none",
        verbose=0,
        callbacks=[extra],
    )
    assert result.manifest["execution"]["road"] == "fit"
    assert result.manifest["execution"]["callbacks"] == [type(extra).__name__]
    report = runs.reproduce(tmp_path / "run", retrain=True)
    assert report.case == "same platform"
    if not changes_weights:  # the same road without an observer: the same weights
        assert report.identical, report.reasons
    else:
        assert not report.identical
        assert "callbacks outside its recipe (Shrink)" in report.reasons[-1]
        assert "nondeterministic" not in " ".join(report.reasons)
