"""One sweep trial: its seeds, its record, and its training (shared by the runner, its workers and
the confirmation)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes.errors import UserError
from kerasrecipes.runs import _cross_validate


def trial_seed(sweep_seed: int, index: int) -> int:
    """The training seed of trial `index`: a hash of (sweep seed, index) via NumPy's SeedSequence."""
    return int(np.random.SeedSequence([int(sweep_seed), int(index)]).generate_state(1)[0])


def metric_key(name: str) -> str:
    """The Keras log key of a sweep metric: `epoch/val_loss` (WandbMetricsLogger's name) -> `val_loss`."""
    return name.split("/", 1)[1] if name.startswith("epoch/") else name


@dataclass
class Trial:
    """One trial: `seed` draws its initialization and shuffling; `split_seed` (the sweep seed, the same for every
    trial) draws its data split, unless its parameters set `split_seed` themselves. `user_error`: the trial
    failed with a `UserError` (a problem the user can fix), not with a bug.

    A cross-validated trial (`folds` K) trains once per fold (`runs._cross_validate`): `fold_metrics` holds each
    fold's best metric, `metric` their mean (None unless every fold has one) and `metric_std` their spread.
    """

    index: int
    seed: int
    params: dict[str, Any]
    state: str = "running"
    metric: float | None = None
    epochs: int = 0
    error: str = ""
    seconds: float = 0.0
    split_seed: int | None = None
    user_error: bool = False
    folds: int | None = None
    fold_metrics: list[float] = field(default_factory=list)
    metric_std: float | None = None


def train_trial(
    data: Any, trial: Trial, out: Path, tracking: str, group: str, metric_name: str, goal: str, callback: Any, run: Any
) -> dict | None:
    """Train one trial (filling `trial` in place); returns its resolved recipe, or None if it failed.

    Its runs leave the test rows unscored (`train(score_test=False)`): a trial is judged on its validation rows.

    `run.history` receives the metric each epoch (through `callback`); a trial that raises is
    recorded as failed with its error, so the sweep goes on.
    """
    from kerasrecipes import runs
    from kerasrecipes.recipes._recipe import Recipe

    start = time.perf_counter()
    recipe_dict, logged = None, []
    try:
        recipe = Recipe.from_dict({"split_seed": trial.split_seed, **trial.params, "seed": trial.seed})
        if trial.folds:
            histories, recipe_dict = _train_folds(data, trial, recipe, out, tracking, group, callback, run)
            logged = _score_folds(trial, histories, metric_key(metric_name), goal)
        else:
            result = runs.train(
                data,
                recipe=recipe,
                out=out,
                overwrite=True,
                tracking=tracking,
                verbose=0,
                callbacks=[callback],
                wandb_group=group,
                score_test=False,  # the test rows never help choose
            )
            values = [h[metric_name] for h in run.history]
            trial.metric = float(min(values) if goal == "minimize" else max(values)) if values else None
            trial.epochs = len(result.history.get("loss", []))
            recipe_dict = result.recipe.to_dict()
            logged = [k for k, v in result.history.items() if v] if not values else []
        trial.state = "stopped" if run.stopped else "finished"
    except Exception as exc:  # a failing trial is recorded and the sweep goes on
        trial.state, trial.error = "failed", " ".join(str(exc).split())[:300] or type(exc).__name__
        trial.user_error = isinstance(exc, UserError)
    trial.seconds = time.perf_counter() - start
    if logged:  # epochs ran, none logged the metric: every other trial would waste its time the same way
        raise UserError(
            f"The sweep metric {metric_name!r} is not logged by these runs; they log "
            f"{', '.join('epoch/' + k for k in sorted(logged))}. Set `metric.name` in the sweep YAML to "
            "one of them (and rerun with --overwrite)."
        )
    return recipe_dict


def _train_folds(
    data: Any, trial: Trial, recipe: Any, out: Path, tracking: str, group: str, callback: Any, run: Any
) -> tuple[list[dict], dict]:
    """A cross-validated trial's folds: their histories, and its recipe (resolved, without the fold fields).

    The engine follows fold 0 (`callback`, its metric each epoch: one stream per trial, on the same rows for
    every trial); when hyperband stops fold 0 after n epochs, every other fold stops after n epochs too, so the
    folds' mean compares trainings of one length.
    """

    def callbacks(fold: int) -> list:
        if fold == 0:
            return [callback]
        return [stop_after(len(run.history))] if run.stopped else []

    cv = _cross_validate.cross_validate(
        data,
        recipe=recipe,
        folds=trial.folds,
        out=out,
        overwrite=True,
        tracking=tracking,
        verbose=0,
        fold_callbacks=callbacks,
        wandb_group=group,
        score_test=False,
    )
    resolved = {**cv.runs[0].recipe.to_dict(), "folds": None, "fold": None}  # retrained on one validation split
    return [r.history for r in cv.runs], resolved


def _score_folds(trial: Trial, histories: list[dict], key: str, goal: str) -> list[str]:
    """Fill a cross-validated trial's fold metrics, mean (None unless every fold has one), spread and epochs (the
    longest fold's); returns the keys the folds logged when none logged `key` (else an empty list)."""
    trial.epochs = max(len(h.get("loss", [])) for h in histories)
    if not any(key in h for h in histories):
        return [k for k, v in histories[0].items() if v]
    trial.fold_metrics = _cross_validate.fold_scores(histories, key, goal == "maximize")
    mean, spread = _cross_validate.mean_and_spread(trial.fold_metrics)
    trial.metric, trial.metric_std = (mean, spread) if math.isfinite(mean) else (None, None)
    return []


def stop_after(epochs: int) -> Any:
    """A Keras callback that ends training after `epochs` epochs (a hyperband-stopped trial's other folds)."""
    import keras

    class StopAfter(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 >= epochs:
                self.model.stop_training = True

    return StopAfter()
