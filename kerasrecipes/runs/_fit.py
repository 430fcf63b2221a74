"""One training run, once `train` has decided what to run: build, fit on a road, evaluate, assemble.

The road depends on the data and the recipe, and each is written once here:

- `distributed`: the fast road's loop under a `tf.distribute` strategy (in-memory data);
- `fast`: whole epochs compiled into one call (`engine`; in-memory data), checkpointed for resume;
- `fit`: Keras' `model.fit`, on in-memory arrays (`execution="fit"`, or a callback needs per-batch
  hooks) or on the `tf.data` pipelines of a streamed CSV file.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes._io import make_dir, sha256_file
from kerasrecipes.runs import _callbacks, _evaluate, checkpoints, distribute, rundir
from kerasrecipes.runs import tracking as tracking_module
from kerasrecipes.runs.fast_road import _traces, engine


@dataclasses.dataclass(kw_only=True)
class Plan:
    """Everything one run needs, decided by `train` before any training; built by keyword."""

    recipe: Any  # the resolved Recipe
    row: Any  # its scenario-table row (`Scenario`)
    info: Any  # `TargetInfo` of the data's target
    source: Any  # the `DataSource`
    prepared: Any  # what the source prepared (`data._sources.Prepared`)
    partial: Path | None = None  # <out>.partial: checkpoints and the W&B run while training; None writes nothing
    state: dict | None = None  # the checkpoint to resume from
    tracking: str = "none"
    verbose: int = 0
    callbacks: tuple = ()  # the caller's own, outside the recipe
    wandb_group: str | None = None
    checkpoint_every: float | None = None
    strategy: Any = None  # a tf.distribute strategy, or None
    lr_find: dict | None = None  # the range test that chose the learning rate (learning_rate="find"), for the manifest
    score_test: bool = True  # False: the test rows are predicted (for the checks) but not scored (a sweep trial)


def run(plan: Plan, evaluate: bool = True) -> dict[str, Any]:
    """Train, evaluate and describe one run; returns the fields of a `RunResult` (no run directory yet;
    the end-to-end model is built when first used, `RunResult.inference`).

    With `evaluate=False` (data prepared without a test split: the scikit-learn estimators' fit) it
    stops after training: model, inference model, recipe, scenario, data and history only.
    """
    from kerasrecipes.callbacks.fit_diagnosis import diagnose
    from kerasrecipes.models import end_to_end
    from kerasrecipes.models.optimizers import effective_batch_size
    from kerasrecipes.seeding import fresh_run

    recipe, prepared = plan.recipe, plan.prepared
    if plan.strategy is not None:
        distribute.check_usable(plan.strategy, recipe.execution, plan.callbacks, recipe)
        distribute.check_same_data(plan.strategy, prepared.fingerprint())
    _check_unweighted(recipe, prepared)
    fresh_run(recipe.seed, keep_kernels=_own_code_only(plan))
    n_train = prepared.n_rows["train"]
    batch_size = effective_batch_size(recipe.gradient_descent, recipe.batch_size, n_train)  # global when distributed
    with distribute.scope(plan.strategy):
        model = _build(plan, batch_size)
    if plan.partial is not None:  # only once the model builds: a recipe error leaves no directory behind
        make_dir(plan.partial)
    callbacks, last, ender = _callbacks.standard(recipe, plan.row)
    tracker = None  # W&B runs in its own worker process (tracking.Tracker), started before the data were read
    if plan.partial is not None:
        tracker = tracking_module.start(
            plan.tracking, plan.partial, recipe, name=plan.partial.name.removesuffix(".partial"), group=plan.wandb_group
        )
        if tracker is not None:
            callbacks.append(tracker.callback())
    callbacks.extend(plan.callbacks)
    try:
        model, history, road, why = _fit(plan, model, callbacks, batch_size)
        fine_tune_from = None  # the first epoch of the fine-tuning phase, when it runs
        if recipe.fine_tune_epochs and str(getattr(ender, "stop_reason", None)) != "nan":
            fine_tune_from = len(history.get("loss", []))
            history = _fine_tune(plan, model, callbacks, batch_size, history, road)
        if not all(np.all(np.isfinite(w)) for w in model.get_weights()):  # diverged before any finite epoch
            model.set_weights(last.initial)
        if prepared.task == "multilabel":  # the saved model's labels: each probability at its label's threshold
            prepared.target["thresholds"] = _evaluate.label_thresholds(model, prepared)
        if not evaluate:
            return {
                "model": model,
                "inference": end_to_end.inference_model(prepared.preprocessing, prepared.target, model),
                "recipe": recipe,
                "scenario": plan.row,
                "data": prepared,
                "history": history,
            }
        baseline = _evaluate.Baseline(prepared) if plan.score_test else None  # the trivial predictor, same pass
        metrics, predictions_sha256, predictions = _evaluate.evaluate(
            model, prepared, baseline=baseline, score=plan.score_test
        )
    except BaseException:
        if tracker is not None:
            tracker.abort()
        raise
    test_baseline = None if baseline is None else {"predictor": baseline.predictor, "metrics": baseline.result()}
    diagnosis = diagnose(
        history,
        baseline_loss=prepared.baseline_loss(model.head.loss),
        test_score=metrics.get("score"),
        baseline_score=None if test_baseline is None else test_baseline["metrics"]["score"],
        **({} if baseline is None else {"baseline": baseline.predictor}),
    )
    manifest = rundir.build_manifest(
        recipe,
        plan.row,
        plan.info,
        model,
        history,
        metrics,
        diagnosis,
        ender,
        data={**prepared.describe(), "source": plan.source.describe(), "fingerprint": prepared.fingerprint()},
        predictions_sha256=predictions_sha256,
        test_baseline=test_baseline,
        test_scored=plan.score_test,
    )
    if recipe.fine_tune_epochs:  # which layers trained last decides the optimizer slots of the weights file
        manifest["training"]["fine_tune_from_epoch"] = fine_tune_from
    if recipe.backbone != "none" and recipe.backbone_weights != "none":  # the file the backbone started from
        manifest["backbone_weights"] = {
            "path": os.path.abspath(recipe.backbone_weights),
            "sha256": sha256_file(recipe.backbone_weights),
        }
    manifest["execution"] = {
        "road": road,
        "why": why,
        "callbacks": [type(c).__name__ for c in plan.callbacks],  # the caller's own, outside the recipe
        "executor": (
            "single-threaded" if road == "fast" and engine.epoch_executor(model, recipe.batch_size) else "default"
        ),
    }
    if plan.lr_find is not None:
        manifest["lr_find"] = plan.lr_find
    return {
        "model": model,
        "recipe": recipe,
        "scenario": plan.row,
        "data": prepared,  # RunResult builds `inference` on use
        "history": history,
        "test_metrics": metrics,
        "diagnosis": diagnosis,
        "manifest": manifest,
        "test_predictions": predictions,
        "last_weights": last.weights,
        "tracker": tracker,
    }


def _own_code_only(plan: Plan) -> bool:
    """Whether the run calls this package's code only: every callback and the data source (with what it
    prepared) are its own classes, none of which draws from TensorFlow's stateful random kernels.

    A user's callback or `DataSource` may, and so may a Keras callback that runs a user's function
    (`LambdaCallback`, `LearningRateScheduler`): then the run resets those kernels (`fresh_run`).
    """
    objects = [*plan.callbacks, plan.source, plan.prepared]
    return all(type(o).__module__.partition(".")[0] == "kerasrecipes" for o in objects)


def _check_unweighted(recipe: Any, prepared: Any) -> None:
    """An ensemble's loss is the mean of its members' losses only without row weights (`EnsembleHead`)."""
    from kerasrecipes.errors import UserError

    if recipe.ensemble == 1:
        return
    single = "ensemble=1 and ensemble_kind='packed'" if recipe.ensemble_kind == "tabm_mini" else "ensemble=1"
    arrays = prepared.arrays()
    if prepared.class_weight is not None or (arrays is not None and arrays["sample_weight"] is not None):
        raise UserError(
            f"ensemble={recipe.ensemble} cannot weight rows (imbalance={recipe.imbalance!r} or sample "
            f"weights give them weights). Set imbalance='none' and pass no sample weights, or set {single}."
        )


def _build(plan: Plan, batch_size: int) -> Any:
    from kerasrecipes.data import _text
    from kerasrecipes.data._feature_spec import numeric_features
    from kerasrecipes.recipes._build import build_model

    steps = math.ceil(plan.prepared.n_rows["train"] / batch_size)
    return build_model(
        plan.recipe,
        plan.prepared.input_shape,
        target=plan.info,
        steps_per_epoch=steps,
        numeric_features=numeric_features(plan.prepared.preprocessing),
        text_blocks=_text.layout(plan.prepared.preprocessing),
        channel_scaling=channel_scaling(plan.prepared.preprocessing),
    )


def rebuild(recipe: Any, prepared: Any, *, fine_tuned: bool) -> Any:
    """A finished run's network, built again from its resolved recipe on its prepared data, ready for the run's
    weights file: a backbone's pretrained weights are not read, and its layers are as trainable as the run
    left them (`fine_tuned`: the run ended in a fine-tuning phase), which decides the optimizer slots."""
    from kerasrecipes.data import _text
    from kerasrecipes.data._feature_spec import numeric_features
    from kerasrecipes.models.backbones import architecture_only, as_trained
    from kerasrecipes.recipes._build import build_model

    model = build_model(
        architecture_only(recipe),
        prepared.input_shape,
        target=prepared.target_info(),
        numeric_features=numeric_features(prepared.preprocessing),
        text_blocks=_text.layout(prepared.preprocessing),
        channel_scaling=channel_scaling(prepared.preprocessing),
    )
    as_trained(model, recipe, fine_tuned=fine_tuned)
    return model


def channel_scaling(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The per-channel scaling of a channel spec (images, sequences), which a backbone undoes; None for a table."""
    return spec if spec.get("kind") == "channels" else None


