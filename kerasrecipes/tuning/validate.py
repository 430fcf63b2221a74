"""Validate a loaded sweep config: W&B's own schema check plus the recipe-aware checks.

W&B's check is `sweeps.schema_violations_from_proposed_config` (what `wandb sweep` runs); ours knows the recipe
vocabulary and its known traps. Every finding is a `Problem(key, message)`; bad input
raises nothing but a one-line `ValueError`. No keras/TensorFlow import; `sweeps` is imported lazily.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kerasrecipes._tasks import MAXIMIZED_METRICS, TARGET_TASKS
from kerasrecipes._validation import Interval, invalid, unknown_name
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import _recipe, _table, _task
from kerasrecipes.tuning._files import _SHAPE, SWEEP_NAMES, _oneline, command_option, load_sweep, resolve_sweep_path

EXTRA_PARAMETERS: frozenset = frozenset()  # parameters allowed besides recipe fields: none, one vocabulary
METHODS = ("bayes", "grid", "random")
WANDB_KEYS = (
    "apiVersion",
    "command",
    "controller",
    "description",
    "early_terminate",
    "entity",
    "image_uri",
    "job",
    "kind",
    "method",
    "metric",
    "metrics",
    "name",
    "parameters",
    "program",
    "project",
    "run_cap",
    "scheduler",
)
_KEY_HINTS = {
    "count": "The number of runs is `run_cap` (or `wandb agent --count N`).",
    "arguments": "Fixed arguments go in `command` or in constant parameters (`value:`).",
    "tune": "Search settings go in `method`, `metric`, `early_terminate` and `parameters`.",
}
_GRID_TYPES = ("param_categorical", "param_single_value", "param_int_uniform", "param_quniform")
_REAL_TYPES = (
    "param_uniform",
    "param_loguniform_v2",
    "param_inv_loguniform_v2",
    "param_normal",
    "param_lognormal",
    "param_beta",
)
_UNBOUNDED = ("param_normal", "param_qnormal")
_DEPRECATED = ("param_loguniform", "param_qloguniform", "param_inv_loguniform")
_NUMBER = _recipe._NUMBER  # a numeric-looking string (shared with the recipe's own check)
_DISTRIBUTIONS = (
    "beta",
    "categorical",
    "categorical_w_probabilities",
    "constant",
    "int_uniform",
    "inv_log_uniform",
    "inv_log_uniform_values",
    "log_normal",
    "log_uniform",
    "log_uniform_values",
    "normal",
    "q_beta",
    "q_log_normal",
    "q_log_uniform",
    "q_log_uniform_values",
    "q_normal",
    "q_uniform",
    "uniform",
)


@dataclass(frozen=True)
class Problem:
    """One finding: `key` says where ("parameters.dropout", "metric.goal"), `message` what to fix."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def _wandb_problems(config: dict) -> list[tuple[Problem, bool]]:
    """W&B's own check, each message keyed to what it is about; True marks jsonschema messages."""
    with warnings.catch_warnings():  # sweeps' pydantic models warn on (the first) import
        warnings.simplefilter("ignore")
        from sweeps.config.schema import validator

        import sweeps
    paths: dict[str, tuple[str, str]] = {}
    try:
        for err in validator.iter_errors(config):
            key = ".".join(str(p) for p in err.absolute_path)
            if err.validator == "required":
                key = ".".join(filter(None, [key, re.sub(r"^'(.*)' is a required.*", r"\1", err.message)]))
            paths.setdefault(err.message, (key, err.validator))
        messages = sweeps.schema_violations_from_proposed_config(config)
    except Exception:  # noqa: BLE001 - W&B's check crashes on some shapes; ours names them
        messages = list(paths)
    out, params = [], config.get("parameters") if isinstance(config.get("parameters"), dict) else {}
    for message in dict.fromkeys(messages):
        key, kind = paths.get(message, ("", None))
        if (kind == "additionalProperties" and not key) or message.startswith("invalid hyperparameter"):
            continue  # ours names unknown top-level keys one by one; the second repeats the anyOf error
        if not key:
            word = re.match(r"^(?:Parameter )?`?([A-Za-z_][\w-]*)", message)
            word = word.group(1) if word else ""
            key = f"parameters.{word}" if word in params else word if word in WANDB_KEYS else "sweep"
        if kind == "anyOf" and key.startswith("parameters."):
            message = "is not a valid W&B parameter: use `value:`, `values: [...]` or `min`/`max` (+ `distribution`)"
        elif kind == "oneOf" and key == "early_terminate":
            message = "must be `type: hyperband` with `min_iter` (or `max_iter` and `s`)"
        out.append((Problem(key, "W&B schema: " + _oneline(message)), kind is not None))
    return out


