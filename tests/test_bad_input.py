"""Bad input, everywhere a user can give it (issue 7, part 1): one table, one assertion.

Every row sets up files in `tmp_path`, then runs one CLI command in process (cwd = `tmp_path`, so
default output directories would land there too) or one Python API call, and checks:

- CLI: exit code 2 and exactly one stderr line `kerasrecipes: error: <message>` matching the row's
  regex (a sweep file with several problems: one line per problem, each naming its key), nothing on
  stdout, no "Traceback", and no Python warning printed around it (in process, a warning that would
  reach stderr is caught with `warnings.catch_warnings`);
- Python API: the row's exception type, a one-line message matching the regex;
- both: every file and directory that existed under `tmp_path` is byte-identical afterwards, and
  nothing new was created (no run directory, no `.partial` or staging leftovers).

Rows marked xfail need a fix in a file this test's author was not allowed to edit; the reason names
the file and the fix. A few subprocess runs at the end prove the real exit codes and that `--debug`
shows the traceback.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _runs
import numpy as np
import pytest

from kerasrecipes import _log, cli

PREFIX = "kerasrecipes: error: "
QUIET_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)  # hidden by default


# -- fixtures: one trained run (and one of another architecture) to damage copies of ------------------------
@dataclasses.dataclass
class Runs:
    base: Path
    units8: Path


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory) -> Runs:
    root = tmp_path_factory.mktemp("bad-input-runs")
    common = ["--dataset", "iris", "--tracking", "none", "--quiet", "--set", "epochs=2"]
    assert cli.main(["train", *common, "--out", str(root / "base")]) == 0
    assert cli.main(["train", *common, "--out", str(root / "units8"), "--set", "units=8"]) == 0
    return Runs(root / "base", root / "units8")


# -- setup helpers ---------------------------------------------------------------------------------------------
Setup = Callable[[Path, Callable[[], Runs]], None]


def files(mapping: dict[str, str | bytes]) -> Setup:
    def setup(tmp: Path, runs: Callable[[], Runs]) -> None:
        for name, content in mapping.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)

    return setup


def dirs(*names: str) -> Setup:
    def setup(tmp: Path, runs: Callable[[], Runs]) -> None:
        for name in names:
            (tmp / name).mkdir(parents=True)

    return setup


def both(*setups: Setup) -> Setup:
    def setup(tmp: Path, runs: Callable[[], Runs]) -> None:
        for s in setups:
            s(tmp, runs)

    return setup


def run_copy(damage: Callable[[Path, Runs], None], *, reseal: bool = True) -> Setup:
    """Copy the trained iris run to `tmp/run` and damage the copy.

    With `reseal` (the default) the damaged copy's manifest is made consistent again (`_runs.reseal`),
    so the row reaches the check behind the integrity check; `reseal=False` leaves the tampering for
    the integrity check to find.
    """

    def setup(tmp: Path, runs: Callable[[], Runs]) -> None:
        shutil.copytree(runs().base, tmp / "run")
        damage(tmp / "run", runs())
        if reseal:
            _runs.reseal(tmp / "run")

    return setup


def manifest_edit(edit: Callable[[dict], None]) -> Callable[[Path, Runs], None]:
    import json

    def damage(run: Path, runs: Runs) -> None:
        manifest = json.loads((run / "manifest.json").read_text())
        edit(manifest)
        (run / "manifest.json").write_text(json.dumps(manifest, indent=2))

    return damage


def set_key(*path: str, value: Any) -> Callable[[dict], None]:
    def edit(manifest: dict) -> None:
        node = manifest
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def drop_key(*path: str) -> Callable[[dict], None]:
    def edit(manifest: dict) -> None:
        node = manifest
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return edit


def weights(content: Callable[[bytes, Runs], bytes | None]) -> Callable[[Path, Runs], None]:
    """Replace model.weights.h5 with content(old bytes); None deletes it."""

    def damage(run: Path, runs: Runs) -> None:
        path = run / "model.weights.h5"
        new = content(path.read_bytes(), runs)
        path.unlink()
        if new is not None:
            path.write_bytes(new)

    return damage


def weights_dir(run: Path, runs: Runs) -> None:
    (run / "model.weights.h5").unlink()
    (run / "model.weights.h5").mkdir()


def foreign_hdf5(run: Path, runs: Runs) -> None:
    import h5py

    (run / "model.weights.h5").unlink()
    with h5py.File(run / "model.weights.h5", "w") as fh:
        fh.create_dataset("measurements", data=[1.0, 2.0, 3.0])


# -- inputs ------------------------------------------------------------------------------------------------------
def csv_text(rows, header=("a", "b", "y"), sep=",") -> str:
    return sep.join(header) + "\n" + "".join(sep.join(str(v) for v in row) + "\n" for row in rows)


ROWS = [(round(0.1 * i, 2), round(1 - 0.05 * i, 3), i % 2) for i in range(40)]
GOOD_CSV = csv_text(ROWS)
SWEEP = """\
method: random
metric: {name: epoch/val_loss, goal: minimize}
run_cap: 1
parameters:
  units: {values: [8, 16]}
  epochs: {value: 1}
command: [python, -m, kerasrecipes, train, --dataset, iris, '${args}']
"""
RAGGED_CSV = "".join(line + "\n" + ("1,2,3,4,5\n" if i == 20 else "") for i, line in enumerate(GOOD_CSV.splitlines()))
IRIS_NEW = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n5.1,3.5,1.4,0.2\n"
GARBAGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x01garbage"
ML_CSV = csv_text(
    [(round(0.1 * i, 2), round(1 - 0.05 * i, 3), i % 2, (i // 2) % 2, 0) for i in range(40)],
    ("a", "b", "y1", "y2", "y3"),
)
TAGS_CSV = csv_text([(round(0.1 * i, 2), round(1 - 0.05 * i, 3), "xy"[i % 2]) for i in range(40)], ("a", "b", "tags"))
SERIES_CSV = csv_text(
    [(*(round(0.1 * i + j, 2) for j in range(6)), i % 2) for i in range(40)], (*(f"t{j}" for j in range(6)), "y")
)
CHANNELS_CSV = csv_text(
    [(*(round(0.1 * i + j, 2) for j in range(5)), i % 2) for i in range(40)], ("a0", "a1", "a2", "b0", "b1", "y")
)
TEXT_SERIES_CSV = csv_text(
    [(round(0.1 * i, 2), round(0.2 * i, 2), "north", i % 2) for i in range(40)], ("t0", "t1", "city", "y")
)
FORECAST_CSV = csv_text([(i, float(i % 5), 1.5) for i in range(60)], ("step", "value", "temp"))


def png(channels: int = 3, side: int = 8) -> bytes:
    """A valid PNG image of `side` x `side` pixels (1 channel: gray; 3: RGB), without an image library."""
    import struct
    import zlib

    rows = b"".join(
        b"\x00" + bytes((x * 30 + y * 7) % 256 for x in range(side) for _ in range(channels)) for y in range(side)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, {1: 0, 3: 2}[channels], 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def images(folder: str, classes: tuple[str, ...] = ("a", "b"), n: int = 6) -> Setup:
    """A folder with one sub-folder of `n` PNG images per class."""
    return files({f"{folder}/{c}/{c}{i}.png": png() for c in classes for i in range(n)})


def dense_weights(name: str) -> Setup:
    """The `.weights.h5` file of a one-layer Dense model: weights of another architecture than a backbone's."""

    def setup(tmp: Path, runs: Callable[[], Runs]) -> None:
        import keras

        keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save_weights(tmp / name)

    return setup


def texts(folder: str, classes: tuple[str, ...] = ("a", "b"), n: int = 6) -> Setup:
    """A folder with one sub-folder of `n` .txt files per class."""
    return files({f"{folder}/{c}/{c}{i}.txt": f"words of class {c}, text {i}\n" for c in classes for i in range(n)})


TEXT_CSV = csv_text([(f"a review of {i} words", i % 2) for i in range(30)], ("review", "y"))


def sweep_with(old: str, new: str) -> str:
    assert old in SWEEP
    return SWEEP.replace(old, new)


def train(*args: str) -> list[str]:
    return ["train", *args, "--tracking", "none", "--quiet", "--set", "epochs=1"]


def run_sweep(*args: str) -> list[str]:
    return ["sweep", *args, "--tracking", "none", "--quiet", "--set", "epochs=1"]


