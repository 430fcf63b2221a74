"""The one streaming pass: split sizes, the task, scaling statistics and vocabularies.

`scan_csv` reads the file once, `READ_BATCH` lines at a time, and keeps only running totals:
per numeric column the count, mean and sum of squared deviations (merged batch by batch, Chan et
al.) and min/max; per categorical column a count per distinct value; for the target a count per
distinct value (while there are few) and running moments. Memory is bounded by the number of
columns and distinct categories, never by the number of rows.
"""

from __future__ import annotations

import collections
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes._progress import Progress
from kerasrecipes.data import _feature_spec, _target
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import _task
from kerasrecipes.streaming import _csv_stream
from kerasrecipes.streaming._statistics import StreamStatistics

MAX_VOCABULARY = 10_000
"""Most distinct values a categorical feature may have in the training rows (one-hot width)."""
MAX_CLASSES = 1_000
"""Most distinct values of a text target."""
SCALINGS = ("standard", "minmax", "none")
IMPUTATIONS = ("mean", "drop")
_FRACTION = _validation.Interval("real", 0.0, 1.0, closed="neither")


class _Moments:
    """Running count, mean, sum of squared deviations, min and max per column, NaN skipped."""

    def __init__(self, k: int):
        self.n, self.mean, self.m2 = np.zeros(k), np.zeros(k), np.zeros(k)
        self.low, self.high = np.full(k, np.inf), np.full(k, -np.inf)

    def update(self, x: np.ndarray) -> None:
        seen = ~np.isnan(x)
        nb = seen.sum(axis=0).astype(np.float64)
        safe = np.where(seen, x, 0.0)
        mb = safe.sum(axis=0) / np.maximum(nb, 1)
        m2b = (np.where(seen, x - mb, 0.0) ** 2).sum(axis=0)
        total = self.n + nb
        delta = mb - self.mean
        self.mean = self.mean + delta * nb / np.maximum(total, 1)
        self.m2 = self.m2 + m2b + delta**2 * self.n * nb / np.maximum(total, 1)
        self.n = total
        self.low = np.minimum(self.low, np.where(seen, x, np.inf).min(axis=0, initial=np.inf))
        self.high = np.maximum(self.high, np.where(seen, x, -np.inf).max(axis=0, initial=-np.inf))


def _decide_task(requested: str, layout, integral: bool, classes: dict | None, counts: dict | None, n_rows: int):
    """(task, sorted classes, note): text targets are labels; numbers follow `numeric_target_kind`.

    `classes` holds the training rows' count of each value, `counts` every usable row's (None when
    there are too many distinct values to be labels).
    """
    if not layout.target_numeric and requested == "regression":
        example = next(iter(classes or {"?": 0}))
        raise UserError(
            _validation.invalid(
                "task",
                "'binary' or 'multiclass' for a text target",
                requested,
                fix=f"The target {layout.target!r} has values such as {example!r}",
            )
        )
    note = None
    if layout.target_numeric:
        kind, note = _target.numeric_target_kind(counts, integral=integral, name=layout.target)
        labels = requested in ("binary", "multiclass") if requested != "auto" else kind != "regression"
        labels = labels and classes is not None and integral
        if requested != "auto":
            note = None  # the user chose
    else:
        labels = True
    if not labels:
        info = _target.TargetInfo("regression", "continuous", None, "continuous", 1, "tabular", n_rows, (1,))
        if requested != "auto":
            _task.check_task_against_data(requested, info)
        return "regression", None, note
    # whole-number labels as ints (0, 1, not 0.0, 1.0), as the in-memory road and the user's file have them
    ordered = [int(c) for c in sorted(classes, key=float)] if layout.target_numeric else sorted(classes)
    if len(ordered) < 2:
        raise UserError(
            _validation.invalid(
                "target",
                "a column with at least 2 distinct values",
                layout.target,
                fix=f"Every row has the value {ordered[0]!r}; there is nothing to learn",
            )
        )
    kind = "binary" if len(ordered) == 2 else "multiclass"
    if requested == "binary" and kind == "multiclass":
        info = _target.TargetInfo(kind, kind, len(ordered), "sparse", len(ordered), "tabular", n_rows, (1,))
        _task.check_task_against_data(requested, info)
    return kind, ordered, note