def _as_text(value: Any) -> str | None:
    """For a numeric-looking string ('1e-5'): why it is text and how to write the number; else None."""
    number = _recipe.numeric_text(value)
    if number is None:
        return None
    fix, quoted = number
    why = "because it is quoted" if quoted else "(YAML 1.1 floats need a dot and a signed exponent)"
    return f"{value!r} is loaded as a string {why}; write {fix}"


def _check_value(name: str, value: Any, where: str, add: Callable[[str], None]) -> None:
    constraint = _recipe.FIELDS[name][0]
    if isinstance(constraint, Interval) and _as_text(value):
        return add(f"{where} {_as_text(value)}")
    try:
        constraint.check(name, value)
    except (TypeError, ValueError) as exc:
        add(f"{where}: {exc}")


def _check_range(name: str, spec: dict, method: Any, add: Callable[[str], None]) -> None:
    from sweeps.params import HyperParameter  # imported quietly by _wandb_problems, which runs first

    constraint, dist, low, high = _recipe.FIELDS[name][0], spec.get("distribution"), spec.get("min"), spec.get("max")
    try:
        kind = HyperParameter(str(name), spec).type
    except Exception:  # noqa: BLE001 - malformed specs are W&B's to name
        kind = None
    if method == "grid" and kind is not None and kind not in _GRID_TYPES:
        add(
            f"a grid cannot enumerate the continuous `{dist or 'uniform'}` distribution; "
            "list the points with `values: [...]`, or use method random or bayes"
        )
    if not isinstance(constraint, Interval):
        return add(f"`{name}` is {constraint.describe()}, so it takes `values:`, not a numeric distribution")
    if kind == "param_int_uniform" and constraint.kind == "real" and dist is None:
        add(
            f"min: {low}, max: {high} are integers, so W&B infers int_uniform and samples whole numbers only; "
            f"write {float(low)} and {float(high)} (or set distribution: int_uniform)"
        )
    elif kind in _REAL_TYPES and constraint.kind == "integer":
        add(
            f"`{dist or 'uniform'}` samples real numbers but `{name}` is an integer; "
            "use integer min/max (int_uniform), a q_ distribution or `values:`"
        )
    if kind in _UNBOUNDED and (constraint.low is not None or constraint.high is not None):
        add(f"`{dist}` is unbounded but `{name}` must be {constraint.describe()}")
    if dist is not None and dist not in _DISTRIBUTIONS:
        add(unknown_name("distribution", dist, _DISTRIBUTIONS))
    for where, bound in (("min", low), ("max", high)):
        if kind not in _DEPRECATED and isinstance(bound, (int, float)):
            _check_value(name, bound, where, add)  # deprecated (exponent) bounds: W&B names the problem


