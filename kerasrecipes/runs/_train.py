"""The one training function: recipe + data + seed -> trained model and a run directory.

Everything (the CLI's `train`, the demo, sweep trials, `wandb agent`'s program, `reproduce --retrain`)
calls `train`, whatever the data: in memory or a CSV file streamed from disk, both behind a
`DataSource` (`data._sources`). `train` decides (row, resolved recipe, resume state) and then
`runs._fit` trains, evaluates and assembles the result; this module writes the run directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kerasrecipes import _display, seeding
from kerasrecipes._log import get_logger
from kerasrecipes._validation import Interval, check, invalid, options
from kerasrecipes.data._feature_spec import typing_table
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import _table, _task
from kerasrecipes.recipes._recipe import Recipe
from kerasrecipes.runs import _data_adapter, _fit, _lr_range, _writing, checkpoints, distribute, rundir
from kerasrecipes.runs import tracking as tracking_module

logger = get_logger(__name__)


@dataclasses.dataclass
class RunResult:
    """What `train` returns.

    Attributes:
        model: the trained, compiled network (features in; best weights restored when early stopping).
        inference: the end-to-end model saved as `model.keras`: raw rows in, class probabilities or
            the regression value in original units out. Built on first use (one Keras input per
            column), so runs nobody predicts with or saves skip it; it shares `model`'s layers and
            weights.
        recipe: the resolved recipe that was trained.
        scenario: the scenario-table row used.
        data: the prepared data (`PreparedData` in memory, `StreamedData` streamed).
        history: per-epoch metrics (`dict[str, list[float]]`).
        test_metrics: metrics on the held-out test split (original units for regression).
        diagnosis: the fit diagnosis (`callbacks.fit_diagnosis.Diagnosis`).
        manifest: the run manifest (also written to `run_dir/manifest.json`).
        run_dir: the run directory, or None when `out=None`.
        test_predictions: the network's outputs on the test split (None without one), kept in the run
            directory so that `reproduce` on another platform compares within tolerance.
    """

    model: Any
    recipe: Recipe
    scenario: _table.Scenario
    data: Any
    history: dict[str, list[float]]
    test_metrics: dict[str, float]
    diagnosis: Any
    manifest: dict[str, Any]
    run_dir: Path | None
    test_predictions: Any = dataclasses.field(default=None, repr=False)

    @functools.cached_property
    def inference(self) -> Any:
        from kerasrecipes.models import end_to_end

        return end_to_end.inference_model(self.data.preprocessing, self.data.target, self.model)

    def summary(self) -> dict[str, Any]:
        """Status, row, head, epochs, stop reason, test metrics, diagnosis and where the run is, as JSON values."""
        return rundir.summary_dict(self)

    def __repr__(self) -> str:
        s = self.summary()
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in s["test_metrics"].items())
        return (
            f"RunResult(scenario={s['scenario']!r}, status={s['status']!r}, epochs_run={s['epochs_run']}, "
            f"stop_reason={s['stop_reason']!r}, test_metrics={{{metrics}}}, run_dir={s['run_dir']!r})"
        )

    def _repr_html_(self) -> str:
        """A small table for notebooks."""
        return _display.html_table("RunResult", self.summary())


def choose_row(recipe: Recipe, info: Any, task: str, thresholds: _table.Thresholds | None) -> _table.Scenario:
    """The scenario row: the recipe's own (checked against the data), else the task's row in the data's regime."""
    if recipe.scenario is not None:
        row = _table.get_scenario(recipe.scenario)
        _task.check_task_against_data(row.task, info, scenario=row.name)
        return row
    if task != "auto":
        _task.check_task_against_data(task, info)
    return _task.row_for(task, info, thresholds)


