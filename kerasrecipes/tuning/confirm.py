"""Confirm a sweep's winner on more than one initialization before trusting it.

On a small dataset one training is a noisy judge: the trial with the lowest validation loss out of
twenty is often the luckiest, not the best. `confirm` retrains the sweep's `top` best trials, and
the row's default recipe under the sweep's fixed values, with `seeds` further seeds each. Every
retraining keeps the sweep's split (`split_seed` = the sweep seed): a new seed draws only the
initialization and the shuffling. Other splits would move rows of the sweep's test split into
training and validation, and the test rows must never help choose; so this measures whether a
trial's lead survives new initializations, on the validation rows every trial was judged on, not
how it would fare on other rows. Every candidate gets the same seeds (a paired comparison); the
candidate with the best mean of its per-run best validation metric wins and becomes
`best_recipe.yaml`.

The confirmation runs to the end of each training (no hyperband), so it costs
`(top + 1) * seeds` full trainings; `run_sweep(confirm="auto")` does it for small datasets only
(under `LARGE_DATASET_THRESHOLD` rows), where a training is short and its validation metric noisy.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerasrecipes._io import atomic_write_text
from kerasrecipes._log import get_logger

CONFIRMATION = "confirmation.csv"
AUTO_TOP = 3
_SEED_OFFSET = 1_000_003  # confirmation seeds sit far from the trials' seeds (trial_seed(seed, i) for small i)

logger = get_logger(__name__)


@dataclass
class Candidate:
    """One recipe under confirmation: a trial (its index) or the row's default (index None)."""

    label: str
    index: int | None
    params: dict[str, Any]
    sweep_metric: float | None
    metrics: list[float] = field(default_factory=list)
    recipe: dict[str, Any] | None = None
    error: str = ""

    @property
    def mean(self) -> float | None:
        """The mean metric over the seeds; None if any run failed or diverged (it cannot win)."""
        if not self.metrics or not all(math.isfinite(m) for m in self.metrics):
            return None
        return sum(self.metrics) / len(self.metrics)


def confirmation_seeds(sweep_seed: int, seeds: int) -> list[int]:
    """The seeds every candidate retrains with, derived from the sweep seed."""
    from kerasrecipes.tuning._trial import trial_seed

    return [trial_seed(sweep_seed, _SEED_OFFSET + j) for j in range(seeds)]


def default_params(config: dict, overrides: dict | None) -> dict[str, Any]:
    """The sweep's fixed values (`value:` parameters) and overrides: unset fields take the row's defaults."""
    fixed = {k: v["value"] for k, v in config.get("parameters", {}).items() if isinstance(v, dict) and "value" in v}
    fixed.update(overrides or {})
    return fixed


def candidates(trials: list, config: dict, overrides: dict | None, top: int, goal: str) -> list[Candidate]:
    """The `top` best trials with a metric (best first), then the default recipe unless a trial equals it."""
    ranked = sorted(
        (t for t in trials if t.metric is not None and math.isfinite(t.metric)),
        key=lambda t: (t.metric if goal == "minimize" else -t.metric, t.index),
    )
    chosen = [Candidate(f"trial {t.index}", t.index, dict(t.params), t.metric) for t in ranked[:top]]
    default = default_params(config, overrides)
    if all(c.params != default for c in chosen):
        chosen.append(Candidate("default", None, default, None))
    return chosen


def confirm(
    data: Any,
    trials: list,
    config: dict,
    *,
    key: str,
    goal: str,
    sweep_seed: int,
    top: int,
    seeds: int,
    overrides: dict | None = None,
    verbose: int = 0,
) -> tuple[Candidate | None, list[Candidate]]:
    """Retrain the candidates with `seeds` seeds each; returns (winner or None, every candidate).

    Args:
        data: the sweep's dataset (name or `Dataset`).
        trials: the sweep's `Trial`s.
        config: the validated sweep config.
        key: the training history key of the sweep metric (e.g. "val_loss").
        goal: "minimize" or "maximize".
        sweep_seed: the sweep's seed; the confirmation seeds derive from it, and it draws the split (as in
            the sweep's trials).
        top: how many of the best trials to confirm.
        seeds: retrainings per candidate.
        overrides: recipe fields fixed for every trial (as in `run_sweep`).
        verbose: 1 prints one line per candidate.
    """
    from kerasrecipes import runs
    from kerasrecipes.recipes._recipe import Recipe

    pool = candidates(trials, config, overrides, top, goal)
    pick = min if goal == "minimize" else max
    for cand in pool:
        for seed in confirmation_seeds(sweep_seed, seeds):
            try:
                recipe = Recipe.from_dict({"split_seed": sweep_seed, **cand.params, "seed": seed})
                result = runs.train(data, recipe=recipe, tracking="none", verbose=0)
            except Exception as exc:  # a candidate that fails here cannot win; the others go on
                cand.error = " ".join(str(exc).split())[:300] or type(exc).__name__
                cand.metrics.append(float("nan"))
                break
            values = [v for v in result.history.get(key, []) if math.isfinite(v)]
            cand.metrics.append(float(pick(values)) if values else float("nan"))
            cand.recipe = result.recipe.to_dict()
        if verbose:
            shown = "-" if cand.mean is None else f"{cand.mean:.5g}"
            logger.info(f"confirm {cand.label:<9}  mean {key} over {seeds} seeds {shown}")
    scored = [c for c in pool if c.mean is not None]
    if not scored:
        return None, pool
    winner = pick(scored, key=lambda c: c.mean)
    return winner, pool


def winner_recipe(winner: Candidate, trials: list, sweep_seed: int) -> dict[str, Any]:
    """The winner's resolved recipe with the seed its sweep trial used (the sweep's seed for the default)."""
    seed = next((t.seed for t in trials if t.index == winner.index), sweep_seed)
    return {**winner.recipe, "seed": seed}


def write_confirmation(out: Path, pool: list[Candidate], winner: Candidate | None, key: str) -> None:
    """confirmation.csv: one row per candidate, its per-seed metrics, their mean, and the winner."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    n = max((len(c.metrics) for c in pool), default=0)
    writer.writerow(
        ["candidate", "trial", "sweep_metric", *(f"{key}_{j}" for j in range(n)), f"mean_{key}", "winner", "error"]
    )
    for c in pool:
        writer.writerow(
            [
                c.label,
                "" if c.index is None else c.index,
                "" if c.sweep_metric is None else repr(c.sweep_metric),
                *(repr(m) for m in c.metrics),
                *([""] * (n - len(c.metrics))),
                "" if c.mean is None else repr(c.mean),
                "yes" if c is winner else "",
                c.error,
            ]
        )
    atomic_write_text(Path(out) / CONFIRMATION, buf.getvalue())