# -- the table ---------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    """One bad input. `call` is a CLI argv (run in tmp_path) or a callable taking tmp_path; `expect` is the exit
    code (CLI) or exception type (Python); `match` is a regex for the one line, or a list of regexes, one per
    line, for sweep files with several problems; `xfail` names the file and fix a passing row still needs."""

    category: str
    id: str
    call: list[str] | Callable[[Path], Any]
    match: str | list[str]
    setup: Setup | None = None
    expect: int | type = 2
    xfail: str | None = None


def _lazy(module: str, name: str) -> Any:
    import importlib

    return getattr(importlib.import_module(module), name)


ARGPARSE_FIX = (
    "needs fix in kerasrecipes/cli.py: argparse prints its usage block before the error line and raises "
    "SystemExit; give build_parser a parser class whose error() raises UserError (subparsers inherit "
    "it) and parse inside main's try, so the message is one 'kerasrecipes: error:' line returned as 2"
)
PARTIAL_FIX = (
    "needs fix in kerasrecipes/runs/_train.py: train() creates <out>.partial before the model is built, so "
    "an error in build_model leaves an empty <out>.partial behind; create it just before fit (or remove "
    "it when it is still empty on an exception)"
)
SWEEP_OUT_FIX = (
    "needs fix in kerasrecipes/tuning/runner.py (run_sweep): validate `trials` (integer >= 1 or None; "
    "budget = trials if trials is not None else ...) and `seed` (_validation.check with "
    "data._dataset.SEED) before anything else, and refuse a non-empty `out` unless overwrite "
    "(rundir.check_destination(out, overwrite), plus a --overwrite flag in cli.py) before out.mkdir"
)

CASES: list[Case] = [
    # ---- CLI arguments ---------------------------------------------------------------------------------------
    Case(
        "cli",
        "train-without-data",
        train(),
        r"give exactly one of --dataset NAME, --csv PATH --target COLUMN or --images DIR$",
    ),
    Case(
        "cli",
        "train-dataset-and-csv",
        train("--dataset", "iris", "--csv", "data.csv", "--target", "y"),
        r"give exactly one of --dataset NAME, --csv PATH --target COLUMN or --images DIR",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "cli",
        "csv-without-target",
        train("--csv", "data.csv"),
        r"--csv needs --target COLUMN",
        files({"data.csv": GOOD_CSV}),
    ),
    Case("cli", "target-without-csv", train("--dataset", "iris", "--target", "species"), r"--target .*--csv"),
    Case(
        "cli",
        "unknown-dataset",
        train("--dataset", "irs"),
        r"Unknown dataset 'irs'\. Did you mean 'iris'\? Expected one of: .*wine",
    ),
    Case(
        "cli",
        "unknown-field-set",
        train("--dataset", "iris", "--set", "unitz=3"),
        r"Unknown recipe field 'unitz'\. Did you mean 'units'\?",
    ),
    Case(
        "cli",
        "unknown-field-agent-form",
        train("--dataset", "iris", "--unitz=3"),
        r"Unknown recipe field 'unitz'\. Did you mean 'units'\?",
    ),
    Case(
        "cli",
        "lr-find-min-above-max",
        ["lr-find", "--dataset", "iris", "--min-lr", "0.1", "--max-lr", "0.01"],
        r"^`min_lr` must be less than max_lr=0\.01 \(the rate grows from min_lr to max_lr\)\. Received: min_lr=0\.1$",
    ),
    Case(
        "cli",
        "lr-find-too-few-steps",
        ["lr-find", "--dataset", "iris", "--steps", "5"],
        r"^`steps` must be an integer in \[10, 100000\]\. Received: steps=5$",
    ),
    Case(
        "cli",
        "lr-find-out-is-a-file",
        ["lr-find", "--dataset", "iris", "--out", "notes.txt"],
        r"^--out notes\.txt is a file; the range test writes lr_find\.csv and lr_find\.png into a folder",
        files({"notes.txt": "mine\n"}),
    ),
    Case(
        "cli",
        "bad-value",
        train("--dataset", "iris", "--set", "dropout=2"),
        r"`dropout` must be a real number in \[0\.0, 1\.0\)\. Received: dropout=2\.0$",
    ),
    Case(
        "cli",
        "bad-type",
        train("--dataset", "iris", "--set", "units=abc"),
        r"`units` must be an integer in \[1, 65536\]\. Received: units='abc'$",
    ),
    Case(
        "cli",
        "bad-boolean",
        train("--dataset", "iris", "--set", "batch_norm=maybe"),
        r"`batch_norm` must be a boolean \(true or false\)\. Received: batch_norm='maybe'",
    ),
    Case(
        "cli",
        "set-without-equals",
        train("--dataset", "iris", "--set", "units"),
        r"Expected key=value, e\.g\. learning_rate=0\.01\. Received: 'units'",
    ),
    Case(
        "cli",
        "seed-negative",
        train("--dataset", "iris", "--seed", "-1"),
        r"`seed` must be an integer in \[0, 4294967295\]\. Received: seed=-1$",
    ),
    Case(
        "cli",
        "seed-too-large",
        train("--dataset", "iris", "--seed", str(2**40)),
        r"`seed` must be an integer in \[0, 4294967295\]\. Received: seed=1099511627776$",
    ),
    Case(
        "cli",
        "seed-not-a-number",
        train("--dataset", "iris", "--seed", "abc"),
        r"argument --seed: invalid int value: 'abc'",
    ),
    Case(
        "cli",
        "tracking-unknown",
        ["train", "--dataset", "iris", "--tracking", "cloud"],
        r"argument --tracking: invalid choice: 'cloud'",
    ),
    Case("cli", "unknown-option", train("--dataset", "iris", "--bogus"), r"unrecognized arguments: --bogus"),
    Case(
        "cli",
        "n-samples-on-bundled-dataset",
        train("--dataset", "iris", "--n-samples", "100"),
        r"`n_samples` must be None for the bundled dataset 'iris', which has a fixed size\. Received: n_samples=100\. "
        r"Use a synthetic dataset",
    ),
    Case(
        "cli",
        "n-samples-too-small",
        train("--dataset", "friedman1", "--n-samples", "3"),
        r"`n_samples` must be an integer >= 10\. Received: n_samples=3$",
    ),
    Case(
        "cli",
        "n-samples-zero",
        train("--dataset", "friedman1", "--n-samples", "0"),
        r"`n_samples` must be an integer >= 10\. Received: n_samples=0$",
    ),
    Case(
        "cli",
        "n-samples-with-csv",
        train("--csv", "data.csv", "--target", "y", "--n-samples", "20"),
        r"--n-samples .*(synthetic|--csv)",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "cli",
        "out-exists-and-not-empty",
        train("--dataset", "iris", "--out", "mine"),
        r"Run directory mine already exists and is not empty\. Pass --overwrite .* or choose another --out",
        files({"mine/notes.txt": "my notes\n"}),
    ),
    Case(
        "cli",
        "overwrite-a-folder-that-is-not-a-run",
        train("--csv", "mine/data.csv", "--target", "y", "--out", "mine", "--overwrite"),
        r"--out mine is not a kerasrecipes run \(it has no manifest\.json\), and --overwrite only replaces a run",
        files({"mine/data.csv": GOOD_CSV, "mine/notes.txt": "my notes\n"}),
    ),
    Case(
        "cli",
        "out-is-the-current-folder",
        train("--dataset", "iris", "--out", ".", "--overwrite"),
        r"--out \. is the current folder or one above it; name a folder for the run",
    ),
    Case(
        "cli",
        "out-is-the-parent-folder",
        train("--dataset", "iris", "--out", "..", "--overwrite"),
        r"--out \.\. is the current folder or one above it",
    ),
    Case(
        "cli",
        "task-flag-and-recipe-task-disagree",
        train("--dataset", "iris", "--set", "task=regression", "--task", "binary"),
        r"task='binary' \(--task\) and the recipe's task='regression' disagree; give the task once",
    ),
    Case(
        "cli",
        "out-is-a-file",
        train("--dataset", "iris", "--out", "notes.txt"),
        r"--out notes\.txt exists and is not a directory\. Choose another --out",
        files({"notes.txt": "mine\n"}),
    ),
    Case(
        "cli",
        "task-cnn-on-tabular-data",
        train("--dataset", "iris", "--task", "cnn"),
        r"task='cnn' needs image input .* but X is tabular",
    ),
    Case(
        "cli",
        "task-binary-on-three-classes",
        train("--dataset", "iris", "--task", "binary"),
        r"`task` must be 'multiclass' for a target with 3 classes\. Received: task='binary'",
    ),
    Case(
        "cli",
        "task-and-scenario-disagree",
        train("--dataset", "iris", "--set", "task=binary", "--set", "scenario=regression-less-features"),
        r"`scenario` 'regression-less-features' is a 'regression' row but `task` is 'binary'",
    ),
    Case(
        "cli",
        "l1-with-elastic-net",
        train("--dataset", "iris", "--set", "l1=0.1", "--set", "elastic_net=0.1"),
        r"Only one of `l1`/`l2` and `elastic_net` can be set",
    ),
    Case(
        "cli",
        "fractions-leave-no-training-data",
        train("--dataset", "iris", "--set", "validation_fraction=0.45", "--set", "test_fraction=0.45"),
        r"`validation_fraction \+ test_fraction` must be < 0\.9",
    ),
    Case(
        "cli",
        "imbalance-on-regression",
        train("--dataset", "diabetes", "--set", "imbalance=class_weight"),
        r"`imbalance` must be 'none' for task='regression'",
    ),
    Case(
        "cli",
        "loss-does-not-fit-head",
        train("--dataset", "iris", "--set", "loss=binary_crossentropy"),
        r"A 1-unit sigmoid head cannot represent 3 classes",
    ),
    Case(
        "cli",
        "head-does-not-fit-loss",
        train("--dataset", "iris", "--set", "output_activation=sigmoid"),
        r"sparse_categorical_crossentropy expects a softmax head, got sigmoid",
    ),
    Case(
        "cli",
        "reproduce-missing-directory",
        ["reproduce", "no-such-run"],
        r"no-such-run is not a run directory \(it does not exist or is a file\)",
    ),
    Case(
        "cli",
        "sweep-unknown-bundled-name",
        ["sweep", "binar", "--validate"],
        r"Unknown sweep 'binar'\. Did you mean 'binary'\?",
    ),
    Case(
        "cli",
        "sweep-unknown-set-field",
        run_sweep("s.yaml", "--set", "unitz=3", "--out", "sw"),
        r"Unknown recipe field 'unitz'\. Did you mean 'units'\?",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "cli",
        "sweep-unknown-dataset",
        run_sweep("s.yaml", "--dataset", "irs", "--out", "sw"),
        r"Unknown dataset 'irs'\. Did you mean 'iris'\?",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "cli",
        "sweep-n-samples-on-bundled",
        run_sweep("s.yaml", "--n-samples", "50", "--out", "sw"),
        r"`n_samples` must be None for the bundled dataset 'iris'",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "cli",
        "sweep-without-dataset",
        run_sweep("s.yaml", "--out", "sw"),
        r"No dataset: pass --dataset or --csv, or put `--dataset NAME` in the sweep.s command",
        files({"s.yaml": sweep_with(" --dataset, iris,", "")}),
    ),
    Case(
        "cli",
        "sweep-confirm-negative",
        run_sweep("s.yaml", "--confirm", "-1", "--out", "sw"),
        r"`confirm` must be 'auto' or an integer in \[0, 100\]\. Received: confirm=-1",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "cli",
        "sweep-confirm-word",
        run_sweep("s.yaml", "--confirm", "all", "--out", "sw"),
        r"argument --confirm: expected an integer or 'auto', got 'all'",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "cli",
        "sweep-confirm-seeds-zero",
        run_sweep("s.yaml", "--confirm-seeds", "0", "--out", "sw"),
        r"`confirm_seeds` must be an integer in \[1, 100\]\. Received: confirm_seeds=0",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "cli",
        "sweep-trials-zero",
        run_sweep("s.yaml", "--trials", "0", "--out", "sw"),
        r"`trials` must be an integer >= 1\. Received: trials=0",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "cli",
        "sweep-trials-negative",
        run_sweep("s.yaml", "--trials", "-3", "--out", "sw"),
        r"`trials` must be an integer >= 1\. Received: trials=-3",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "cli",
        "sweep-seed-negative",
        run_sweep("s.yaml", "--seed", "-1", "--out", "sw"),
        r"`seed` must be an integer in \[0, 4294967295\]\. Received: seed=-1",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "cli",
        "sweep-out-has-results",
        run_sweep("s.yaml", "--out", "mine"),
        r"--out mine already holds files that are not a kerasrecipes sweep \(it has no sweep_state\.json\); choose another --out \(--overwrite only replaces a sweep folder\)",
        files({"s.yaml": SWEEP, "mine/results.csv": "my results\n"}),
    ),
    # ---- recipe files (--recipe FILE) ------------------------------------------------------------------------
    Case("recipe", "missing", train("--dataset", "iris", "--recipe", "r.yaml"), r"--recipe r\.yaml does not exist\.$"),
    Case(
        "recipe",
        "directory",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is a directory; give a YAML file of recipe fields",
        dirs("r.yaml"),
    ),
    Case(
        "recipe",
        "empty",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is empty; give a mapping of recipe fields",
        files({"r.yaml": ""}),
    ),
    Case(
        "recipe",
        "only-comments",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is empty",
        files({"r.yaml": "# units: 8\n"}),
    ),
    Case(
        "recipe",
        "list",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml must hold a mapping of recipe fields, not a list",
        files({"r.yaml": "- units: 8\n"}),
    ),
    Case(
        "recipe",
        "scalar",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml must hold a mapping of recipe fields, not a str",
        files({"r.yaml": "units=8\n"}),
    ),
    Case(
        "recipe",
        "malformed-flow",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is not valid YAML: .*expected ',' or ']'",
        files({"r.yaml": "units: [1\n"}),
    ),
    Case(
        "recipe",
        "malformed-indentation",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is not valid YAML: mapping values are not allowed here",
        files({"r.yaml": "units: 8\n  dropout: 0.2\n"}),
    ),
    Case(
        "recipe",
        "tab-indentation",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is not valid YAML: .*character '\\t'",
        files({"r.yaml": "units:\t8\n\tdropout: 0.2\n"}),
    ),
    Case(
        "recipe",
        "binary-garbage",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is not a text \(UTF-8\) YAML file",
        files({"r.yaml": GARBAGE}),
    ),
    Case(
        "recipe",
        "nul-bytes",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is not valid YAML: unacceptable character",
        files({"r.yaml": b"\x00\x01\x02units: 8"}),
    ),
    Case(
        "recipe",
        "unknown-key",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"Unknown recipe field 'unitz'\. Did you mean 'units'\?",
        files({"r.yaml": "unitz: 8\n"}),
    ),
    Case(
        "recipe",
        "wrong-type-text",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"`units` must be an integer in \[1, 65536\]\. Received: units='many'$",
        files({"r.yaml": "units: many\n"}),
    ),
    Case(
        "recipe",
        "wrong-type-list",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"`units` must be an integer in \[1, 65536\]\. Received: units=\[8, 16\]$",
        files({"r.yaml": "units: [8, 16]\n"}),
    ),
    Case(
        "recipe",
        "bad-value",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"`dropout` must be a real number in \[0\.0, 1\.0\)\. Received: dropout=2\.0",
        files({"r.yaml": "dropout: 2\n"}),
    ),
    Case(
        "recipe",
        "yaml11-float-as-text",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"`learning_rate` must be a real number > 0\.0 or 'find'\. Received: learning_rate='1e-5'\. .*write 1\.0e-5$",
        files({"r.yaml": "learning_rate: 1e-5\n"}),
    ),
    Case(
        "recipe",
        "quoted-number",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"`units` must be an integer .* Received: units='8'\. It is text, not a number; write 8 without quotes$",
        files({"r.yaml": "units: '8'\n"}),
    ),
    Case(
        "recipe",
        "python-tag",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is not valid YAML: could not determine a constructor for the tag",
        files({"r.yaml": "units: !!python/object/apply:os.getcwd []\n"}),
    ),
    Case(
        "recipe",
        "impossible-date",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"--recipe r\.yaml is not valid YAML.*month must be in 1\.\.12",
        files({"r.yaml": "units: 2024-13-45\n"}),
    ),
    Case(
        "recipe",
        "duplicate-key",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"duplicate key 'units'",
        files({"r.yaml": "units: 8\nunits: 9\n"}),
    ),
    Case(
        "recipe",
        "task-and-scenario-disagree",
        train("--dataset", "iris", "--recipe", "r.yaml"),
        r"`scenario` 'binary-small-dataset' is a 'binary' row but `task` is 'regression'",
        files({"r.yaml": "task: regression\nscenario: binary-small-dataset\n"}),
    ),
    # ---- sweep YAMLs -----------------------------------------------------------------------------------------
    Case("sweep", "missing-file", ["sweep", "s.yaml", "--validate"], r"s\.yaml: no such sweep file\. Bundled sweeps: "),
    Case(
        "sweep",
        "directory",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: is a directory, not a sweep YAML file",
        dirs("s.yaml"),
    ),
    Case(
        "sweep",
        "empty",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: is empty; a sweep file is a mapping with method, metric and parameters",
        files({"s.yaml": ""}),
    ),
    Case(
        "sweep",
        "only-comments",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: is empty",
        files({"s.yaml": "# method: random\n"}),
    ),
    Case(
        "sweep",
        "binary-garbage",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: is not a UTF-8 text YAML file",
        files({"s.yaml": GARBAGE}),
    ),
    Case(
        "sweep",
        "top-level-list",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: top level is a list; a sweep file is",
        files({"s.yaml": "- method: random\n"}),
    ),
    Case(
        "sweep",
        "malformed-flow",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: invalid YAML at line 3, column 1: expected the node content",
        files({"s.yaml": "method: random\nparameters: [\n"}),
    ),
    Case(
        "sweep",
        "malformed-indentation",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: invalid YAML at line 2, column \d+: mapping values are not allowed here",
        files({"s.yaml": "method: random\n  metric: x\n"}),
    ),
    Case(
        "sweep",
        "duplicate-key",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: invalid YAML at line 8, column 1: duplicate key 'method'",
        files({"s.yaml": SWEEP + "method: grid\n"}),
    ),
    Case(
        "sweep",
        "impossible-date",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: invalid YAML value: month must be in 1\.\.12",
        files({"s.yaml": sweep_with("units: {values: [8, 16]}", "units: {value: 2024-13-45}")}),
    ),
    Case(
        "sweep",
        "wrong-type-run-cap",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: run_cap: `run_cap` must be an integer >= 1 .*Received: run_cap='many'$",
        files({"s.yaml": sweep_with("run_cap: 1", "run_cap: many")}),
    ),
    Case(
        "sweep",
        "values-not-a-list",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: parameters\.units: `units\.values` must be a list such as \[16, 32\]\. Received: units\.values=8$",
        files({"s.yaml": sweep_with("units: {values: [8, 16]}", "units: {values: 8}")}),
    ),
    Case(
        "sweep",
        "wrong-type-value",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: parameters\.units: values: `units` must be an integer in \[1, 65536\]\. Received: units='eight'$",
        files({"s.yaml": sweep_with("units: {values: [8, 16]}", "units: {values: [eight, 16]}")}),
    ),
    Case(
        "sweep",
        "parameter-not-a-mapping",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: parameters\.units: `units` must be a mapping with `value:`, `values:` or `min`/`max`",
        files({"s.yaml": sweep_with("units: {values: [8, 16]}", "units:")}),
    ),
    Case(
        "sweep",
        "unknown-top-level-key",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: count: Unknown top-level sweep key 'count'\. The number of runs is `run_cap`",
        files({"s.yaml": SWEEP + "count: 5\n"}),
    ),
    Case(
        "sweep",
        "unknown-parameter",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: parameters\.unitz: Unknown sweep parameter 'unitz'\. Did you mean 'units'\?",
        files({"s.yaml": sweep_with("units:", "unitz:")}),
    ),
    Case(
        "sweep",
        "yaml11-float-as-text",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: parameters\.learning_rate: values '1e-5' is loaded as a string .*; write 1\.0e-5$",
        files({"s.yaml": sweep_with("units: {values: [8, 16]}", "learning_rate: {values: [1e-5, 1.0e-3]}")}),
    ),
    Case(
        "sweep",
        "quoted-number",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: parameters\.units: values '8' is loaded as a string because it is quoted; write 8$",
        files({"s.yaml": sweep_with("units: {values: [8, 16]}", "units: {values: ['8', 16]}")}),
    ),
    Case(
        "sweep",
        "bad-value",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: parameters\.dropout: values: `dropout` must be a real number in \[0\.0, 1\.0\)\. Received: dropout=1\.5$",
        files({"s.yaml": sweep_with("units: {values: [8, 16]}", "dropout: {values: [0.1, 1.5]}")}),
    ),
    Case(
        "sweep",
        "nan-bound",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: parameters\.dropout: min: `dropout` must be a real number .*Received: dropout=nan$",
        files({"s.yaml": sweep_with("units: {values: [8, 16]}", "dropout: {min: .nan, max: 0.5}")}),
    ),
    Case(
        "sweep",
        "metric-missing",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: metric: is missing; add `metric: \{name: epoch/val_loss, goal: minimize\}`",
        files({"s.yaml": sweep_with("metric: {name: epoch/val_loss, goal: minimize}\n", "")}),
    ),
    Case(
        "sweep",
        "several-problems",
        ["sweep", "s.yaml", "--validate"],
        [
            r"s\.yaml: method: `method` must be one of: 'bayes', 'grid', 'random'\. Received: method='randm'$",
            r"s\.yaml: parameters\.unitz: Unknown sweep parameter 'unitz'",
            r"s\.yaml: parameters\.dropout: value: `dropout` must be a real number in \[0\.0, 1\.0\)\. Received: dropout=2\.0$",
        ],
        files(
            {
                "s.yaml": sweep_with("units: {values: [8, 16]}", "unitz: {values: [8]}\n  dropout: {value: 2}").replace(
                    "method: random", "method: randm"
                )
            }
        ),
    ),
    Case(
        "sweep",
        "run-with-invalid-file",
        run_sweep("s.yaml", "--out", "sw"),
        r"s\.yaml: 1 problem\(s\) in the sweep file: parameters\.unitz: Unknown sweep parameter 'unitz'",
        files({"s.yaml": sweep_with("units:", "unitz:")}),
    ),
    Case(
        "sweep",
        "run-with-malformed-file",
        run_sweep("s.yaml", "--out", "sw"),
        r"s\.yaml: invalid YAML at line 3",
        files({"s.yaml": "method: random\nparameters: [\n"}),
    ),
    Case(
        "sweep", "run-with-empty-file", run_sweep("s.yaml", "--out", "sw"), r"s\.yaml: is empty", files({"s.yaml": ""})
    ),
    Case(
        "sweep",
        "binary-sweep-on-a-regression-target",
        run_sweep("binary", "--dataset", "diabetes"),
        r"^sweep 'binary-breast-cancer-random' does not fit the data 'diabetes' \(a regression target, tabular input\): "
        r"parameters\.scenario: y is continuous \(a regression target\) but scenario='binary-small-dataset' .*"
        r"To sweep this data, pass --set scenario=regression-less-features, or run the bundled "
        r"`kerasrecipes sweep regression`$",
    ),
    Case(
        "sweep",
        "task-for-another-target",
        run_sweep("s.yaml", "--dataset", "diabetes", "--out", "sw"),
        r"parameters\.task: y is continuous \(a regression target\) but task='binary' is a classifier\. .*"
        r"To sweep this data, pass --set task=regression, or run the bundled `kerasrecipes sweep regression`$",
        files({"s.yaml": sweep_with("  epochs: {value: 1}\n", "  epochs: {value: 1}\n  task: {value: binary}\n")}),
    ),
    Case(
        "sweep",
        "image-sweep-on-a-table",
        run_sweep("cnn", "--csv", "data.csv", "--target", "y"),
        r"^sweep 'cnn-digits-bayes' does not fit the data 'data\.csv' \(a binary target, tabular input\): "
        r"parameters\.scenario: scenario='cnn-small-dataset' \(task 'cnn'\) needs image input .*"
        r"To sweep this data, pass --set scenario=binary-small-dataset, or run the bundled `kerasrecipes sweep binary`$",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "sweep",
        "metric-the-task-does-not-log",
        run_sweep("s.yaml", "--dataset", "diabetes", "--out", "sw"),
        r"metric\.name: 'epoch/val_accuracy' is not logged by runs of a regression row on this data; they log "
        r"epoch/loss, .*epoch/val_loss.*\. Set `metric\.name` in the sweep YAML to one of them",
        files(
            {
                "s.yaml": sweep_with(
                    "{name: epoch/val_loss, goal: minimize}", "{name: epoch/val_accuracy, goal: maximize}"
                )
            }
        ),
    ),
    # ---- CSV files ---------------------------------------------------------------------------------------------
    Case(
        "csv",
        "missing-file",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be an existing CSV file\. Received: path='data\.csv'\. The path is missing",
    ),
    Case(
        "csv",
        "directory",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be an existing CSV file\. .*The path is a directory",
        dirs("data.csv"),
    ),
    Case(
        "csv",
        "empty-file",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file with a header row and data rows\. .*The file is empty",
        files({"data.csv": ""}),
    ),
    Case(
        "csv",
        "header-only",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file with a header row and data rows\. .*It has the header \(a, b, y\) but no data rows",
        files({"data.csv": "a,b,y\n"}),
    ),
    Case(
        "csv",
        "binary-garbage",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a UTF-8 encoded CSV file\. .*re-save the file as UTF-8",
        files({"data.csv": GARBAGE}),
    ),
    Case(
        "csv",
        "missing-target-column",
        train("--csv", "data.csv", "--target", "label"),
        r"Unknown target column 'label'\. Expected one of: a, b, y \(the columns of data\.csv\)\.",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "target-column-wrong-case",
        train("--csv", "data.csv", "--target", "Y"),
        r"Unknown target column 'Y'\. Did you mean 'y'\?",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "all-nan-target",
        train("--csv", "data.csv", "--target", "y"),
        r"`target` must be a column with values\. .*Every value of that column is missing",
        files({"data.csv": csv_text([(a, b, "") for a, b, _ in ROWS])}),
    ),
    Case(
        "csv",
        "all-nan-features",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file with at least one feature column with values\. .*None of its feature columns is "
        r"left: 'a' \(no values\), 'b' \(no values\)",
        files({"data.csv": csv_text([("", "", y) for _, _, y in ROWS])}),
    ),
    Case(
        "csv",
        "text-in-numeric-target",
        train("--csv", "data.csv", "--target", "y"),
        r"`target` must be a column of numbers or of class labels, not a mix\. .*\['oops'\] \(first on line 5\)",
        files({"data.csv": csv_text([(a, b, "oops" if i == 3 else a * 1.5) for i, (a, b, _) in enumerate(ROWS)])}),
    ),
    Case(
        "csv",
        "infinite-feature",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file with finite numbers\. .*Column 'a' is infinite in 1 row\(s\) \(first on line 4\)",
        files({"data.csv": csv_text([("inf" if i == 2 else a, b, y) for i, (a, b, y) in enumerate(ROWS)])}),
    ),
    Case(
        "csv",
        "infinite-target",
        train("--csv", "data.csv", "--target", "y"),
        r"`target` must be a column of finite values\. .*first on line 4",
        files({"data.csv": csv_text([(a, b, "-inf" if i == 2 else a) for i, (a, b, _) in enumerate(ROWS)])}),
    ),
    Case(
        "csv",
        "one-class-only",
        train("--csv", "data.csv", "--target", "y"),
        r"`target` must be a column with at least 2 distinct values \(classes\)\. .*Every row has the value 1",
        files({"data.csv": csv_text([(a, b, 1) for a, b, _ in ROWS])}),
    ),
    Case(
        "csv",
        "class-too-rare-to-split",
        train("--csv", "data.csv", "--target", "y"),
        r"`y` must be at least 3 rows per class for a stratified train/validation/test split",
        files({"data.csv": csv_text([(a, b, 0 if i == 0 else 1) for i, (a, b, _) in enumerate(ROWS)])}),
    ),
    Case(
        "csv",
        "fewer-rows-than-splits",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file with at least 10 rows that have a target value\. .*It has 6",
        files({"data.csv": csv_text(ROWS[:6])}),
    ),
    Case(
        "csv",
        "too-many-classes-for-rows",
        train("--csv", "data.csv", "--target", "y", "--task", "multiclass"),
        r"The target 'y' has 15 values in 40 rows, fewer than 3 rows per class",
        files({"data.csv": csv_text([(a, b, i % 15) for i, (a, b, _) in enumerate(ROWS)])}),
    ),
    Case(
        "csv",
        "continuous-target-as-binary",
        train("--csv", "data.csv", "--target", "y", "--task", "binary"),
        r"`task` must be 'regression' for a continuous target",
        files({"data.csv": csv_text([(a, b, a * 2.5 + 0.123) for a, b, _ in ROWS])}),
    ),
    Case(
        "csv",
        "wrong-delimiter-spaces",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file with at least 2 columns\. .*The header 'a b y' is one column: separate the "
        r"columns with one of ',', ';', tab or '\|'",
        files({"data.csv": csv_text(ROWS, sep=" ")}),
    ),
    Case(
        "csv",
        "only-the-target-column",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file with at least 2 columns\. .*needs a target column and at least one feature",
        files({"data.csv": csv_text([(y,) for _, _, y in ROWS], header=("y",))}),
    ),
    Case(
        "csv",
        "drop-with-a-bundled-dataset",
        train("--dataset", "iris", "--drop", "x"),
        r"--drop goes with --csv PATH; a bundled --dataset is read as it is",
    ),
    Case(
        "csv",
        "na-values-and-categorical-with-a-bundled-dataset",
        train("--dataset", "iris", "--na-values", "?", "--categorical", "x"),
        r"--na-values and --categorical go with --csv PATH",
    ),
    Case(
        "csv",
        "drop-unknown-column",
        train("--csv", "data.csv", "--target", "y", "--drop", "c"),
        r"Unknown column to drop 'c'\. Expected one of: a, b",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "categorical-the-target",
        train("--csv", "data.csv", "--target", "y", "--categorical", "y"),
        r"^--categorical y names the target column; the target is never a feature",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "drop-every-feature",
        train("--csv", "data.csv", "--target", "y", "--drop", "a,b"),
        r"None of its feature columns is left: 'a' \(dropped, as asked\), 'b' \(dropped, as asked\)",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "sweep-csv-as-a-dataset-name",
        ["sweep", "binary", "--dataset", "data.csv", "--tracking", "none"],
        r"Unknown dataset 'data\.csv'\..*For a CSV file, give --csv data\.csv --target COLUMN",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "sweep-csv-without-target",
        ["sweep", "binary", "--csv", "data.csv", "--tracking", "none"],
        r"--csv needs --target COLUMN",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "stream-drop-unknown-column",
        train("--csv", "data.csv", "--target", "y", "--stream", "--drop", "c"),
        r"Unknown column to drop 'c'",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "stream-robust-scaling",
        train("--csv", "data.csv", "--target", "y", "--stream", "--set", "scaling=robust"),
        r"`scaling` must be 'standard', 'minmax' or 'none' when streaming\. .*no --stream",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "label-smoothing-on-a-regression",
        train("--dataset", "diabetes", "--set", "label_smoothing=0.1"),
        r"`label_smoothing` must be 0 with loss 'mean_squared_error' \(it smooths the cross-entropy losses of "
        r"classifiers only\)",
    ),
    Case(
        "csv",
        "ensemble-with-a-robust-loss",
        train("--dataset", "diabetes", "--set", "ensemble=4", "--set", "loss=huber"),
        r"^ensemble=4 needs loss mean_squared_error or a cross-entropy .*received loss='huber'\. Set loss='auto' or ensemble=1\.$",
    ),
    Case(
        "csv",
        "ensemble-with-batch-norm",
        train("--dataset", "iris", "--set", "ensemble=2", "--set", "batch_norm=true"),
        r"^ensemble=2 cannot use batch_norm=true \(batch statistics would mix the members\)\. Set batch_norm=false",
    ),
    Case(
        "csv",
        "ensemble-with-class-weights",
        train("--dataset", "breast_cancer", "--set", "ensemble=4", "--set", "imbalance=class_weight"),
        r"^ensemble=4 cannot weight rows \(imbalance='class_weight' or sample weights give them weights\)\. "
        r"Set imbalance='none'",
    ),
    Case(
        "csv",
        "ragged-rows",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file whose rows have the header's 3 fields\. .*Line 22 has 5, more than the header",
        files({"data.csv": RAGGED_CSV}),
    ),
    Case(
        "csv",
        "short-row",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file whose rows have the header's 3 fields\. .*Line 5 has 2, fewer than the header",
        files({"data.csv": csv_text(ROWS).replace("0.3,0.85,1\n", "0.3,1\n")}),
    ),
    Case(
        "csv",
        "first-row-one-field-more",
        train("--csv", "data.csv", "--target", "y"),
        r"Line 2 has 4, more than the header",  # pandas would take the first column for an index and shift the rest
        files({"data.csv": csv_text(ROWS).replace("a,b,y\n0.0,1.0,0\n", "a,b,y\n7,0.0,1.0,0\n")}),
    ),
    # ---- weight files (reproduce RUN_DIR) -------------------------------------------------------------------
    Case(
        "weights",
        "missing",
        ["reproduce", "run"],
        r"run/model\.weights\.h5 is missing: the run directory has no weights to load\. Restore the file or retrain",
        run_copy(weights(lambda old, runs: None)),
    ),
    Case(
        "weights",
        "directory-instead-of-file",
        ["reproduce", "run"],
        r"run/model\.weights\.h5 is a directory, not a weights file",
        run_copy(weights_dir),
    ),
    Case(
        "weights",
        "truncated",
        ["reproduce", "run"],
        r"Cannot load run/model\.weights\.h5: it is truncated \(an interrupted copy or a full disk\?\)\. Retrain with",
        run_copy(weights(lambda old, runs: old[: len(old) // 2])),
    ),
    Case(
        "weights",
        "truncated-to-header",
        ["reproduce", "run"],
        r"Cannot load run/model\.weights\.h5: it is truncated",
        run_copy(weights(lambda old, runs: old[:100])),
    ),
    Case(
        "weights",
        "empty",
        ["reproduce", "run"],
        r"Cannot load run/model\.weights\.h5: it is empty\. Retrain with",
        run_copy(weights(lambda old, runs: b"")),
    ),
    Case(
        "weights",
        "not-hdf5-text",
        ["reproduce", "run"],
        r"Cannot load run/model\.weights\.h5: it is not an HDF5 weights file\. Retrain with",
        run_copy(weights(lambda old, runs: b"these are not weights\n")),
    ),
    Case(
        "weights",
        "not-hdf5-garbage",
        ["reproduce", "run"],
        r"Cannot load run/model\.weights\.h5: it is not an HDF5 weights file",
        run_copy(weights(lambda old, runs: GARBAGE)),
    ),
    Case(
        "weights",
        "another-architecture",
        ["reproduce", "run"],
        r"Cannot load run/model\.weights\.h5: its weights do not fit the model the manifest's recipe builds \(from "
        r"another architecture\?\)",
        run_copy(weights(lambda old, runs: (runs.units8 / "model.weights.h5").read_bytes())),
    ),
    Case(
        "weights",
        "foreign-hdf5",
        ["reproduce", "run"],
        r"Cannot load run/model\.weights\.h5: its weights do not fit the model",
        run_copy(foreign_hdf5),
    ),
    # ---- run directories ---------------------------------------------------------------------------------------
    Case(
        "rundir",
        "is-a-file",
        ["reproduce", "run"],
        r"run is not a run directory \(it does not exist or is a file\)",
        files({"run": "not a directory\n"}),
    ),
    Case(
        "rundir",
        "empty-directory",
        ["reproduce", "run"],
        r"run has no manifest\.json: it is not a complete kerasrecipes run directory",
        dirs("run"),
    ),
    Case(
        "rundir",
        "manifest-missing",
        ["reproduce", "run"],
        r"run has no manifest\.json",
        run_copy(lambda run, runs: (run / "manifest.json").unlink()),
    ),
    Case(
        "rundir",
        "manifest-missing-retrain",
        ["reproduce", "run", "--retrain"],
        r"run has no manifest\.json",
        run_copy(lambda run, runs: (run / "manifest.json").unlink()),
    ),
    Case(
        "rundir",
        "manifest-invalid-json",
        ["reproduce", "run"],
        r"run/manifest\.json is not valid JSON \(.*line 1 column 2.*\)\. Was it edited by hand\?",
        run_copy(lambda run, runs: (run / "manifest.json").write_text("{not json")),
    ),
    Case(
        "rundir",
        "manifest-empty",
        ["reproduce", "run"],
        r"run/manifest\.json is not valid JSON",
        run_copy(lambda run, runs: (run / "manifest.json").write_text("")),
    ),
    Case(
        "rundir",
        "manifest-binary",
        ["reproduce", "run"],
        r"run/manifest\.json is not valid JSON",
        run_copy(lambda run, runs: (run / "manifest.json").write_bytes(GARBAGE)),
    ),
    Case(
        "rundir",
        "manifest-not-an-object",
        ["reproduce", "run"],
        r"run/manifest\.json must hold a JSON object",
        run_copy(lambda run, runs: (run / "manifest.json").write_text("[1, 2]")),
    ),
    Case(
        "rundir",
        "manifest-without-recipe",
        ["reproduce", "run"],
        r"run/manifest\.json lacks the key 'recipe'\. Was it edited by hand\?",
        run_copy(manifest_edit(drop_key("recipe"))),
    ),
    Case(
        "rundir",
        "manifest-without-weights-hash",
        ["reproduce", "run"],
        r"run/manifest\.json lacks the key 'weights_sha256'",
        run_copy(manifest_edit(drop_key("weights_sha256"))),
    ),
    Case(
        "rundir",
        "manifest-without-data-source",
        ["reproduce", "run"],
        r"run/manifest\.json: `data\.source` must be a JSON object .*Received: data\.source=None",
        run_copy(manifest_edit(drop_key("data", "source"))),
    ),
    Case(
        "rundir",
        "manifest-data-not-an-object",
        ["reproduce", "run"],
        r"run/manifest\.json: `data` must be a JSON object\. Received: data=5",
        run_copy(manifest_edit(set_key("data", value=5))),
    ),
    Case(
        "rundir",
        "manifest-csv-source-without-path",
        ["reproduce", "run"],
        r"run/manifest\.json lacks the key 'data\.source\.path'",
        run_copy(manifest_edit(set_key("data", "source", value={"kind": "csv", "target": "y"}))),
    ),
    Case(
        "rundir",
        "manifest-invalid-recipe-value",
        ["reproduce", "run"],
        r"run/manifest\.json holds an invalid recipe: `dropout` must be a real number in \[0\.0, 1\.0\)\. Received: dropout=2\.0",
        run_copy(manifest_edit(set_key("recipe", "dropout", value=2.0))),
    ),
    Case(
        "rundir",
        "manifest-unknown-recipe-field",
        ["reproduce", "run"],
        r"run/manifest\.json holds an invalid recipe: Unknown recipe field 'unitz'\. Did you mean 'units'\?",
        run_copy(manifest_edit(set_key("recipe", "unitz", value=8))),
    ),
    Case(
        "rundir",
        "manifest-recipe-field-removed",
        ["reproduce", "run"],
        r"run/manifest\.json holds an incomplete recipe \(no value for units\)",
        run_copy(manifest_edit(drop_key("recipe", "units"))),
    ),
    Case(
        "rundir",
        "manifest-recipe-number-as-text",
        ["reproduce", "run"],
        r"run/manifest\.json holds an invalid recipe: `learning_rate` .*Received: learning_rate='1e-5'.*write 1\.0e-5",
        run_copy(manifest_edit(set_key("recipe", "learning_rate", value="1e-5"))),
    ),
    Case(
        "rundir",
        "manifest-recipe-not-an-object",
        ["reproduce", "run"],
        r"run/manifest\.json: `recipe` must be a JSON object of recipe fields\. Received: recipe='adam'",
        run_copy(manifest_edit(set_key("recipe", value="adam"))),
    ),
    Case(
        "rundir",
        "manifest-test-metrics-not-an-object",
        ["reproduce", "run"],
        r"run/manifest\.json: `test_metrics` must be a JSON object",
        run_copy(manifest_edit(set_key("test_metrics", value=[1]))),
    ),
    Case(
        "rundir",
        "manifest-weights-hash-not-a-digest",
        ["reproduce", "run"],
        r"run/manifest\.json: `weights_sha256` must be a sha256 hex digest \(64 characters\)\. Received: weights_sha256=5",
        run_copy(manifest_edit(set_key("weights_sha256", value=5))),
    ),
    Case(
        "rundir",
        "manifest-files-not-an-object",
        ["reproduce", "run"],
        r"run/manifest\.json: `files` must be a JSON object of file hashes",
        run_copy(manifest_edit(set_key("files", value="x"))),
    ),
    Case(
        "rundir",
        "manifest-points-at-missing-csv",
        ["reproduce", "run"],
        r"run: cannot load the run's data: The run's CSV file .*gone\.csv is missing; restore it, or pass --data PATH "
        r"with where it is now",
        run_copy(
            manifest_edit(
                set_key(
                    "data",
                    "source",
                    value={"kind": "csv", "path": "/nonexistent/gone.csv", "sha256": "0" * 64, "target": "y"},
                )
            )
        ),
    ),
    Case(
        "rundir",
        "manifest-unknown-dataset",
        ["reproduce", "run"],
        r"run: cannot load the run's data: Unknown dataset 'irs'\. Did you mean 'iris'\?",
        run_copy(manifest_edit(set_key("data", "source", "name", value="irs"))),
    ),
    Case(
        "rundir",
        "manifest-unknown-data-kind",
        ["reproduce", "run"],
        r"run: cannot load the run's data: Data of kind 's3' cannot be loaded again",
        run_copy(manifest_edit(set_key("data", "source", value={"kind": "s3", "name": "bucket"}))),
    ),
    # ---- predicting and exporting with a run ---------------------------------------------------------------------
    Case(
        "predict",
        "data-file-missing",
        ["predict", "run", "gone.csv", "--out", "p.csv"],
        r"gone\.csv is not a file; give the CSV \(or \.npy\) file of rows, or the folder of images or texts, to predict",
        run_copy(lambda run, runs: None),
    ),
    Case(
        "predict",
        "out-exists",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"--out p\.csv exists; choose another path, or pass --overwrite",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW, "p.csv": "keep me\n"})),
    ),
    Case(
        "predict",
        "out-is-the-input",
        ["predict", "run", "new.csv", "--out", "new.csv", "--overwrite"],
        r"--out new\.csv is the input file; choose another path",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW})),
    ),
    Case(
        "predict",
        "out-folder-missing",
        ["predict", "run", "new.csv", "--out", "nodir/p.csv"],
        r"the folder nodir does not exist; create it first",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW})),
    ),
    Case(
        "predict",
        "out-folder-is-a-file",
        ["predict", "run", "new.csv", "--out", "afile/p.csv"],
        r"--out afile/p\.csv: the folder afile is a file\.$",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW, "afile": "mine\n"})),
    ),
    Case(
        "predict",
        "model-keras-not-a-zip",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"Cannot load run/model\.keras: it is not a \.keras file \(not a zip archive\); it was damaged or replaced",
        both(run_copy(lambda run, runs: (run / "model.keras").write_bytes(GARBAGE)), files({"new.csv": IRIS_NEW})),
    ),
    Case(
        "predict",
        "run-missing",
        ["predict", "nope", "new.csv", "--out", "p.csv"],
        r"nope is not a run directory",
        files({"new.csv": IRIS_NEW}),
    ),
    Case(
        "predict",
        "column-missing",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"new\.csv: missing column\(s\) 'petal width \(cm\)' that the run was trained on\. Add them",
        both(
            run_copy(lambda run, runs: None),
            files({"new.csv": IRIS_NEW.replace(",petal width (cm)", "").replace(",0.2\n", "\n")}),
        ),
    ),
    Case(
        "predict",
        "text-in-a-numeric-column",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"Column 'sepal length \(cm\)' of new\.csv holds 'long' on line 3, but that column is read as numbers",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW + "long,3.0,1.4,0.2\n"})),
    ),
    Case(
        "predict",
        "infinite-number",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"Column 'sepal length \(cm\)' of new\.csv is infinite on line 3; the run was trained on finite numbers",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW + "inf,3.0,1.4,0.2\n"})),
    ),
    Case(
        "predict",
        "empty-file",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"new\.csv is empty; a table run predicts on a CSV file whose header names the run's columns",
        both(run_copy(lambda run, runs: None), files({"new.csv": ""})),
    ),
    Case(
        "predict",
        "ragged-line",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"`path` must be a CSV file whose rows have the header's 4 fields\. Received: path='new\.csv'\. Line 3 has 5, "
        r"more than the header",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW + "5.0,3.0,1.4,0.2,9\n"})),
    ),
    Case(
        "predict",
        "older-run",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"run was written by a kerasrecipes with manifest_version 1 .*Retrain it",
        both(run_copy(manifest_edit(set_key("manifest_version", value=1))), files({"new.csv": IRIS_NEW})),
    ),
    Case(
        "predict",
        "npy-for-a-table",
        ["predict", "run", "new.npy", "--out", "p.csv"],
        r"new\.npy is not a UTF-8 text CSV file \(byte 0 is not UTF-8\); a table run predicts on a CSV file",
        both(run_copy(lambda run, runs: None), files({"new.npy": GARBAGE})),
    ),
    Case(
        "predict",
        "export-suffix",
        ["export", "run", "--format", "litert", "--out", "m.onnx"],
        r"--out m\.onnx must end in \.tflite for --format litert",
        run_copy(lambda run, runs: None),
    ),
    Case(
        "predict",
        "export-out-exists",
        ["export", "run", "--format", "keras", "--out", "m.keras"],
        r"--out m\.keras exists; choose another path, or pass --overwrite",
        both(run_copy(lambda run, runs: None), files({"m.keras": "keep me\n"})),
    ),
    Case(
        "predict",
        "export-unknown-format",
        ["export", "run", "--format", "pickle", "--out", "m.pkl"],
        r"argument --format: invalid choice: 'pickle'",
        run_copy(lambda run, runs: None),
    ),
    Case(
        "predict",
        "export-run-missing",
        ["export", "nope", "--format", "keras", "--out", "m.keras"],
        r"nope is not a run directory",
    ),
    Case(
        "predict",
        "reproduce-older-run",
        ["reproduce", "run"],
        r"run/manifest\.json is a run of an older kerasrecipes \(manifest_version 1; this version writes 2\)",
        run_copy(manifest_edit(set_key("manifest_version", value=1))),
    ),
    # ---- Python API --------------------------------------------------------------------------------------------
    Case(
        "api",
        "Recipe-units-zero",
        lambda tmp: _lazy("kerasrecipes", "Recipe")(units=0),
        r"^`units` must be an integer in \[1, 65536\]\. Received: units=0$",
        expect=ValueError,
    ),
    Case(
        "api",
        "Recipe-unknown-field",
        lambda tmp: _lazy("kerasrecipes", "Recipe")(unitz=8),
        r"^Unknown recipe field 'unitz'\. Did you mean 'units'\?",
        expect=TypeError,
    ),
    Case(
        "api",
        "Recipe-positional",
        lambda tmp: _lazy("kerasrecipes", "Recipe")(8),
        r"^Recipe takes recipe fields as keyword arguments only, e\.g\. Recipe\(units=32\)",
        expect=TypeError,
    ),
    Case(
        "api",
        "Recipe-number-as-text",
        lambda tmp: _lazy("kerasrecipes", "Recipe")(learning_rate="1e-5"),
        r"^`learning_rate` must be a real number > 0\.0 or 'find'\. Received: learning_rate='1e-5'\. .*write 1\.0e-5$",
        expect=TypeError,
    ),
    Case(
        "api",
        "lr_find-min-lr-zero",
        lambda tmp: _lazy("kerasrecipes", "lr_find")("iris", min_lr=0),
        r"^`min_lr` must be a real number > 0\.0\. Received: min_lr=0\.0$",
        expect=ValueError,
    ),
    Case(
        "api",
        "Recipe-bool-for-real",
        lambda tmp: _lazy("kerasrecipes", "Recipe")(dropout=True),
        r"^`dropout` must be a real number in \[0\.0, 1\.0\)\. Received: dropout=True$",
        expect=TypeError,
    ),
    Case(
        "api",
        "Recipe-from-dict-list",
        lambda tmp: _lazy("kerasrecipes", "Recipe").from_dict([("units", 8)]),
        r"^`recipe` must be a mapping of field names to values",
        expect=TypeError,
    ),
    Case(
        "api",
        "train-units-negative",
        lambda tmp: _lazy("kerasrecipes.runs", "train")("iris", recipe={"units": -1}, tracking="none", verbose=0),
        r"^`units` must be an integer in \[1, 65536\]\. Received: units=-1$",
        expect=ValueError,
    ),
    Case(
        "api",
        "train-tracking-unknown",
        lambda tmp: _lazy("kerasrecipes.runs", "train")("iris", tracking="cloud"),
        r"^`tracking` must be one of: 'auto', 'none', 'offline', 'online'\. Received: tracking='cloud'$",
        expect=ValueError,
    ),
    Case(
        "api",
        "train-data-wrong-type",
        lambda tmp: _lazy("kerasrecipes.runs", "train")(5, tracking="none", verbose=0),
        r"^`data` must be a dataset name, a kerasrecipes\.data\.Dataset, a data source or a data-source mapping",
        expect=TypeError,
    ),
    Case(
        "api",
        "train-recipe-wrong-type",
        lambda tmp: _lazy("kerasrecipes.runs", "train")("iris", recipe=["units", 8], tracking="none", verbose=0),
        r"^`recipe` must be a Recipe, a dict of recipe fields, or None\. Received: recipe='list'$",
        expect=TypeError,
    ),
    Case(
        "api",
        "train-seed-negative",
        lambda tmp: _lazy("kerasrecipes.runs", "train")("iris", seed=-1, tracking="none", verbose=0),
        r"^`seed` must be an integer in \[0, 4294967295\]\. Received: seed=-1$",
        expect=ValueError,
    ),
    Case(
        "api",
        "train-task-unknown",
        lambda tmp: _lazy("kerasrecipes.runs", "train")("iris", task="clustering", tracking="none", verbose=0),
        r"^`task` must be one of: 'binary', 'cnn', 'multiclass', 'multilabel', 'regression', 'rnn'\. "
        r"Received: task='clustering'$",
        expect=ValueError,
    ),
    Case(
        "api",
        "train-out-exists",
        lambda tmp: _lazy("kerasrecipes.runs", "train")("iris", out=tmp / "mine", tracking="none", verbose=0),
        r"Run directory .*mine already exists and is not empty",
        files({"mine/notes.txt": "mine\n"}),
        expect=ValueError,
    ),
    Case(
        "api",
        "train-arrays-y-nan",
        lambda tmp: _lazy("kerasrecipes.runs", "train")(
            np.ones((20, 2)), np.r_[np.nan, np.arange(19.0)], tracking="none", verbose=0
        ),
        r"^`y` must be finite targets\. Received: y='1 row\(s\) with NaN or infinite values, the first row 0'\. "
        r"Drop those rows",
        expect=ValueError,
    ),
    Case(
        "api",
        "train-arrays-x-infinite",
        lambda tmp: _lazy("kerasrecipes.runs", "train")(
            np.r_[[[np.inf, 0.0]], np.ones((19, 2))], np.arange(20.0), tracking="none", verbose=0
        ),
        r"^`X` must be finite numbers within float32's range \(NaN marks a missing value\)\. Received: "
        r"X='1 infinite or out-of-range value\(s\)'",
        expect=ValueError,
    ),
    Case(
        "api",
        "train-verbose-wrong-type",
        lambda tmp: _lazy("kerasrecipes.runs", "train")("iris", recipe={"epochs": 1}, verbose="loud", tracking="none"),
        r"^`verbose` must be an integer in \[0, 2\]",
        expect=TypeError,
    ),
    Case(
        "api",
        "train-callbacks-wrong-type",
        lambda tmp: _lazy("kerasrecipes.runs", "train")(
            "iris", recipe={"epochs": 1}, callbacks=5, verbose=0, tracking="none"
        ),
        r"^`callbacks` must be a list or tuple of keras\.callbacks\.Callback",
        expect=TypeError,
    ),
    Case(
        "api",
        "load_csv-missing",
        lambda tmp: _lazy("kerasrecipes.data", "load_csv")(tmp / "gone.csv", "y"),
        r"^`path` must be an existing CSV file\. .*The path is missing",
        expect=ValueError,
    ),
    Case(
        "api",
        "load_csv-target-wrong-type",
        lambda tmp: _lazy("kerasrecipes.data", "load_csv")(tmp / "data.csv", 2),
        r"^`target` must be a column name \(str\)\. Received: target=2$",
        files({"data.csv": GOOD_CSV}),
        expect=TypeError,
    ),
    Case(
        "api",
        "load_csv-wrong-delimiter",
        lambda tmp: _lazy("kerasrecipes.data", "load_csv")(tmp / "data.csv", "y", delimiter=";"),
        r"^`delimiter` must be the character that separates the columns\. Received: delimiter=';'\. .*pass delimiter=','$",
        files({"data.csv": GOOD_CSV}),
        expect=ValueError,
    ),
    Case(
        "api",
        "load_csv-delimiter-two-characters",
        lambda tmp: _lazy("kerasrecipes.data", "load_csv")(tmp / "data.csv", "y", delimiter=",,"),
        r"^`delimiter` must be None or a single character",
        files({"data.csv": GOOD_CSV}),
        expect=ValueError,
    ),
    Case(
        "api",
        "load_dataset-unknown-parameter",
        lambda tmp: _lazy("kerasrecipes.data", "load_dataset")("friedman1", noize=0.5),
        r"Unknown parameter of 'friedman1' 'noize'\. Did you mean 'noise'\?",
        expect=ValueError,
    ),
    Case(
        "api",
        "build_model-one-class",
        lambda tmp: _lazy("kerasrecipes", "build_model")(_lazy("kerasrecipes", "Recipe")(), (4,), n_classes=1),
        r"^`n_classes` must be None \(regression\) or an integer >= 2\. Received: n_classes=1$",
        expect=ValueError,
    ),
    Case(
        "api",
        "build_model-empty-shape",
        lambda tmp: _lazy("kerasrecipes", "build_model")(_lazy("kerasrecipes", "Recipe")(), (), n_classes=3),
        r"^`input_shape` must be the shape of one sample",
        expect=ValueError,
    ),
    Case(
        "api",
        "build_model-negative-shape",
        lambda tmp: _lazy("kerasrecipes", "build_model")(_lazy("kerasrecipes", "Recipe")(), (-4,), n_classes=3),
        r"^`input_shape` must be the shape of one sample.*Received: input_shape=\(-4,\)",
        expect=ValueError,
    ),
    Case(
        "api",
        "build_model-recipe-wrong-type",
        lambda tmp: _lazy("kerasrecipes", "build_model")("adam", (4,), n_classes=3),
        r"^`recipe` must be a Recipe, a dict of recipe fields, or None",
        expect=TypeError,
    ),
    Case(
        "api",
        "WeightSaver-keras-file",
        lambda tmp: _lazy("kerasrecipes.callbacks", "WeightSaver")(str(tmp / "model.keras")),
        r"^`filepath` must be a path ending in '\.weights\.h5'\. .*use `model\.save\(path\)`",
        expect=ValueError,
    ),
    Case(
        "api",
        "WeightSaver-wrong-type",
        lambda tmp: _lazy("kerasrecipes.callbacks", "WeightSaver")(5),
        r"^`filepath` must be a non-empty file path ending in '\.weights\.h5'\. Received: filepath=5$",
        expect=TypeError,
    ),
    Case(
        "api",
        "EarlyStopping-negative-patience",
        lambda tmp: _lazy("kerasrecipes.callbacks", "EarlyStopping")(patience=-1),
        r"^`patience` must be an integer >= 0\. Received: patience=-1$",
        expect=ValueError,
    ),
    Case(
        "api",
        "EarlyStopping-unknown-mode",
        lambda tmp: _lazy("kerasrecipes.callbacks", "EarlyStopping")(mode="up"),
        r"^`mode` must be one of: 'auto', 'max', 'min'\. Received: mode='up'$",
        expect=ValueError,
    ),
    Case(
        "api",
        "GradientClipping-unknown-mode",
        lambda tmp: _lazy("kerasrecipes.callbacks", "GradientClipping")(mode="clip"),
        r"^`mode` must be one of: 'autoclip', 'global_norm', 'norm', 'value'\. Received: mode='clip'$",
        expect=ValueError,
    ),
    Case(
        "api",
        "parse_overrides-without-equals",
        lambda tmp: _lazy("kerasrecipes", "parse_overrides")(["units"]),
        r"^Expected key=value",
        expect=ValueError,
    ),
    Case(
        "api",
        "get_scenario-unknown",
        lambda tmp: _lazy("kerasrecipes", "get_scenario")("binary-huge"),
        r"^Unknown scenario 'binary-huge'\.",
        expect=ValueError,
    ),
    Case(
        "api",
        "reproduce-missing-directory",
        lambda tmp: _lazy("kerasrecipes.runs", "reproduce")(tmp / "gone"),
        r"gone is not a run directory",
        expect=ValueError,
    ),
    Case(
        "api",
        "check_sweep-wrong-type",
        lambda tmp: _lazy("kerasrecipes.tuning", "check_sweep")(5),
        r"^`sweep` must be a bundled sweep name or a path\. Received: sweep=5$",
        expect=ValueError,
    ),
    # ---- output paths and predict's outputs ----------------------------------------------------------------------
    Case(
        "predict",
        "out-is-a-fifo",
        ["predict", "run", "new.csv", "--out", "fifo.csv", "--overwrite"],
        r"--out fifo\.csv is a FIFO \(named pipe\), not a regular file, and is never replaced; name a regular file; "
        r"to write to standard output use --out -\.$",
        both(
            run_copy(lambda run, runs: None),
            files({"new.csv": IRIS_NEW}),
            lambda tmp, runs: os.mkfifo(tmp / "fifo.csv"),
        ),
    ),
    Case(
        "predict",
        "out-links-to-a-device",
        ["predict", "run", "new.csv", "--out", "null.csv", "--overwrite"],
        r"--out null\.csv is a character device \(a link to /dev/null\), not a regular file, and is never replaced",
        both(
            run_copy(lambda run, runs: None),
            files({"new.csv": IRIS_NEW}),
            lambda tmp, runs: (tmp / "null.csv").symlink_to("/dev/null"),
        ),
    ),
    Case(
        "predict",
        "out-is-a-directory",
        ["predict", "run", "new.csv", "--out", "adir"],
        r"--out adir is a directory; name a file, e.g\. --out adir/predictions\.csv\.$",  # not "pass --overwrite"
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW}), dirs("adir")),
    ),
    Case(
        "predict",
        "out-is-a-file-of-the-run",
        ["predict", "run", "new.csv", "--out", "run/history.csv", "--overwrite"],
        r"--out run/history\.csv is inside the run directory run, whose files are the run's record; choose a path "
        r"outside it\.$",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW})),
    ),
    Case(
        "predict",
        "keep-unknown-column",
        ["predict", "run", "new.csv", "--out", "p.csv", "--keep", "id"],
        r"--keep id: new\.csv has no column 'id'; its columns are 'sepal length \(cm\)', 'sepal width \(cm\)', "
        r"'petal length \(cm\)', 'petal width \(cm\)'\.$",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW})),
    ),
    Case(
        "predict",
        "keep-with-a-npy-file",
        ["predict", "run", "new.npy", "--out", "p.csv", "--keep", "id"],
        r"--keep names columns of a CSV file, and new\.npy is a \.npy array of samples without columns; leave --keep "
        r"out\.$",
        both(run_copy(lambda run, runs: None), files({"new.npy": GARBAGE})),
    ),
    Case(
        "predict",
        "skip-to-stdout-without-errors-file",
        ["predict", "run", "new.csv", "--out", "-", "--on-error", "skip"],
        r"--on-error skip lists the rows it leaves out in a file, and --out - names none; add --errors PATH",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW})),
    ),
    Case(
        "predict",
        "errors-without-skip",
        ["predict", "run", "new.csv", "--out", "p.csv", "--errors", "e.csv"],
        r"--errors PATH lists the rows --on-error skip leaves out; add --on-error skip, or leave --errors out\.$",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW})),
    ),
    Case(
        "predict",
        "errors-file-exists",
        ["predict", "run", "new.csv", "--out", "p.csv", "--on-error", "skip"],
        r"--errors p\.errors\.csv exists; choose another path, or pass --overwrite\.$",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW, "p.errors.csv": "keep me\n"})),
    ),
    Case(
        "predict",
        "bad-row-to-stdout",
        ["predict", "run", "new.csv", "--out", "-"],
        r"Column 'sepal length \(cm\)' of new\.csv is infinite on line 3",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW + "inf,3.0,1.4,0.2\n"})),
    ),
    # ---- data values and CSV reading ------------------------------------------------------------------------------
    Case(
        "csv",
        "feature-beyond-float32",
        train("--csv", "data.csv", "--target", "y"),
        r"`path` must be a CSV file with finite numbers\. .*Column 'a' is beyond float32's range \(\|x\| > 3\.4e\+38\) "
        r"in 1 row\(s\) \(first on line 4: 1e\+300\); rescale the column .*or empty those cells so they are imputed$",
        files({"data.csv": csv_text([("1e300" if i == 2 else a, b, y) for i, (a, b, y) in enumerate(ROWS)])}),
    ),
    Case(
        "csv",
        "target-beyond-float32",
        train("--csv", "data.csv", "--target", "y"),
        r"`target` must be a column of finite values\. .*Column 'y' of data\.csv is beyond float32's range "
        r"\(\|x\| > 3\.4e\+38\) in 1 row\(s\) \(first on line 4: -1e\+300\); .*or remove those rows$",
        files({"data.csv": csv_text([(a, b, "-1e300" if i == 2 else a * 1.5) for i, (a, b, _) in enumerate(ROWS)])}),
    ),
    Case(
        "csv",
        "stream-feature-beyond-float32",
        train("--csv", "data.csv", "--target", "y", "--stream"),
        r"`path` must be a CSV file with finite numbers\. .*Column 'b' is beyond float32's range \(\|x\| > 3\.4e\+38\) "
        r"on line 7 \(1e\+39\)",
        files({"data.csv": csv_text([(a, "1e39" if i == 5 else b, y) for i, (a, b, y) in enumerate(ROWS)])}),
    ),
    Case(
        "csv",
        "predict-number-beyond-float32",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"Column 'sepal length \(cm\)' of new\.csv is beyond float32's range \(\|x\| > 3\.4e\+38\) on line 3 "
        r"\(1e\+300\); the run was trained on finite numbers\. Rescale the column",
        both(run_copy(lambda run, runs: None), files({"new.csv": IRIS_NEW + "1e300,3.0,1.4,0.2\n"})),
    ),
    Case(
        "csv",
        "drop-names-the-target",
        train("--csv", "data.csv", "--target", "y", "--drop", "y"),
        r"^--drop y names the target column; the target is never a feature, so leave it out of --drop \(`drop`\)\.$",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "categorical-names-the-target",
        train("--csv", "data.csv", "--target", "y", "--categorical", "y"),
        r"^--categorical y names the target column; the target is never a feature, so leave it out of --categorical "
        r"\(`categorical`\); to read a numeric target as class labels, pass --task binary or multiclass\.$",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "stream-drop-names-the-target",
        train("--csv", "data.csv", "--target", "y", "--stream", "--drop", "y"),
        r"^--drop y names the target column",
        files({"data.csv": GOOD_CSV}),
    ),
    Case(
        "csv",
        "multi-character-delimiter",
        train("--csv", "data.csv", "--target", "y", "--delimiter", "::"),
        r"^`delimiter` must be None or a single character other than a quote or a line break\. Received: "
        r"delimiter='::'\. Pass the one character that separates the fields, e\.g\. ';' or ':'",
        files({"data.csv": csv_text(ROWS, sep="::")}),
    ),
    Case(
        "csv",
        "stream-multi-character-delimiter",
        train("--csv", "data.csv", "--target", "y", "--stream", "--delimiter", "::"),
        r"^`delimiter` must be None or a single character .*Received: delimiter='::'",
        files({"data.csv": csv_text(ROWS, sep="::")}),
    ),
    Case(
        "csv",
        "tab-delimiter-written-as-backslash-t",
        train("--csv", "data.csv", "--target", "y", "--delimiter", "\\t"),
        r"Received: delimiter='\\\\t'\. For a tab, leave it out \(a tab is detected\) or pass the tab character "
        r"itself",
        files({"data.csv": csv_text(ROWS, sep="\t")}),
    ),
    # ---- sweep names and suggested fixes --------------------------------------------------------------------------
    Case(
        "sweep",
        "name-escapes-runs",
        ["sweep", "s.yaml", "--validate"],
        r"^s\.yaml: name: `name` must be one folder name: .*Received: name='x/\.\./\.\./escaped'\. "
        r"Write `name: x-escaped`$",
        files({"s.yaml": SWEEP + "name: x/../../escaped\n"}),
    ),
    Case(
        "sweep",
        "run-with-escaping-name",
        run_sweep("s.yaml"),
        r"^s\.yaml: 1 problem\(s\) in the sweep file: name: `name` must be one folder name: .*"
        r"Received: name='\.\./\.\./escaped'\. Write `name: escaped`$",
        files({"s.yaml": SWEEP + "name: ../../escaped\n"}),
    ),
    Case(
        "sweep",
        "name-dot-dot",
        ["sweep", "s.yaml", "--validate"],
        r"^s\.yaml: name: `name` must be one folder name: .*Received: name='\.\.'\. Write `name: sweep`$",
        files({"s.yaml": SWEEP + "name: '..'\n"}),
    ),
    Case(
        "sweep",
        "name-with-nul",
        ["sweep", "s.yaml", "--validate"],
        r"^s\.yaml: name: `name` must be one folder name: .*Received: name='a\\x00b'\. Write `name: a-b`$",
        files({"s.yaml": SWEEP + 'name: "a\\0b"\n'}),
    ),
    Case(
        "sweep",
        "goal-the-wrong-way",
        ["sweep", "s.yaml", "--validate"],
        r"^s\.yaml: metric\.goal: `epoch/val_loss` must be minimized, not maximized\. Received: goal='maximize'\. "
        r"Write `goal: minimize`$",
        files({"s.yaml": sweep_with("goal: minimize", "goal: maximize")}),
    ),
    Case(
        "api",
        "check_sweep_name-path",
        lambda tmp: _lazy("kerasrecipes.tuning.validate", "check_sweep_name")("a/b"),
        r"^`name` must be one folder name: .*Received: name='a/b'\. Write `name: a-b`$",
        expect=ValueError,
    ),
    Case(
        "api",
        "build_model-binary-without-n_classes",
        lambda tmp: _lazy("kerasrecipes", "build_model")(_lazy("kerasrecipes", "Recipe")(task="binary"), (8,)),
        r"^n_classes=None means a regression target, but task='binary' is a classifier\. Pass n_classes=2, "
        r"or use task='regression'\.$",
        expect=ValueError,
    ),
    Case(
        "api",
        "build_model-cnn-on-a-tabular-shape",
        lambda tmp: _lazy("kerasrecipes", "build_model")(_lazy("kerasrecipes", "Recipe")(task="cnn"), (8,), 2),
        r"^task='cnn' needs image input, .*Pass an input_shape of the form \(height, width, channels\), "
        r"or use task='binary'\.$",
        expect=ValueError,
    ),
    # ---- run directories: content, locks, integrity ------------------------------------------------------------
    Case(
        "sweep",
        "overwrite-a-folder-that-is-not-a-sweep",
        run_sweep("s.yaml", "--out", "mine", "--overwrite"),
        r"--out mine already holds files that are not a kerasrecipes sweep \(it has no sweep_state\.json\)",
        files({"s.yaml": SWEEP, "mine/results.csv": "my results\n", "mine/notes.txt": "keep me\n"}),
    ),
    Case(
        "sweep",
        "overwrite-a-folder-with-a-foreign-state-file",
        run_sweep("s.yaml", "--out", "mine", "--overwrite"),
        r"--out mine already holds files that are not a kerasrecipes sweep \(its sweep_state\.json is not a "
        r"kerasrecipes sweep state\)",
        files({"s.yaml": SWEEP, "mine/sweep_state.json": '{"steps": 3}'}),
    ),
    Case(
        "rundir",
        "tampered-seed-reproduce",
        ["reproduce", "run"],
        r"run/manifest\.json was changed after the run was written \(its content does not match its manifest_sha256\)\. "
        r"Restore the run's original files from a copy, or train it again",
        run_copy(manifest_edit(set_key("seed", value=7)), reseal=False),
    ),
    Case(
        "rundir",
        "tampered-classes-predict",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"run/manifest\.json was changed after the run was written",
        both(
            run_copy(manifest_edit(set_key("data", "target_spec", "classes", value=[2, 1, 0])), reseal=False),
            files({"new.csv": IRIS_NEW}),
        ),
    ),
    Case(
        "rundir",
        "tampered-fill-value-export",
        ["export", "run", "--format", "keras", "--out", "m.keras"],
        r"run/manifest\.json was changed after the run was written",
        run_copy(manifest_edit(lambda m: m["data"]["preprocessing"]["numeric"]["fill"].reverse()), reseal=False),
    ),
    Case(
        "rundir",
        "another-runs-model-predict",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"run/model\.keras does not match the sha256 in manifest\.json \(another run's file, or changed\)",
        both(
            run_copy(lambda run, runs: shutil.copyfile(runs.units8 / "model.keras", run / "model.keras"), reseal=False),
            files({"new.csv": IRIS_NEW}),
        ),
    ),
    Case(
        "rundir",
        "another-runs-weights-reproduce",
        ["reproduce", "run", "--retrain"],
        r"run/model\.weights\.h5 does not match the sha256 in manifest\.json",
        run_copy(weights(lambda old, runs: (runs.units8 / "model.weights.h5").read_bytes()), reseal=False),
    ),
    Case(
        "rundir",
        "model-missing-predict",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"run/model\.keras is missing\. Restore the run's original files",
        both(run_copy(lambda run, runs: (run / "model.keras").unlink(), reseal=False), files({"new.csv": IRIS_NEW})),
    ),
    Case(
        "rundir",
        "class-count-does-not-match-the-model",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"run/manifest\.json does not describe run/model\.keras: the model answers 3 probabilities, the manifest lists "
        r"classes \[0, 1, 2, 3\]\. Restore the run's original files",
        both(
            run_copy(manifest_edit(set_key("data", "target_spec", "classes", value=[0, 1, 2, 3]))),
            files({"new.csv": IRIS_NEW}),
        ),
    ),
    Case(
        "rundir",
        "unknown-preprocessing-kind",
        ["export", "run", "--format", "keras", "--out", "m.keras"],
        r"run/manifest\.json does not describe run/model\.keras: its data\.preprocessing\.kind is not 'tabular' or "
        r"'channels'",
        run_copy(manifest_edit(set_key("data", "preprocessing", "kind", value="weird"))),
    ),
    Case(
        "rundir",
        "column-kind-does-not-match-the-model",
        ["predict", "run", "new.csv", "--out", "p.csv"],
        r"run/manifest\.json does not describe run/model\.keras: input 'sepal_length_cm' is float32 of shape \[\] in "
        r"the model, string of shape \[\] in the manifest's schema",
        both(
            run_copy(manifest_edit(lambda m: m["data"]["preprocessing"]["columns"][0].update(kind="categorical"))),
            files({"new.csv": IRIS_NEW}),
        ),
    ),
    Case(
        "api",
        "image-rows-of-strings",
        lambda tmp: _lazy("kerasrecipes.data._inputs", "model_inputs")(
            {"kind": "channels", "shape": [2, 2, 1]}, np.full((3, 2, 2, 1), "a"), where="s.npy"
        ),
        r"^s\.npy must hold numbers \(the run's images\); it holds <U1 values\. Save a numeric array",
        expect=ValueError,
    ),
    Case(
        "rundir",
        "overwrite-a-web-app",
        train("--dataset", "iris", "--out", "app", "--overwrite"),
        r"--out app is not a kerasrecipes run \(its manifest\.json is not a kerasrecipes run manifest\), and "
        r"--overwrite only replaces a run",
        files({"app/manifest.json": '{"name": "My App", "start_url": "/"}', "app/index.html": "<html></html>"}),
    ),
    Case(
        "rundir",
        "overwrite-a-folder-without-manifest",
        train("--dataset", "iris", "--out", "build", "--overwrite"),
        r"--out build is not a kerasrecipes run \(it has no manifest\.json\)",
        files({"build/app.js": "x"}),
    ),
    Case(
        "rundir",
        "overwrite-a-forged-run",
        train("--dataset", "iris", "--out", "run", "--overwrite"),
        r"--out run is not a kerasrecipes run \(its manifest\.json does not match its content hash\)",
        run_copy(manifest_edit(set_key("seed", value=7)), reseal=False),
    ),
    Case(
        "rundir",
        "overwrite-an-old-run-whose-files-changed",
        train("--dataset", "iris", "--out", "run", "--overwrite"),
        r"--out run is not a kerasrecipes run \(model\.keras does not match the hash in its manifest\.json\)",
        run_copy(
            lambda run, runs: (manifest_edit(drop_key("format"))(run, runs), (run / "model.keras").write_bytes(b"x")),
            reseal=False,
        ),
    ),
    # -- new input kinds: multi-label targets, series, forecasts, image folders, augmentation ------------------
    Case(
        "cli",
        "multilabel-not-0-1",
        train("--csv", "m.csv", "--target", "y1,y2"),
        r"0/1 label columns .*'y2'.*\[2\]",
        files({"m.csv": ML_CSV.replace("\n0.3,0.85,1,1,0\n", "\n0.3,0.85,1,2,0\n")}),
    ),
    Case(
        "cli",
        "multilabel-constant-label",
        train("--csv", "m.csv", "--target", "y1,y3"),
        r"labels that are 1 in some rows and 0 in others.*'y3' is 0 in every row",
        files({"m.csv": ML_CSV}),
    ),
    Case(
        "cli",
        "multilabel-as-multiclass",
        train("--csv", "m.csv", "--target", "y1,y2", "--task", "multiclass"),
        r"'multilabel' for several 0/1 label columns",
        files({"m.csv": ML_CSV}),
    ),
    Case(
        "cli",
        "multilabel-one-column",
        train("--csv", "m.csv", "--target", "y1", "--task", "multilabel"),
        r"'multilabel' needs one 0/1 column per label: --target a,b,c",
        files({"m.csv": ML_CSV}),
    ),
    Case(
        "cli",
        "multilabel-softmax",
        train("--csv", "m.csv", "--target", "y1,y2", "--set", "output_activation=softmax"),
        r"several labels per row \(2 0/1 columns\), but a softmax head",
        files({"m.csv": ML_CSV}),
    ),
    Case(
        "cli",
        "multilabel-class-weight",
        train("--csv", "m.csv", "--target", "y1,y2", "--set", "imbalance=class_weight"),
        r"`imbalance` must be 'none' for task='multilabel'",
        files({"m.csv": ML_CSV}),
    ),
    Case(
        "cli",
        "multilabel-stream",
        train("--csv", "m.csv", "--target", "y1,y2", "--stream"),
        r"--stream reads one target column, and 'y1,y2' names several",
        files({"m.csv": ML_CSV}),
    ),
    Case(
        "cli",
        "label-sep-stream",
        train("--csv", "t.csv", "--target", "tags", "--label-sep", "|", "--stream"),
        r"--label-sep reads a multi-label target in memory; leave out --stream",
        files({"t.csv": TAGS_CSV}),
    ),
    Case(
        "cli",
        "label-sep-splits-nothing",
        train("--csv", "t.csv", "--target", "tags", "--label-sep", ";"),
        r"No row of t\.csv holds two labels split by it",
        files({"t.csv": TAGS_CSV}),
    ),
    Case(
        "cli",
        "sequence-text-column",
        train("--csv", "s.csv", "--target", "y", "--sequence"),
        r"column 'city' is text\. Leave it out with --drop city",
        files({"s.csv": TEXT_SERIES_CSV}),
    ),
    Case(
        "cli",
        "channels-without-sequence",
        train("--csv", "s.csv", "--target", "y", "--channels", "t"),
        r"--channels goes with --sequence",
        files({"s.csv": SERIES_CSV}),
    ),
    Case(
        "cli",
        "channels-of-unequal-length",
        train("--csv", "s.csv", "--target", "y", "--sequence", "--channels", "a,b"),
        r"channels with the same number of columns .*'a': 3, 'b': 2",
        files({"s.csv": CHANNELS_CSV}),
    ),
    Case(
        "cli",
        "sequence-with-gaps",
        train("--csv", "s.csv", "--target", "y", "--sequence"),
        r"`imputation` must be 'drop' for image or sequence data with NaN values",
        files({"s.csv": SERIES_CSV.replace("\n0.1,", "\n,", 1)}),
    ),
    Case(
        "cli",
        "forecast-without-time",
        train("--csv", "f.csv", "--target", "value", "--forecast", "--window", "5"),
        r"--forecast needs --time COLUMN",
        files({"f.csv": FORECAST_CSV}),
    ),
    Case(
        "cli",
        "window-without-forecast",
        train("--csv", "f.csv", "--target", "value", "--window", "5"),
        r"--window goes with --forecast",
        files({"f.csv": FORECAST_CSV}),
    ),
    Case(
        "cli",
        "forecast-gap",
        train("--csv", "f.csv", "--target", "value", "--forecast", "--time", "step", "--window", "5"),
        r"gap after step 9: a step of 2 where the usual step is 1",
        files({"f.csv": FORECAST_CSV.replace("\n10,0.0,1.5\n", "\n")}),
    ),
    Case(
        "cli",
        "forecast-empty-value",
        train("--csv", "f.csv", "--target", "value", "--forecast", "--time", "step", "--window", "5"),
        r"empty 'temp' at step 7",
        files({"f.csv": FORECAST_CSV.replace("\n7,2.0,1.5\n", "\n7,2.0,\n")}),
    ),
    Case(
        "cli",
        "forecast-window-too-long",
        train("--csv", "f.csv", "--target", "value", "--forecast", "--time", "step", "--window", "55"),
        r"--window plus --horizon must be at most 51",
        files({"f.csv": FORECAST_CSV}),
    ),
    Case(
        "cli",
        "forecast-horizon-0",
        train("--csv", "f.csv", "--target", "value", "--forecast", "--time", "step", "--window", "5", "--horizon", "0"),
        r"`horizon` must be an integer >= 1",
        files({"f.csv": FORECAST_CSV}),
    ),
    Case(
        "cli",
        "images-corrupt-file",
        train("--images", "img"),
        r"img: b1\.png is not an image that decodes .*remove or replace it",
        both(images("img"), files({"img/b/b1.png": GARBAGE})),
    ),
    Case(
        "cli",
        "images-stream-corrupt-file",
        train("--images", "img", "--stream"),
        r"img: b1\.png is not an image that decodes .*remove or replace it",
        both(images("img"), files({"img/b/b1.png": GARBAGE})),
    ),
    Case(
        "cli",
        "images-empty-class-folder",
        train("--images", "img"),
        r"img/c holds no image .*add images or remove the folder",
        both(images("img"), dirs("img/c")),
    ),
    Case(
        "cli",
        "images-one-class",
        train("--images", "one"),
        r"one has 1 class folder\(s\) \(a\); it needs one sub-folder of images per class",
        images("one", classes=("a",)),
    ),
    Case(
        "cli",
        "images-mixed-channels",
        train("--images", "img"),
        r"mixed channel counts .*--color grayscale or --color rgb",
        both(images("img"), files({"img/a/gray.png": png(1)})),
    ),
    Case(
        "cli",
        "images-not-a-folder",
        train("--images", "nope"),
        r"nope is not a folder; give a folder with one sub-folder of images per class",
    ),
    Case(
        "cli",
        "images-with-csv",
        train("--images", "img", "--csv", "d.csv", "--target", "y"),
        r"--images DIR is the data .*leave out --csv, --target",
        images("img"),
    ),
    Case(
        "cli",
        "image-size-without-images",
        train("--dataset", "iris", "--image-size", "32"),
        r"--image-size and --color go with --images DIR",
    ),
    Case(
        "cli",
        "image-column-without-csv",
        train("--dataset", "iris", "--image-column", "path"),
        r"--image-column goes with --csv PATH --target COLUMN",
    ),
    Case(
        "cli",
        "augmentation-on-a-table",
        train("--dataset", "iris", "--set", "augment_flip=horizontal"),
        r"augment_flip augments images \(the CNN rows\), and this model's data is a table",
    ),
    Case(
        "cli",
        "convolution-field-on-a-table",
        train("--dataset", "iris", "--set", "filters=64"),
        r"filters=64 shapes the convolution blocks of images \(the CNN rows\), and this model's data is a table "
        r"\(the dense builder\)\. Leave filters at its default\.",
    ),
    Case(
        "cli",
        "convolution-field-with-a-backbone",
        train("--images", "img", "--image-size", "32", "--set", "backbone=mobilenet_v3_small_minimalistic")
        + ["--set", "conv_blocks=3"],
        r"conv_blocks=3 shapes the CNN's own convolution blocks, which backbone='mobilenet_v3_small_minimalistic' "
        r"replaces\. Leave conv_blocks at its default, or set backbone='none'\.",
        images("img"),
    ),
    Case(
        "cli",
        "backbone-weights-missing",
        train("--images", "img", "--image-size", "32", "--set", "backbone=mobilenet_v3_small_minimalistic")
        + ["--set", "backbone_weights=missing.h5"],
        r"backbone_weights='missing\.h5': no such file \(nothing is downloaded\)\. Give the path of the weights file",
        images("img"),
    ),
    Case(
        "cli",
        "backbone-weights-of-another-model",
        train("--images", "img", "--image-size", "32", "--set", "backbone=mobilenet_v3_small_minimalistic")
        + ["--set", "backbone_weights=dense.weights.h5"],
        r"backbone_weights='dense\.weights\.h5' does not hold weights of backbone='mobilenet_v3_small_minimalistic'",
        both(images("img"), dense_weights("dense.weights.h5")),
    ),
    Case(
        "cli",
        "backbone-images-too-small",
        train("--images", "img", "--image-size", "16", "--set", "backbone=mobilenet_v3_small"),
        r"backbone='mobilenet_v3_small' needs images of at least 32x32 pixels; these are 16x16\. .*--image-size 32",
        images("img"),
    ),
    Case(
        "cli",
        "backbone-on-a-table",
        train("--dataset", "iris", "--set", "backbone=resnet50_v2"),
        r"backbone='resnet50_v2' reads images \(the CNN rows\), and this model's data is a table",
    ),
    Case(
        "cli",
        "fine-tune-without-weights",
        train("--images", "img", "--image-size", "32", "--set", "backbone=mobilenet_v3_small")
        + ["--set", "fine_tune_epochs=2"],
        r"fine_tune_epochs=2 fine-tunes pretrained weights, and backbone_weights='none' trains the backbone",
        images("img"),
    ),
    Case(
        "cli",
        "text-with-stream",
        train("--csv", "d.csv", "--target", "y", "--text", "review", "--stream"),
        r"--text reads free text in memory; leave out --stream \(or --drop the text column\)",
        files({"d.csv": TEXT_CSV}),
    ),
    Case(
        "cli",
        "text-unknown-column",
        train("--csv", "d.csv", "--target", "y", "--text", "reviw"),
        r"Unknown column to read as free text 'reviw'\. Did you mean 'review'\?",
        files({"d.csv": TEXT_CSV}),
    ),
    Case(
        "cli",
        "text-names-the-target",
        train("--csv", "d.csv", "--target", "y", "--text", "y"),
        r"--text y names the target column; the target is never a feature, so leave it out of --text",
        files({"d.csv": TEXT_CSV}),
    ),
    Case(
        "cli",
        "text-column-empty",
        train("--csv", "e.csv", "--target", "y", "--text", "review"),
        r"--text review names a column without any text in e\.csv; fill it, or leave it out of --text",
        files({"e.csv": csv_text([("", i, i % 2) for i in range(30)], ("review", "n", "y"))}),
    ),
    Case(
        "cli",
        "text-with-a-bundled-dataset",
        train("--dataset", "iris", "--text", "review"),
        r"--text goes with --csv PATH; a bundled --dataset is read as it is",
    ),
    Case(
        "cli",
        "texts-with-csv",
        train("--texts", "tx", "--csv", "d.csv", "--target", "y"),
        r"--texts DIR is the data \(its sub-folders are the classes\); leave out --csv, --target",
        both(texts("tx"), files({"d.csv": TEXT_CSV})),
    ),
    Case(
        "cli",
        "texts-not-a-folder",
        train("--texts", "nope"),
        r"`--texts` must be a folder with one sub-folder of \.txt files per class\. .*does not exist",
    ),
    Case(
        "cli",
        "texts-binary-file",
        train("--texts", "tx"),
        r"tx/b/b9\.txt is not a text file \(it holds binary data, e\.g\. an image\).*Remove it",
        both(texts("tx"), files({"tx/b/b9.txt": png()})),
    ),
    Case(
        "cli",
        "texts-empty-class-folder",
        train("--texts", "tx"),
        r"The class folder tx/c holds no \.txt file; put that class's texts in it, or remove it",
        both(texts("tx"), dirs("tx/c")),
    ),
    Case(
        "sweep",
        "ensemble-larger-than-the-sweep",
        run_sweep("s.yaml", "--ensemble", "2", "--out", "sw"),
        r"^--ensemble 2 averages the 2 best trials, and this sweep runs 1 trial\(s\); raise --trials to 2 or more\.$",
        files({"s.yaml": SWEEP}),
    ),
    # -- cross-validated sweeps and runs (--cv K) ------------------------------------------------------------------
    Case(
        "sweep",
        "cv-negative",
        run_sweep("s.yaml", "--cv", "-1", "--out", "sw"),
        r"^`--cv` must be 0 or 1 \(one validation split\) or an integer in \[2, 100\] .*Received: --cv=-1\. Write --cv 5",
        files({"s.yaml": SWEEP}),
    ),
    Case(
        "sweep",
        "cv-more-folds-than-a-class-has-rows",
        run_sweep("s.yaml", "--csv", "d.csv", "--target", "y", "--cv", "20", "--out", "sw"),
        r"`folds` must be at most the rows of the smallest class left after the test split .*Received: folds=20\. "
        r"Class '0' has 16 of them: cross-validate on 16 folds or fewer \(--cv 16\), or on none \(--cv 0\)$",
        files({"s.yaml": SWEEP, "d.csv": GOOD_CSV}),
    ),
    Case(
        "sweep",
        "cv-more-folds-than-rows",
        run_sweep("s.yaml", "--csv", "r.csv", "--target", "y", "--cv", "40", "--out", "sw"),
        r"`folds` must be at most the 32 rows left after the test split .*Received: folds=40\. Cross-validate on 32 "
        r"folds or fewer \(--cv 32\)",
        files({"s.yaml": SWEEP, "r.csv": csv_text([(a, b + a) for a, b, _ in ROWS], ("a", "y"))}),
    ),
    Case(
        "api",
        "run_sweep-cv-streamed-data",
        lambda tmp: _lazy("kerasrecipes.tuning.runner", "run_sweep")(
            str(tmp / "s.yaml"),
            dataset=_lazy("kerasrecipes.streaming", "CsvStream")(tmp / "d.csv", "y"),
            out=tmp / "sw",
            cv=3,
            tracking="none",
            verbose=0,
        ),
        r"^--cv 3 cross-validates rows held in memory, but this data is streamed \(CsvStream\); leave out --stream",
        files({"s.yaml": SWEEP, "d.csv": GOOD_CSV}),
        expect=ValueError,
    ),
    Case(
        "sweep",
        "cv-forecast",
        run_sweep("s.yaml", "--csv", "f.csv", "--target", "value", "--forecast", "--time=step", "--window=5", "--cv=3"),
        r"--cv 3 cannot fold a forecast: its windows are split by time.*; leave out --cv",
        files({"s.yaml": SWEEP, "f.csv": FORECAST_CSV}),
    ),
    Case(
        "sweep",
        "cv-in-the-command-not-a-number",
        ["sweep", "s.yaml", "--validate"],
        r"s\.yaml: command: `--cv` must be 0 or 1 .*Received: --cv='five'",
        files({"s.yaml": SWEEP.replace("'${args}'", "--cv=five, '${args}'")}),
    ),
    Case(
        "cli",
        "train-cv-negative",
        train("--dataset", "iris", "--cv", "-3"),
        r"^`--cv` must be 0 or 1 \(one validation split\) or an integer in \[2, 100\]",
    ),
    Case(
        "cli",
        "train-cv-streamed",
        train("--csv", "d.csv", "--target", "y", "--stream", "--cv", "3"),
        r"--cv 3 cross-validates rows held in memory, but this data is streamed \(CsvStream\)",
        files({"d.csv": GOOD_CSV}),
    ),
    Case(
        "recipe",
        "fold-without-folds",
        train("--dataset", "iris", "--set", "fold=2"),
        r"`fold` must be an integer in \[0, folds - 1\] .*Received: fold=2\. Set folds \(e\.g\. folds=3\) or leave out fold",
    ),
    Case(
        "csv",
        "tabm-mini-of-one-network",
        train("--dataset", "iris", "--set", "ensemble_kind=tabm_mini"),
        r"^ensemble_kind='tabm_mini' builds an ensemble of members sharing one network, and ensemble=1 asks for "
        r"one network\. Set ensemble=8 \(or another count >= 2\), or ensemble_kind='packed'\.$",
    ),
]


def _params():
    ids = [f"{c.category}-{c.id}" for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate row ids"
    for case, case_id in zip(CASES, ids):
        marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
        yield pytest.param(case, id=case_id, marks=marks)


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under root: file bytes, or None for a directory."""
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def _shown(caught: list[warnings.WarningMessage]) -> list[str]:
    return [f"{w.category.__name__}: {w.message}" for w in caught if not issubclass(w.category, QUIET_WARNINGS)]


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input(case: Case, tmp_path: Path, monkeypatch, capsys, request):
    monkeypatch.chdir(tmp_path)
    if case.setup is not None:
        case.setup(tmp_path, lambda: request.getfixturevalue("trained_runs"))
    before = snapshot(tmp_path)
    if isinstance(case.call, list):
        _log.import_tensorflow_quietly()  # its import-time warnings are not the command's
        capsys.readouterr()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                code = cli.main(case.call)
            except SystemExit as exc:  # argparse; the one-line check below reports its usage block
                code = exc.code
        out, err = capsys.readouterr()
        assert "Traceback" not in err + out
        lines = err.splitlines()
        patterns = [case.match] if isinstance(case.match, str) else case.match
        assert (code, len(lines)) == (case.expect, len(patterns)), f"exit {code}, stderr:\n{err}"
        for line, pattern in zip(lines, patterns):
            assert line.startswith(PREFIX), line
            assert re.search(pattern, line[len(PREFIX) :]), f"{pattern!r} not in {line!r}"
        assert not out.strip(), out
        assert not _shown(caught), _shown(caught)
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(case.expect) as info:
                case.call(tmp_path)
        message = str(info.value)
        assert "\n" not in message, message
        assert re.search(case.match, message), f"{case.match!r} not in {message!r}"
        assert not _shown(caught), _shown(caught)
    after = snapshot(tmp_path)
    assert sorted(set(after) - set(before)) == [], "the failed command created files"
    assert sorted(set(before) - set(after)) == [], "the failed command removed files"
    assert [k for k in before if before[k] != after[k]] == [], "the failed command modified files"