def _check_options(task, seed, validation_fraction, test_fraction, scaling, imputation):
    if task not in ("auto", "regression", "binary", "multiclass"):
        raise UserError(
            _validation.invalid(
                "task",
                "'auto', 'regression', 'binary' or 'multiclass' for CSV rows",
                task,
                fix="CSV rows are tabular; images, sequences and multi-label targets are not streamed",
            )
        )
    _validation.check("seed", seed, _validation.Interval("integer", 0, 2**32 - 1))
    for name, value in (("validation_fraction", validation_fraction), ("test_fraction", test_fraction)):
        _validation.check(name, value, _FRACTION)
    if validation_fraction + test_fraction >= 1.0:
        raise UserError(
            _validation.invalid(
                "validation_fraction + test_fraction",
                "< 1 (the rest is the training split)",
                validation_fraction + test_fraction,
            )
        )
    if scaling == "robust":
        raise UserError(
            _validation.invalid(
                "scaling",
                "'standard', 'minmax' or 'none' when streaming",
                scaling,
                fix="Robust scaling needs each column's quartiles, so every value in memory; load the file "
                "in memory (no --stream) or use 'standard'",
            )
        )
    _validation.check("scaling", scaling, _validation.options(*SCALINGS))
    if imputation in ("median", "most_frequent"):
        raise UserError(
            _validation.invalid(
                "imputation",
                "'mean' or 'drop' when streaming",
                imputation,
                fix="A median needs every value of a column in memory; the mean is computed in the same pass",
            )
        )
    _validation.check("imputation", imputation, _validation.options(*IMPUTATIONS))


def scan_csv(
    path: str | os.PathLike,
    target: str,
    *,
    seed: int = 42,
    validation_fraction: float = 0.2,
    test_fraction: float = 0.2,
    task: str = "auto",
    scaling: str = "standard",
    imputation: str = "mean",
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    delimiter: str | None = None,
    na_values: Sequence[str] | None = None,
    progress: bool = False,
) -> StreamStatistics:
    """Read a CSV file once and return its `StreamStatistics` (fitted on the training rows only).

    The columns are typed from the first `SNIFF_ROWS` rows as `load_csv` types a file (junk markers,
    decimal commas, booleans, dates, identifiers dropped). Rows whose target is missing are dropped
    (counted in `dropped_rows`); with `imputation="drop"` rows with any missing feature are dropped
    too. Numeric features are imputed with their training mean; categorical features one-hot over
    their training categories (at most `MAX_ONE_HOT`), missing values in an "other" column.

    Task inference, from the same pass over every row with a target: a text target holds class
    labels (at most `MAX_CLASSES`); a numeric target holds class labels when all its values are
    integers and few enough (`recipes._target.numeric_target_kind`, the in-memory road's rule),
    otherwise it is a regression target. 2 classes -> binary, more -> multiclass. `task` overrides, with the
    in-memory road's error when it contradicts the data.

    Args:
        path: the CSV file (header row first; quoted fields may not contain line breaks).
        target: the column to predict.
        seed: seed of the row split. Defaults to `42`.
        validation_fraction: expected share of rows in the validation split. Defaults to `0.2`.
        test_fraction: expected share of rows in the test split. Defaults to `0.2`.
        task: "auto", "regression", "binary" or "multiclass". Defaults to `"auto"`.
        scaling: "standard", "minmax" or "none". Defaults to `"standard"`.
        imputation: "mean" or "drop". Defaults to `"mean"`.
        categorical: numeric-looking columns to read as text categories. Defaults to `None`.
        drop: columns to leave out (identifiers, free text). Defaults to `None`.
        delimiter: field separator. Defaults to `None` (detected from the header).
        na_values: extra strings read as missing. Defaults to `None`.
        progress: show the field-count check and the scan as progress in megabytes
            (`kerasrecipes._progress`). Defaults to `False`.

    Returns:
        A `StreamStatistics`.

    Raises:
        ValueError: for unusable files or options, naming the line or column and the fix.

    Examples:
        >>> import pathlib, tempfile
        >>> csv_path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
        >>> _ = csv_path.write_text("a,color,y\\n" + "".join(f"{i},{'rb'[i % 2]},{i % 2}\\n" for i in range(40)))
        >>> stats = scan_csv(csv_path, "y", seed=0)
        >>> stats.task, stats.feature_names_out
        ('binary', ('a', 'color_b', 'color_r'))
    """
    _check_options(task, seed, validation_fraction, test_fraction, scaling, imputation)
    megabytes = os.path.getsize(path) / 1e6 if progress and os.path.isfile(path) else None
    with Progress(enabled=progress) as display:
        check = display.add(f"checking {Path(path).name} (MB)", total=megabytes, timed=True)
        layout = _csv_stream.read_layout(
            path,
            target,
            delimiter=delimiter,
            categorical=categorical,
            drop=drop,
            na_values=na_values,
            on_bytes=lambda n: display.update(check, completed=n / 1e6),
        )
        totals = _Totals(layout, seed, validation_fraction, test_fraction, imputation)
        scan = display.add(f"scanning {Path(path).name} (MB)", total=megabytes, timed=True)
        for rows, decoded in _csv_stream.chunks(layout, on_bytes=lambda n: display.update(scan, completed=n / 1e6)):
            totals.update(rows, decoded)
        display.update(scan, completed=megabytes or 0, info=f"{totals.read:,} rows", final=True)
    return totals.finish(task, scaling)


