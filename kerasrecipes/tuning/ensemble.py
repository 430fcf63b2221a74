"""An ensemble of a sweep's best trials: `run_sweep(ensemble=K)`, `kerasrecipes sweep --ensemble K`.

After the trials (and the confirmation), the K trials with the best sweep metric are trained again and
saved as one run directory, `<out>/ensemble/`, whose model answers the mean of the members' class
probabilities (a regression: the mean of their predictions): `runs._ensemble` builds and writes it, and
`load_run`, `predict`, `export` and `reproduce` take it as any run.

Each member is its trial as the sweep judged it: the trial's own recipe with the trial's own seed, on the
sweep's one split, so every member fits the same preprocessing and the ensemble is made of the very trainings
that were ranked (not of other initializations of their recipes). A member trains to the end: hyperband's
stopping was the sweep's, not the recipe's. Members whose recipes prepare the data differently (a sweep that
searches `scaling` or `imputation`, say) cannot share one features layer and are refused before any training.

The comparison the summary states: the ensemble's score (`_tasks.SCORE_METRIC`) on the validation rows
against its best member's (the best trial trained again), and, the same way the confirmation reports the
winner and the default, their scores on the test rows, which choose nothing. `ensemble.csv` holds them: one
row per member (its validation score; the test score of the best member only), then the ensemble's.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerasrecipes._io import atomic_write_text
from kerasrecipes._log import get_logger
from kerasrecipes.errors import UserError

FOLDER = "ensemble"
CSV = "ensemble.csv"
MAX_SIZE = 100

logger = get_logger(__name__)


def check_size(size: int | None, budget: int, grid: int | None) -> None:
    """Before any trial: `size` (`--ensemble`) must be an integer in [2, `MAX_SIZE`] and at most the sweep's
    trial budget (`grid`: a grid sweep's number of combinations, None for other methods)."""
    if size is None:
        return
    if isinstance(size, bool) or not isinstance(size, int) or not 2 <= size <= MAX_SIZE:
        raise UserError(
            f"--ensemble K averages the K best trials of the sweep, an integer in [2, {MAX_SIZE}]. "
            f"Received: ensemble={size!r}"
        )
    if size <= budget:
        return
    fewer = f", or lower --ensemble to {budget}" if budget >= 2 else ""
    if grid is not None and grid == budget:
        raise UserError(
            f"--ensemble {size} averages the {size} best trials, and this grid sweep has only {budget} "
            f"combination(s); give the grid more values{fewer}."
        )
    raise UserError(
        f"--ensemble {size} averages the {size} best trials, and this sweep runs {budget} trial(s); "
        f"raise --trials to {size} or more{fewer}."
    )


def _recipe(trial: Any) -> dict[str, Any]:
    """What a trial trained: its parameters on the sweep's split, with its own seed (as `train_trial`)."""
    return {"split_seed": trial.split_seed, **trial.params, "seed": trial.seed}


def choose(trials: list, size: int, goal: str, out: Path) -> list:
    """The `size` trials with the best finite metric, best first (ties by index); after the trials, before any
    more training: too few such trials, or trials that prepare the data differently, are a one-line error."""
    from kerasrecipes.data._prepare import DEFAULTS

    ranked = sorted(
        (t for t in trials if t.metric is not None and math.isfinite(t.metric)),
        key=lambda t: (t.metric if goal == "minimize" else -t.metric, t.index),
    )
    if len(ranked) < size:
        fewer = f"lower --ensemble to {len(ranked)}, or " if len(ranked) >= 2 else ""
        raise UserError(
            f"--ensemble {size} averages the {size} best trials, and only {len(ranked)} of the {len(trials)} "
            f"trials produced the metric ({out / 'results.csv'} lists them); {fewer}run the sweep again with "
            "more --trials (it goes on from its last trial)."
        )
    chosen = ranked[:size]
    fields = ["split_seed", *(k for k in DEFAULTS if k != "seed")]
    best = _recipe(chosen[0])
    for trial in chosen[1:]:
        differ = [k for k in fields if _recipe(trial).get(k) != best.get(k)]
        if differ:
            fix = " ".join(f"--set {k}={best.get(k)}" for k in differ if best.get(k) is not None)
            raise UserError(
                f"--ensemble {size}: trial {trial.index} prepares the data differently from trial {chosen[0].index} "
                f"({', '.join(f'{k} {_recipe(trial).get(k)!r} against {best.get(k)!r}' for k in differ)}), and the "
                "members of one ensemble share one preprocessing; fix "
                + (f"it for every trial ({fix})" if fix else "those fields for every trial with --set")
                + " or lower --ensemble."
            )
    return chosen


@dataclass
class Ensemble:
    """The ensemble of a sweep's best trials, against the best of them alone.

    `validation` and `test` map "ensemble" and "best_trial" to their scores (`score_metric`) on the
    validation and the test rows; the best trial's are those of its retraining, the ensemble's first member.
    """

    run_dir: Path
    trials: list[int]
    score_metric: str
    validation: dict[str, float]
    test: dict[str, float]

    def verdict(self) -> str:
        """One sentence: the ensemble's scores beside its best member's."""
        members = ", ".join(str(i) for i in self.trials)
        return (
            f"the mean of trials {members} scores {self.validation['ensemble']:.4g} on the validation rows against "
            f"{self.validation['best_trial']:.4g} for trial {self.trials[0]} alone, and {self.test['ensemble']:.4g} "
            f"against {self.test['best_trial']:.4g} on the test rows (score = {self.score_metric})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "trials": self.trials,
            "score_metric": self.score_metric,
            "validation_score": self.validation,
            "test_score": self.test,
            "verdict": self.verdict(),
        }


def build(data: Any, chosen: list, out: Path, verbose: int = 0) -> Ensemble:
    """Train the chosen trials again and save their mean as `<out>/ensemble` (replacing an earlier one of this
    sweep); write `<out>/ensemble.csv`."""
    from kerasrecipes._tasks import SCORE_METRIC
    from kerasrecipes.runs import _ensemble, _evaluate

    if verbose:
        logger.info(f"ensemble: training trials {', '.join(str(t.index) for t in chosen)} again, to average them")
    result = _ensemble.train_ensemble(
        data,
        [_recipe(t) for t in chosen],
        out=out / FOLDER,
        overwrite=True,  # the sweep's own folder: a rerun of the sweep makes it again
        origins=[{"trial": t.index, "sweep_metric": t.metric} for t in chosen],
    )
    best = result.members[0]  # the one member whose test rows are scored, beside the ensemble
    best_test = _evaluate.score_on_test(best.model, best.data)
    ensemble = Ensemble(
        result.run_dir,
        [t.index for t in chosen],
        SCORE_METRIC[result.members[0].data.task],
        {"ensemble": result.validation_score, "best_trial": result.validation_scores[0]},
        {"ensemble": result.test_metrics.get("score", float("nan")), "best_trial": best_test},
    )
    _write_csv(out / CSV, chosen, result, ensemble)
    return ensemble


def _write_csv(path: Path, chosen: list, result: Any, ensemble: Ensemble) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["member", "trial", "seed", "sweep_metric", "validation_score", "test_score"])
    for i, (trial, score) in enumerate(zip(chosen, result.validation_scores)):
        test = repr(ensemble.test["best_trial"]) if i == 0 else ""  # the others' test scores are never read
        writer.writerow([i, trial.index, trial.seed, repr(trial.metric), repr(score), test])
    writer.writerow(["ensemble", "", "", "", repr(ensemble.validation["ensemble"]), repr(ensemble.test["ensemble"])])
    atomic_write_text(path, buf.getvalue())