def test_the_guarantees_page_reports_the_tables_size():
    page = (Path(__file__).parent.parent / "docs" / "explanation" / "guarantees.md").read_text()
    stated = re.search(r"(\d+) rows in the bad-input table", page)
    assert stated and int(stated.group(1)) == len(CASES), "docs/explanation/guarantees.md states another size"


def test_table_covers_every_category():
    counts: dict[str, int] = {}
    for case in CASES:
        counts[case.category] = counts.get(case.category, 0) + 1
    assert set(counts) == {"cli", "recipe", "sweep", "csv", "weights", "rundir", "predict", "api"}
    assert len(CASES) >= 40 and min(counts.values()) >= 5, counts


# -- accepted spellings and recoverable problems (not errors) ----------------------------------------------------
def test_numbers_typed_on_the_command_line_are_numbers():
    from kerasrecipes import parse_overrides

    assert parse_overrides(["learning_rate=1e-5", "units=8", "batch_norm=yes", "--dropout=0.25"]) == {
        "learning_rate": 1e-5,
        "units": 8,
        "batch_norm": True,
        "dropout": 0.25,
    }


def test_a_junk_marker_in_a_numeric_feature_is_read_as_missing_and_noted(tmp_path):
    from kerasrecipes.data import load_csv

    path = tmp_path / "data.csv"
    path.write_text(csv_text([("?" if i == 3 else a, b, y) for i, (a, b, y) in enumerate(ROWS)]))
    before = path.read_bytes()
    ds = load_csv(path, "y")
    assert ds.numeric_columns == ("a", "b") and ds.X["a"].isna().sum() == 1
    assert ds.column_types[0].note == "junk markers read as missing: '?' x1"
    assert load_csv(path, "y", na_values=["?"]).column_types[0].note is None  # declared: nothing to say
    assert path.read_bytes() == before