def _check_parameter(name: Any, spec: Any, method: Any, add: Callable[[str], None]) -> None:
    if isinstance(spec, dict) and "parameters" in spec:
        return add(
            "nested `parameters:` groups are not supported (W&B's SweepConfig drops them); "
            "list each recipe field as its own parameter"
        )
    if name not in _recipe.FIELDS and name not in EXTRA_PARAMETERS:
        text = unknown_name("sweep parameter", name, _recipe.FIELDS).split(" Expected one of")[0]
        return add(f"{text} Parameters are recipe fields: see `kerasrecipes recipes --fields`")
    if not isinstance(spec, dict):
        return add(invalid(name, "a mapping with `value:`, `values:` or `min`/`max`", spec))
    dist, values = spec.get("distribution"), spec.get("values")
    if "value" in spec and isinstance(spec["value"], (list, dict)):
        add(f"`value: {spec['value']}` is one constant list, not a search axis; write `values:` to try each")
    elif "value" in spec:
        _check_value(name, spec["value"], "value", add)
    if "values" in spec:
        for value in values if isinstance(values, list) else []:
            _check_value(name, value, "values", add)
        if not isinstance(values, list):
            add(invalid(f"{name}.values", "a list such as [16, 32]", values))
        if method == "grid" and "probabilities" in spec:
            add("a grid takes every value once; drop `probabilities` or use method random or bayes")
        if dist not in (None, "categorical", "categorical_w_probabilities"):
            add(f"`distribution: {dist}` takes min/max, not `values`; drop it to pick from the values")
        return
    bad = [b for b in ("min", "max") if b in spec and type(spec[b]) not in (int, float)]
    for bound in bad:
        add(
            f"{bound} {_as_text(spec[bound])}"
            if _as_text(spec[bound])
            else invalid(f"{name}.{bound}", "a number", spec[bound])
        )
    if not bad and "value" not in spec:
        _check_range(name, spec, method, add)


def metric_keys(task: str | None) -> set[str]:
    """The Keras log keys the runs of a task's rows can log (every task's when `task` is None), `val_` ones too."""
    rows = [_table.get_scenario(n) for n in _table.list_scenarios(task=task)]
    keys = {"loss", *(m for row in rows for m in row.metrics)}
    if any(row.output_activation == "target" for row in rows):
        keys |= {"accuracy", "auc"}  # the deep rows' head follows the target: binary heads add auc
    return keys | {f"val_{k}" for k in keys}


def _check_metric(config: dict, task: str | None, add: Callable[[str, str], None]) -> None:
    metric = config.get("metric")
    if not isinstance(metric, dict):
        return add(
            "metric",
            "is missing; add `metric: {name: epoch/val_loss, goal: minimize}`"
            if metric is None
            else invalid("metric", "a mapping with `name` and `goal`", metric),
        )
    keys = metric_keys(task)
    name, goal = metric.get("name"), metric.get("goal")
    key = name.removeprefix("epoch/") if isinstance(name, str) else None
    if key not in keys:
        close = difflib.get_close_matches(str(key if key is not None else name), sorted(keys), n=1)
        add(
            "metric.name",
            invalid(
                "metric.name",
                "`epoch/<key>` (as WandbMetricsLogger logs it) or `<key>`, "
                f"with <key> one of: {', '.join(sorted(keys))}",
                name,
                fix=f"Did you mean 'epoch/{close[0]}'?" if close else None,
            ),
        )
    expected = "maximize" if key and key.removeprefix("val_") in MAXIMIZED_METRICS else "minimize"
    if goal is None:
        add("metric.goal", f"is missing, so W&B minimizes; write `goal: {expected}`")
    elif goal not in ("minimize", "maximize"):
        add("metric.goal", invalid("metric.goal", "one of: 'maximize', 'minimize'", goal))
    elif key in keys and goal != expected:
        add(
            "metric.goal",
            f"`{name}` must be {expected}d, not {goal}d. Received: goal={goal!r}. Write `goal: {expected}`",
        )


MAX_NAME_BYTES = 200
"""Longest sweep `name` (UTF-8 bytes): it names the trials' W&B group (`<name>-seed<seed>`), which must stay
usable as one file-system name (at most 255 bytes)."""
NAME_RULE = (
    f"one folder name: printable characters, at most {MAX_NAME_BYTES} bytes, without '/' or '\\', and not "
    "'.' or '..' (it names the trials' W&B group, <name>-seed<seed>)"
)


