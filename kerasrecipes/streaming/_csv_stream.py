"""The CSV side of streaming: header and column types, the seeded row split, and chunked reading.

Nothing here reads the whole file. The header and at most `SNIFF_ROWS` data rows decide how each
column is read (`data._column_types`, the in-memory road's typing); everything else is read by pandas'
C parser `READ_BATCH` rows at a time and converted column by column with the same typing.

The split: data row i (0-based, the header excluded) goes to the test split when
u(seed, i) < test_fraction, to validation when u < test_fraction + validation_fraction, else to
training, where u is a SplitMix64 hash of (seed, i) mapped to [0, 1). It needs no memory and no
shuffle, is the same in NumPy (`split_codes`) and TensorFlow (`split_codes_tf`), and a row keeps
its split when other rows are added, removed or reordered around it only if its index is kept.
Split sizes are binomial around the fractions (not stratified).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.errors import UserError

READ_BATCH = 16_384
"""Rows read and converted per chunk (the unit of every streaming pass)."""

SNIFF_ROWS = 10_000
"""Data rows read first to decide how each column is read."""

PROGRESS_BYTES = 1 << 22
"""How often (in characters, about 4 MB) the field-count check reports its progress."""

SPLITS = {"train": 0, "val": 1, "test": 2}

_GOLDEN, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_MASK = (1 << 64) - 1


def _splitmix_int(x: int) -> int:
    z = (x + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK
    return z ^ (z >> 31)


def split_codes(rows: Any, seed: int, validation_fraction: float, test_fraction: float) -> np.ndarray:
    """Split of each data row: 0 train, 1 validation, 2 test (NumPy reference of `split_codes_tf`).

    Examples:
        >>> split_codes(range(8), seed=0, validation_fraction=0.25, test_fraction=0.25).tolist()
        [0, 2, 0, 0, 1, 2, 0, 2]
    """
    z = np.asarray(rows, dtype=np.uint64) + np.uint64(_splitmix_int(seed)) + np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.where(u < test_fraction, 2, np.where(u < test_fraction + validation_fraction, 1, 0)).astype(np.int8)


def split_codes_tf(rows: Any, seed: int, validation_fraction: float, test_fraction: float):
    """`split_codes` with TensorFlow ops (used inside `tf.data` pipelines); int64 rows -> int8 codes."""
    import tensorflow as tf

    def u64(value: int):
        return tf.constant(value, tf.uint64)

    z = tf.cast(rows, tf.uint64) + u64((_splitmix_int(seed) + _GOLDEN) & _MASK)
    z = tf.bitwise.bitwise_xor(z, tf.bitwise.right_shift(z, u64(30))) * u64(_MIX1)
    z = tf.bitwise.bitwise_xor(z, tf.bitwise.right_shift(z, u64(27))) * u64(_MIX2)
    z = tf.bitwise.bitwise_xor(z, tf.bitwise.right_shift(z, u64(31)))
    u = tf.cast(tf.bitwise.right_shift(z, u64(11)), tf.float64) * 2.0**-53
    codes = tf.where(u < test_fraction, 2, tf.where(u < test_fraction + validation_fraction, 1, 0))
    return tf.cast(codes, tf.int8)


@dataclasses.dataclass(frozen=True)
class CsvLayout:
    """What the header and the first rows say about a CSV file.

    Attributes:
        path: absolute path of the file.
        delimiter: field separator.
        columns: header names, in file order.
        target: the target column.
        types: how each feature column is read (`data._column_types.ColumnType`, decided from the first
            `SNIFF_ROWS` rows; dropped and ignored columns included), in file order.
        target_numeric: whether the sniffed target values are all numbers.
        target_decimal: "," when the target writes decimal commas.
        na_values: the user's extra missing-value markers. Every column reads them as missing wherever
            they appear, also past the sniffed rows; a target cell holding one drops its row.
    """

    path: str
    delimiter: str
    columns: tuple[str, ...]
    target: str
    types: tuple[Any, ...]
    target_numeric: bool
    target_decimal: str = "."
    na_values: tuple[str, ...] = ()

    @property
    def numeric(self) -> tuple[str, ...]:
        """Feature columns the model reads as numbers (numbers, booleans, dates), file order."""
        return tuple(t.name for t in self.types if t.kind in ("numeric", "boolean", "date"))

    @property
    def categorical(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.types if t.kind == "categorical")

    def type_of(self, column: str) -> Any:
        return next(t for t in self.types if t.name == column)

    def without(self, columns: Sequence[str]) -> CsvLayout:
        """The layout with `columns` dropped (no training row had a value)."""
        from kerasrecipes.data._column_types import ColumnType

        gone = set(columns)
        return dataclasses.replace(
            self,
            types=tuple(
                ColumnType(t.name, "dropped", "no training values") if t.name in gone else t for t in self.types
            ),
        )


def _reader(path: Any, sep: str, **options: Any):
    import pandas as pd

    return pd.read_csv(
        path,
        sep=sep,
        dtype=str,
        keep_default_na=False,
        skipinitialspace=True,
        index_col=False,
        encoding="utf-8-sig",
        **options,
    )


def read_layout(
    path: str | os.PathLike,
    target: str,
    *,
    delimiter: str | None = None,
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    na_values: Sequence[str] | None = None,
    sniff_rows: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> CsvLayout:
    """Check every line's field count, read the header and up to `sniff_rows` data rows, type the columns.

    One-line errors for unusable files. `on_bytes(n)` hears how far (in characters read, about bytes)
    the field-count check has got, every `PROGRESS_BYTES`.
    """
    from kerasrecipes.data import _column_types
    from kerasrecipes.data._csv import (
        check_column_options,
        check_csv_arguments,
        check_fields,
        detect_delimiter,
        header_names,
    )

    check_csv_arguments(path, target, delimiter)
    shown, file = os.fspath(path), Path(path)
    if not file.is_file():
        what = "a directory" if file.is_dir() else "missing"
        raise UserError(
            _validation.invalid(
                "path",
                "an existing CSV file",
                shown,
                fix=f"The path is {what}; check the spelling or pass an absolute path",
            )
        )
    with open(file, encoding="utf-8-sig", newline="") as fh:
        try:
            header = fh.readline()
        except UnicodeDecodeError:
            raise UserError(
                _validation.invalid("path", "a UTF-8 encoded CSV file", shown, fix="Re-save the file as UTF-8")
            ) from None
    if not header.strip():
        raise UserError(
            _validation.invalid(
                "path",
                "a CSV file whose first line is the header",
                shown,
                fix="The first line is empty; write the header there",
            )
        )
    sep = delimiter or detect_delimiter(header)
    columns = tuple(header_names(header, sep))
    if len(columns) < 2:
        raise UserError(
            _validation.invalid(
                "path",
                "a CSV file with at least 2 columns",
                shown,
                fix=f"The header splits into one column with delimiter {sep!r}",
            )
        )
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise UserError(
            _validation.invalid(
                "path", "a CSV file with unique column names", shown, fix=f"Rename the repeated column(s) {duplicated}"
            )
        )
    if target not in columns and "," in target:
        raise UserError(
            f"--stream reads one target column, and {target!r} names several (a multi-label target); "
            "train it in memory: leave out --stream."
        )
    if target not in columns:
        raise UserError(_validation.unknown_name("target column", target, columns) + f" (the columns of {file.name}).")
    options = check_column_options(columns, target, categorical=categorical, drop=drop, na_values=na_values)
    forced, ignored = options["categorical"], options["drop"]
    if len(set(ignored)) >= len(columns) - 1:
        raise UserError(_validation.invalid("drop", "a list that leaves at least one feature column", list(ignored)))
    import pandas as pd

    with open(file, encoding="utf-8-sig", newline="") as fh:  # every line, streamed: memory stays flat
        check_fields(fh if on_bytes is None else _counted(fh, on_bytes), sep, shown)
    try:
        sample = _reader(str(file), sep, nrows=sniff_rows or SNIFF_ROWS)
    except UnicodeDecodeError:
        raise UserError(
            _validation.invalid("path", "a UTF-8 encoded CSV file", shown, fix="Re-save the file as UTF-8")
        ) from None
    except pd.errors.ParserError as exc:  # pandas' tokenizer
        raise _parse_error(shown, exc) from None
    sample.columns = list(columns)
    if not len(sample):
        raise UserError(
            _validation.invalid(
                "path", "a CSV file with data rows", shown, fix="It has a header but no data rows; add rows"
            )
        )
    declared = tuple(options["na_values"])
    types = tuple(
        _column_types.ColumnType(c, "dropped", "dropped, as asked")
        if c in ignored
        else _with_markers(
            _column_types.infer_type(
                c, sample[c], decimal_commas=sep != ",", categorical=c in forced, na_values=declared, free_text=False
            ),
            declared,
        )
        for c in columns
        if c != target
    )
    target_type = _column_types.infer_type(target, sample[target], decimal_commas=sep != ",", na_values=declared)
    return CsvLayout(
        str(file.resolve()),
        sep,
        columns,
        target,
        types,
        target_type.kind == "numeric" and not set(target_type.markers) - set(declared),
        target_type.decimal,
        declared,
    )


def _with_markers(column: Any, na_values: tuple[str, ...]) -> Any:
    """`column` reading the user's `na_values` as missing everywhere: the sniffed rows may not hold them all."""
    if column.kind == "dropped" or set(na_values) <= set(column.markers):
        return column
    return dataclasses.replace(column, markers=tuple(sorted(set(column.markers) | set(na_values))))


