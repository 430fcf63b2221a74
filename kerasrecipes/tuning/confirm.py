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

No retraining scores the test rows while the candidates are compared. Once the winner is chosen, the networks
of the winner's and the default's retrainings (kept in memory meanwhile: two candidates' at most) are scored on
the test rows, and nothing else ever is: those two scores are reported, and choose nothing.

A cross-validated sweep (`folds` K) retrains each candidate on every fold for every seed: its metrics are
then one per (seed, fold), in the same order for every candidate, so the winner and the default are paired
on the same validation rows as well as the same seeds.

The confirmation runs to the end of each training (no hyperband), so it costs
`(top + 1) * seeds` full trainings (times K with folds); `run_sweep(confirm="auto")` does it for small datasets only
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
    is_default: bool = False  # the row's default recipe (a trial whose parameters equal it, or "default")
    test_scores: list[float] = field(default_factory=list)  # each retraining's test score: the winner and default only

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
    default = default_params(config, overrides)
    chosen = [
        Candidate(f"trial {t.index}", t.index, dict(t.params), t.metric, is_default=t.params == default)
        for t in ranked[:top]
    ]
    if not any(c.is_default for c in chosen):
        chosen.append(Candidate("default", None, default, None, is_default=True))
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
    folds: int = 0,
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
        folds: the sweep's cross-validation folds (each retraining trains on every fold); 0 for one split.
    """
    from kerasrecipes.recipes._recipe import Recipe

    pool = candidates(trials, config, overrides, top, goal)
    pick = min if goal == "minimize" else max
    better = (lambda a, b: a < b) if goal == "minimize" else (lambda a, b: a > b)
    winner, kept = None, {}  # kept: the retrainings of the default and of the best mean so far, to test them
    for cand in pool:
        trained = []
        for seed in confirmation_seeds(sweep_seed, seeds):
            try:
                recipe = Recipe.from_dict({"split_seed": sweep_seed, **cand.params, "seed": seed})
                results = _retrain(data, recipe, folds)
            except Exception as exc:  # a candidate that fails here cannot win; the others go on
                cand.error = " ".join(str(exc).split())[:300] or type(exc).__name__
                cand.metrics.append(float("nan"))
                break
            for result in results:
                values = [v for v in result.history.get(key, []) if math.isfinite(v)]
                cand.metrics.append(float(pick(values)) if values else float("nan"))
            trained.extend(results)
            cand.recipe = {**results[0].recipe.to_dict(), "folds": None, "fold": None}
        if cand.mean is not None and (winner is None or better(cand.mean, winner.mean)):  # the first best wins ties
            if winner is not None and not winner.is_default:
                kept.pop(winner.label)
            winner, kept[cand.label] = cand, trained
        elif cand.is_default:
            kept[cand.label] = trained
        if verbose:
            shown = "-" if cand.mean is None else f"{cand.mean:.5g}"
            per = f"{seeds} seeds x {folds} folds" if folds else f"{seeds} seeds"
            logger.info(f"confirm {cand.label:<9}  mean {key} over {per} {shown}")
    for cand in pool:  # chosen: now, and only now, the winner and the default meet the test rows
        if cand.mean is not None and (cand is winner or cand.is_default):
            cand.test_scores = [_test_score(result) for result in kept[cand.label]]
    return winner, pool


def _retrain(data: Any, recipe: Any, folds: int) -> list:
    """One retraining of a candidate: its run, or with `folds` its run on every fold (in fold order); the test
    rows unscored (`_test_score` scores the winner's and the default's once the winner is chosen)."""
    from kerasrecipes import runs
    from kerasrecipes.runs._cross_validate import cross_validate

    if folds:
        return cross_validate(data, recipe=recipe, folds=folds, tracking="none", verbose=0, score_test=False).runs
    return [runs.train(data, recipe=recipe, tracking="none", verbose=0, score_test=False)]


def _test_score(result: Any) -> float:
    """The test split's score (`_tasks.SCORE_METRIC`) of a retraining's network."""
    from kerasrecipes.runs import _evaluate

    return _evaluate.score_on_test(result.model, result.data)


def against_default_on_folds(
    data: Any, best: Any, config: dict, *, key: str, goal: str, sweep_seed: int, folds: int, overrides: dict | None
) -> tuple[Candidate, list[Candidate]]:
    """A cross-validated sweep that is not confirmed: its best trial against the row's default recipe, the default
    trained on the sweep's folds with the best trial's seed (K more trainings), so the two are paired fold by fold
    with only the recipe differing. Returns (the winner, [the best trial, the default]): the default when its folds'
    mean is better (it is judged on the same validation rows as every trial, as one more trial would be), else the
    best trial; neither meets the test rows. A best trial that is the default is alone.
    """
    from kerasrecipes.recipes._recipe import Recipe

    default = default_params(config, overrides)
    winner = Candidate(
        f"trial {best.index}", best.index, dict(best.params), best.metric, is_default=best.params == default
    )
    winner.metrics = list(best.fold_metrics)
    if winner.is_default:
        return winner, [winner]
    cand = Candidate("default", None, default, None, is_default=True)
    pick = min if goal == "minimize" else max
    try:
        recipe = Recipe.from_dict({"split_seed": sweep_seed, **default, "seed": best.seed})
        results = _retrain(data, recipe, folds)
        for result in results:
            values = [v for v in result.history.get(key, []) if math.isfinite(v)]
            cand.metrics.append(float(pick(values)) if values else float("nan"))
        cand.recipe = {**results[0].recipe.to_dict(), "folds": None, "fold": None}
    except Exception as exc:  # no comparison then; the sweep's result stands
        cand.error = " ".join(str(exc).split())[:300] or type(exc).__name__
        cand.metrics = [float("nan")]
    if cand.mean is None or winner.mean is None:
        return winner, [winner, cand]
    better = cand.mean < winner.mean if goal == "minimize" else cand.mean > winner.mean
    return (cand if better else winner), [winner, cand]


SPREAD = 2.0
"""The winner beats the default only when their paired mean difference exceeds this many standard errors."""


@dataclass
class Comparison:
    """The confirmed winner against the row's default recipe, paired over the same confirmation seeds.

    `differences` holds, per seed (per seed and fold, seed-major, when `folds` > 0), how much better the
    winner's metric is than the default's (positive: better, whichever the goal); `mean` and `standard_error`
    summarize them. `test` holds the two recipes' mean test-split scores: measured on rows that no choice read,
    reported only for these two.
    """

    winner: str
    default: str
    differences: list[float]
    test: dict[str, float]
    folds: int = 0

    @property
    def mean(self) -> float:
        return sum(self.differences) / len(self.differences)

    @property
    def standard_error(self) -> float | None:
        n = len(self.differences)
        if n < 2:
            return None
        variance = sum((d - self.mean) ** 2 for d in self.differences) / (n - 1)
        return math.sqrt(variance / n)

    @property
    def beats_default(self) -> bool | None:
        """True when the paired difference is more than `SPREAD` standard errors above 0; None with one seed."""
        if self.winner == self.default:
            return False
        se = self.standard_error
        return None if se is None else self.mean > SPREAD * se

    def _paired(self) -> str:
        """What the differences pair: "3 seeds", or "1 seed x 5 folds"."""
        seeds = len(self.differences) // self.folds if self.folds else len(self.differences)
        return f"{seeds} seed{'' if seeds == 1 else 's'}" + (f" x {self.folds} folds" if self.folds else "")

    def verdict(self, key: str) -> str:
        """One sentence a user can act on."""
        if self.winner == self.default:
            return "the default recipe itself won: tuning found nothing better"
        se = self.standard_error
        if se is None:
            return f"{self.winner} leads the default by {self.mean:.3g} in {key} on 1 seed: too few seeds to judge"
        if self.beats_default:
            return (
                f"{self.winner} beats the default by {self.mean:.3g} ± {se:.2g} in {key} (paired over {self._paired()})"
            )
        if self.mean < -SPREAD * se:  # only where the default was not a candidate: a cross-validated sweep's check
            return (
                f"{self.winner} is WORSE than the default by {-self.mean:.3g} ± {se:.2g} in {key} (paired over "
                f"{self._paired()}); the default recipe is better, and best_recipe.yaml is the default's"
            )
        noise = "fold and seed noise" if self.folds else "seed noise"
        return (
            f"{self.winner} does NOT beat the default beyond {noise}: {self.mean:.3g} ± {se:.2g} in {key} "
            f"(paired over {self._paired()}); the default recipe is as good"
        )

    def to_dict(self, key: str) -> dict[str, Any]:
        return {
            "winner": self.winner,
            "default": self.default,
            "differences": self.differences,
            "mean": self.mean,
            "standard_error": self.standard_error,
            "beats_default": self.beats_default,
            "folds": self.folds,
            "test_score": self.test,
            "verdict": self.verdict(key),
        }


def compare(winner: Candidate, pool: list[Candidate], goal: str, folds: int = 0) -> Comparison | None:
    """The winner against the default candidate of `pool`, paired by seed (and by fold, with the sweep's `folds`);
    None without a finished default."""
    default = next((c for c in pool if c.is_default), None)
    if default is None or default.mean is None or winner.mean is None:
        return None
    sign = -1.0 if goal == "minimize" else 1.0
    differences = [sign * (w - d) for w, d in zip(winner.metrics, default.metrics)]

    def test_mean(c: Candidate) -> float:
        return sum(c.test_scores) / len(c.test_scores) if c.test_scores else float("nan")

    return Comparison(
        winner.label, default.label, differences, {"winner": test_mean(winner), "default": test_mean(default)}, folds
    )


def winner_recipe(winner: Candidate, trials: list, sweep_seed: int) -> dict[str, Any]:
    """The winner's resolved recipe with the seed its sweep trial used (the sweep's seed for the default)."""
    seed = next((t.seed for t in trials if t.index == winner.index), sweep_seed)
    return {**winner.recipe, "seed": seed}


def write_confirmation(out: Path, pool: list[Candidate], winner: Candidate | None, key: str) -> None:
    """confirmation.csv: one row per candidate, its per-seed metrics, their mean, the winner, the default, and
    the mean test-split score of those two only (the others' test scores are never read)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    n = max((len(c.metrics) for c in pool), default=0)
    writer.writerow(
        [
            "candidate",
            "trial",
            "sweep_metric",
            *(f"{key}_{j}" for j in range(n)),
            f"mean_{key}",
            "winner",
            "error",
            "default",
            "mean_test_score",
        ]
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
                "yes" if c.is_default else "",
                repr(sum(c.test_scores) / len(c.test_scores))
                if (c is winner or c.is_default) and c.test_scores
                else "",
            ]
        )
    atomic_write_text(Path(out) / CONFIRMATION, buf.getvalue())