def name_problem(name: Any) -> str | None:
    """Why a sweep `name` cannot name its output folder (a path separator, `..`, a control character), with a name
    that can; None when it can (or is not a string, which W&B's schema reports).

    Examples:
        >>> print(name_problem("x/../../escaped"))  # doctest: +ELLIPSIS
        `name` must be one folder name: ... Received: name='x/../../escaped'. Write `name: x-escaped`
    """
    if not isinstance(name, str):
        return None
    if (
        name not in (".", "..")
        and len(name.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES
        and not any(c in "/\\" or not c.isprintable() for c in name)
    ):
        return None
    import yaml

    fix = "-".join(re.findall(r"\w+", name))[:50] or "sweep"
    fix = fix if isinstance(yaml.safe_load(fix), str) else f"'{fix}'"  # `name: 12` would load as a number
    shown = name if len(name) <= 60 else name[:57] + "..."
    return invalid("name", NAME_RULE, shown, fix=f"Write `name: {fix}`")


def check_sweep_name(name: Any) -> None:
    """Raise a one-line `UserError` when a sweep `name` cannot name its output folder (see `name_problem`)."""
    problem = name_problem(name)
    if problem is not None:
        raise UserError(problem)


def _may_be_positive(spec: Any) -> bool:
    if not isinstance(spec, dict):
        return False
    values = [spec.get("value"), spec.get("max"), *(spec.get("values") or [])]
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values)


def _check_constants(config: dict, params: dict, add: Callable[[str, str], None]) -> str | None:
    """Constants that clash (scenario vs task, elastic net with l1/l2); returns the sweep's task."""
    constants = {}
    for name, spec in params.items():
        try:
            constants[name] = _recipe.FIELDS[name][0].check(name, spec["value"])
        except Exception:  # noqa: BLE001 - not a legal constant: reported per parameter
            pass
    try:
        _recipe.Recipe.from_dict(constants)
    except (TypeError, ValueError) as exc:
        add("parameters", exc)
    task = constants.get("task") if constants.get("task") != "auto" else None
    if "scenario" in constants:
        task = _table.get_scenario(constants["scenario"]).task
    both = [f for f in ("l1", "l2") if f in params and _may_be_positive(params[f])]
    if "elastic_net" in params and _may_be_positive(params["elastic_net"]) and both:
        add(
            "parameters.elastic_net",
            f"the recipe takes l1/l2 or elastic_net, not both, but the sweep can set "
            f"{both[0]} > 0 and elastic_net > 0 together; search one of them (a row's default l1/l2 is "
            "dropped automatically when elastic_net is set)",
        )
    stop, epochs = config.get("early_terminate"), constants.get("epochs")
    if isinstance(stop, dict) and isinstance(stop.get("min_iter"), int) and epochs and stop["min_iter"] >= epochs:
        fix = (
            f"write `min_iter: {max(1, epochs // 3)}` (below epochs)"
            if epochs > 1
            else "drop `early_terminate` (one epoch leaves nothing to stop)"
        )
        add(
            "early_terminate.min_iter",
            f"is {stop['min_iter']} but every run stops after epochs={epochs}, so hyperband never stops a run; {fix}",
        )
    return task


