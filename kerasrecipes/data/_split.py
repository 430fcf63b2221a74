"""Building blocks of `prepare()`: seeded splits and class imbalance.

scikit-learn is imported inside the functions so that importing the package is fast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes._io import plain
from kerasrecipes.errors import UserError

MIN_CLASS_ROWS = 3
"""Fewest rows a class may have: a stratified split puts one in each of train, validation and test."""


def rare_classes(counts: Mapping[Any, int]) -> str | None:
    """The classes of `counts` ({label: rows}) with fewer than `MIN_CLASS_ROWS` rows, as an error shows
    them (the first 5 in `counts`' order: "{'z': 2} and 3 more"); None when there are none."""
    rare = [(label, int(n)) for label, n in counts.items() if n < MIN_CLASS_ROWS]
    if not rare:
        return None
    more = f" and {len(rare) - 5} more" if len(rare) > 5 else ""
    return f"{dict(rare[:5])}{more}"


def split_indices(
    n: int,
    labels: np.ndarray | None,
    classes: Sequence,
    *,
    seed: int,
    validation_fraction: float,
    test_fraction: float,
    folds: int | None = None,
    fold: int | None = None,
):
    """Seeded train/validation/test row indices, stratified when `labels` is given.

    The test rows are split off first (`test_fraction` of all rows; none when it is 0), then the
    validation rows (`validation_fraction` of all rows) from the rest, both with
    `train_test_split(random_state=seed)`. `labels` are codes 0..k-1 into `classes`. With `folds`, the
    rest is cut into that many folds instead (`fold_indices`) and fold `fold` (default 0) validates:
    `validation_fraction` is then unused.
    """
    from sklearn.model_selection import train_test_split

    index = np.arange(n)
    if labels is not None:
        counts = np.bincount(labels, minlength=len(classes))
        rare = rare_classes({plain(label): n for label, n in zip(classes, counts)})
        if rare:
            raise UserError(
                _validation.invalid(
                    "y",
                    f"at least {MIN_CLASS_ROWS} rows per class for a stratified train/validation/test split",
                    f"class counts {rare}",
                    fix="Merge or drop the rare classes, or add rows",
                )
            )
    try:
        if test_fraction == 0:
            rest, test = index, index[:0]
        else:
            rest, test = train_test_split(index, test_size=test_fraction, random_state=seed, stratify=labels)
        if not folds:
            share = validation_fraction / (1.0 - test_fraction)
            train, val = train_test_split(
                rest, test_size=share, random_state=seed, stratify=None if labels is None else labels[rest]
            )
    except ValueError as exc:
        kind = "stratified " if labels is not None else ""
        raise UserError(
            _validation.invalid(
                "validation_fraction and test_fraction",
                f"large enough for a {kind}split of {n} rows",
                (validation_fraction, test_fraction),
                fix=f"scikit-learn reports: {exc}. Change the fractions or add rows",
            )
        ) from None
    if folds:
        train, val = fold_indices(rest, None if labels is None else labels[rest], classes, folds, fold or 0, seed)
    return train, val, test


def fold_indices(rows: np.ndarray, labels: np.ndarray | None, classes: Sequence, folds: int, fold: int, seed: int):
    """The (train, validation) rows of fold `fold` of `folds`: `rows` (the rows left after the test split) cut by
    `StratifiedKFold` when `labels` (codes into `classes`, one per row of `rows`) are given, else by `KFold`, both
    shuffled with `random_state=seed`. The same rows, labels and seed give the same folds for every recipe; each
    row validates in exactly one fold.

    Examples:
        >>> import numpy as np
        >>> train, val = fold_indices(np.arange(6), None, [], folds=3, fold=0, seed=0)
        >>> sorted(val.tolist()), len(train)
        ([0, 1], 4)
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if folds > len(rows):
        raise UserError(
            _validation.invalid(
                "folds",
                f"at most the {len(rows)} rows left after the test split (each fold validates on one or more)",
                folds,
                fix=f"Cross-validate on {len(rows)} folds or fewer (--cv {len(rows)}), or on none (--cv 0)",
            )
        )
    if labels is None:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        counts = np.bincount(labels, minlength=len(classes))
        present = counts[counts > 0]
        if present.min() < folds:
            fewest = int(present.min())
            smallest = plain(classes[int(np.flatnonzero(counts == fewest)[0])])
            fix = (
                f"cross-validate on {fewest} folds or fewer (--cv {fewest}), or on none (--cv 0)"
                if fewest >= 2
                else "add rows of it, or cross-validate on none (--cv 0)"
            )
            raise UserError(
                _validation.invalid(
                    "folds",
                    "at most the rows of the smallest class left after the test split (stratified folds need a row "
                    "of every class in each)",
                    folds,
                    fix=f"Class {smallest!r} has {fewest} of them: {fix}",
                )
            )
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    train, val = list(splitter.split(rows, labels))[fold]
    return rows[train], rows[val]


def time_split_indices(n: int, *, validation_fraction: float, test_fraction: float, gap: int):
    """Train, validation and test indices in time order (never shuffled): the first rows train, the next
    validate, the last test. `gap` samples are left out before the validation and the test rows: a forecast's
    samples whose targets would reach into the next split (its horizon minus one)."""
    n_test = int(round(n * test_fraction))
    n_val = max(1, int(round(n * validation_fraction)))
    n_train = n - n_val - n_test - gap * (1 + (n_test > 0))
    if n_train < 2:
        raise UserError(
            _validation.invalid(
                "validation_fraction and test_fraction",
                f"small enough to leave training windows in a split of {n} windows by time",
                (validation_fraction, test_fraction),
                fix="Use a longer series, or a shorter --horizon",
            )
        )
    index = np.arange(n)
    train = index[:n_train]
    val = index[n_train + gap : n_train + gap + n_val]
    test = index[n - n_test :] if n_test else index[:0]
    return train, val, test


def downsample(labels: np.ndarray, seed: int) -> tuple[np.ndarray, dict[int, float]]:
    """Downsample every class to the smallest class's count; return kept rows and factors.

    Rows of each larger class are drawn without replacement with
    `np.random.default_rng(seed)`; kept rows stay in their original order. The factor of
    class `c` is `count_before / count_after` (1.0 for the smallest class): weighting
    each kept row by it ("upweighting") restores each class's original total weight.
    """
    present = np.unique(labels)
    counts = {int(c): int(np.sum(labels == c)) for c in present}
    smallest = min(counts.values())
    rng = np.random.default_rng(seed)
    keep = []
    for c in present:
        rows = np.flatnonzero(labels == c)
        if len(rows) > smallest:
            rows = rng.choice(rows, size=smallest, replace=False)
        keep.append(rows)
    factors = {c: counts[c] / smallest for c in counts}
    return np.sort(np.concatenate(keep)), factors


def balanced_class_weight(labels: np.ndarray, n_classes: int) -> dict[int, float]:
    """`compute_class_weight("balanced")` as a `{class_index: weight}` dict for Keras."""
    from sklearn.utils.class_weight import compute_class_weight

    weights = compute_class_weight("balanced", classes=np.arange(n_classes), y=labels)
    return {int(c): float(w) for c, w in enumerate(weights)}
