"""Every suggested fix works as written (issue 26, item 7).

A message that says "Pass n_classes=2" or "Did you mean 'units'?" makes a promise: do that and the
call succeeds. Each row below is a bad call, a regex for its one-line `UserError` message whose named
groups capture the suggestion, and the fixed call built from those groups only. The test runs the bad
call, matches the message, then runs the fixed call, which must succeed. The recipe-field rows are
generated from the constraint table (`FIELDS`): the range or the choices a message names are used to
pick the value that is retried.

Fast: no training; the slowest rows build one small model.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import yaml

import kerasrecipes as kr
from kerasrecipes._validation import Boolean, Interval, Options
from kerasrecipes.data import load_dataset
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import FIELDS, Recipe, build_model
from kerasrecipes.tuning import validate


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """`bad()` raises a UserError whose message matches `match`; `fixed(**groups)` then succeeds."""

    id: str
    bad: Callable[[], Any]
    match: str
    fixed: Callable[..., Any]


def _build(recipe: Recipe, shape=(8,), n_classes=None, **kwargs) -> Any:
    model = build_model(recipe, shape, n_classes, **kwargs)
    assert model.output_shape[0] is None
    return model


def _num(text: str) -> Any:
    """A number, None or a boolean as a message writes it (`n_classes=None`, `batch_norm=false`)."""
    return yaml.safe_load(text.replace("None", "null"))


# -- sweeps: a valid base, and a "call" that raises the validator's problems as one line ---------------------------
SWEEP = """\
method: random
metric: {name: epoch/val_loss, goal: minimize}
run_cap: 2
parameters:
  units: {values: [8, 16]}
  epochs: {value: 6}