def validate_sweep(config: Any) -> list[Problem]:
    """Every problem of a loaded sweep config: W&B's schema check plus the recipe-aware checks.

    Args:
        config: the mapping `load_sweep` returns (anything else is one problem, not an exception).

    Returns:
        The problems, W&B's first; empty when the sweep is valid.

    Examples:
        >>> validate_sweep({"method": "grid", "metric": {"name": "epoch/val_loss", "goal": "minimize"},
        ...                 "parameters": {"dropout": {"values": [0.1, 1.5]}}})[0].key
        'parameters.dropout'
    """
    if not isinstance(config, dict):
        return [Problem("sweep", invalid("sweep", _SHAPE, config))]
    wandb, ours = _wandb_problems(config), []
    add = lambda key, message: ours.append(Problem(str(key), _oneline(message)))  # noqa: E731
    for key in (k for k in config if k not in WANDB_KEYS):
        text = unknown_name("top-level sweep key", key, WANDB_KEYS)
        add(key, text.replace(" Expected", f" {_KEY_HINTS[key]} Expected") if key in _KEY_HINTS else text)
    named = name_problem(config.get("name"))  # the CLI's output folder is named after it
    if named:
        add("name", named)
    method, cap, command = config.get("method"), config.get("run_cap", 1), config.get("command")
    if method not in METHODS:
        add("method", invalid("method", "one of: 'bayes', 'grid', 'random'", method))
    if type(cap) is not int or cap < 1:
        add("run_cap", invalid("run_cap", "an integer >= 1 (the most runs the sweep starts)", cap))
    if command is not None and (not isinstance(command, list) or not all(isinstance(t, str) for t in command)):
        add("command", invalid("command", "a list of strings", command))
    elif command is not None and not any(re.fullmatch(r"\$\{args\w*\}", t) for t in command):
        add(
            "command",
            "has no `${args}` item, so the agent's parameters never reach the program; append '${args}' to the list",
        )
    cv = command_option(config, "--cv") if isinstance(command, list) else None
    if cv is not None:
        try:
            check_cv(cv, "--cv")
        except UserError as exc:
            add("command", exc)
    params = config.get("parameters") if isinstance(config.get("parameters"), dict) else {}
    if not params:
        add("parameters", invalid("parameters", "a non-empty mapping of recipe fields", config.get("parameters")))
    for name, spec in params.items():
        _check_parameter(name, spec, method, lambda message, n=name: add(f"parameters.{n}", message))
    _check_metric(config, _check_constants(config, params, add), add)
    covered = {p.key for p in ours}
    wandb = [p for p, schema in wandb if not (p.key in covered and (schema or not p.key.startswith("parameters.")))]
    return list(dict.fromkeys(wandb + ours))


def _sweep_values(config: dict, overrides: Mapping[str, Any], field: str) -> list[Any]:
    """Every value a sweep's trials can give `field`: the override (`--set`), else the YAML's `value:` or
    `values:`; empty when neither sets it."""
    if field in overrides:
        return [overrides[field]]
    spec = (config.get("parameters") or {}).get(field)
    if not isinstance(spec, dict):
        return []
    return [spec["value"]] if "value" in spec else list(spec.get("values") or [])


def _data_target(data: Any) -> _task.TargetInfo | None:
    """What the data's target and inputs are, read without preparing them (as `train` infers them); None for
    data known only after a pass over it (a stream)."""
    from kerasrecipes.data._sources import InMemory

    if not isinstance(data, InMemory):
        return None
    dataset = data.dataset
    info = _task.infer_target(dataset.X, dataset.y, name=dataset.target_name)
    if "forecast" in dataset.source:  # a series' future values: numbers, even when they are whole
        info = replace(info, kind="regression", n_classes=None, encoding="continuous")
    return info


def _data_problem(config: dict, info: _task.TargetInfo, overrides: Mapping[str, Any]) -> str | None:
    """Why the sweep's task, scenario or metric cannot fit data described by `info` (see `check_sweep_data`)."""
    fit_task = _task.task_for(info)
    fits = {"task": fit_task, "scenario": _task.row_for("auto", info).name}
    values = {field: [v for v in _sweep_values(config, overrides, field) if v not in (None, "auto")] for field in fits}
    for field, chosen in values.items():
        for value in chosen:
            try:
                if field == "scenario":
                    _task.check_task_against_data(_table.get_scenario(value).task, info, scenario=value)
                else:
                    _task.check_task_against_data(value, info)
            except UserError as exc:
                sets = " ".join(f"--set {f}={fits[f]}" for f in fits if values[f])
                bundled = f", or run the bundled `kerasrecipes sweep {fit_task}`" if fit_task in SWEEP_NAMES else ""
                return f"parameters.{field}: {str(exc).rstrip('.')}. To sweep this data, pass {sets}{bundled}"
    if values["scenario"]:
        tasks = [_table.get_scenario(v).task for v in values["scenario"]]
    else:
        tasks = values["task"] or [fit_task]
    name = config["metric"].get("name") if isinstance(config.get("metric"), dict) else None
    key = name.removeprefix("epoch/") if isinstance(name, str) else None
    for task in dict.fromkeys(tasks):
        keys = metric_keys(task if task in TARGET_TASKS else info.kind)  # the deep rows' head follows the target
        if key is not None and key not in keys:
            return (
                f"metric.name: {name!r} is not logged by runs of a {task} row on this data; they log "
                f"{', '.join('epoch/' + k for k in sorted(keys))}. Set `metric.name` in the sweep YAML to one of "
                "them (epoch/val_loss, with goal: minimize, fits every task)"
            )
    return None