def _fine_tune(plan: Plan, model: Any, callbacks: list, batch_size: int, history: dict, road: str) -> dict:
    """The second phase of a run whose backbone started from a weights file (`fine_tune_epochs`): the
    backbone trainable (its batch normalization still frozen), compiled again at a tenth of the learning
    rate, trained that many more epochs on the first phase's road; returns both phases' history.

    Its epochs are numbered on from the first phase's (epoch e is shuffled from (seed, e)), and the run's
    callbacks see it as a second training (early stopping watches it on its own). It writes no
    checkpoint: a run killed here resumes from the first phase's last checkpoint and trains this phase
    again, to the same weights.
    """
    from kerasrecipes.models import backbones
    from kerasrecipes.recipes._build import compile_model

    recipe, arrays = plan.recipe, plan.prepared.arrays()
    backbones.unfreeze(model)
    steps = math.ceil(plan.prepared.n_rows["train"] / batch_size)
    compile_model(model, recipe.replace(learning_rate=recipe.learning_rate / 10), model.head, steps)
    done = len(history.get("loss", []))
    epochs = done + recipe.fine_tune_epochs  # numbered on from the first phase's
    return _train_arrays(
        road,
        model,
        arrays,
        epochs=epochs,
        batch_size=batch_size,
        seed=recipe.seed,
        callbacks=callbacks,
        resume=(done, history, False),
        after_epoch=lambda epoch, *_: checkpoints.fault("epoch", epoch + 1),
    )


