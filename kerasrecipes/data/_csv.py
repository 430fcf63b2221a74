"""Load any CSV file with a target column into a `Dataset`, with one-line errors.

Every problem is a `ValueError` (a bad type is a `TypeError`) whose message names the
problem and the fix. The file is only read, never modified. Recoverable problems
are `DataWarning`s:

- a column with no values at all is dropped (an error if it is the target);
- rows whose target is missing are dropped ("elimination", seed 001);
- a text column in which most values are numbers (e.g. `"?"` marks missing values)
  is kept as a categorical column, with a warning that names the non-numeric values
  and suggests `na_values=[...]` so they are read as missing and imputed instead;
- a text column with more than 50 distinct values in more than half the rows (an
  identifier or free text) is kept, with a warning that one-hot encoding it adds one
  feature per value.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.data import _dataset

DELIMITERS = (",", ";", "\t", "|")
MOSTLY_NUMERIC = 0.5  # share of parseable values above which a text column is "numeric with junk"
MAX_CATEGORIES = 50


class DataWarning(UserWarning):
    """A recoverable problem in the data (dropped column or rows, suspicious column)."""


def _warn(message: str, depth: int = 0) -> None:
    """Warn at the caller of `load_csv` (`depth` extra frames below it)."""
    warnings.warn(message, DataWarning, stacklevel=3 + depth)


def _field_counts(text: str) -> dict[str, int]:
    """Number of header fields each candidate delimiter gives (quotes respected)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return {d: len(next(csv.reader([header], delimiter=d), [])) for d in DELIMITERS}