def _check_arguments(tracking: str, verbose: int, callbacks: Sequence[Any], checkpoint_every: float | None) -> None:
    check("tracking", tracking, options(*tracking_module.TRACKING))
    check("verbose", verbose, Interval("integer", 0, 2))
    if not isinstance(callbacks, (list, tuple)) or not all(callable(getattr(c, "set_model", None)) for c in callbacks):
        raise UserError(invalid("callbacks", "a list or tuple of keras.callbacks.Callback", callbacks))
    if checkpoint_every is not None:
        check("checkpoint_every", checkpoint_every, Interval("real", 0.0))


@seeding.keeps_global_random_state
def train(
    data: Any,
    y: Any = None,
    *,
    target: str | None = None,
    recipe: Recipe | Mapping[str, Any] | None = None,
    seed: int | None = None,
    task: str = "auto",
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    tracking: str = "offline",
    verbose: int = 1,
    callbacks: Sequence[Any] = (),
    thresholds: _table.Thresholds | None = None,
    n_samples: int | None = None,
    wandb_group: str | None = None,
    checkpoint_every: float | None = 30.0,
    score_test: bool = True,
) -> RunResult:
    """Train a recipe on data, evaluate it on the held-out test split, and write a run directory.

    Args:
        data: what to learn from: a dataset name (`kerasrecipes.data.list_datasets()`); a CSV file's
            path or a `pandas.DataFrame`, with `target`; an array of features, with `y`; a
            `kerasrecipes.data.Dataset` (e.g. from `load_csv` with its data options); or a data source
            such as `kerasrecipes.streaming.CsvStream`.
        y: the targets, when `data` is an array of features. Defaults to None.
        target: the column to predict, when `data` is a CSV path or a DataFrame. Defaults to None.
        recipe: a `Recipe` or dict of recipe fields; unset fields take the scenario row's defaults.
        seed: overrides `recipe.seed`. Defaults to the recipe's seed (42 when unset).
        task: "auto" (inferred) or one of regression, binary, multiclass, cnn, rnn. Defaults to "auto".
        out: run directory to write; None writes nothing. Defaults to None.
        overwrite: replace an existing run directory. Defaults to False.
        tracking: W&B tracking: "offline" (runs on disk, `wandb sync` later), "online", "auto"
            (WANDB_MODE if set, else online when logged in to W&B, else offline), or "none".
            Defaults to "offline".
        verbose: 0 silent, 1 progress and summary. Defaults to 1.
        callbacks: extra Keras callbacks for `fit`.
        thresholds: regime thresholds. Defaults to `DEFAULT_THRESHOLDS`.
        n_samples: size of a synthetic dataset given by name.
        wandb_group: W&B group (the sweep runner groups trials). Defaults to None.
        checkpoint_every: with `out`, checkpoint the run in progress (in `<out>.partial/`) at most
            every this many seconds, 0 after every epoch, None never. Running `train` again with
            the same `out` resumes an interrupted run bit for bit. Runs on the fast road only: the
            others restart and end with the same weights. Defaults to 30.
        score_test: False leaves the test rows unscored: `test_metrics` is empty, the manifest says
            `"test_scored": false` and the summary says why. A sweep's trials train so, so that the test rows
            never help choose (the sweep scores its winner and the default recipe only). The saved model is
            still checked on the test rows' predictions, and `reproduce` checks them as for any run.
            Defaults to True.

    With `recipe.distribute` set (see `kerasrecipes.runs.distribute`) the strategy is created first,
    before any other TensorFlow work, and `batch_size` is the global batch. In a multi-worker run
    every worker trains, but only the chief writes: the others ignore `out` and `tracking` and
    return a result with `run_dir=None`.

    With `recipe.learning_rate="find"` a learning-rate range test (`lr_find`, with its defaults) runs
    first on the same training split, and the run trains at the rate it suggests: the manifest records
    that rate in its recipe (so `reproduce` retrains at it) and the test in `lr_find`.

    Returns:
        A `RunResult`.

    Examples:
        >>> result = train("iris", recipe={"epochs": 5}, tracking="none", verbose=0)
        >>> result.scenario.name
        'multiclass-less-features'
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(200, 3))
        >>> train(X, X[:, 0] * 3.5 + 1, recipe={"epochs": 2}, tracking="none", verbose=0).data.task
        'regression'
    """
    _check_arguments(tracking, verbose, callbacks, checkpoint_every)
    if not isinstance(score_test, bool):
        raise UserError(invalid("score_test", "True or False", score_test))
    source, recipe, task = open_source(data, y, target=target, recipe=recipe, seed=seed, task=task, n_samples=n_samples)
    distribute_name = recipe.distribute or _table.BASE_DEFAULTS["distribute"]
    strategy = distribute.strategy_for(distribute_name)  # first: multi-worker must start before TensorFlow does
    if distribute_name == "multi_worker" and not distribute.is_chief():
        if verbose and out is not None:
            logger.info(f"not the chief of this multi-worker run: training without writing {out}")
        out = None  # only the chief writes (run directory, checkpoints, W&B)
    with contextlib.ExitStack() as hold:
        partial = None
        if out is not None:
            hold.enter_context(_writing.exclusive(out))  # one writer, through the final swap
            rundir.remove_stale_staging(out)
            rundir.check_destination(out, overwrite)
            partial = checkpoints.partial_dir(out)
            if overwrite and partial.exists():
                shutil.rmtree(partial)
            tracking_module.prestart(tracking)  # W&B's worker starts while the data are read and the model built
        prepared = source.prepare(split_recipe(recipe), task=task, verbose=verbose)
        info = prepared.target_info()
        table = typing_table(prepared.preprocessing)
        if verbose and table:
            logger.info(table)
        if info.note and verbose:
            logger.info(info.note)
        row, resolved = resolve_row(recipe, info, task, thresholds, prepared)
        resolved, found = _lr_range.find_rate(resolved, row, info, source, prepared, verbose)
        plan = _fit.Plan(
            recipe=resolved,
            row=row,
            info=info,
            source=source,
            prepared=prepared,
            partial=partial,
            tracking=tracking,
            verbose=verbose,
            callbacks=tuple(callbacks),
            wandb_group=wandb_group,
            checkpoint_every=checkpoint_every,
            strategy=strategy,
            lr_find=found,
            score_test=score_test,
        )
        if partial is None:
            return _result(_fit.run(plan))[0]  # no run directory: nothing tracked
        plan.state = checkpoints.load(partial) if partial.exists() else None
        if plan.state is not None:
            why = checkpoints.mismatch(plan.state, resolved.to_dict(), prepared.fingerprint())
            if why:
                raise UserError(
                    f"{partial} holds an interrupted run that cannot be resumed here: {why}. "
                    "Pass --overwrite to discard it, or choose another --out."
                )
            if verbose:
                logger.info(f"resuming {out} after epoch {plan.state['epochs_done']}")
        try:
            result, last_weights, tracker = _result(_fit.run(plan))
        except BaseException:
            if checkpoints.load(partial) is None:  # nothing to resume from: leave nothing behind
                shutil.rmtree(partial, ignore_errors=True)
            raise
        try:
            with rundir.staged_directory(out, overwrite=overwrite) as stage:  # checks again at the swap
                rundir.write_run(stage, result, last_weights, out)
                if tracker is not None:  # the run's summary, and its model and manifest as a W&B artifact
                    tracker.finish(
                        {f"test/{k}": v for k, v in result.test_metrics.items()},
                        files=[stage / rundir.MODEL, stage / rundir.MANIFEST],
                    )
                    tracker = None
                if (partial / "wandb").exists():
                    os.replace(partial / "wandb", stage / "wandb")
                checkpoints.fault("final")
        finally:
            if tracker is not None:
                tracker.abort()
        shutil.rmtree(partial, ignore_errors=True)
        result.run_dir = Path(out)
        return result