class _Totals:
    """The running totals of one pass (bounded by columns and categories, not rows)."""

    def __init__(self, layout, seed, validation_fraction, test_fraction, imputation):
        self.layout, self.seed, self.imputation = layout, seed, imputation
        self.fractions = (float(validation_fraction), float(test_fraction))
        types = {t.name: t.to_dict() for t in layout.types}
        self.parts = _feature_spec.date_features(layout.numeric, types)  # numeric features: columns, date parts
        self.moments, self.missing = _Moments(len(self.parts)), np.zeros(len(self.parts))
        self.counts = [collections.Counter() for _ in layout.categorical]
        self.categorical_missing = np.zeros(len(layout.categorical), np.int64)  # missing training values per column
        self.targets: dict | None = {}  # target value -> training count, while few enough to be labels
        self.target_counts: collections.Counter = collections.Counter()  # target value -> count in all usable rows
        self.target_moments, self.integral = _Moments(1), True
        self.n_split, self.read, self.no_target, self.incomplete = np.zeros(3, np.int64), 0, 0, 0
        self.cap = _target.LABEL_MAX_CLASSES if layout.target_numeric else MAX_CLASSES

    def update(self, rows: np.ndarray, d: dict[str, Any]) -> None:
        layout, y = self.layout, d["target"]
        raw, cat_missing = d["numeric"], d["categorical_missing"]
        codes = _csv_stream.split_codes(rows, self.seed, *self.fractions)
        self.read += len(rows)
        keep = ~d["target_missing"]
        self.no_target += int(d["target_missing"].sum())
        if self.imputation == "drop":
            complete = ~np.isnan(raw).any(axis=1) & ~cat_missing.any(axis=1)
            self.incomplete += int((keep & ~complete).sum())
            keep &= complete
        _check_finite(layout, raw, y, keep, rows)
        index = {c: j for j, c in enumerate(layout.numeric)}
        x = (
            np.stack([_feature_spec.derive(raw[:, index[c]], part) for c, part in self.parts], axis=1)
            if self.parts
            else raw
        )
        self.n_split += np.bincount(codes[keep], minlength=3)
        train = keep & (codes == 0)
        self.moments.update(x[train])
        self.missing += np.isnan(x[train]).sum(axis=0)
        self.categorical_missing += cat_missing[train].sum(axis=0)
        for j, counter in enumerate(self.counts):
            values, n = np.unique(d["categorical"][j][train & ~cat_missing[:, j]].astype(str), return_counts=True)
            counter.update(dict(zip(values, n.tolist())))
            if len(counter) > MAX_VOCABULARY:
                raise UserError(
                    _validation.invalid(
                        "categorical column",
                        f"a column with at most {MAX_VOCABULARY} distinct values",
                        layout.categorical[j],
                        fix=f"Counting its categories needs more memory than a stream allows; "
                        f"pass drop=[{layout.categorical[j]!r}] (--drop)",
                    )
                )
        if layout.target_numeric:
            self.target_moments.update(y[train].reshape(-1, 1).astype(np.float64))
            self.integral = self.integral and bool(np.all(y[keep] == np.round(y[keep])))
        if self.targets is not None:
            for v in np.unique(y[keep]):
                self.targets.setdefault(v, 0)
            for v, c in zip(*np.unique(y[train], return_counts=True)):
                self.targets[v] += int(c)
            self.target_counts.update(dict(zip(*(a.tolist() for a in np.unique(y[keep], return_counts=True)))))
            if len(self.targets) > self.cap:
                if not layout.target_numeric:
                    raise UserError(
                        _validation.invalid(
                            "target",
                            f"a text column with at most {MAX_CLASSES} classes",
                            layout.target,
                            fix="It has more distinct values; is it an identifier?",
                        )
                    )
                self.targets = None  # too many values for class labels: a regression target

    def finish(self, task: str, scaling: str) -> StreamStatistics:
        from kerasrecipes.data import _dataset
        from kerasrecipes.data._csv import DataWarning

        layout, n_split = self.layout, self.n_split
        usable = int(n_split.sum())
        if usable < _dataset.MIN_ROWS:
            raise UserError(
                _validation.invalid(
                    "path",
                    f"a CSV file with at least {_dataset.MIN_ROWS} rows that have a target value",
                    layout.path,
                    fix=f"It has {usable} ({self.read} rows read, {self.no_target} without the target); add rows "
                    "(train, validation and test each need some)",
                )
            )
        if self.no_target:  # as load_csv warns
            warnings.warn(
                f"Dropping {self.no_target} row(s) of {Path(layout.path).name} whose target "
                f"{layout.target!r} is missing.",
                DataWarning,
                stacklevel=4,
            )
        if n_split[0] == 0:
            raise UserError(
                _validation.invalid(
                    "path",
                    "a CSV file with training rows that have a target value",
                    layout.path,
                    fix=f"{self.read} rows read, {self.no_target} without the target",
                )
            )
        for name, n in (("validation", n_split[1]), ("test", n_split[2])):
            if n == 0:
                raise UserError(
                    _validation.invalid(
                        "path",
                        f"a CSV file large enough for a {name} split",
                        layout.path,
                        fix=f"It has {int(n_split.sum())} usable rows; add rows or raise the {name} fraction",
                    )
                )
        labels = counts = None
        if self.targets is not None:
            labels = {(v if isinstance(v, str) else float(v)): c for v, c in self.targets.items()}
            counts = dict(self.target_counts)
        task, classes, note = _decide_task(task, layout, self.integral, labels, counts, int(n_split.sum()))
        if classes is not None:
            _check_class_rows(layout, counts, labels)
        return _statistics(self, task, classes, labels, scaling, note)