def _counted(lines: Iterable[str], on_bytes: Callable[[int], None]) -> Iterator[str]:
    """`lines`, telling `on_bytes` the characters read so far every `PROGRESS_BYTES` and at the end."""
    done = told = 0
    for line in lines:
        done += len(line)
        if done - told >= PROGRESS_BYTES:
            on_bytes(done)
            told = done
        yield line
    on_bytes(done)


def _parse_error(name: str, exc: Exception) -> UserError:
    reason = str(exc).strip().splitlines()[-1].split("C error: ")[-1] if str(exc).strip() else type(exc).__name__
    return UserError(
        _validation.invalid(
            "path",
            "a well-formed CSV file",
            name,
            fix=f"{reason}; fix that line (every row needs the header's fields, quoted where they hold the delimiter)",
        )
    )


def chunks(
    layout: CsvLayout, chunk_rows: int | None = None, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
    """(data row indices, decoded columns) of the file, `chunk_rows` rows at a time, typed as `layout` says.

    `on_bytes(n)` hears the file position (bytes read by the parser) after each chunk.

    The scan checks every line's field count first (`check_fields`); this reader trusts it.

    Decoded: "numeric" (rows, len(layout.numeric)) float64 with NaN for missing (dates as days since
    1970, booleans as 1/0), "categorical" (a text array per categorical column, "" for missing),
    "categorical_missing", "target" (float64 or text) and "target_missing". Blank lines are skipped.

    Raises:
        ValueError: a line with more fields than the header, or a value its column cannot read,
            naming the line.
    """
    from kerasrecipes.data import _column_types

    name, first = Path(layout.path).name, 0
    target_type = _column_types.ColumnType(
        layout.target,
        "numeric" if layout.target_numeric else "categorical",
        markers=layout.na_values,
        decimal=layout.target_decimal,
    )
    numeric = [layout.type_of(c) for c in layout.numeric]
    categorical = [layout.type_of(c) for c in layout.categorical]
    try:
        with (
            open(layout.path, "rb") as fh,
            _reader(fh, layout.delimiter, chunksize=chunk_rows or READ_BATCH, na_filter=False) as reader,
        ):
            for chunk in reader:
                if on_bytes is not None:
                    on_bytes(fh.tell())
                chunk.columns = list(layout.columns)
                rows = np.arange(first, first + len(chunk), dtype=np.int64)
                line = first + 2
                text = [_column_types.convert(t, chunk[t.name], where=name, first_line=line) for t in categorical]
                target = _column_types.convert(target_type, chunk[layout.target], where=name, first_line=line)
                yield (
                    rows,
                    {
                        "numeric": (
                            np.stack(
                                [_column_types.convert(t, chunk[t.name], where=name, first_line=line) for t in numeric],
                                axis=1,
                            )
                            if numeric
                            else np.zeros((len(chunk), 0))
                        ),
                        "categorical": text,
                        "categorical_missing": (
                            np.stack([v == "" for v in text], axis=1) if text else np.zeros((len(chunk), 0), bool)
                        ),
                        "target": target,
                        "target_missing": np.isnan(target) if layout.target_numeric else target == "",
                    },
                )
                first += len(chunk)
    except UserError:
        raise  # ours: already one line
    except ValueError as exc:  # pandas' tokenizer (a ParserError is a ValueError)
        raise _parse_error(name, exc) from None


def n_batches(n_rows: int, batch_size: int) -> int:
    return max(1, math.ceil(n_rows / batch_size)) if n_rows else 0
