"""`lr_find`: a learning-rate range test on any data `train` takes, its curve, and one suggested rate.

The data are read, split and prepared, and the scenario row and recipe resolved, exactly as `train`
does them (`_train.open_source`, `source.prepare`, `_train.resolve_row`); the test itself is
`_lr_range.run`, which `train` also runs for `learning_rate="find"`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kerasrecipes import seeding
from kerasrecipes._io import check_output_file, make_dir
from kerasrecipes._validation import Interval, check
from kerasrecipes.errors import UserError
from kerasrecipes.recipes._recipe import Recipe
from kerasrecipes.runs import _lr_range, _train
from kerasrecipes.runs._lr_range import LRFindResult


@seeding.keeps_global_random_state
def lr_find(
    data: Any,
    y: Any = None,
    *,
    target: str | None = None,
    recipe: Recipe | dict | None = None,
    seed: int | None = None,
    task: str = "auto",
    min_lr: float = _lr_range.MIN_LR,
    max_lr: float = _lr_range.MAX_LR,
    steps: int = _lr_range.STEPS,
    n_samples: int | None = None,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    verbose: int = 0,
) -> LRFindResult:
    """Run a learning-rate range test and suggest a learning rate for the recipe on this data.

    A throwaway copy of the model `train` would build trains `steps` mini-batches of the training split
    (the run's own shuffle, cycling when an epoch is shorter), at a learning rate that grows
    exponentially from `min_lr` to `max_lr`, one compiled fast-road step per batch; the recipe's
    schedule is left out (each step sets the rate). It stops early when a loss is not finite or the
    median of the last losses exceeds 4 times its smallest value. Seeded by the recipe's seed: the
    same call gives the same curve, bit for bit, and so the same suggestion.

    The suggestion ignores the first 10% of the steps (a spike there, or a fresh model's steep first
    fall, weighs on nothing), smooths the rest with a centred running median over 20% of the steps
    (no lag behind the rate; one bad batch moves nothing), and takes the rate in the middle of the
    window of 20% of the steps over which the smoothed loss falls most before its minimum; a curve
    without a clear descent gets the minimum's rate / 10. `rule` says which, in one line
    (`_lr_range.suggest`). Use it as `recipe={"learning_rate": ...}`, or let `train` run the test
    itself with `learning_rate="find"`.

    Args:
        data: what `train` takes: a dataset name, a CSV file's path or a `pandas.DataFrame` (with
            `target`), an array of features (with `y`), a `kerasrecipes.data.Dataset` or a data source.
        y: the targets, when `data` is an array of features. Defaults to None.
        target: the column to predict, when `data` is a CSV path or a DataFrame. Defaults to None.
        recipe: a `Recipe` or dict of recipe fields, resolved as `train` resolves it; its
            `learning_rate` and `lr_schedule` are not used. Defaults to None (all defaults).
        seed: overrides `recipe.seed`. Defaults to the recipe's seed (42 when unset).
        task: "auto" (inferred) or a task, as in `train`. Defaults to "auto".
        min_lr: the first step's learning rate (> 0). Defaults to 1e-6.
        max_lr: the last step's learning rate (> min_lr). Defaults to 1.0.
        steps: mini-batches in the test, 10 to 100,000. Defaults to 100.
        n_samples: size of a synthetic dataset given by name. Defaults to None.
        out: a folder to write `lr_find.csv` (step, learning_rate, loss, smoothed) and `lr_find.png`
            (the curve, the ignored steps and the suggestion) into; None writes nothing. Defaults to None.
        overwrite: replace those files when they exist. Defaults to False.
        verbose: 0 silent, 1 a line when the test starts. Defaults to 0.

    Returns:
        An `LRFindResult`: `rates`, `losses`, `smoothed`, `suggestion`, `rule`, `stop_reason`,
        `files`, and `summary()` as JSON values.

    Example:
        >>> found = lr_find("iris", steps=30)
        >>> 1e-6 <= found.suggestion <= 1.0, found.rule.split(":")[0] in (
        ...     "steepest descent of the smoothed loss", "no clear descent")
        (True, True)
    """
    _lr_range.check_arguments(min_lr, max_lr, steps)
    check("verbose", verbose, Interval("integer", 0, 2))
    if out is not None:
        _check_out(out, overwrite)
    source, recipe, task = _train.open_source(
        data, y, target=target, recipe=recipe, seed=seed, task=task, n_samples=n_samples
    )
    prepared = source.prepare(_train.split_recipe(recipe), task=task, verbose=verbose)
    info = prepared.target_info()
    row, resolved = _train.resolve_row(recipe, info, task, None, prepared)
    found = _lr_range.run(
        resolved, row, info, source, prepared, min_lr=min_lr, max_lr=max_lr, steps=steps, verbose=verbose
    )
    if out is not None:
        found.write(make_dir(out))
    return found


def _check_out(out: str | os.PathLike, overwrite: bool) -> None:
    """Refuse an `out` that is not a folder, or whose files exist without `overwrite`, before any work."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(
            f"--out {out} is a file; the range test writes {_lr_range.CSV_NAME} and "
            f"{_lr_range.PNG_NAME} into a folder: name one."
        )
    for name in (_lr_range.CSV_NAME, _lr_range.PNG_NAME):
        path = check_output_file(out / name)
        if path.exists() and not overwrite:
            raise UserError(f"{path} exists; pass --overwrite (overwrite=True) to replace it, or choose another --out.")
