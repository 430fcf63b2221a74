"""The one training function: recipe + data + seed -> trained model and a run directory.

Everything else (the CLI's `train`, the demo, the local sweep runner and `wandb agent`'s program,
`reproduce --retrain`) calls `train`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from kerasrecipes import _train_callbacks, distribute, engine, resume, rundir
from kerasrecipes import tracking as tracking_module
from kerasrecipes._log import get_logger
from kerasrecipes._validation import Interval, check, invalid, options
from kerasrecipes.recipes import _inference, _table
from kerasrecipes.recipes._recipe import Recipe

logger = get_logger(__name__)
DATA_FIELDS = ("validation_fraction", "test_fraction", "scaling", "imputation", "imbalance")


@dataclasses.dataclass
class RunResult:
    """What `train` returns.

    Attributes:
        model: the trained, compiled `keras.Model` (best weights restored when early stopping).
        recipe: the resolved recipe that was trained.
        scenario: the scenario-table row used.
        data: the `PreparedData` the model was trained and tested on.
        history: per-epoch metrics (`dict[str, list[float]]`).
        test_metrics: metrics on the held-out test split (original units for regression).
        diagnosis: the fit diagnosis (`callbacks.fit_diagnosis.Diagnosis`).
        manifest: the run manifest (also written to `run_dir/manifest.json`).
        run_dir: the run directory, or None when `out=None`.
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
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


def load_data(source: Any, *, n_samples: int | None = None, seed: int = 0):
    """A `Dataset` from a name, a `Dataset`, or a manifest's data-source description."""
    from kerasrecipes import data

    if isinstance(source, data.Dataset):
        return source
    if isinstance(source, str):
        if n_samples is not None:
            return data.load_dataset(source, n_samples=n_samples, seed=seed)
        return data.load_dataset(source)
    if isinstance(source, Mapping):
        kind = source.get("kind")
        if kind == "sklearn":
            return data.load_dataset(source["name"])
        if kind == "synthetic":
            return data.load_dataset(source["name"], n_samples=source["n_samples"], seed=source["seed"],
                                     **source.get("params", {}))
        if kind == "csv":
            from kerasrecipes._io import sha256_file

            path = source["path"]
            if not os.path.isfile(path):
                raise ValueError(f"The run's CSV file {path} is missing; restore it to reproduce the run.")
            if sha256_file(path) != source.get("sha256"):
                raise ValueError(f"The run's CSV file {path} has changed since training (sha256 differs).")
            return data.load_csv(path, source["target"], delimiter=source.get("delimiter"))
        raise ValueError(f"Data of kind {kind!r} cannot be loaded again; train from a dataset name or a CSV file.")
    raise TypeError(invalid("data", "a dataset name, a kerasrecipes.data.Dataset or a data-source mapping",
                            type(source).__name__))


def _data_options(recipe: Recipe) -> dict[str, Any]:
    return {k: getattr(recipe, k) if getattr(recipe, k) is not None else _table.BASE_DEFAULTS[k] for k in DATA_FIELDS}


def prepare_for_recipe(dataset: Any, recipe: Recipe, *, task: str = "auto",
                       thresholds: _table.Thresholds | None = None):
    """Prepare `dataset` for `recipe` and pick the scenario row: (prepared data, row, target info).

    The task is inferred once, from the raw target (`infer_target`); after preparation the labels are
    codes and the regression target is scaled, so the row is chosen from what preparation made of them.
    """
    from kerasrecipes import data
    from kerasrecipes.recipes._build import target_info_from_shape

    task = recipe.task if recipe.task not in (None, "auto") else task
    if task != "auto":
        check("task", task, _table._TASK_OPTIONS)
    inferred = _inference.infer_target(dataset.X, dataset.y, name=dataset.target_name)
    label_kind = task if task in data.TASKS else inferred.kind
    seed = recipe.seed if recipe.seed is not None else _table.BASE_DEFAULTS["seed"]
    prepared = data.prepare(dataset, task=label_kind, seed=seed, **_data_options(recipe))
    n_rows = len(prepared.y_train) + len(prepared.y_val) + len(prepared.y_test)
    info = target_info_from_shape(prepared.input_shape, prepared.n_classes, n_samples=n_rows)
    if label_kind == inferred.kind:
        info = dataclasses.replace(info, note=inferred.note)
    if recipe.scenario is not None:
        row = _table.get_scenario(recipe.scenario)
        _inference._check_task_against_data(row.task, info)
    else:
        if task != "auto":
            _inference._check_task_against_data(task, info)
        row = _inference._row_for(task, info, thresholds)
    return prepared, row, info


