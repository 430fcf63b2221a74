"""Cross-validation of one recipe: a run per fold, each scored by its best epoch, and the folds' mean and spread.

`cross_validate` trains the recipe once per fold, with the recipe fields `folds` (K) and `fold` (i) choosing the
validation rows (`data._split.fold_indices`): the rows left after the test split, cut into K folds drawn by the
split seed, so every recipe trained with the same `split_seed` (or `seed`) on the same data meets the same folds,
and the test rows stay out of all of them. A fold's score for a metric is its best epoch's value (the lowest
loss, the highest accuracy or AUC), as a sweep judges a trial; the cross-validated score is the folds' mean, and
their sample standard deviation is its spread.

With `out`, fold i is the run directory `out/fold-<i>` and `out/cross_validation.json` holds every fold's
scores (`metrics` is null until the last fold has ended; the file marks the folder from the start, so that
`overwrite` may replace a cross-validation that was interrupted). W&B sees one run for the whole cross-validation: fold 0's epochs are logged as they end, under the
usual names (`epoch/val_loss`), and when the last fold ends the summary holds each metric's fold mean under
the same name (what a W&B sweep reads as the trial's metric), its spread (`cv/<metric>_std`) and each fold's
score (`cv/fold_<i>/<metric>`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerasrecipes._io import atomic_write_json, make_dir
from kerasrecipes._tasks import MAXIMIZED_METRICS, TARGET_TASKS
from kerasrecipes._validation import Interval, check
from kerasrecipes.errors import UserError
from kerasrecipes.recipes._recipe import Recipe
from kerasrecipes.runs.checkpoints import fault

SUMMARY = "cross_validation.json"
FORMAT = "kerasrecipes-cross-validation"
"""The summary file's format marker: what makes a folder a cross-validation that --overwrite may replace."""


def fold_scores(histories: Sequence[Mapping[str, Sequence[float]]], key: str, maximize: bool) -> list[float]:
    """Each fold's best finite value of `key` over its epochs (NaN for a fold that logged none).

    Examples:
        >>> fold_scores([{"val_loss": [0.5, 0.4, 0.45]}, {"val_loss": [0.6, float("nan")]}], "val_loss", False)
        [0.4, 0.6]
    """
    pick = max if maximize else min
    scores = []
    for history in histories:
        values = [float(v) for v in history.get(key, []) if math.isfinite(v)]
        scores.append(pick(values) if values else float("nan"))
    return scores


def mean_and_spread(scores: Sequence[float]) -> tuple[float, float]:
    """The mean of `scores` and their sample standard deviation (0.0 for one score); NaN in, NaN out.

    Examples:
        >>> mean_and_spread([0.4, 0.6])
        (0.5, 0.1414213562373095)
    """
    mean = math.fsum(scores) / len(scores)
    if len(scores) < 2:
        return mean, 0.0
    return mean, math.sqrt(math.fsum((s - mean) ** 2 for s in scores) / (len(scores) - 1))


@dataclass
class CrossValidation:
    """What `cross_validate` returns.

    Attributes:
        runs: each fold's `RunResult`, in fold order (fold i validated on fold i's rows).
        out: the folder of the fold runs and `cross_validation.json`, or None when nothing was written.
    """

    runs: list[Any]
    out: Path | None = None

    @property
    def folds(self) -> int:
        return len(self.runs)

    def scores(self, key: str) -> list[float]:
        """Each fold's best value of the logged metric `key` (e.g. "val_loss")."""
        return fold_scores([r.history for r in self.runs], key, key.removeprefix("val_") in MAXIMIZED_METRICS)

    def summary(self) -> dict[str, Any]:
        """Every logged metric's fold scores, mean and spread, with the fold count and run directories, as JSON."""
        keys = sorted({k for r in self.runs for k in r.history})
        metrics = {}
        for key in keys:
            scores = self.scores(key)
            mean, spread = mean_and_spread(scores)
            metrics[key] = {"mean": mean, "std": spread, "folds": scores}
        return {
            "format": FORMAT,
            "folds": self.folds,
            "metrics": metrics,
            "runs": [None if r.run_dir is None else str(r.run_dir) for r in self.runs],
        }

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={v['mean']:.4g}±{v['std']:.2g}" for k, v in self.summary()["metrics"].items() if k.startswith("val_")
        )
        return f"CrossValidation(folds={self.folds}, {shown}, out={None if self.out is None else str(self.out)!r})"


def check_folds(source: Any, folds: int, recipe: Recipe, task: str = "auto") -> None:
    """Raise a one-line `UserError`, before anything trains or is written, when `source` cannot be cut into
    `folds` folds for `recipe`: the rows must be in memory (not a stream), in no time order (not a forecast),
    and at least `folds` of them (of every class, for a classification) must be left after the test split that
    `recipe`'s split seed draws (`data._split.split_indices`, here on the raw target)."""
    import numpy as np

    from kerasrecipes.data import _split, _target
    from kerasrecipes.data._prepare import DEFAULTS
    from kerasrecipes.data._sources import InMemory

    if not isinstance(source, InMemory):
        raise UserError(
            f"--cv {folds} cross-validates rows held in memory, but this data is streamed ({type(source).__name__}); "
            "leave out --stream to cross-validate, or leave out --cv"
        )
    dataset = source.dataset
    if "forecast" in dataset.source:
        raise UserError(
            f"--cv {folds} cannot fold a forecast: its windows are split by time, and shuffled folds would train on "
            "the future; leave out --cv (the forecast keeps its split by time)"
        )
    kind = task if task in TARGET_TASKS else _target.infer_target(dataset.X, dataset.y, name=dataset.target_name).kind
    labels, classes = None, []
    if kind in ("binary", "multiclass"):
        classes, labels = np.unique(np.asarray(dataset.y).astype(str), return_inverse=True)
    seed = next(s for s in (recipe.split_seed, recipe.seed, DEFAULTS["seed"]) if s is not None)
    fractions = {
        k: getattr(recipe, k) if getattr(recipe, k) is not None else DEFAULTS[k]
        for k in ("validation_fraction", "test_fraction")
    }
    _split.split_indices(len(dataset.y), labels, list(classes), seed=seed, folds=folds, fold=0, **fractions)


