"""One sweep trial: its seeds, its record, and its training (shared by the runner, its workers and
the confirmation)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes.errors import UserError


def trial_seed(sweep_seed: int, index: int) -> int:
    """The training seed of trial `index`: a hash of (sweep seed, index) via NumPy's SeedSequence."""
    return int(np.random.SeedSequence([int(sweep_seed), int(index)]).generate_state(1)[0])


@dataclass
class Trial:
    """One trial: `seed` draws its initialization and shuffling; `split_seed` (the sweep seed, the same for every
    trial) draws its data split, unless its parameters set `split_seed` themselves. `user_error`: the trial
    failed with a `UserError` (a problem the user can fix), not with a bug."""

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


def train_trial(
    data: Any, trial: Trial, out: Path, tracking: str, group: str, metric_name: str, goal: str, callback: Any, run: Any
) -> dict | None:
    """Train one trial (filling `trial` in place); returns its resolved recipe, or None if it failed.

    `run.history` receives the metric each epoch (through `callback`); a trial that raises is
    recorded as failed with its error, so the sweep goes on.
    """
    from kerasrecipes import runs
    from kerasrecipes.recipes._recipe import Recipe

    start = time.perf_counter()
    recipe_dict, logged = None, []
    try:
        recipe = Recipe.from_dict({"split_seed": trial.split_seed, **trial.params, "seed": trial.seed})
        result = runs.train(
            data,
            recipe=recipe,
            out=out,
            overwrite=True,
            tracking=tracking,
            verbose=0,
            callbacks=[callback],
            wandb_group=group,
        )
        values = [h[metric_name] for h in run.history]
        trial.metric = float(min(values) if goal == "minimize" else max(values)) if values else None
        trial.epochs = len(result.history.get("loss", []))
        trial.state = "stopped" if run.stopped else "finished"
        recipe_dict = result.recipe.to_dict()
        logged = [k for k, v in result.history.items() if v] if not values else []
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