def test_metrics(model: Any, prepared: Any, head: Any, batch_size: int = 4096) -> tuple[dict[str, float], np.ndarray]:
    """Metrics on the test split (regression in original units) and the raw predictions."""
    from keras import ops
    from sklearn import metrics as skm

    # One direct forward pass per chunk: `predict`/`evaluate` would each trace a function first, which
    # costs more than the whole test pass on small data. Same numbers every time, so reproducible.
    chunks = [model(prepared.X_test[i:i + batch_size], training=False)
              for i in range(0, len(prepared.X_test), batch_size)]
    pred_tensor = chunks[0] if len(chunks) == 1 else ops.concatenate(chunks, axis=0)
    loss = model.compute_loss(x=prepared.X_test, y=prepared.y_test, y_pred=pred_tensor, training=False)
    pred = np.asarray(pred_tensor)
    out: dict[str, float] = {"loss": float(loss)}
    if not np.all(np.isfinite(pred)):  # a diverged model: report it instead of crashing in scikit-learn
        out["score"] = float("nan")
        return out, pred
    if prepared.task == "regression":
        y_true = prepared.inverse_transform_y(prepared.y_test.reshape(pred.shape))
        y_pred = prepared.inverse_transform_y(pred)
        out.update(r2=skm.r2_score(y_true, y_pred), mae=skm.mean_absolute_error(y_true, y_pred),
                   rmse=math.sqrt(skm.mean_squared_error(y_true, y_pred)))
        out["score"] = out["r2"]
    else:
        y_true = prepared.y_test.astype(int)
        if head.units == 1:
            scores = pred[:, 0]
            threshold = 0.5 if head.activation == "sigmoid" else 0.0
            labels = (scores > threshold).astype(int)
            out["auc"] = skm.roc_auc_score(y_true, scores) if len(np.unique(y_true)) == 2 else float("nan")
            out["f1"] = skm.f1_score(y_true, labels)
        else:
            labels = pred.argmax(axis=1)
            out["f1_macro"] = skm.f1_score(y_true, labels, average="macro")
        out["accuracy"] = skm.accuracy_score(y_true, labels)
        out["score"] = out["accuracy"]
    return {k: float(v) for k, v in out.items()}, pred