def check_sweep_data(config: dict, data: Any, overrides: Mapping[str, Any] | None = None) -> None:
    """Raise a one-line `UserError` when a valid sweep cannot fit the data it is about to train on.

    Checked before any trial: every `task` and `scenario` value the trials can take (from the YAML or
    `overrides`, which win) must fit the data's target and inputs as `train` would find them, and the sweep's
    metric must be one that runs on this data log. Data read only by a pass over it (a stream) is left to the
    trials.

    Args:
        config: a validated sweep config (`check_sweep`).
        data: the `DataSource` the trials train on.
        overrides: recipe fields fixed for every trial (`--set`). Defaults to None.

    Raises:
        UserError: "sweep <name> does not fit the data <data> (...): <key>: <what is wrong>. <fix>".
    """
    info = _data_target(data)
    problem = None if info is None else _data_problem(config, info, dict(overrides or {}))
    if problem is not None:
        path = data.describe().get("path")  # a file or folder the user named, else the dataset's name
        shown = os.path.basename(os.path.normpath(path)) if isinstance(path, str) else data.name
        raise UserError(
            f"sweep {config.get('name') or 'sweep'!r} does not fit the data {shown!r} "
            f"(a {info.kind} target, {info.input_kind} input): {problem}"
        )


CV_RULE = "0 or 1 (one validation split) or an integer in [2, 100] (the folds every trial trains on)"


def check_cv(value: Any, name: str = "cv") -> int:
    """`value` as a fold count (`--cv K`, an int or the command's text), or a one-line `UserError` naming `name`.

    Examples:
        >>> check_cv("5"), check_cv(0)
        (5, 0)
    """
    number = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 100:
        raise UserError(invalid(name, CV_RULE, value, fix="Write --cv 5 to cross-validate on 5 folds, or --cv 0"))
    return number


def check_sweep_folds(data: Any, folds: int, seed: int, overrides: Mapping[str, Any] | None = None) -> None:
    """Raise a one-line `UserError`, before any trial, when the sweep's data cannot be cut into `folds` folds
    (`runs._cross_validate.check_folds`, with the sweep seed as the split seed and `overrides` applied)."""
    from kerasrecipes.runs._cross_validate import check_folds

    fixed = {k: v for k, v in dict(overrides or {}).items() if k in _recipe.FIELDS}
    check_folds(data, folds, _recipe.Recipe.from_dict(fixed).replace(split_seed=seed), fixed.get("task") or "auto")


def _checked(name_or_path: Any) -> tuple[Any, dict, list[Problem]]:
    path = resolve_sweep_path(name_or_path)
    config = load_sweep(path)
    return path, config, validate_sweep(config)


def check_sweep(name_or_path: Any) -> dict:
    """Resolve, load and validate a sweep (a bundled name such as "binary", or a path); return its config.

    Raises:
        ValueError: the file cannot be used, or is invalid; the first line names the file and the problem
            count, then one line per problem ("key: message").
    """
    path, config, problems = _checked(name_or_path)
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise UserError(f"{path}: {len(problems)} problem(s) in the sweep file:\n{lines}")
    return config


def cli_validate(name_or_path: Any) -> int:
    """`kerasrecipes sweep FILE --validate`: print "OK <path>: <method>, N parameters" and return 0, or print
    "kerasrecipes: error: <file>: <key>: <message>" to stderr for each problem and return 2."""
    try:
        path, config, problems = _checked(name_or_path)
    except UserError as exc:
        print(f"kerasrecipes: error: {exc}", file=sys.stderr)
        return 2
    for p in problems:
        print(f"kerasrecipes: error: {path}: {p.key}: {p.message}", file=sys.stderr)
    if problems:
        return 2
    print(f"OK {path}: {config['method']}, {len(config['parameters'])} parameters")
    return 0