def _fit(plan: Plan, model: Any, callbacks: list, batch_size: int) -> tuple[Any, dict, str, str]:
    """Train on the run's road; returns (model, history, road, why)."""
    recipe, prepared = plan.recipe, plan.prepared
    arrays = prepared.arrays()
    steps = math.ceil(prepared.n_rows["train"] / batch_size)
    if arrays is None:  # streamed: only Keras' fit runs over tf.data
        _show_progress(plan, callbacks, steps)
        train_ds, val_ds = prepared.datasets(batch_size, recipe.seed)
        history = _keras_fit(
            model,
            train_ds,
            validation_data=val_ds,
            epochs=recipe.epochs,
            class_weight=prepared.class_weight,
            shuffle=False,
            callbacks=callbacks,
        )
        return model, history, "fit", "streamed from disk through tf.data"
    if plan.strategy is not None:  # not checkpointed: a distributed run restarts from the beginning
        _show_progress(plan, callbacks, None)
        history = distribute.fit(
            model,
            plan.strategy,
            arrays["x"],
            arrays["y"],
            validation_data=(arrays["x_val"], arrays["y_val"]),
            epochs=recipe.epochs,
            batch_size=batch_size,
            seed=recipe.seed,
            callbacks=callbacks,
            sample_weight=engine.expand_sample_weight(arrays["y"], arrays["class_weight"], arrays["sample_weight"]),
        )
        model = distribute.single_device_copy(
            model, lambda: _build(plan, batch_size)
        )  # evaluate and save on one device
        return model, history, "distributed", distribute.describe(plan.strategy)
    road, why = engine.choose_road(recipe.execution, callbacks)
    _show_progress(plan, callbacks, steps if road == "fit" else None)
    checkpointer, progress = None, None
    if road == "fast" and plan.partial is not None and plan.checkpoint_every is not None:
        checkpointer = checkpoints.Checkpointer(
            plan.partial, model, callbacks, recipe.to_dict(), prepared.fingerprint(), plan.checkpoint_every
        )
        if plan.state is not None:
            checkpointer.restore(plan.state)
            progress = (plan.state["epochs_done"], plan.state["history"], plan.state["stopped"])
    history = _train_arrays(
        road,
        model,
        arrays,
        epochs=recipe.epochs,
        batch_size=batch_size,
        seed=recipe.seed,
        callbacks=callbacks,
        resume=progress,
        after_epoch=checkpointer.after_epoch if checkpointer else None,
    )
    return model, history, road, why