# -- internal bugs and --debug -------------------------------------------------------------------------------------
def test_internal_bug_is_not_reported_as_a_user_error(monkeypatch, capsys):
    """A non-user exception (here RuntimeError) propagates out of main: `python -m` then exits 1 with a traceback."""
    from kerasrecipes.recipes import _table

    def broken(*args, **kwargs):
        raise RuntimeError("simulated internal bug")

    monkeypatch.setattr(_table, "list_scenarios", broken)
    with pytest.raises(RuntimeError, match="simulated internal bug"):
        cli.main(["recipes"])
    assert PREFIX not in capsys.readouterr().err


def _kerasrecipes(*args: str, cwd: Path, code: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "WANDB_MODE": "disabled", "PYTHONWARNINGS": "default"}
    argv = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "kerasrecipes", *args]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(PREFIX), proc.stderr
    return lines[0]


@pytest.mark.slow
def test_subprocess_user_errors_exit_2_without_traceback(tmp_path, trained_runs):
    (tmp_path / "s.yaml").write_text("method: random\nparameters: [\n")
    shutil.copytree(trained_runs.base, tmp_path / "run")
    weights_file = tmp_path / "run" / "model.weights.h5"
    weights_file.write_bytes(weights_file.read_bytes()[:1000])
    before = snapshot(tmp_path)
    assert "Unknown dataset 'irs'" in _one_error_line(
        _kerasrecipes("train", "--dataset", "irs", "--tracking", "none", cwd=tmp_path)
    )
    assert "s.yaml: invalid YAML at line 3" in _one_error_line(
        _kerasrecipes("sweep", "s.yaml", "--validate", cwd=tmp_path)
    )
    assert "run/model.weights.h5 does not match the sha256 in manifest.json" in _one_error_line(
        _kerasrecipes("reproduce", "run", cwd=tmp_path)
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("where", ["before", "after"])
def test_subprocess_debug_shows_the_traceback(tmp_path, where, monkeypatch, capsys):
    """`--debug` before or after the command: the user error leaves `main` as an exception, so the process
    exits 1 with its traceback. "before" runs the real process. "after" differs only in where argparse reads
    the flag, so it calls `main` in this process: what a process does with an exception `main` lets through
    is the same either way, and the "before" row checks it. Neither command gets as far as importing TensorFlow:
    the unknown dataset is refused before."""
    from kerasrecipes.errors import UserError

    command = ["train", "--dataset", "irs", "--tracking", "none"]
    if where == "before":
        proc = _kerasrecipes("--debug", *command, cwd=tmp_path)
        assert proc.returncode == 1
        assert "Traceback (most recent call last)" in proc.stderr
        assert "kerasrecipes.errors.UserError: Unknown dataset 'irs'" in proc.stderr
    else:
        monkeypatch.chdir(tmp_path)
        capsys.readouterr()
        with pytest.raises(UserError, match=r"^Unknown dataset 'irs'"):
            cli.main([*command, "--debug"])
        assert PREFIX not in capsys.readouterr().err  # raised, not reported as the one-line error
    assert list(tmp_path.iterdir()) == []


def test_subprocess_internal_bug_exits_1_with_traceback(tmp_path):
    code = (
        "import sys\nfrom kerasrecipes import cli\nfrom kerasrecipes.recipes import _table\n"
        "def broken(*a, **k):\n    raise RuntimeError('simulated internal bug')\n"
        "_table.list_scenarios = broken\nsys.exit(cli.main(sys.argv[1:]))\n"
    )
    proc = _kerasrecipes("recipes", cwd=tmp_path, code=code)
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr and "RuntimeError: simulated internal bug" in proc.stderr
    assert PREFIX not in proc.stderr


def test_a_type_error_inside_training_is_a_bug_not_a_user_error(tmp_path, monkeypatch, capsys):
    """Issue 15: an injected `None + 1` inside training leaves `main` as the TypeError it is, not as exit 2 with
    one line; `python -m kerasrecipes` then exits 1 with its traceback (the process itself:
    test_subprocess_internal_bug_exits_1_with_traceback). Run in this process: no second TensorFlow import."""
    from kerasrecipes.runs import _evaluate

    def broken(*a, **k):
        return None + 1

    monkeypatch.setattr(_evaluate, "evaluate", broken)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    with pytest.raises(TypeError, match=r"^unsupported operand type\(s\) for \+: 'NoneType' and 'int'$"):
        cli.main(["train", "--dataset", "iris", "--tracking", "none", "--set", "epochs=1", "--out", "run"])
    assert PREFIX not in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_subprocess_argparse_error_is_one_line(tmp_path):
    _one_error_line(_kerasrecipes("train", "--dataset", "iris", "--seed", "abc", cwd=tmp_path))
