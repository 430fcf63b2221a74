"""Sweep YAML files: the bundled ones validate clean and agree with the scenario table; every trap
of ../shared/notes/wandb_sweeps.md section 1 (and more) is rejected with a message naming the key."""

from __future__ import annotations

import copy
import random
import re
import sys
import warnings

import numpy as np
import pytest
import yaml

from kerasrecipes import tuning as v
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import FIELDS, TASKS, Recipe, get_scenario
from kerasrecipes.tuning import validate

GOAL_OF_MODE = {"min": "minimize", "max": "maximize"}


def _load(name):
    return v.load_sweep(v.resolve_sweep_path(name))


def _row(config):
    return get_scenario(config["parameters"]["scenario"]["value"])


# -- the bundled files ---------------------------------------------------------------------------
def test_every_task_has_a_bundled_sweep():
    assert set(v.bundled_sweeps()) == set(v.SWEEP_NAMES)
    assert set(TASKS) <= set(v.SWEEP_NAMES)
    tasks = {_row(_load(name)).task for name in v.SWEEP_NAMES}
    assert tasks == set(TASKS)


def test_bundled_sweeps_cover_grid_random_bayes_and_hyperband():
    configs = [_load(name) for name in v.SWEEP_NAMES]
    assert {c["method"] for c in configs} == {"grid", "random", "bayes"}
    hyperband = [c for c in configs if c.get("early_terminate", {}).get("type") == "hyperband"]
    assert len(hyperband) >= 2
    assert all(c["early_terminate"]["min_iter"] == 3 and c["early_terminate"]["eta"] in (2, 3) for c in hyperband)


@pytest.mark.parametrize("name", v.SWEEP_NAMES)
def test_bundled_sweep_validates_clean(name):
    config = _load(name)
    before = copy.deepcopy(config)
    assert v.validate_sweep(config) == []
    assert config == before  # validation does not fill in W&B defaults
    assert v.check_sweep(name) == config


@pytest.mark.parametrize("name", v.SWEEP_NAMES)
def test_bundled_sweep_agrees_with_its_row(name):
    config = _load(name)
    row = _row(config)
    assert name == row.task
    params = config["parameters"]
    assert set(params) <= set(FIELDS)
    assert config["metric"] == {"name": f"epoch/{row.monitor}", "goal": GOAL_OF_MODE[row.mode]}
    assert set(params["optimizer"]["values"]) == set(row.optimizers)
    assert params["learning_rate"].get("distribution", "log_uniform_values") == "log_uniform_values"
    assert 1 <= config["run_cap"] <= 20
    assert params["epochs"]["value"] == (15 if row.task in ("cnn", "rnn") else 60)
    command = config["command"]
    assert command[:5] == ["${env}", "${interpreter}", "-m", "kerasrecipes", "train"]
    assert command[-1] == "${args}" and "--dataset" in command


def test_bundled_sweeps_cover_the_issue_parameters():
    names = set().union(*(_load(n)["parameters"] for n in v.SWEEP_NAMES))
    assert {
        "learning_rate",
        "units",
        "num_layers",
        "dropout",
        "l1",
        "l2",
        "elastic_net",
        "batch_size",
        "optimizer",
        "clipping",
    } <= names