def train(
    data: Any,
    recipe: Recipe | Mapping[str, Any] | None = None,
    *,
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
) -> RunResult:
    """Train a recipe on data, evaluate it on the held-out test split, and write a run directory.

    Args:
        data: a dataset name (`kerasrecipes.data.list_datasets()`), or a `kerasrecipes.data.Dataset`
            (e.g. from `load_csv`).
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
            the same `out` resumes an interrupted run bit for bit. Distributed runs are not
            checkpointed: run again, they restart and end with the same weights. Defaults to 30.

    With `recipe.distribute` set (see `kerasrecipes.distribute`) the strategy is created first,
    before any other TensorFlow work, and `batch_size` is the global batch. In a multi-worker run
    every worker trains, but only the chief writes: the others ignore `out` and `tracking` and
    return a result with `run_dir=None`.

    Returns:
        A `RunResult`.

    Example:
        >>> result = train("iris", {"epochs": 5}, tracking="none", verbose=0)
        >>> result.scenario.name
        'multiclass-less-features'
    """
    from kerasrecipes.recipes._build import _coerce_recipe

    recipe = _coerce_recipe(recipe)
    check("tracking", tracking, options(*tracking_module.TRACKING))
    check("verbose", verbose, Interval("integer", 0, 2))
    if not isinstance(callbacks, (list, tuple)) or not all(callable(getattr(c, "set_model", None)) for c in callbacks):
        raise TypeError(invalid("callbacks", "a list or tuple of keras.callbacks.Callback", callbacks))
    if checkpoint_every is not None:
        check("checkpoint_every", checkpoint_every, Interval("real", 0.0))
    if seed is not None:
        recipe = recipe.replace(seed=seed)
    distribute_name = recipe.distribute or _table.BASE_DEFAULTS["distribute"]
    strategy = distribute.strategy_for(distribute_name)  # first: multi-worker must start before TensorFlow does
    if distribute_name == "multi_worker" and not distribute.is_chief():
        if verbose and out is not None:
            print(f"kerasrecipes: not the chief of this multi-worker run: training without writing {out}",
                  file=sys.stderr)
        out = None  # only the chief writes (run directory, checkpoints, W&B)
    if out is not None:
        rundir.remove_stale_staging(out)
        rundir.check_destination(out, overwrite)
        partial = resume.partial_dir(out)
        if overwrite and partial.exists():
            shutil.rmtree(partial)
    dataset = load_data(data, n_samples=n_samples, seed=recipe.seed if recipe.seed is not None else 0)
    prepared, row, info = prepare_for_recipe(dataset, recipe, task=task, thresholds=thresholds)
    if info.note and verbose:
        logger.info(info.note)
    n_rows = len(prepared.X_train) + len(prepared.X_val) + len(prepared.X_test)
    resolved = recipe.replace(scenario=row.name).resolved(row, dataset_size=_table.dataset_size(n_rows, thresholds))
    if out is None:
        return _fit(resolved, row, info, prepared, dataset, None, None, tracking, verbose, callbacks, wandb_group, None,
                    strategy)
    state = resume.load(partial) if partial.exists() else None
    if state is not None:
        why = resume.mismatch(state, resolved.to_dict(), prepared.fingerprint())
        if why:
            raise ValueError(f"{partial} holds an interrupted run that cannot be resumed here: {why}. "
                             "Pass --overwrite to discard it, or choose another --out.")
        if verbose:
            print(f"resuming {out} after epoch {state['epochs_done']}", file=sys.stderr)
    try:
        result = _fit(resolved, row, info, prepared, dataset, partial, state, tracking, verbose, callbacks,
                      wandb_group, checkpoint_every, strategy)
    except BaseException:
        if resume.load(partial) is None:  # nothing to resume from: leave nothing behind
            shutil.rmtree(partial, ignore_errors=True)
        raise
    with rundir.staged_directory(out, overwrite=True) as stage:
        rundir.write_run(stage, result, result.extra.pop("last_weights"))
        if (partial / "wandb").exists():
            os.replace(partial / "wandb", stage / "wandb")
        resume.fault("final")
    shutil.rmtree(partial, ignore_errors=True)
    result.run_dir = Path(out)
    if verbose:
        print(rundir.summary(result), file=sys.stderr)
    return result