def open_source(
    data: Any, y: Any, *, target: str | None, recipe: Any, seed: int | None, task: str, n_samples: int | None
) -> tuple[Any, Recipe, str | None]:
    """The data source a call of `train` names, its recipe (`seed` applied, the source's defaults filled
    in and checked against the source) and the run's task: what `train` and `lr_find` start from."""
    from kerasrecipes.recipes._build import _coerce_recipe

    recipe = _coerce_recipe(recipe)
    if seed is not None:
        recipe = recipe.replace(seed=seed)
    if task != "auto":
        check("task", task, _table._TASK_OPTIONS)
    data_seed = recipe.split_seed if recipe.split_seed is not None else recipe.seed
    source = _data_adapter.as_source(
        data, y, target=target, n_samples=n_samples, seed=data_seed if data_seed is not None else 0
    )
    recipe = recipe.replace(**{k: v for k, v in source.defaults.items() if getattr(recipe, k) is None})
    source.check_recipe(recipe)
    return source, recipe, _chosen_task(recipe, task)


def resolve_row(
    recipe: Recipe, info: Any, task: str, thresholds: _table.Thresholds | None, prepared: Any
) -> tuple[_table.Scenario, Recipe]:
    """The scenario row, and the recipe resolved against it and the data's size."""
    row = choose_row(recipe, info, task, thresholds)
    size = _table.dataset_size(sum(prepared.n_rows.values()), thresholds)
    return row, recipe.replace(scenario=row.name).resolved(row, dataset_size=size)