def _scalars(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _scalars(value)
    elif isinstance(node, list):
        for value in node:
            yield from _scalars(value)
    else:
        yield node


@pytest.mark.parametrize("name", v.SWEEP_NAMES)
def test_bundled_numbers_load_as_numbers(name):
    """Floats are written YAML-1.1-safe (1.0e-4): no number anywhere in the file loads as text."""
    texts = [s for s in _scalars(_load(name)) if isinstance(s, str)]
    assert texts and not [s for s in texts if validate._NUMBER.match(s)]


@pytest.mark.parametrize("name", v.SWEEP_NAMES)
def test_engine_suggestions_are_valid_recipes(name):
    """W&B's engine turns each file into a recipe the row accepts (no l1/l2 + elastic net clash)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import sweeps
    config = _load(name)
    random.seed(0)
    np.random.seed(0)
    runs = []
    for i in range(3):
        suggestion = sweeps.next_run(config, runs)
        params = {
            k: (s["value"].item() if hasattr(s["value"], "item") else s["value"]) for k, s in suggestion.config.items()
        }
        Recipe.from_dict(params).resolved(params["scenario"])
        runs.append(
            sweeps.SweepRun(
                name=f"t{i}",
                state="finished",
                config=suggestion.config,
                summary_metrics={"epoch/val_loss": 1.0 + i},
                history=[{"epoch/val_loss": 1.0 + i}],
            )
        )


def test_grid_is_exhausted_within_run_cap():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import sweeps
    config = _load("multiclass")
    runs = []
    while (s := sweeps.next_run(config, runs)) is not None:
        runs.append(sweeps.SweepRun(name=f"t{len(runs)}", state="finished", config=s.config))
    assert len(runs) == config["run_cap"]


# -- resolving paths -----------------------------------------------------------------------------
def test_resolve_bundled_name_finds_the_packaged_file():
    path = v.resolve_sweep_path("binary")
    assert path.name == "binary.yaml" and path.parent.name == "sweeps" and path.is_file()
    assert path.parent.parent.name == "kerasrecipes"


def test_resolve_accepts_a_path(tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text(v.resolve_sweep_path("rnn").read_text())
    assert v.resolve_sweep_path(str(target)) == target
    assert v.check_sweep(target)["method"] == "random"


@pytest.mark.parametrize(
    "arg, match",
    [
        ("binnary", r"Unknown sweep 'binnary'. Did you mean 'binary'"),
        ("nowhere/x.yaml", r"nowhere/x.yaml: no such sweep file"),
        (42, r"`sweep` must be a bundled sweep name or a path"),
    ],
)
def test_resolve_rejects_missing(arg, match):
    with pytest.raises(ValueError, match=match):
        v.resolve_sweep_path(arg)


def test_resolve_rejects_directory(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        v.resolve_sweep_path(tmp_path)


# -- invalid files -------------------------------------------------------------------------------
HEAD = """method: random
metric: {name: epoch/val_loss, goal: minimize}
run_cap: 5
"""

# (id, YAML text, regex the ValueError must match: it names the key or parameter)
INVALID = [
    (
        "str-in-values",
        HEAD + "parameters:\n  learning_rate: {values: [1e-5, 1.0e-4]}\n",
        r"parameters.learning_rate: values '1e-5' is loaded as a string.*write 1\.0e-5",
    ),
    (
        "str-min",
        HEAD + "parameters:\n  learning_rate:\n    distribution: log_uniform_values\n    min: 1e-5\n    max: 1.0e-1\n",
        r"parameters.learning_rate: min '1e-5' is loaded as a string \(YAML 1.1 floats need a dot.*write 1\.0e-5",
    ),
    (
        "str-max-no-sign",
        HEAD + "parameters:\n  l2: {min: 0.0, max: 1.0e3}\n",
        r"parameters.l2: max '1.0e3' is loaded as a string.*; write 1\.0e\+3",
    ),
    (
        "quoted-int",
        HEAD + "parameters:\n  batch_size: {values: ['32', 64]}\n",
        r"parameters.batch_size: values '32' is loaded as a string because it is quoted; write 32",
    ),
    (
        "log_uniform",
        HEAD + "parameters:\n  learning_rate: {distribution: log_uniform, min: -9.0, max: -2.0}\n",
        r"parameters.learning_rate: W&B schema: .*log_uniform_values",
    ),
    (
        "count",
        HEAD + "count: 10\nparameters:\n  units: {values: [16, 32]}\n",
        r"count: Unknown top-level sweep key 'count'.*run_cap",
    ),
    (
        "arguments",
        HEAD + "arguments: [--x]\nparameters:\n  units: {values: [16, 32]}\n",
        r"arguments: Unknown top-level sweep key 'arguments'",
    ),
    (
        "tune",
        HEAD + "tune: {max_trials: 3}\nparameters:\n  units: {values: [16, 32]}\n",
        r"tune: Unknown top-level sweep key 'tune'",
    ),
    (
        "goal-maximum",
        "method: random\nmetric: {name: epoch/val_accuracy, goal: maximum}\nparameters:\n  units: {values: [16]}\n",
        r"metric.goal: `metric.goal` must be one of: 'maximize', 'minimize'. Received: metric.goal='maximum'",
    ),
    (
        "goal-free-text",
        "method: random\nmetric: {name: epoch/val_loss, goal: as low as possible}\n"
        "parameters:\n  units: {values: [16]}\n",
        r"metric.goal: .*as low as possible",
    ),
    (
        "goal-missing",
        "method: random\nmetric: {name: epoch/val_accuracy}\nparameters:\n  units: {values: [16]}\n",
        r"metric.goal: is missing, so W&B minimizes; write `goal: maximize`",
    ),
    (
        "goal-wrong-way",
        "method: bayes\nmetric: {name: epoch/val_loss, goal: maximize}\nparameters:\n  units: {values: [16]}\n",
        r"metric.goal: `epoch/val_loss` must be minimized",
    ),
    (
        "metric-unknown",
        "method: bayes\nmetric: {name: validation_loss, goal: minimize}\nparameters:\n  units: {values: [16]}\n",
        r"metric.name: .*epoch/<key>.*Received: metric.name='validation_loss'",
    ),
    (
        "metric-not-logged-by-row",
        "method: bayes\nmetric: {name: epoch/val_auc, goal: maximize}\n"
        "parameters:\n  scenario: {value: multiclass-less-features}\n",
        r"metric.name: .*Received: metric.name='epoch/val_auc'",
    ),
    ("metric-missing", "method: random\nparameters:\n  units: {values: [16]}\n", r"metric: is missing"),
    (
        "uniform-with-values",
        HEAD + "parameters:\n  dropout: {distribution: uniform, values: [0.1, 0.2]}\n",
        r"parameters.dropout: `distribution: uniform` takes min/max, not `values`",
    ),
    (
        "grid-continuous",
        "method: grid\nmetric: {name: epoch/val_loss, goal: minimize}\nparameters:\n  dropout: {min: 0.0, max: 0.5}\n",
        r"parameters.dropout: a grid cannot enumerate the continuous `uniform`",
    ),
    (
        "grid-log",
        "method: grid\nmetric: {name: epoch/val_loss, goal: minimize}\nparameters:\n"
        "  learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}\n",
        r"parameters.learning_rate: a grid cannot enumerate the continuous `log_uniform_values`",
    ),
    (
        "int-range-on-real",
        HEAD + "parameters:\n  dropout: {min: 0, max: 1}\n",
        r"parameters.dropout: min: 0, max: 1 are integers, so W&B infers int_uniform",
    ),
    (
        "real-range-on-int",
        HEAD + "parameters:\n  units: {min: 8.0, max: 64.0}\n",
        r"parameters.units: `uniform` samples real numbers but `units` is an integer",
    ),
    (
        "normal-on-bounded",
        HEAD + "parameters:\n  dropout: {distribution: normal, mu: 0.2, sigma: 0.1}\n",
        r"parameters.dropout: `normal` is unbounded",
    ),
    (
        "range-out-of-bounds",
        HEAD + "parameters:\n  dropout: {min: 0.0, max: 1.0}\n",
        r"parameters.dropout: max: `dropout` must be a real number in \[0.0, 1.0\)",
    ),
    (
        "constant-list",
        HEAD + "parameters:\n  units: {value: [10, 50, 100]}\n",
        r"parameters.units: `value: \[10, 50, 100\]` is one constant list, not a search axis; write `values:`",
    ),
    (
        "nested",
        HEAD + "parameters:\n  optimizer:\n    parameters:\n      learning_rate: {values: [0.1]}\n",
        r"parameters.optimizer: nested `parameters:` groups are not supported",
    ),
    (
        "unknown-parameter",
        HEAD + "parameters:\n  lr: {values: [0.1]}\n  dropout_rate: {values: [0.1]}\n",
        r"parameters.dropout_rate: Unknown sweep parameter 'dropout_rate'. Did you mean 'dropout'\? "
        r"Parameters are recipe fields: see `kerasrecipes recipes --fields`$",
    ),
    (
        "dropout-1.5",
        HEAD + "parameters:\n  dropout: {values: [0.1, 1.5]}\n",
        r"parameters.dropout: values: `dropout` must be a real number in \[0.0, 1.0\). Received: dropout=1.5",
    ),
    (
        "optimizer-adamw",
        HEAD + "parameters:\n  optimizer: {values: [adam, adamw]}\n",
        r"parameters.optimizer: values: `optimizer` must be one of: .*Received: optimizer='adamw'",
    ),
    (
        "bool-as-string",
        HEAD + "parameters:\n  batch_norm: {value: 'yes'}\n",
        r"parameters.batch_norm: value: `batch_norm` must be a boolean",
    ),
    (
        "scenario-unknown",
        HEAD + "parameters:\n  scenario: {value: binary-huge-dataset}\n",
        r"parameters.scenario: value: `scenario` must be one of",
    ),
    (
        "scenario-task-clash",
        HEAD + "parameters:\n  scenario: {value: binary-small-dataset}\n  task: {value: regression}\n",
        r"parameters: `scenario` 'binary-small-dataset' is a 'binary' row but `task` is 'regression'",
    ),
    (
        "elastic-net-with-l2",
        HEAD + "parameters:\n  scenario: {value: binary-small-dataset}\n"
        "  elastic_net: {values: [1.0e-4]}\n  l2: {values: [0.0, 1.0e-3]}\n",
        r"parameters.elastic_net: .*can set l2 > 0 and elastic_net > 0 together",
    ),
    ("scalar-spec", HEAD + "parameters:\n  units: 32\n", r"parameters.units: `units` must be a mapping with `value:`"),
    ("empty-spec", HEAD + "parameters:\n  units: {}\n", r"parameters.units: W&B schema: is not a valid W&B parameter"),
    (
        "values-and-range",
        HEAD + "parameters:\n  dropout: {values: [0.1], min: 0.0, max: 0.2}\n",
        r"parameters.dropout: W&B schema: is not a valid W&B parameter",
    ),
    (
        "min-above-max",
        HEAD + "parameters:\n  dropout: {min: 0.5, max: 0.1}\n",
        r"parameters.dropout: W&B schema: dropout: min 0.5 is not less than max 0.1",
    ),
    (
        "grid-probabilities",
        "method: grid\nmetric: {name: epoch/val_loss, goal: minimize}\nparameters:\n"
        "  units: {values: [16, 32], probabilities: [0.5, 0.5]}\n",
        r"parameters.units: a grid takes every value once",
    ),
    (
        "run_cap-zero",
        HEAD.replace("run_cap: 5", "run_cap: 0") + "parameters:\n  units: {values: [16]}\n",
        r"run_cap: `run_cap` must be an integer >= 1.*Received: run_cap=0",
    ),
    (
        "run_cap-text",
        HEAD.replace("run_cap: 5", "run_cap: ten") + "parameters:\n  units: {values: [16]}\n",
        r"run_cap: .*Received: run_cap='ten'",
    ),
    (
        "run_cap-float",
        HEAD.replace("run_cap: 5", "run_cap: 2.5") + "parameters:\n  units: {values: [16]}\n",
        r"run_cap: .*Received: run_cap=2.5",
    ),
    (
        "method-bad",
        HEAD.replace("method: random", "method: hyperopt") + "parameters:\n  units: {values: [16]}\n",
        r"method: `method` must be one of: 'bayes', 'grid', 'random'. Received: method='hyperopt'",
    ),
    (
        "method-custom",
        HEAD.replace("method: random", "method: custom") + "parameters:\n  units: {values: [16]}\n",
        r"method: .*Received: method='custom'",
    ),
    (
        "method-missing",
        HEAD.replace("method: random\n", "") + "parameters:\n  units: {values: [16]}\n",
        r"method: .*Received: method=None",
    ),
    ("parameters-missing", HEAD, r"parameters: `parameters` must be a non-empty mapping"),
    (
        "parameters-list",
        HEAD + "parameters: [units, dropout]\n",
        r"parameters: `parameters` must be a non-empty mapping",
    ),
    (
        "hyperband-no-min_iter",
        HEAD + "early_terminate: {type: hyperband}\nparameters:\n  units: {values: [16]}\n",
        r"early_terminate: W&B schema: must be `type: hyperband` with `min_iter`",
    ),
    (
        "hyperband-after-last-epoch",
        HEAD + "early_terminate: {type: hyperband, min_iter: 20}\nparameters:\n  epochs: {value: 10}\n",
        r"early_terminate.min_iter: is 20 but every run stops after epochs=10, so hyperband never stops a run; "
        r"write `min_iter: 3` \(below epochs\)$",
    ),
    (
        "command-without-args",
        HEAD + "command: [python, train.py]\nparameters:\n  units: {values: [16]}\n",
        r"command: has no `\$\{args\}` item, .*; append '\$\{args\}' to the list$",
    ),
    (
        "scheduler",
        HEAD + "scheduler: {engine: optuna}\nparameters:\n  units: {values: [16]}\n",
        r"scheduler: W&B schema: `scheduler.engine: optuna` does not support `method: random`",
    ),
    (
        "name-escapes-runs",
        HEAD + "name: x/../../escaped\nparameters:\n  units: {values: [16]}\n",
        r"name: `name` must be one folder name: .*Received: name='x/\.\./\.\./escaped'\. Write `name: x-escaped`$",
    ),
    (
        "name-absolute",
        HEAD + "name: /tmp/elsewhere\nparameters:\n  units: {values: [16]}\n",
        r"name: `name` must be one folder name: .*Write `name: tmp-elsewhere`$",
    ),
    (
        "name-dot-dot",
        HEAD + "name: '..'\nparameters:\n  units: {values: [16]}\n",
        r"name: `name` must be one folder name: .*Received: name='\.\.'\. Write `name: sweep`$",
    ),
    (
        "name-backslash",
        HEAD + "name: 'a\\b'\nparameters:\n  units: {values: [16]}\n",
        r"name: `name` must be one folder name: .*Write `name: a-b`$",
    ),
    (
        "name-nul",
        HEAD + 'name: "a\\0b"\nparameters:\n  units: {values: [16]}\n',
        r"name: .*Received: name='a\\x00b'\. Write `name: a-b`$",
    ),
    ("name-not-text", HEAD + "name: [a, b]\nparameters:\n  units: {values: [16]}\n", r"name: W&B schema: .*'string'"),
    (
        "goal-wrong-way-fix",
        "method: bayes\nmetric: {name: epoch/val_accuracy, goal: minimize}\nparameters:\n  units: {values: [16]}\n",
        r"metric.goal: `epoch/val_accuracy` must be maximized, not minimized\. Received: goal='minimize'\. "
        r"Write `goal: maximize`$",
    ),
    (
        "metric-misspelled",
        "method: bayes\nmetric: {name: epoch/val_acuracy, goal: maximize}\nparameters:\n  units: {values: [16]}\n",
        r"metric.name: .*Received: metric.name='epoch/val_acuracy'\. Did you mean 'epoch/val_accuracy'\?$",
    ),
]


@pytest.mark.parametrize("text, match", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_sweep_is_rejected_naming_the_key(tmp_path, text, match):
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        v.check_sweep(path)
    first = str(info.value).splitlines()[0]
    assert first.startswith(f"{path}: ") and "problem(s)" in first


BROKEN_FILES = [
    ("empty", b"", r"sweep.yaml: is empty"),
    ("only-comments", b"# nothing here\n", r"sweep.yaml: is empty"),
    ("binary-garbage", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", r"sweep.yaml: is not a UTF-8 text YAML file"),
    ("nul-bytes", b"method: grid\x00\x00", r"sweep.yaml: is not a UTF-8 text YAML file"),
    (
        "unclosed-bracket",
        b"method: grid\nparameters:\n  units: {values: [16, 32}\n",
        r"sweep.yaml: invalid YAML at line 3, column \d+: .*",
    ),
    ("bad-indent", b"method: grid\n  metric: x\n", r"sweep.yaml: invalid YAML at line 2, column 9: mapping values"),
    ("tab", b"method: grid\n\tmetric: x\n", r"sweep.yaml: invalid YAML at line 2"),
    (
        "python-tag",
        b"method: !!python/object/apply:os.system [ls]\n",
        r"sweep.yaml: invalid YAML at line 1.*constructor",
    ),
    ("bad-date", b"method: 2024-13-45\n", r"sweep.yaml: invalid YAML value: month must be in 1..12"),
    ("bad-float-tag", b"run_cap: !!float abc\n", r"sweep.yaml: invalid YAML value"),
    ("top-level-list", b"- method: grid\n- metric: x\n", r"sweep.yaml: top level is a list"),
    ("top-level-scalar", b"just text\n", r"sweep.yaml: top level is a str"),
    (
        "alias-bomb",
        b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        b"e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
        r"sweep.yaml: expands to more than",
    ),
    ("deep-nesting", b"[" * 5000 + b"]" * 5000, r"sweep.yaml: invalid YAML"),
]


@pytest.mark.parametrize("data, match", [c[1:] for c in BROKEN_FILES], ids=[c[0] for c in BROKEN_FILES])
def test_unloadable_file_is_one_line_value_error(tmp_path, data, match):
    path = tmp_path / "sweep.yaml"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match) as info:
        v.check_sweep(path)
    assert "\n" not in str(info.value)


def test_recursive_alias_is_rejected(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text("method: grid\nparameters: &p {units: {values: *p}}\n")
    with pytest.raises(ValueError, match="expands to more than"):
        v.load_sweep(path)


def test_validate_reports_every_problem_and_never_raises():
    config = yaml.safe_load(
        HEAD.replace("run_cap: 5", "run_cap: -1") + "count: 3\nparameters:\n"
        "  dropout: {values: [2.0]}\n  lr: {values: [0.1]}\n"
    )
    keys = [p.key for p in v.validate_sweep(config)]
    assert {"run_cap", "count", "parameters.dropout", "parameters.lr"} <= set(keys)
    assert len(keys) == len(set(keys))  # W&B's schema messages are not repeated beside ours
    for weird in (
        None,
        [],
        "x",
        3,
        {"parameters": {1: None}},
        {"metric": [1], "parameters": {"x": []}},
        {"controller": "local", "method": "grid", "parameters": {"units": {"values": [1]}}},
    ):
        problems = v.validate_sweep(weird)
        assert problems and all(isinstance(p, v.Problem) and "\n" not in p.message for p in problems)


# -- the CLI piece -------------------------------------------------------------------------------
def test_cli_validate_ok(capsys):
    assert v.cli_validate("cnn") == 0
    out, err = capsys.readouterr()
    n = len(_load("cnn")["parameters"])
    assert out == f"OK {v.resolve_sweep_path('cnn')}: bayes, {n} parameters\n" and err == ""


def test_cli_validate_prints_one_line_per_problem(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + "count: 3\nparameters:\n  learning_rate: {values: [1e-5]}\n  units: {value: [10, 50]}\n")
    assert v.cli_validate(str(path)) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 3
    assert all(line.startswith(f"kerasrecipes: error: {path}: ") for line in lines)
    assert any(f"{path}: parameters.learning_rate: " in line and "1.0e-5" in line for line in lines)
    assert any(f"{path}: count: " in line for line in lines)


@pytest.mark.parametrize("data", [b"", b"\x00\xff\x89", b"a: [1", b"- 1\n"])
def test_cli_validate_unloadable_file(tmp_path, capsys, data):
    path = tmp_path / "x.yaml"
    path.write_bytes(data)
    assert v.cli_validate(path) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"kerasrecipes: error: {path}: ") and err.count("\n") == 1


def test_cli_validate_missing_and_directory(tmp_path, capsys):
    assert v.cli_validate(tmp_path) == 2
    assert v.cli_validate("binnary") == 2
    err = capsys.readouterr().err.splitlines()
    assert "is a directory" in err[0] and "Did you mean 'binary'" in err[1]


def test_validation_does_not_import_tensorflow():
    import subprocess

    code = (
        "import sys; from kerasrecipes.tuning import check_sweep; check_sweep('binary'); "
        "sys.exit(int(any(m in sys.modules for m in ('tensorflow', 'keras'))))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_elastic_net_on_a_row_with_default_l2_is_valid():
    """binary-small-dataset defaults l2 to 1e-4; a recipe with elastic_net drops that default."""
    from kerasrecipes.tuning.validate import validate_sweep

    config = {
        "method": "random",
        "metric": {"name": "epoch/val_loss", "goal": "minimize"},
        "parameters": {"scenario": {"value": "binary-small-dataset"}, "elastic_net": {"values": [1.0e-4]}},
    }
    assert validate_sweep(config) == []


def test_the_ensemble_kind_is_a_searchable_field():
    """A sweep searches TabM-mini against the packed ensemble by field name; a wrong value names the key."""
    from kerasrecipes.recipes import parse_overrides
    from kerasrecipes.tuning.validate import validate_sweep

    config = {
        "method": "random",
        "metric": {"name": "epoch/val_loss", "goal": "minimize"},
        "parameters": {"ensemble": {"values": [4, 8]}, "ensemble_kind": {"values": ["packed", "tabm_mini"]}},
    }
    assert validate_sweep(config) == []
    config["parameters"]["ensemble_kind"] = {"values": ["packed", "tabm"]}
    assert [p.key for p in validate_sweep(config)] == ["parameters.ensemble_kind"]
    assert parse_overrides(["--ensemble_kind=tabm_mini"]) == {"ensemble_kind": "tabm_mini"}  # wandb agent's form


# -- the sweep name names the output folder (runs/sweep-<name>-seed<seed>) ---------------------------------------------
@pytest.mark.parametrize("name", ["binary", "my sweep 2", "lr-search_v1.2", "résumé", "x" * 200, "...", ".hidden", ""])
def test_a_single_folder_name_is_a_valid_sweep_name(name):
    assert validate.name_problem(name) is None
    validate.check_sweep_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "a/b",
        "../up",
        "x/../../escaped",
        "/abs",
        "a\\b",
        ".",
        "..",
        "a\x00b",
        "tab\tname",
        "new\nline",
        "x" * 201,
        "é" * 101,
    ],
)
def test_a_name_that_is_not_one_folder_name_is_refused_with_a_name_that_is(name, tmp_path):
    problem = validate.name_problem(name)
    assert problem and "\n" not in problem and problem.startswith("`name` must be one folder name")
    with pytest.raises(UserError, match=r"^`name` must be one folder name"):
        validate.check_sweep_name(name)
    fixed = yaml.safe_load(f"name: {re.search(r'Write `name: ([^`]+)`$', problem)[1]}")["name"]
    assert validate.name_problem(fixed) is None
    folder = tmp_path / "runs" / f"sweep-{fixed}-seed0"
    assert folder.parent == tmp_path / "runs" and folder.resolve().parent == (tmp_path / "runs").resolve()


def test_a_bad_name_is_refused_before_the_cli_writes_anything(tmp_path, monkeypatch, capsys):
    from kerasrecipes import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(
        HEAD + "name: ../../escaped\nparameters:\n  units: {values: [8]}\n"
        "  epochs: {value: 1}\ncommand: [python, -m, kerasrecipes, train, --dataset, "
        "iris, '${args}']\n"
    )
    assert cli.main(["sweep", "s.yaml", "--tracking", "none", "--quiet"]) == 2
    assert "name: `name` must be one folder name" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]
    assert not (tmp_path.parent / "escaped-seed0").exists()
    assert cli.main(["sweep", "s.yaml", "--validate"]) == 2