command: [python, -m, kerasrecipes, train, --dataset, iris, '${args}']
"""


def sweep(text: str = SWEEP) -> dict:
    """Validate a sweep YAML text: the config, or a UserError listing every problem on one line."""
    config = yaml.safe_load(text)
    problems = validate.validate_sweep(config)
    if problems:
        raise UserError(" | ".join(str(p) for p in problems))
    return config


def edit(old: str, new: str, text: str = SWEEP) -> str:
    assert old in text, old
    return text.replace(old, new)


def _diabetes():
    """A regression dataset in memory, for the sweeps checked against their data."""
    from kerasrecipes.data._sources import InMemory

    return InMemory(load_dataset("diabetes"))


X = np.random.default_rng(0).normal(size=(60, 4))
Y3 = np.arange(60) % 3
YC = np.random.default_rng(1).normal(size=60)

CASES = [
    # ---- build_model: a recipe and shapes, no data --------------------------------------------------------------
    Suggestion(
        "binary-without-n_classes",
        lambda: build_model(Recipe(task="binary"), (8,)),
        r"^n_classes=None means a regression target, but task='binary' is a classifier\. "
        r"Pass n_classes=(?P<n>\d+), or use task='regression'\.$",
        lambda n: _build(Recipe(task="binary"), (8,), int(n)),
    ),
    Suggestion(
        "binary-without-n_classes-or-regression",
        lambda: build_model(Recipe(task="binary"), (8,)),
        r"or use task='(?P<task>\w+)'\.$",
        lambda task: _build(Recipe(task=task), (8,)),
    ),
    Suggestion(
        "multiclass-without-n_classes",
        lambda: build_model(Recipe(task="multiclass"), (8,)),
        r"Pass n_classes=K, the number of classes \(e\.g\. n_classes=(?P<n>\d+)\)",
        lambda n: _build(Recipe(task="multiclass"), (8,), int(n)),
    ),
    Suggestion(
        "binary-with-5-classes",
        lambda: build_model(Recipe(task="binary"), (8,), 5),
        r"^n_classes=5 but task='binary' has a 1-unit sigmoid head \(2 classes\)\. "
        r"Use task='(?P<task>\w+)' \(softmax head\)",
        lambda task: _build(Recipe(task=task), (8,), 5),
    ),
    Suggestion(
        "binary-with-5-classes-or-2",
        lambda: build_model(Recipe(task="binary"), (8,), 5),
        r"or pass n_classes=(?P<n>\d+)\.$",
        lambda n: _build(Recipe(task="binary"), (8,), int(n)),
    ),
    Suggestion(
        "regression-with-classes",
        lambda: build_model(Recipe(task="regression"), (8,), 2),
        r"^n_classes=2 means class labels, but task='regression' predicts numbers\. "
        r"Pass n_classes=(?P<n>None), or use task='(?P<task>\w+)'\.$",
        lambda n, task: (_build(Recipe(task="regression"), (8,), _num(n)), _build(Recipe(task=task), (8,), 2)),
    ),
    Suggestion(
        "cnn-on-a-tabular-shape",
        lambda: build_model(Recipe(task="cnn"), (8,), 2),
        r"^task='cnn' needs image input, .*but input_shape=\(8,\) is tabular\. Pass an input_shape of the form "
        r"\(height, width, channels\), or use task='(?P<task>\w+)'\.$",
        lambda task: _build(Recipe(task=task), (8,), 2),
    ),
    Suggestion(
        "binary-on-an-image-shape",
        lambda: build_model(Recipe(task="binary"), (8, 8, 1), 2),
        r"or use task='(?P<task>\w+)'\.$",
        lambda task: _build(Recipe(task=task), (8, 8, 1), 2),
    ),
    Suggestion(
        "scenario-without-n_classes",
        lambda: build_model(Recipe(scenario="binary-small-dataset"), (8,)),
        r"^n_classes=None means a regression target, but scenario='binary-small-dataset' \(task 'binary'\) is a "
        r"classifier\. Pass n_classes=(?P<n>\d+), or use scenario='(?P<scenario>[\w-]+)'\.$",
        lambda n, scenario: (
            _build(Recipe(scenario="binary-small-dataset"), (8,), int(n)),
            _build(Recipe(scenario=scenario), (8,)),
        ),
    ),
    Suggestion(
        "categorical-loss-on-class-ids",
        lambda: build_model(Recipe(loss="categorical_crossentropy"), (8,), 3),
        r"^categorical_crossentropy expects one-hot labels but n_classes=3 builds for integer class ids\. "
        r"Set loss='(?P<loss>\w+)'",
        lambda loss: _build(Recipe(loss=loss), (8,), 3),
    ),
    Suggestion(
        "categorical-loss-or-one-hot-target",
        lambda: build_model(Recipe(loss="categorical_crossentropy"), (4,), 3),
        r"or pass target=infer_target\(X, y\) with one-hot y\.$",
        lambda: _build(Recipe(loss="categorical_crossentropy"), (4,), target=kr.infer_target(X, np.eye(3)[Y3])),
    ),
    Suggestion(
        "sigmoid-head-for-3-classes",
        lambda: build_model(Recipe(loss="binary_crossentropy"), (8,), 3),
        r"^A 1-unit sigmoid head cannot represent 3 classes\. Use a softmax head with 3 units and \w+ "
        r"\(loss='(?P<loss>\w+)', output_activation='(?P<act>\w+)'\)\.$",
        lambda loss, act: _build(Recipe(loss=loss, output_activation=act), (8,), 3),
    ),
    Suggestion(
        "regression-loss-on-classes",
        lambda: build_model(Recipe(loss="mean_squared_error"), (8,), 3),
        r"^n_classes=3 means class labels but mean_squared_error is a regression loss\. Use the row's "
        r"cross-entropy \(loss='(?P<loss>\w+)'\), or pass n_classes=(?P<n>None) for a regression model\.$",
        lambda loss, n: (_build(Recipe(loss=loss), (8,), 3), _build(Recipe(loss="mean_squared_error"), (8,), _num(n))),
    ),
    Suggestion(
        "classifier-loss-without-n_classes",
        lambda: build_model(Recipe(loss="hinge"), (8,)),
        r"^n_classes=None means a regression target, but the loss is hinge with a tanh head\. "
        r"Set loss='(?P<loss>\w+)' and output_activation='(?P<act>\w+)' .*, or pass n_classes=(?P<n>\d+) for",
        lambda loss, act, n: (
            _build(Recipe(loss=loss, output_activation=act), (8,)),
            _build(Recipe(loss="hinge"), (8,), int(n)),
        ),
    ),
    Suggestion(
        "softmax-with-binary-crossentropy",
        lambda: build_model(Recipe(output_activation="softmax", loss="binary_crossentropy"), (8,), 2),
        r"wrong objective\. Use a 1-unit sigmoid head \(output_activation='(?P<act>\w+)'\) with "
        r"binary_crossentropy, or keep softmax with loss='(?P<loss>\w+)'\.$",
        lambda act, loss: (
            _build(Recipe(output_activation=act, loss="binary_crossentropy"), (8,), 2),
            _build(Recipe(output_activation="softmax", loss=loss), (8,), 2),
        ),
    ),
    Suggestion(
        "softmax-with-binary-crossentropy-3-classes",
        lambda: build_model(Recipe(output_activation="softmax", loss="binary_crossentropy"), (8,), 3),
        r"wrong objective\. Keep softmax with loss='(?P<loss>\w+)'\.$",
        lambda loss: _build(Recipe(output_activation="softmax", loss=loss), (8,), 3),
    ),
    Suggestion(
        "relu-head-with-binary-crossentropy",
        lambda: build_model(Recipe(output_activation="relu", loss="binary_crossentropy"), (8,), 2),
        r"^binary_crossentropy expects a sigmoid head, got relu\. Set output_activation='(?P<act>\w+)' "
        r"\(or loss='(?P<loss>\w+)' with output_activation='(?P<act2>\w+)' for logits\)\.$",
        lambda act, loss, act2: (
            _build(Recipe(output_activation=act, loss="binary_crossentropy"), (8,), 2),
            _build(Recipe(output_activation=act2, loss=loss), (8,), 2),
        ),
    ),
    Suggestion(
        "hinge-on-3-classes",
        lambda: build_model(Recipe(loss="hinge"), (8,), 3),
        r"^hinge does not fit a multiclass target with 3 classes\. .*\(loss='(?P<loss>\w+)', "
        r"output_activation='(?P<act>\w+)'\)\.$",
        lambda loss, act: _build(Recipe(loss=loss, output_activation=act), (8,), 3),
    ),
    Suggestion(
        "label-smoothing-on-regression",
        lambda: build_model(Recipe(label_smoothing=0.1), (8,)),
        r"^`label_smoothing` must be (?P<value>\d+) with loss 'mean_squared_error'",
        lambda value: _build(Recipe(label_smoothing=_num(value)), (8,)),
    ),
    Suggestion(
        "ensemble-with-batch-norm",
        lambda: build_model(Recipe(ensemble=2, batch_norm=True), (8,), 2),
        r"Set batch_norm=(?P<bn>\w+) or ensemble=(?P<k>\d+)\.$",
        lambda bn, k: (
            _build(Recipe(ensemble=2, batch_norm=_num(bn)), (8,), 2),
            _build(Recipe(ensemble=int(k), batch_norm=True), (8,), 2),
        ),
    ),
    Suggestion(
        "ensemble-with-maxout",
        lambda: build_model(Recipe(ensemble=2, activation="maxout"), (8,), 2),
        r"set ensemble=(?P<k>\d+)\.$",
        lambda k: _build(Recipe(ensemble=int(k), activation="maxout"), (8,), 2),
    ),
    Suggestion(
        "ensemble-with-hinge",
        lambda: build_model(Recipe(ensemble=2, loss="hinge"), (8,), 2),
        r"Set loss='(?P<loss>\w+)' or ensemble=1\.$",
        lambda loss: _build(Recipe(ensemble=2, loss=loss), (8,), 2),
    ),
    Suggestion(
        "ensemble-on-a-cnn",
        lambda: build_model(Recipe(ensemble=2, task="cnn"), (8, 8, 1), 2),
        r"Set ensemble=(?P<k>\d+)\.$",
        lambda k: _build(Recipe(ensemble=int(k), task="cnn"), (8, 8, 1), 2),
    ),
    Suggestion(
        "tabm-mini-of-one-network",
        lambda: build_model(Recipe(ensemble_kind="tabm_mini"), (8,), 2),
        r"Set ensemble=(?P<k>\d+) \(or another count >= 2\), or ensemble_kind='(?P<kind>\w+)'\.$",
        lambda k, kind: (
            _build(Recipe(ensemble=int(k), ensemble_kind="tabm_mini"), (8,), 2),
            _build(Recipe(ensemble_kind=kind), (8,), 2),
        ),
    ),
    Suggestion(
        "tabm-mini-on-a-cnn",
        lambda: build_model(Recipe(ensemble=2, ensemble_kind="tabm_mini", task="cnn"), (8, 8, 1), 2),
        r"Set ensemble=(?P<k>\d+) and ensemble_kind='(?P<kind>\w+)'\.$",
        lambda k, kind: _build(Recipe(ensemble=int(k), ensemble_kind=kind, task="cnn"), (8, 8, 1), 2),
    ),
    Suggestion(
        "unknown-loss",
        lambda: kr.check_head("softmax", "sparse_categorical_crosentropy", 3, kr.infer_target(X, Y3)),
        r"^Unknown loss 'sparse_categorical_crosentropy'\. Did you mean '(?P<loss>\w+)'\?",
        lambda loss: _build(Recipe(loss=loss), (8,), 3),
    ),
    # ---- build_model_for_data / select_scenario: arrays ------------------------------------------------------
    Suggestion(
        "regression-loss-on-class-labels",
        lambda: kr.build_model_for_data(X, Y3, Recipe(loss="mean_squared_error")),
        r"^y holds class labels \(multiclass\) but mean_squared_error is a regression loss\. Use the row's "
        r"cross-entropy \(loss='(?P<loss>\w+)'\), or set task='(?P<task>\w+)' if the labels are ordered numbers\.$",
        lambda loss, task: (
            kr.build_model_for_data(X, Y3, Recipe(loss=loss)),
            kr.build_model_for_data(X, Y3, Recipe(loss="mean_squared_error", task=task)),
        ),
    ),
    Suggestion(
        "classifier-loss-on-a-continuous-target",
        lambda: kr.build_model_for_data(X, YC, Recipe(loss="hinge")),
        r"^y is continuous \(a regression target\) but the loss is hinge with a tanh head\. Use task='(?P<task>\w+)' "
        r"with loss='(?P<loss>\w+)' and output_activation='(?P<act>\w+)'",
        lambda task, loss, act: kr.build_model_for_data(X, YC, Recipe(task=task, loss=loss, output_activation=act)),
    ),
    Suggestion(
        "classifier-task-on-a-continuous-target",
        lambda: kr.select_scenario(X, YC, "binary"),
        r"^y is continuous \(a regression target\) but task='binary' is a classifier\. Use task='(?P<task>\w+)'",
        lambda task: kr.select_scenario(X, YC, task),
    ),
    Suggestion(
        "cnn-task-on-tabular-data",
        lambda: kr.select_scenario(X, Y3, "cnn"),
        r"^task='cnn' needs image input .* Reshape X or use task='(?P<task>\w+)'\.$",
        lambda task: kr.select_scenario(X, Y3, task),
    ),
    Suggestion(
        "binary-task-on-3-classes",
        lambda: kr.select_scenario(X, Y3, "binary"),
        r"^y has 3 classes but task='binary' \(a 1-unit sigmoid head\)\. Use task='(?P<task>\w+)'",
        lambda task: kr.select_scenario(X, Y3, task),
    ),
    # ---- the Recipe -----------------------------------------------------------------------------------------------
    Suggestion(
        "unknown-recipe-field",
        lambda: Recipe(unitz=8),
        r"^Unknown recipe field 'unitz'\. Did you mean '(?P<name>\w+)'\?",
        lambda name: Recipe(**{name: 8}),
    ),
    Suggestion(
        "unknown-field-from-dict",
        lambda: Recipe.from_dict({"dropuot": 0.1}),
        r"Did you mean '(?P<name>\w+)'\?",
        lambda name: Recipe.from_dict({name: 0.1}),
    ),
    Suggestion(
        "unknown-field-in-set",
        lambda: kr.parse_overrides(["learning_rat=0.01"]),
        r"Did you mean '(?P<name>\w+)'\?",
        lambda name: kr.parse_overrides([f"{name}=0.01"]),
    ),
    Suggestion(
        "set-without-equals",
        lambda: kr.parse_overrides(["learning_rate"]),
        r"^Expected key=value, e\.g\. (?P<example>\w+=[\d.]+)\.",
        lambda example: kr.parse_overrides([example]),
    ),
    Suggestion(
        "positional-recipe",
        lambda: Recipe(32),
        r"keyword arguments only, e\.g\. (?P<call>Recipe\(\w+=\d+\))\.",
        lambda call: eval(call, {"Recipe": Recipe}),
    ),  # noqa: S307 - the message's own example
    Suggestion(
        "yaml11-float-in-a-recipe-file",
        lambda: Recipe.from_dict(yaml.safe_load("learning_rate: 1e-5")),
        r"It is text, not a number \(YAML 1\.1 floats need a dot and a signed exponent\); write (?P<fix>\S+)$",
        lambda fix: Recipe.from_dict(yaml.safe_load(f"learning_rate: {fix}")),
    ),
    Suggestion(
        "quoted-number-in-a-recipe-file",
        lambda: Recipe.from_dict(yaml.safe_load("units: '8'")),
        r"It is text, not a number; write (?P<fix>\S+) without quotes$",
        lambda fix: Recipe.from_dict(yaml.safe_load(f"units: {fix}")),
    ),
    Suggestion(
        "elastic-net-and-l1",
        lambda: Recipe(l1=0.1, elastic_net=0.1),
        r"set `(?P<mix>\w+)` to mix them and drop `l1`/`l2`, or drop `elastic_net`\.$",
        lambda mix: (Recipe(elastic_net=0.1, **{mix: 0.5}), Recipe(l1=0.1)),
    ),
    Suggestion(
        "task-and-scenario-disagree",
        lambda: Recipe(task="binary", scenario="regression-less-features"),
        r"^`scenario` '(?P<scenario>[\w-]+)' is a 'regression' row but `task` is '(?P<task>\w+)'\. "
        r"Set one of them only",
        lambda scenario, task: (Recipe(scenario=scenario), Recipe(task=task)),
    ),
    Suggestion(
        "unknown-scenario",
        lambda: kr.get_scenario("binary-small"),
        r"^Unknown scenario 'binary-small'\. Did you mean '(?P<name>[\w-]+)'\?",
        lambda name: Recipe(scenario=kr.get_scenario(name).name),
    ),
    # ---- datasets -----------------------------------------------------------------------------------------------
    Suggestion(
        "unknown-dataset",
        lambda: load_dataset("irs"),
        r"^Unknown dataset 'irs'\. Did you mean '(?P<name>\w+)'\?",
        lambda name: load_dataset(name),
    ),
    Suggestion(
        "size-of-a-bundled-dataset",
        lambda: load_dataset("iris", n_samples=50),
        r"Use a synthetic dataset such as '(?P<name>\w+)' to choose a size$",
        lambda name: load_dataset(name, n_samples=50),
    ),
    # ---- sweep files ----------------------------------------------------------------------------------------------
    Suggestion(
        "sweep-name-escapes-runs",
        lambda: sweep(SWEEP + "name: x/../../escaped\n"),
        r"^name: `name` must be one folder name: .*Received: name='x/\.\./\.\./escaped'\. "
        r"Write `name: (?P<name>[^`]+)`$",
        lambda name: sweep(SWEEP + f"name: {name}\n"),
    ),
    Suggestion(
        "sweep-name-dot-dot",
        lambda: sweep(SWEEP + "name: '..'\n"),
        r"Write `name: (?P<name>[^`]+)`$",
        lambda name: sweep(SWEEP + f"name: {name}\n"),
    ),
    Suggestion(
        "sweep-name-control-character",
        lambda: sweep(SWEEP + 'name: "run\\t1/2"\n'),
        r"Received: name='run\\t1/2'\. Write `name: (?P<name>[^`]+)`$",
        lambda name: sweep(SWEEP + f"name: {name}\n"),
    ),
    Suggestion(
        "sweep-name-numbers-only",
        lambda: sweep(SWEEP + "name: 12/34\n"),
        r"Write `name: (?P<name>[^`]+)`$",
        lambda name: sweep(SWEEP + f"name: {name}\n"),
    ),
    Suggestion(
        "sweep-goal-wrong-way",
        lambda: sweep(edit("goal: minimize", "goal: maximize")),
        r"^metric\.goal: `epoch/val_loss` must be minimized, not maximized\. Received: goal='maximize'\. "
        r"Write `goal: (?P<goal>\w+)`$",
        lambda goal: sweep(edit("goal: minimize", f"goal: {goal}")),
    ),
    Suggestion(
        "sweep-goal-missing",
        lambda: sweep(edit("{name: epoch/val_loss, goal: minimize}", "{name: epoch/val_accuracy}")),
        r"^metric\.goal: is missing, so W&B minimizes; write `goal: (?P<goal>\w+)`$",
        lambda goal: sweep(
            edit("{name: epoch/val_loss, goal: minimize}", f"{{name: epoch/val_accuracy, goal: {goal}}}")
        ),
    ),
    Suggestion(
        "sweep-metric-missing",
        lambda: sweep(edit("metric: {name: epoch/val_loss, goal: minimize}\n", "")),
        r"^metric: is missing; add `(?P<line>metric: \{.*\})`$",
        lambda line: sweep(edit("metric: {name: epoch/val_loss, goal: minimize}", line)),
    ),
    Suggestion(
        "sweep-metric-misspelled",
        lambda: sweep(edit("epoch/val_loss", "epoch/val_los")),
        r"^metric\.name: .*Received: metric\.name='epoch/val_los'\. Did you mean '(?P<name>[\w/]+)'\?$",
        lambda name: sweep(edit("epoch/val_loss", name)),
    ),
    Suggestion(
        "sweep-unknown-parameter",
        lambda: sweep(edit("units:", "unitz:")),
        r"^parameters\.unitz: Unknown sweep parameter 'unitz'\. Did you mean '(?P<name>\w+)'\?",
        lambda name: sweep(edit("units:", f"{name}:")),
    ),
    Suggestion(
        "sweep-unknown-top-level-key",
        lambda: sweep(edit("metric:", "metrc:")),
        r"^metrc: Unknown top-level sweep key 'metrc'\. Did you mean '(?P<key>\w+)'\?",
        lambda key: sweep(edit("metric:", f"{key}:")),
    ),
    Suggestion(
        "sweep-yaml11-float",
        lambda: sweep(edit("units: {values: [8, 16]}", "learning_rate: {values: [1e-5]}")),
        r"values '1e-5' is loaded as a string .*; write (?P<fix>\S+)$",
        lambda fix: sweep(edit("units: {values: [8, 16]}", f"learning_rate: {{values: [{fix}]}}")),
    ),
    Suggestion(
        "sweep-quoted-number",
        lambda: sweep(edit("[8, 16]", "['8', 16]")),
        r"values '8' is loaded as a string because it is quoted; write (?P<fix>\S+)$",
        lambda fix: sweep(edit("[8, 16]", f"[{fix}, 16]")),
    ),
    Suggestion(
        "sweep-integer-range-on-a-real",
        lambda: sweep(edit("units: {values: [8, 16]}", "l2: {min: 0, max: 1}")),
        r"are integers, so W&B infers int_uniform .*; write (?P<low>[\d.]+) and (?P<high>[\d.]+) ",
        lambda low, high: sweep(edit("units: {values: [8, 16]}", f"l2: {{min: {low}, max: {high}}}")),
    ),
    Suggestion(
        "sweep-real-range-on-an-integer",
        lambda: sweep(edit("{values: [8, 16]}", "{min: 8.0, max: 64.0}")),
        r"`units` is an integer; use integer min/max \(int_uniform\)",
        lambda: sweep(edit("{values: [8, 16]}", "{min: 8, max: 64}")),
    ),
    Suggestion(
        "sweep-grid-of-a-range",
        lambda: sweep(
            edit("units: {values: [8, 16]}", "dropout: {min: 0.0, max: 0.5}").replace("method: random", "method: grid")
        ),
        r"a grid cannot enumerate .*, or use method (?P<method>\w+) or bayes$",
        lambda method: sweep(
            edit("units: {values: [8, 16]}", "dropout: {min: 0.0, max: 0.5}").replace(
                "method: random", f"method: {method}"
            )
        ),
    ),
    Suggestion(
        "sweep-constant-list",
        lambda: sweep(edit("{values: [8, 16]}", "{value: [8, 16]}")),
        r"is one constant list, not a search axis; write `(?P<key>\w+):` to try each$",
        lambda key: sweep(edit("{values: [8, 16]}", f"{{{key}: [8, 16]}}")),
    ),
    Suggestion(
        "sweep-hyperband-after-the-last-epoch",
        lambda: sweep(SWEEP + "early_terminate: {type: hyperband, min_iter: 6}\n"),
        r"^early_terminate\.min_iter: is 6 but every run stops after epochs=6, .*; write `min_iter: (?P<n>\d+)`",
        lambda n: sweep(SWEEP + f"early_terminate: {{type: hyperband, min_iter: {n}}}\n"),
    ),
    Suggestion(
        "sweep-hyperband-one-epoch",
        lambda: sweep(edit("{value: 6}", "{value: 1}") + "early_terminate: {type: hyperband, min_iter: 1}\n"),
        r"; drop `(?P<key>\w+)` \(one epoch leaves nothing to stop\)$",
        lambda key: sweep(edit("{value: 6}", "{value: 1}")),
    ),
    Suggestion(
        "sweep-command-without-args",
        lambda: sweep(edit(", '${args}']", "]")),
        r"^command: has no `\$\{args\}` item, .*; append '(?P<item>[^']+)' to the list$",
        lambda item: sweep(edit(", '${args}']", f", '{item}']")),
    ),
    Suggestion(
        "sweep-unknown-bundled-name",
        lambda: validate.check_sweep("binar"),
        r"^Unknown sweep 'binar'\. Did you mean '(?P<name>\w+)'\?",
        lambda name: validate.check_sweep(name),
    ),
    # ---- a valid sweep on data it does not fit (checked before any trial) ------------------------------------------
    Suggestion(
        "sweep-of-another-task-set-the-scenario",
        lambda: validate.check_sweep_data(validate.check_sweep("binary"), _diabetes()),
        r"To sweep this data, pass --set scenario=(?P<scenario>[\w-]+), or run",
        lambda scenario: validate.check_sweep_data(validate.check_sweep("binary"), _diabetes(), {"scenario": scenario}),
    ),
    Suggestion(
        "sweep-of-another-task-run-the-bundled-one",
        lambda: validate.check_sweep_data(validate.check_sweep("binary"), _diabetes()),
        r", or run the bundled `kerasrecipes sweep (?P<name>\w+)`$",
        lambda name: validate.check_sweep_data(validate.check_sweep(name), _diabetes()),
    ),
    Suggestion(
        "sweep-task-for-another-target",
        lambda: validate.check_sweep_data(
            sweep(edit("  epochs: {value: 6}\n", "  epochs: {value: 6}\n  task: {value: binary}\n")), _diabetes()
        ),
        r"To sweep this data, pass --set task=(?P<task>\w+), or run",
        lambda task: validate.check_sweep_data(
            sweep(edit("  epochs: {value: 6}\n", "  epochs: {value: 6}\n  task: {value: binary}\n")),
            _diabetes(),
            {"task": task},
        ),
    ),
    Suggestion(
        "sweep-metric-the-task-does-not-log",
        lambda: validate.check_sweep_data(
            sweep(edit("val_loss, goal: minimize", "val_accuracy, goal: maximize")), _diabetes()
        ),
        r"in the sweep YAML to one of them \((?P<name>[\w/]+), with goal: (?P<goal>\w+), fits every task\)$",
        lambda name, goal: validate.check_sweep_data(
            sweep(edit("val_loss, goal: minimize", f"{name.removeprefix('epoch/')}, goal: {goal}")), _diabetes()
        ),
    ),
]


def test_the_base_sweep_is_valid():
    assert sweep() and validate.validate_sweep(yaml.safe_load(SWEEP)) == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_suggested_fix_works(case: Suggestion):
    with pytest.raises(UserError) as info:
        case.bad()
    message = str(info.value)
    assert "\n" not in message, message
    found = re.search(case.match, message)
    assert found, f"{case.match!r} not in {message!r}"
    case.fixed(**found.groupdict())  # raises if the suggestion does not work


def test_case_ids_are_unique():
    assert len({c.id for c in CASES}) == len(CASES)


# -- generated from the constraint table -----------------------------------------------------------------------
_NUMBER = r"-?[\d.]+(?:e[-+]?\d+)?"
RANGE = re.compile(
    rf"must be (?:an integer|a real number) (?:in (?P<lo_in>[\[(])(?P<lo>{_NUMBER}), (?P<hi>{_NUMBER})"
    rf"(?P<hi_in>[\])])|(?P<op>>=|>|<=|<) (?P<bound>{_NUMBER}))(?: or '\w+')*\. Received"
)


def _inside(found: re.Match, integer: bool) -> Any:
    """A value the range a message names accepts: a closed end, else the midpoint or one step inside."""
    cast = (lambda v: int(float(v))) if integer else float
    step = 1 if integer else 0.5
    if found["op"]:
        bound = cast(found["bound"])
        return {">=": bound, "<=": bound, ">": bound + step, "<": bound - step}[found["op"]]
    lo, hi = cast(found["lo"]), cast(found["hi"])
    if found["lo_in"] == "[":
        return lo
    if found["hi_in"] == "]":
        return hi
    return (lo + hi) // 2 if integer else (lo + hi) / 2


def _outside(constraint: Interval) -> Any:
    value = constraint.high + 1 if constraint.high is not None else constraint.low - 1
    return int(value) if constraint.kind == "integer" else float(value)


INTERVALS = [name for name, (c, _) in FIELDS.items() if isinstance(c, Interval)]
CHOICES = [name for name, (c, _) in FIELDS.items() if isinstance(c, Options)]
BOOLEANS = [name for name, (c, _) in FIELDS.items() if isinstance(c, Boolean)]


NEEDS = {"fold": {"folds": 100}}  # a field that is valid only beside another one: that one, at its largest


@pytest.mark.parametrize("name", INTERVALS)
def test_a_value_in_the_range_the_message_names_is_accepted(name):
    constraint = FIELDS[name][0]
    with pytest.raises(UserError) as info:
        Recipe(**{name: _outside(constraint)}, **NEEDS.get(name, {}))
    found = RANGE.search(str(info.value))
    assert found, str(info.value)
    value = _inside(found, constraint.kind == "integer")
    assert math.isfinite(value)
    assert getattr(Recipe(**{name: value}, **NEEDS.get(name, {})), name) == value


@pytest.mark.parametrize("name", CHOICES)
def test_every_choice_the_message_lists_is_accepted(name):
    with pytest.raises(UserError) as info:
        Recipe(**{name: "no-such-choice"})
    found = re.search(r"must be one of: (?P<choices>.*)\. Received", str(info.value))
    assert found, str(info.value)
    choices = re.findall(r"'([^']+)'", found["choices"])
    assert choices
    for choice in choices:
        assert getattr(Recipe(**{name: choice}), name) == choice


@pytest.mark.parametrize("name", BOOLEANS)
def test_the_boolean_the_message_asks_for_is_accepted(name):
    with pytest.raises(UserError, match=r"must be a boolean \(true or false\)"):
        Recipe(**{name: "maybe"})
    assert getattr(Recipe(**{name: True}), name) is True


@pytest.mark.parametrize("name", ["unitz", "dropuot", "learnig_rate", "batchsize", "optimiser", "epoch"])
def test_did_you_mean_names_a_real_field(name):
    with pytest.raises(UserError) as info:
        Recipe(**{name: None})
    found = re.search(r"Did you mean '(\w+)'\?", str(info.value))
    assert found, str(info.value)
    assert found[1] in FIELDS
    Recipe(**{found[1]: None})