def _check_class_rows(layout, usable: dict, training: dict) -> None:
    """Every class has the usable rows a run without --stream asks for (`_split.rare_classes`: its
    split is stratified), with that run's fix; a class the stream's row-hash split left out of
    training is warned about, since the model cannot learn it."""
    from kerasrecipes.data import _split
    from kerasrecipes.data._csv import DataWarning

    def label(value):  # whole-number labels as the run shows them (1, not 1.0)
        return value if isinstance(value, str) else int(value)

    rare = _split.rare_classes(dict(sorted((label(v), c) for v, c in usable.items())))
    if rare:
        raise UserError(
            _validation.invalid(
                "target",
                f"a column with at least {_split.MIN_CLASS_ROWS} rows per class",
                layout.target,
                fix=f"Class counts {rare}; merge or drop the rare classes, or add rows",
            )
        )
    untrained = sorted(label(v) for v, c in training.items() if c == 0)
    if untrained:
        warnings.warn(
            f"{len(untrained)} class(es) of {layout.target!r} have no row in the training split, so "
            f"the model cannot learn them: {untrained[:5]}. Add rows of those classes.",
            DataWarning,
            stacklevel=4,
        )


def _check_finite(layout, x: np.ndarray, y: np.ndarray, keep: np.ndarray, rows: np.ndarray) -> None:
    """The kept rows' numbers are finite in float32 (`_column_types.nonfinite`), as `load_csv` asks."""
    from kerasrecipes.data import _column_types

    bad = _column_types.nonfinite(x).any(axis=1) & keep
    if layout.target_numeric:
        bad |= _column_types.nonfinite(y) & keep
    if bad.any():
        first = int(np.argmax(bad))
        columns = [*layout.numeric, *((layout.target,) if layout.target_numeric else ())]
        values = np.append(x[first], y[first] if layout.target_numeric else 0.0)[: len(columns)]
        j = int(np.argmax(_column_types.nonfinite(values)))
        column = columns[j]
        problem, fix = _column_types.nonfinite_problem(column, values[j : j + 1], [int(rows[first]) + 2], counted=False)
        cure = "remove those rows" if column == layout.target else "empty those cells so they are imputed"
        raise UserError(
            _validation.invalid(
                "path", "a CSV file with finite numbers", layout.path, fix=f"{problem}; {fix}, or {cure}"
            )
        )