def _read_text(path: Path, shown: str) -> tuple[str, str]:
    if not path.is_file():
        what = "a directory" if path.is_dir() else "missing"
        raise ValueError(_validation.invalid(
            "path", "an existing CSV file", shown,
            fix=f"The path is {what} (resolved to {path.resolve()}); check the spelling "
                "or pass an absolute path"))
    raw = path.read_bytes()
    if not raw.strip():
        raise ValueError(_validation.invalid(
            "path", "a CSV file with a header row and data rows", shown,
            fix="The file is empty; write the header and rows first"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(_validation.invalid(
            "path", "a UTF-8 encoded CSV file", shown,
            fix=f"Byte {exc.start} is not UTF-8; re-save the file as UTF-8")) from None
    return text, hashlib.sha256(raw).hexdigest()


def _split_columns(frame, target: str):
    """Classify feature columns as numeric or categorical; coerce their dtypes."""
    import pandas as pd

    numeric, categorical = [], []
    for col in frame.columns:
        if col == target:
            continue
        series = frame[col]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            frame[col] = series.astype(np.float64)
            numeric.append(col)
            continue
        present = series.dropna()
        parsed = pd.to_numeric(present, errors="coerce")
        share = float(parsed.notna().mean()) if len(present) else 0.0
        if share == 1.0:
            frame[col] = pd.to_numeric(series, errors="coerce").astype(np.float64)
            numeric.append(col)
            continue
        if share >= MOSTLY_NUMERIC:
            bad = sorted(set(present[parsed.isna()].astype(str)))
            _warn(f"Column {col!r} is mostly numeric ({share:.0%}) but has non-numeric values "
                  f"{bad[:5]}; treating it as categorical. If they mean 'missing', pass "
                  f"na_values={bad[:5]} to load_csv() so they are imputed instead.", depth=1)
        n_unique = present.nunique()
        if n_unique > MAX_CATEGORIES and n_unique > len(frame) // 2:
            _warn(f"Column {col!r} has {n_unique} distinct text values in {len(frame)} rows; "
                  f"one-hot encoding adds {n_unique} features. Drop it if it is an identifier.",
                  depth=1)
        frame[col] = series.map(lambda v: v if pd.isna(v) else str(v)).astype(object)
        categorical.append(col)
    return tuple(numeric), tuple(categorical)


def _check_target_values(series, target: str, name: str, line_of: np.ndarray) -> None:
    """Infinite targets, and a numeric target with stray text values, are data errors, not classes."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        inf = np.isinf(series.to_numpy(dtype=np.float64))
        if inf.any():
            raise ValueError(_validation.invalid(
                "target", "a column of finite values", target,
                fix=f"{int(inf.sum())} row(s) of {name} have an infinite target (first on line "
                    f"{line_of[np.argmax(inf)]}); fix or remove them"))
        return
    text = series.astype(str)
    parsed = pd.to_numeric(text, errors="coerce")
    share = float(parsed.notna().mean())
    numbers = parsed.dropna()
    # stray text among numbers: rare, or among real values (a regression target); "0/1/unknown" are labels
    if MOSTLY_NUMERIC <= share < 1.0 and (share >= 0.9 or bool((numbers != numbers.round()).any())):
        bad = sorted(set(text[parsed.isna()]))
        first = line_of[int(np.argmax(parsed.isna().to_numpy()))]
        raise ValueError(_validation.invalid(
            "target", "a column of numbers or of class labels, not a mix", target,
            fix=f"{share:.0%} of its values are numbers but {len(text) - len(numbers)} are text, e.g. "
                f"{bad[:5]} (first on line {first}); fix those rows, or pass na_values={bad[:5]} to "
                "load_csv() so they are dropped"))


def check_csv_arguments(path: Any, target: Any, delimiter: Any) -> None:
    """Validate the arguments every CSV entry point takes (in memory and streaming)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(_validation.invalid("path", "a str or os.PathLike", path))
    if not isinstance(target, str):
        raise TypeError(_validation.invalid("target", "a column name (str)", target))
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(_validation.invalid("delimiter", "None or a single character", delimiter))


def load_csv(
    path: str | os.PathLike,
    target: str,
    *,
    delimiter: str | None = None,
    na_values: Sequence[str] | None = None,
) -> _dataset.Dataset:
    """Read a CSV file into a `Dataset` whose `X` is a `pandas.DataFrame`.

    Numeric columns (and text columns whose values all parse as numbers) become
    `float64`; other columns are categorical text, one-hot encoded by `prepare()`.
    Empty cells and pandas' usual markers (`NA`, `NaN`, ...) are missing values.

    Args:
        path: Path to the file; it is read once and never modified.
        target: Name of the target column (the label or value to predict).
        delimiter: Field separator. Defaults to `None`: the one of `,`, `;`, tab
            and `|` that splits the header into the most columns.
        na_values: Extra strings read as missing, e.g. `["?"]`. Defaults to `None`.

    Returns:
        A `Dataset` named after the file stem, with `task=None` (the caller decides),
        and `source={"kind": "csv", "path", "sha256", "target", "delimiter",
        "n_rows_read", "dropped_rows", "dropped_columns"}`.

    Raises:
        ValueError: If the file is missing, empty, not UTF-8 or malformed; the
            delimiter yields a single column; the target column is missing, all
            missing or constant; or fewer than 10 rows have a target value.
        TypeError: If an argument has the wrong type.

    Example:

    >>> import pathlib, tempfile
    >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
    >>> _ = tmp.write_text("a,color,y\\n" + "".join(f"{i},red,{i % 2}\\n" for i in range(12)))
    >>> ds = load_csv(tmp, "y")
    >>> ds.numeric_columns, ds.categorical_columns, ds.y[:3].tolist()
    (('a',), ('color',), [0, 1, 0])
    """
    import pandas as pd

    check_csv_arguments(path, target, delimiter)
    shown = os.fspath(path)
    text, sha256 = _read_text(Path(path), shown)
    counts = _field_counts(text)
    best = max(DELIMITERS, key=lambda d: counts[d])  # first (",") on ties
    sep = best if delimiter is None else delimiter
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True,
                            na_values=list(na_values) if na_values else None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        hint = (f"; the header suggests delimiter={best!r}" if counts[best] > counts[sep]
                else "")
        raise ValueError(_validation.invalid(
            "path", f"a well-formed CSV file with delimiter {sep!r}", shown,
            fix=f"pandas reports: {reason}. Check the delimiter and quoting{hint}")) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] < 2:
        fix = "It needs a target column and at least one feature column"
        if counts[best] > 1 and best != sep:
            raise ValueError(_validation.invalid(
                "delimiter", "the character that separates the columns", delimiter,
                fix=f"It yields a single column, but {best!r} splits the header into "
                    f"{counts[best]} columns; pass delimiter={best!r}"))
        header = str(frame.columns[0])
        if delimiter is None and len(header.split()) > 1:
            fix = (f"The header {header[:60]!r} is one column: separate the columns with one of "
                   f"',', ';', tab or '|' (spaces are not a delimiter)")
        raise ValueError(_validation.invalid(
            "path", "a CSV file with at least 2 columns", shown, fix=fix))
    if len(frame) == 0:
        raise ValueError(_validation.invalid(
            "path", "a CSV file with a header row and data rows", shown,
            fix=f"It has the header ({', '.join(map(str, frame.columns))[:80]}) but no data rows; add rows"))
    columns = list(frame.columns)
    if target not in columns:
        message = _validation.unknown_name("target column", target, columns)
        folded = [c for c in columns if c.casefold() == target.casefold()]
        if folded and "Did you mean" not in message:
            message = message.replace(f"{target!r}.", f"{target!r}. Did you mean {folded[0]!r}?", 1)
        raise ValueError(f"{message} (the columns of {Path(shown).name}).")
    n_read = len(frame)
    empty = [c for c in columns if frame[c].isna().all()]
    if target in empty:
        raise ValueError(_validation.invalid(
            "target", "a column with values", target,
            fix="Every value of that column is missing; choose another target column"))
    if len(empty) == len(columns) - 1:
        raise ValueError(_validation.invalid(
            "path", "a CSV file with at least one feature column with values", shown,
            fix=f"Every value of the feature column(s) {[c for c in columns if c != target][:10]} is missing"))
    if empty:
        _warn(f"Dropping column(s) {empty} of {Path(shown).name}: they have no values.")
        frame = frame.drop(columns=empty)
    missing_y = int(frame[target].isna().sum())
    line_of = np.flatnonzero(frame[target].notna().to_numpy()) + 2  # file line of each kept row (header = 1)
    if missing_y:
        _warn(f"Dropping {missing_y} row(s) of {Path(shown).name} whose target {target!r} "
              "is missing.")
        frame = frame[frame[target].notna()].reset_index(drop=True)
    if len(frame) < _dataset.MIN_ROWS:
        raise ValueError(_validation.invalid(
            "path", f"a CSV file with at least {_dataset.MIN_ROWS} rows that have a target value",
            shown,
            fix=f"It has {len(frame)}; add rows (train, validation and test each need some)"))
    if frame.shape[1] < 2:
        raise ValueError(_validation.invalid(
            "path", "a CSV file with at least one feature column with values", shown))
    values = frame[target].unique()
    if len(values) < 2:
        raise ValueError(_validation.invalid(
            "target", "a column with at least 2 distinct values (classes)", target,
            fix=f"Every row has the value {values[0]!r}; there is nothing to learn"))
    _check_target_values(frame[target], target, Path(shown).name, line_of)
    numeric, categorical = _split_columns(frame, target)
    for col in numeric:
        inf = np.isinf(frame[col].to_numpy(dtype=np.float64))
        if inf.any():
            raise ValueError(_validation.invalid(
                "path", "a CSV file with finite numbers", shown,
                fix=f"Column {col!r} is infinite in {int(inf.sum())} row(s) (first on line "
                    f"{line_of[np.argmax(inf)]}); replace those values, or pass na_values=['inf', '-inf'] "
                    "to load_csv() so they are imputed"))
    y = frame[target].to_numpy()
    features = frame.drop(columns=[target])
    source = {"kind": "csv", "path": str(Path(shown).resolve()), "sha256": sha256,
              "target": target, "delimiter": sep, "n_rows_read": n_read,
              "dropped_rows": missing_y, "dropped_columns": empty}
    return _dataset.Dataset(
        name=Path(shown).stem, X=features, y=y, feature_names=tuple(features.columns),
        target_name=target, numeric_columns=numeric, categorical_columns=categorical,
        source=source, task=None)