@seeding.keeps_global_random_state
def fit_pipeline(
    data: Any,
    y: Any = None,
    *,
    target: str | None = None,
    recipe: Recipe,
    task: str = "auto",
    callbacks: Sequence[Any] = (),
    verbose: int = 0,
) -> dict[str, Any]:
    """Train on every row but the validation split: no test split, no evaluation, nothing written.

    The scikit-learn estimators' `fit` (cross-validation does the testing): the same data typing,
    preprocessing, row choice, seeding and training road as `train`, in memory. Returns the fields
    of `_fit.run(plan, evaluate=False)`: model, inference, recipe, scenario, data, history.
    """
    source = _data_adapter.as_source(data, y, target=target)
    recipe = recipe.replace(**{k: v for k, v in source.defaults.items() if getattr(recipe, k) is None})
    source.check_recipe(recipe)
    task = _chosen_task(recipe, task)
    prepared = source.prepare(split_recipe(recipe), task=task, holdout=False)
    row, resolved = resolve_row(recipe, prepared.target_info(), task, None, prepared)
    resolved, _ = _lr_range.find_rate(resolved, row, prepared.target_info(), source, prepared, verbose)
    plan = _fit.Plan(
        recipe=resolved,
        row=row,
        info=prepared.target_info(),
        source=source,
        prepared=prepared,
        verbose=verbose,
        callbacks=tuple(callbacks),
    )
    return _fit.run(plan, evaluate=False)


def split_recipe(recipe: Recipe) -> Recipe:
    """The recipe as a data source's `prepare` reads it: its `seed` there is the seed of the split, so
    `split_seed` (when set) replaces it. Initialization and shuffling keep the recipe's own `seed`."""
    return recipe if recipe.split_seed is None else recipe.replace(seed=recipe.split_seed)


def _chosen_task(recipe: Recipe, task: str | None) -> str | None:
    """The run's task: the recipe's or the `task` argument (`--task`), which must not disagree."""
    given = [t for t in (recipe.task, task) if t not in (None, "auto")]
    if len(set(given)) > 1:
        raise UserError(f"task={task!r} (--task) and the recipe's task={recipe.task!r} disagree; give the task once.")
    return given[0] if given else task


def _result(fields: dict[str, Any]) -> tuple[RunResult, Any, Any]:
    """The `RunResult` of `_fit.run`'s fields, and what only writing the run directory needs: the last
    epoch's weights and the W&B tracker (None when not tracking)."""
    last_weights, tracker = fields.pop("last_weights"), fields.pop("tracker")
    return RunResult(**fields, run_dir=None), last_weights, tracker