def _check_out(out: Path, overwrite: bool) -> None:
    """`out` may hold a cross-validation: new, empty, or (with `overwrite`) an earlier cross-validation."""
    import json

    if os.path.lexists(out) and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a directory. Choose another --out.")
    if not out.is_dir() or not any(out.iterdir()):
        return
    try:
        ours = json.loads((out / SUMMARY).read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        ours = False
    if not ours:
        raise UserError(
            f"--out {out} already holds files that are not a kerasrecipes cross-validation (no {SUMMARY} of one); "
            "choose another --out."
        )
    if not overwrite:
        raise UserError(f"--out {out} already holds a cross-validation; pass --overwrite to replace it.")


def cross_validate(
    data: Any,
    y: Any = None,
    *,
    target: str | None = None,
    recipe: Recipe | Mapping[str, Any] | None = None,
    folds: int = 5,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    tracking: str = "offline",
    verbose: int = 1,
    fold_callbacks: Callable[[int], Sequence[Any]] | None = None,
    **options: Any,
) -> CrossValidation:
    """Train `recipe` once per fold of `data` and score each fold (see the module docstring).

    Args:
        data: the data, as `train` takes it (a dataset name, a CSV path or a DataFrame with `target`, an array of
            features with `y`, a `Dataset`); held in memory, since the folds are cut from its rows.
        y: the targets, when `data` is an array of features. Defaults to None.
        target: the column to predict, when `data` is a CSV path or a DataFrame. Defaults to None.
        recipe: a `Recipe` or dict of recipe fields; its `split_seed` (else `seed`) draws the folds.
            Defaults to None (the row's defaults).
        folds: how many folds, 2 to 100. Defaults to 5.
        out: folder for the fold runs (`fold-<i>/`) and `cross_validation.json`; None writes nothing.
            Defaults to None.
        overwrite: replace an earlier cross-validation in `out`. Defaults to False.
        tracking: W&B tracking of the whole cross-validation, as `train`'s (only with `out`). Defaults to "offline".
        verbose: 0 silent, 1 each fold's progress. Defaults to 1.
        fold_callbacks: `fold_callbacks(i)` gives extra Keras callbacks for fold i's training. Defaults to None.
        **options: `train`'s other arguments (`task`, `n_samples`, `thresholds`, `checkpoint_every`,
            `wandb_group`), the same for every fold.

    Returns:
        A `CrossValidation`.

    Raises:
        UserError: for `folds` out of range, more folds than rows (or than the smallest class's rows), data
            that cannot be folded (a stream, a forecast), or an `out` that holds something else; each before
            anything trains or is written.

    Examples:
        >>> cv = cross_validate("iris", recipe={"epochs": 2, "units": 8}, folds=2, tracking="none", verbose=0)
        >>> len(cv.scores("val_loss"))
        2
    """
    from kerasrecipes import runs
    from kerasrecipes.runs import tracking as tracking_module
    from kerasrecipes.runs._train import open_source

    check("folds", folds, Interval("integer", 2, 100))
    base = recipe if isinstance(recipe, Recipe) else Recipe.from_dict(recipe or {})
    task = options.pop("task", "auto")
    source, base, task = open_source(
        data, y, target=target, recipe=base, seed=None, task=task, n_samples=options.pop("n_samples", None)
    )
    check_folds(source, folds, base, task or "auto")
    if out is not None:
        out = Path(out)
        _check_out(out, overwrite)
        make_dir(out)
        atomic_write_json(out / SUMMARY, {"format": FORMAT, "folds": folds, "metrics": None})  # a fold at a time
    mode = tracking_module.tracking_mode(tracking) if out is not None else "none"
    tracker = None
    if mode != "none":
        group = options.get("wandb_group")
        tracker = tracking_module.start(mode, out, base.replace(folds=folds), name=out.name, group=group)
    trained = []
    try:
        for fold in range(folds):
            fault("fold", fold)  # test hook for kill-and-resume
            callbacks = list(fold_callbacks(fold) if fold_callbacks is not None else ())
            if tracker is not None and fold == 0:
                callbacks.append(tracker.callback())
            trained.append(
                runs.train(
                    source,
                    recipe=base.replace(folds=folds, fold=fold),
                    task=task or "auto",
                    out=None if out is None else out / f"fold-{fold}",
                    overwrite=overwrite,
                    tracking="none",
                    verbose=verbose,
                    callbacks=callbacks,
                    **options,
                )
            )
        result = CrossValidation(trained, out)
        summary = result.summary()
        if out is not None:
            atomic_write_json(out / SUMMARY, summary)
        if tracker is not None:
            logged = {}
            for key, value in summary["metrics"].items():
                logged[f"epoch/{key}"] = value["mean"]
                logged[f"cv/{key}_std"] = value["std"]
                logged.update({f"cv/fold_{i}/{key}": s for i, s in enumerate(value["folds"])})
            tracker.finish({**logged, "cv/folds": folds})
            tracker = None
        return result
    finally:
        if tracker is not None:
            tracker.abort()