def _statistics(totals: _Totals, task: str, classes, labels, scaling: str, note: str | None) -> StreamStatistics:
    """Turn the pass's running totals into the statistics (a column with no training value is dropped, noted)."""
    from kerasrecipes._io import sha256_file

    layout, moments, missing = totals.layout, totals.moments, totals.missing
    n_train = int(totals.n_split[0])
    seen = {c: False for c in layout.numeric}
    for (column, _), n in zip(totals.parts, moments.n):
        seen[column] = seen[column] or n > 0
    keep_cat = [bool(c) for c in totals.counts]
    dropped = tuple(
        [c for c in layout.numeric if not seen[c]] + [c for c, k in zip(layout.categorical, keep_cat) if not k]
    )
    if len(dropped) == len(layout.numeric) + len(layout.categorical):
        raise UserError(
            _validation.invalid("path", "a CSV file with at least one feature column with values", layout.path)
        )
    kept = np.array([seen[c] for c, _ in totals.parts], dtype=bool)
    parts = [p for p, k in zip(totals.parts, kept) if k]
    counts = [c for c, k in zip(totals.counts, keep_cat) if k]
    cat_missing = [m for m, k in zip(totals.categorical_missing, keep_cat) if k]
    layout = layout.without(dropped)
    mean, m2 = moments.mean[kept], moments.m2[kept]
    low, high, miss = moments.low[kept], moments.high[kept], missing[kept]
    with_missing = miss > 0
    p = miss[with_missing] / n_train  # indicator columns: share of missing training values
    if scaling == "standard":  # the statistics of the mean-imputed columns (ddof=0)
        center, scale = np.concatenate([mean, p]), np.sqrt(np.concatenate([m2 / n_train, p * (1 - p)]))
    elif scaling == "minmax":
        center, scale = np.concatenate([low, np.zeros(len(p))]), np.concatenate([high - low, np.ones(len(p))])
    else:
        center, scale = np.zeros(len(mean) + len(p)), np.ones(len(mean) + len(p))
    vocabularies, others, notes, groups = [], [], [], []
    for counter, n_missing in zip(counts, cat_missing):
        vocabulary, grouped, grouped_note = _feature_spec.vocabulary(dict(counter))
        vocabularies.append(vocabulary)
        others.append(bool(grouped) or n_missing > 0)
        notes.append(grouped_note)
        groups.append(grouped)
    names = _feature_spec.feature_columns(parts)
    spec = _feature_spec.tabular_spec(
        layout.numeric,
        layout.categorical,
        parts=parts,
        fill=mean,
        indicators=[c for c, w in zip(names, with_missing) if w],
        center=center,
        scale=np.where(scale > 0, scale, 1.0),
        vocabularies=vocabularies,
        others=others,
        notes=notes,
        groups=groups,
        types={t.name: t.to_dict() for t in layout.types},
    )
    if task == "regression":
        tm = totals.target_moments
        target = {"task": task, "mean": float(tm.mean[0]), "std": float(np.sqrt(tm.m2[0] / tm.n[0])) or 1.0}
    else:
        target = _feature_spec.fit_target(None, task, classes)
    n_split = totals.n_split
    return StreamStatistics(
        layout=layout,
        sha256=sha256_file(layout.path),
        size_bytes=os.path.getsize(layout.path),
        seed=totals.seed,
        validation_fraction=totals.fractions[0],
        test_fraction=totals.fractions[1],
        scaling=scaling,
        imputation=totals.imputation,
        task=task,
        class_counts=None if classes is None else tuple(int(labels[c]) for c in classes),
        n_rows={"train": int(n_split[0]), "val": int(n_split[1]), "test": int(n_split[2])},
        n_rows_read=totals.read,
        dropped_rows=totals.no_target,
        dropped_incomplete_rows=totals.incomplete,
        dropped_columns=dropped,
        preprocessing=spec,
        target=target,
        target_note=note,
    )