def _train_arrays(
    road: str,
    model: Any,
    arrays: dict,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    callbacks: list,
    resume: tuple | None,
    after_epoch: Any,
) -> dict[str, list[float]]:
    """Train on in-memory arrays to `epochs` in all, on the fast road or Keras' `fit`; returns the history.

    `resume` is (epochs done, their history, stopped): training goes on from there and the history returned
    covers every epoch. `after_epoch` (the fast road only) is called after each epoch.
    """
    validation = (arrays["x_val"], arrays["y_val"])
    if road == "fast":
        return engine.fast_fit(
            model,
            arrays["x"],
            arrays["y"],
            validation_data=validation,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            callbacks=callbacks,
            sample_weight=engine.expand_sample_weight(arrays["y"], arrays["class_weight"], arrays["sample_weight"]),
            resume=resume,
            after_epoch=after_epoch,
        )
    more = _keras_fit(
        model,
        arrays["x"],
        arrays["y"],
        validation_data=validation,
        epochs=epochs,
        initial_epoch=resume[0] if resume else 0,
        batch_size=batch_size,
        shuffle=True,
        class_weight=arrays["class_weight"],
        sample_weight=arrays["sample_weight"],
        callbacks=callbacks,
    )
    if resume is None:
        return more
    history = resume[1]
    return {k: [*history.get(k, []), *more.get(k, [])] for k in {**history, **more}}


def _keras_fit(model: Any, *args: Any, **kwargs: Any) -> dict[str, list[float]]:
    """Keras' `model.fit` (silent); returns its history. Then the custom gradients of the training
    function it traced leave TensorFlow's registry, which would keep that graph for good
    (`_traces.release_custom_gradients`)."""
    history = model.fit(*args, verbose=0, **kwargs).history
    _traces.release_custom_gradients(model.train_function)
    return history


def _show_progress(plan: Plan, callbacks: list, steps: int | None) -> None:
    """Add the progress display (epochs; and batches when `steps` is given) unless the run is quiet."""
    if plan.verbose:
        callbacks.append(_callbacks.progress(plan.recipe.epochs + plan.recipe.fine_tune_epochs, steps))
