"""`train_stream`: `training.train` for a CSV file that does not fit in memory.

Same recipe, scenario row, `build_model`, early stopping, seeding and run directory as the
in-memory road; the data comes from `scan_csv` + `make_dataset` and the test metrics are
accumulated batch by batch.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from kerasrecipes import _train_callbacks, rundir
from kerasrecipes import tracking as tracking_module
from kerasrecipes._log import get_logger
from kerasrecipes._validation import Interval, check, invalid, options
from kerasrecipes.recipes import _inference, _table
from kerasrecipes.recipes._recipe import Recipe
from kerasrecipes.streaming import _metrics
from kerasrecipes.streaming._pipeline import make_dataset
from kerasrecipes.streaming._scan import scan_csv
from kerasrecipes.streaming._statistics import StreamStatistics

EVAL_BATCH = 4096
"""Rows per batch when validating and testing."""

_UNSUPPORTED = {
    "imputation": ({"median", "most_frequent"}, "A median needs every value in memory; use imputation=mean or drop"),
    "imbalance": ({"downsample"}, "Use imbalance=class_weight (weights from the streamed class counts)"),
    "gradient_descent": ({"batch"}, "One batch of every training row is the whole file in memory; use minibatch"),
    "execution": ({"fast"}, "The fast road compiles epochs over in-memory arrays; streaming uses model.fit"),
    "distribute": ({"mirrored", "multi_worker"}, "Streaming trains on one device; use distribute=none"),
}


def _check_recipe(recipe: Recipe) -> Recipe:
    for field, (refused, fix) in _UNSUPPORTED.items():
        value = getattr(recipe, field, None)  # None also when this version's Recipe lacks the field
        if value in refused:
            raise ValueError(invalid(field, "a value the streaming road supports", value, fix=fix))
    if recipe.task in ("cnn", "rnn"):
        raise ValueError(invalid("task", "'auto', 'regression', 'binary' or 'multiclass' for CSV rows", recipe.task))
    return recipe.replace(imputation=recipe.imputation or "mean", execution=recipe.execution or "fit")


def _option(recipe: Recipe, name: str) -> Any:
    value = getattr(recipe, name)
    return _table.BASE_DEFAULTS[name] if value is None else value


def train_stream(
    path: str | os.PathLike,
    target: str,
    recipe: Recipe | Mapping[str, Any] | None = None,
    *,
    seed: int | None = None,
    task: str = "auto",
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    tracking: str = "none",
    verbose: int = 1,
    callbacks: Sequence[Any] = (),
    thresholds: _table.Thresholds | None = None,
    shuffle_buffer: int = 10_000,
    categorical_columns: Sequence[str] | None = None,
    ignore_columns: Sequence[str] | None = None,
    delimiter: str | None = None,
):
    """Train a recipe on a CSV file streamed through `tf.data`, never loading the file.

    One pass (`scan_csv`) splits the rows by a seeded hash of the row number (`validation_fraction`
    and `test_fraction` of the recipe), infers the task, and computes on the training rows the
    numeric columns' means and variances (missing values imputed with the mean, plus a missing
    indicator) and the categorical columns' vocabularies (one-hot, missing -> an "other" column).
    Every epoch then streams the file again: the preprocessing spec's Keras layers (the in-memory
    road's) preprocess it, a `shuffle_buffer`-row buffer shuffles it with the recipe's seed, and
    `model.fit` trains the recipe's model with early stopping. The test split is evaluated batch
    by batch. The same file, recipe and seed give bit-identical weights (TF op determinism).

    Args:
        path: the CSV file (header first; quoted fields may not span lines).
        target: the column to predict.
        recipe: a `Recipe` or dict of recipe fields; unset fields take the scenario row's defaults,
            except `imputation` ("mean"; "median" is refused) and `execution` ("fit").
        seed: overrides `recipe.seed` (split, shuffle and initialization). Defaults to the recipe's (42).
        task: "auto" or "regression", "binary", "multiclass". Defaults to `"auto"`.
        out: run directory to write atomically; None writes nothing. Defaults to `None`.
        overwrite: replace an existing run directory. Defaults to `False`.
        tracking: W&B tracking ("offline", "online", "auto", "none"); needs `out`. Defaults to `"none"`.
        verbose: 0 silent, 1 progress and summary. Defaults to `1`.
        callbacks: extra Keras callbacks for `fit`. Defaults to `()`.
        thresholds: regime thresholds. Defaults to `DEFAULT_THRESHOLDS`.
        shuffle_buffer: rows held by the shuffle buffer (memory: rows x features x 4 bytes);
            0 trains in file order. Defaults to `10_000`.
        categorical_columns: numeric-looking columns to one-hot encode. Defaults to `None`.
        ignore_columns: columns to leave out. Defaults to `None`.
        delimiter: field separator. Defaults to `None` (detected).

    Returns:
        A `training.RunResult` whose `data` is the `StreamStatistics`.

    Example:
        >>> import pathlib, tempfile
        >>> csv_path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
        >>> _ = csv_path.write_text("a,b,y\\n" + "".join(f"{i % 7},{i % 5},{int(i % 7 > 3)}\\n" for i in range(200)))
        >>> result = train_stream(csv_path, "y", {"epochs": 2}, seed=0, verbose=0)
        >>> result.scenario.name, sorted(result.test_metrics)[:2]
        ('binary-small-dataset', ['accuracy', 'auc'])
    """
    from kerasrecipes.recipes._build import _coerce_recipe

    recipe = _coerce_recipe(recipe)
    if seed is not None:
        recipe = recipe.replace(seed=seed)
    recipe = _check_recipe(recipe)
    check("tracking", tracking, options(*tracking_module.TRACKING))
    check("verbose", verbose, Interval("integer", 0, 2))
    check("shuffle_buffer", shuffle_buffer, Interval("integer", 0))
    if not isinstance(callbacks, (list, tuple)) or not all(callable(getattr(c, "set_model", None)) for c in callbacks):
        raise TypeError(invalid("callbacks", "a list or tuple of keras.callbacks.Callback", callbacks))
    if out is not None:
        rundir.remove_stale_staging(out)
        rundir.check_destination(out, overwrite)
    task = recipe.task if recipe.task not in (None, "auto") else task
    stats = scan_csv(path, target, seed=_option(recipe, "seed"), task=task,
                     validation_fraction=_option(recipe, "validation_fraction"),
                     test_fraction=_option(recipe, "test_fraction"), scaling=_option(recipe, "scaling"),
                     imputation=recipe.imputation, categorical_columns=categorical_columns,
                     ignore_columns=ignore_columns, delimiter=delimiter)
    info = stats.target_info()
    if info.note and verbose:
        get_logger(__name__).info(info.note)
    if recipe.scenario is not None:
        row = _table.get_scenario(recipe.scenario)
        _inference._check_task_against_data(row.task, info)
    else:
        row = _inference._row_for(task, info, thresholds)
    resolved = recipe.replace(scenario=row.name).resolved(
        row, dataset_size=_table.dataset_size(info.n_samples, thresholds))
    if resolved.imbalance == "class_weight" and stats.task == "regression":
        raise ValueError(invalid("imbalance", "'none' for a regression target (it balances classes)", "class_weight"))
    wandb_dir = None
    if out is not None and tracking_module.tracking_mode(tracking) != "none":
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        wandb_dir = Path(tempfile.mkdtemp(prefix=f".{Path(out).name}.staging-wandb-", dir=Path(out).parent))
    source = {"kind": "csv-stream", "path": stats.layout.path, "sha256": stats.sha256, "target": target,
              "task": task, "delimiter": stats.layout.delimiter, "shuffle_buffer": shuffle_buffer,
              "categorical_columns": list(categorical_columns or ()), "ignore_columns": list(ignore_columns or ())}
    try:
        result = _fit(resolved, row, info, stats, source, tracking, wandb_dir, verbose, callbacks, out is not None)
        if out is not None:
            with rundir.staged_directory(out, overwrite=True) as stage:
                rundir.write_run(stage, result, result.extra.pop("last_weights"))
                if wandb_dir is not None and (wandb_dir / "wandb").exists():
                    os.replace(wandb_dir / "wandb", stage / "wandb")
            result.run_dir = Path(out)
    finally:
        if wandb_dir is not None:
            shutil.rmtree(wandb_dir, ignore_errors=True)
    if verbose:
        print(rundir.summary(result), file=sys.stderr)
    return result


def _fit(recipe, row, info, stats: StreamStatistics, source, tracking, wandb_dir, verbose, extra_callbacks, keep_last):
    import keras

    from kerasrecipes.callbacks.fit_diagnosis import diagnose
    from kerasrecipes.models.optimizers import effective_batch_size
    from kerasrecipes.recipes._build import build_model
    from kerasrecipes.seeding import set_seed
    from kerasrecipes.training import RunResult

    keras.backend.clear_session(free_memory=False)
    set_seed(recipe.seed)
    n_train = stats.n_rows["train"]
    batch_size = effective_batch_size(recipe.gradient_descent, recipe.batch_size, n_train)
    model = build_model(recipe, info.input_shape, target=info, steps_per_epoch=math.ceil(n_train / batch_size))
    train_ds = make_dataset(stats, "train", batch_size=batch_size, shuffle_buffer=source["shuffle_buffer"],
                            seed=recipe.seed)
    val_ds = make_dataset(stats, "val", batch_size=EVAL_BATCH)
    callbacks, last, stopper = _train_callbacks.standard(recipe, row, verbose)
    run = None
    if wandb_dir is not None:
        run = tracking_module.start(tracking, wandb_dir, recipe, name=Path(stats.layout.path).stem, group=None)
        from wandb.integration.keras import WandbMetricsLogger

        callbacks.append(WandbMetricsLogger(log_freq="epoch"))
    callbacks.extend(extra_callbacks)
    class_weight = None
    if recipe.imbalance == "class_weight":
        counts = np.asarray(stats.class_counts, np.float64)
        class_weight = {i: float(n_train / (len(counts) * c)) if c else 0.0 for i, c in enumerate(counts)}
    try:
        history = model.fit(train_ds, validation_data=val_ds, epochs=recipe.epochs, class_weight=class_weight,
                            shuffle=False, callbacks=callbacks, verbose=0).history
        if not all(np.all(np.isfinite(w)) for w in model.get_weights()):  # diverged before any finite epoch
            model.set_weights(last.initial)
        test_ds = make_dataset(stats, "test", batch_size=EVAL_BATCH)
        metrics, predictions_sha256 = _metrics.evaluate_test_split(model, stats, test_ds)
        if run is not None:
            run.summary.update({f"test/{k}": v for k, v in metrics.items()})
    finally:
        if run is not None:
            run.finish()
    diagnosis = diagnose(history, baseline_loss=_metrics.baseline_loss(stats, model.head.loss))
    guard = next((c for c in callbacks if type(c).__name__ == "DivergenceGuard"), None)
    manifest = _manifest(recipe, row, info, stats, model, history, metrics, predictions_sha256, diagnosis,
                         stopper or guard, source, batch_size)
    result = RunResult(model, recipe, row, stats, history, metrics, diagnosis, manifest, None)
    result.extra["last_weights"] = last.weights if keep_last else None
    return result


def _manifest(recipe, row, info, stats, model, history, metrics, predictions_sha256, diagnosis, stopper, source,
              batch_size) -> dict[str, Any]:
    data = stats.describe()
    preprocessing = data.pop("preprocessing")
    data.update(source=source, shuffle_buffer=source["shuffle_buffer"], batch_size=batch_size,
                eval_batch_size=EVAL_BATCH)
    manifest = rundir.build_manifest(recipe, row, info, model, history, metrics, diagnosis, stopper,
                                     data=data, predictions_sha256=predictions_sha256)
    manifest["preprocessing"] = preprocessing
    manifest["execution"] = {"road": "fit", "why": "streamed from a CSV file through tf.data"}
    return manifest