def _fit(recipe, row, info, prepared, dataset, partial, state, tracking, verbose, extra_callbacks, wandb_group,
         checkpoint_every, strategy=None):
    import keras

    from kerasrecipes.callbacks.fit_diagnosis import baseline_loss, diagnose
    from kerasrecipes.models.optimizers import effective_batch_size
    from kerasrecipes.recipes._build import build_model
    from kerasrecipes.seeding import set_seed

    if strategy is not None:
        distribute.check_usable(strategy, recipe.execution, extra_callbacks, recipe)
        distribute.check_same_data(strategy, prepared.fingerprint())
    keras.backend.clear_session(free_memory=False)
    set_seed(recipe.seed)
    n_train = len(prepared.X_train)
    batch_size = effective_batch_size(recipe.gradient_descent, recipe.batch_size, n_train)  # global when distributed
    with distribute.scope(strategy):
        model = build_model(recipe, prepared.input_shape, target=info, steps_per_epoch=math.ceil(n_train / batch_size))
    if partial is not None:  # only once the model builds: a recipe error leaves no directory behind
        partial.mkdir(parents=True, exist_ok=True)
    callbacks, last, stopper = _train_callbacks.standard(recipe, row, verbose)
    run = None
    if partial is not None and tracking_module.tracking_mode(tracking) != "none":
        run = tracking_module.start(tracking, partial, recipe, name=partial.name.removesuffix(".partial"), group=wandb_group)
        from wandb.integration.keras import WandbMetricsLogger

        callbacks.append(WandbMetricsLogger(log_freq="epoch"))
    callbacks.extend(extra_callbacks)
    if strategy is not None:
        road, why = "distributed", distribute.describe(strategy)
    else:
        road, why = engine.choose_road(recipe.execution, callbacks)
    try:
        if road == "distributed":  # not checkpointed: a distributed run restarts from the beginning
            history = distribute.fit(
                model, strategy, prepared.X_train, prepared.y_train, validation_data=(prepared.X_val, prepared.y_val),
                epochs=recipe.epochs, batch_size=batch_size, seed=recipe.seed, callbacks=callbacks, head=model.head,
                sample_weight=engine.expand_sample_weight(prepared.y_train, prepared.class_weight,
                                                          prepared.sample_weight_train))
            model = distribute.single_device_copy(model, lambda: build_model(  # evaluate, predict, save on one device
                recipe, prepared.input_shape, target=info, steps_per_epoch=math.ceil(n_train / batch_size)))
        elif road == "fast":
            checkpointer, progress = None, None
            if partial is not None and checkpoint_every is not None:
                checkpointer = resume.Checkpointer(partial, model, stopper, recipe.to_dict(), prepared.fingerprint(),
                                                   checkpoint_every)
                if state is not None:
                    checkpointer.restore(state)
                    progress = (state["epochs_done"], state["history"], state["stopped"])
            history = engine.fast_fit(
                model, prepared.X_train, prepared.y_train, validation_data=(prepared.X_val, prepared.y_val),
                epochs=recipe.epochs, batch_size=batch_size, seed=recipe.seed, callbacks=callbacks, head=model.head,
                sample_weight=engine.expand_sample_weight(prepared.y_train, prepared.class_weight,
                                                          prepared.sample_weight_train),
                resume=progress, after_epoch=checkpointer.after_epoch if checkpointer else None)
        else:
            history = model.fit(prepared.X_train, prepared.y_train, validation_data=(prepared.X_val, prepared.y_val),
                                epochs=recipe.epochs, batch_size=batch_size, shuffle=True,
                                class_weight=prepared.class_weight, sample_weight=prepared.sample_weight_train,
                                callbacks=callbacks, verbose=0).history
        metrics, predictions = test_metrics(model, prepared, model.head)
        if run is not None:
            run.summary.update({f"test/{k}": v for k, v in metrics.items()})
    finally:
        if run is not None:
            run.finish()
    diagnosis = diagnose(history, baseline_loss=baseline_loss(prepared.y_train, model.head.loss))
    guard = next((c for c in callbacks if type(c).__name__ == "DivergenceGuard"), None)
    if not all(np.all(np.isfinite(w)) for w in model.get_weights()):  # diverged before any finite epoch
        model.set_weights(last.initial)
        metrics, predictions = test_metrics(model, prepared, model.head)
    manifest = rundir.build_manifest(
        recipe, row, info, model, history, metrics, diagnosis, stopper or guard,
        data={**prepared.describe(), "source": dataset.source, "fingerprint": prepared.fingerprint()},
        predictions_sha256=rundir.weights_sha256([predictions]))
    manifest["execution"] = {"road": road, "why": why}
    result = RunResult(model, recipe, row, prepared, history, metrics, diagnosis, manifest, None)
    result.extra["last_weights"] = last.weights
    return result


