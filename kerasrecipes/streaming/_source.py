"""The CSV side of streaming: header and column types, the seeded row split, and line decoding.

Nothing here reads the whole file. The header and at most `sniff_rows` data lines are read with
Python's `csv` module to tell numeric from categorical columns; everything else goes through
`tf.data.TextLineDataset` in batches of `READ_BATCH` lines, decoded with `tf.io.decode_csv`.

The split: data row i (0-based, the header excluded) goes to the test split when
u(seed, i) < test_fraction, to validation when u < test_fraction + validation_fraction, else to
training, where u is a SplitMix64 hash of (seed, i) mapped to [0, 1). It needs no memory and no
shuffle, is the same in NumPy (`split_codes`) and TensorFlow (`split_codes_tf`), and a row keeps
its split when other rows are added, removed or reordered around it only if its index is kept.
Split sizes are binomial around the fractions (not stratified).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from kerasrecipes import _validation

READ_BATCH = 4096
"""Lines decoded per `tf.io.decode_csv` call (the unit of every streaming pass)."""

SNIFF_ROWS = 1000
"""Data lines read with Python's csv module to decide which columns are numeric."""

NA_VALUES = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
             "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
"""Cell values read as missing: pandas' default `na_values`, so `load_csv` and streaming agree."""

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

    Example:
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
        numeric: feature columns whose sniffed values are all numbers (file order).
        categorical: the other feature columns (file order).
        target_numeric: whether the sniffed target values are all numbers.
    """

    path: str
    delimiter: str
    columns: tuple[str, ...]
    target: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    target_numeric: bool

    def index(self, column: str) -> int:
        return self.columns.index(column)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_layout(path: str | os.PathLike, target: str, *, delimiter: str | None = None,
                categorical_columns: Sequence[str] | None = None, ignore_columns: Sequence[str] | None = None,
                sniff_rows: int = SNIFF_ROWS) -> CsvLayout:
    """Read the header and up to `sniff_rows` data lines; raise one-line errors for unusable files."""
    from kerasrecipes.data._csv import DELIMITERS, _field_counts, check_csv_arguments

    check_csv_arguments(path, target, delimiter)
    shown, file = os.fspath(path), Path(path)
    if not file.is_file():
        what = "a directory" if file.is_dir() else "missing"
        raise ValueError(_validation.invalid("path", "an existing CSV file", shown,
                                             fix=f"The path is {what}; check the spelling or pass an absolute path"))
    with open(file, encoding="utf-8-sig", newline="") as fh:
        try:
            header = fh.readline()
            sample_text = "".join(fh.readline() for _ in range(sniff_rows))
        except UnicodeDecodeError:
            raise ValueError(_validation.invalid("path", "a UTF-8 encoded CSV file", shown,
                                                 fix="Re-save the file as UTF-8")) from None
    if not header.strip():
        raise ValueError(_validation.invalid("path", "a CSV file whose first line is the header", shown,
                                             fix="The first line is empty; write the header there"))
    counts = _field_counts(header)
    sep = delimiter or max(DELIMITERS, key=lambda d: counts[d])
    columns = tuple(c.strip() for c in next(csv.reader([header], delimiter=sep)))
    if len(columns) < 2:
        raise ValueError(_validation.invalid("path", "a CSV file with at least 2 columns", shown,
                                             fix=f"The header splits into one column with delimiter {sep!r}"))
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise ValueError(_validation.invalid("path", "a CSV file with unique column names", shown,
                                             fix=f"Rename the repeated column(s) {duplicated}"))
    if target not in columns:
        raise ValueError(_validation.unknown_name("target column", target, columns) + f" (the columns of {file.name}).")
    forced, ignored = tuple(categorical_columns or ()), tuple(ignore_columns or ())
    for kind, names in (("categorical column", forced), ("ignored column", ignored)):
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise TypeError(_validation.invalid(kind.replace(" ", "_") + "s", "a list of column names", names))
        for name in names:
            if name not in columns or name == target:
                raise ValueError(_validation.unknown_name(kind, name, [c for c in columns if c != target]))
    if len(set(ignored)) >= len(columns) - 1:
        raise ValueError(_validation.invalid("ignore_columns", "a list that leaves at least one feature column",
                                             list(ignored)))
    rows = [r for r in csv.reader(sample_text.splitlines(), delimiter=sep) if r]
    if not rows:
        raise ValueError(_validation.invalid("path", "a CSV file with data rows", shown,
                                             fix="It has a header but no data rows; add rows"))

    def numeric(i: int) -> bool:
        values = [r[i].strip() for r in rows if i < len(r) and r[i].strip() not in NA_VALUES]
        return bool(values) and all(_is_number(v) for v in values)

    kinds = {c: numeric(i) and c not in forced for i, c in enumerate(columns)}
    features = [c for c in columns if c != target and c not in ignored]
    return CsvLayout(str(file.resolve()), sep, columns, target, tuple(c for c in features if kinds[c]),
                     tuple(c for c in features if not kinds[c]), kinds[target])


def line_batches(layout: CsvLayout):
    """`tf.data` of (row indices int64[b], lines string[b]) in batches of `READ_BATCH` data lines."""
    import tensorflow as tf

    lines = tf.data.TextLineDataset(layout.path, buffer_size=1 << 20).skip(1).batch(READ_BATCH).enumerate()
    return lines.map(lambda i, b: (i * READ_BATCH + tf.range(tf.size(b, out_type=tf.int64)), b))


class Decoder:
    """Decode a batch of CSV lines into numeric (float64, NaN = missing) and text tensors.

    Cells are stripped of surrounding spaces; `NA_VALUES` are missing (NaN in numeric columns,
    `missing` masks for text). Blank lines come back flagged in `blank`.
    """

    def __init__(self, layout: CsvLayout):
        import tensorflow as tf

        self.layout = layout
        self._numeric = [layout.index(c) for c in layout.numeric]
        self._categorical = [layout.index(c) for c in layout.categorical]
        self._target = layout.index(layout.target)
        self._na = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(NA_VALUES), tf.ones(len(NA_VALUES), tf.bool)), False)

    def missing(self, text):
        return self._na.lookup(text)

    def to_number(self, text):
        import tensorflow as tf

        return tf.strings.to_number(tf.where(self.missing(text), "nan", text), tf.float64)

    def __call__(self, lines) -> dict[str, Any]:
        """{"blank", "numeric" (b, n_numeric) float64, "categorical": [(b,) str], "target"} for `lines`."""
        import tensorflow as tf

        blank = tf.equal(tf.strings.length(tf.strings.strip(lines)), 0)
        lines = tf.where(blank, self.layout.delimiter * (len(self.layout.columns) - 1), lines)
        fields = tf.io.decode_csv(lines, [""] * len(self.layout.columns), field_delim=self.layout.delimiter,
                                  use_quote_delim=True)
        fields = [tf.strings.strip(f) for f in fields]
        batch = tf.shape(lines)[0]
        numeric = (self.to_number(tf.stack([fields[i] for i in self._numeric], axis=1)) if self._numeric
                   else tf.zeros([batch, 0], tf.float64))
        categorical = [fields[i] for i in self._categorical]
        categorical_missing = (self.missing(tf.stack(categorical, axis=1)) if categorical
                               else tf.zeros([batch, 0], tf.bool))
        target = fields[self._target]
        return {"blank": blank, "numeric": numeric, "categorical": categorical,
                "categorical_missing": categorical_missing, "target_missing": self.missing(target),
                "target": self.to_number(target) if self.layout.target_numeric else target}


def decode_error(layout: CsvLayout, exc: Exception) -> ValueError:
    """A one-line `ValueError` naming the first line TensorFlow could not decode (found by streaming)."""
    name = Path(layout.path).name
    numeric = {layout.index(c): c for c in layout.numeric}
    if layout.target_numeric:
        numeric[layout.index(layout.target)] = layout.target
    with open(layout.path, encoding="utf-8-sig", newline="") as fh:
        next(fh, None)
        for number, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            fields = next(csv.reader([line], delimiter=layout.delimiter), [])
            if len(fields) != len(layout.columns):
                return ValueError(_validation.invalid(
                    "path", f"a CSV file whose rows have the header's {len(layout.columns)} fields", layout.path,
                    fix=f"Line {number} of {name} has {len(fields)}; fix that row (quoted fields may not span lines)"))
            for i, column in numeric.items():
                value = fields[i].strip()
                if value not in NA_VALUES and not _is_number(value):
                    fix = (f"pass categorical_columns=[{column!r}] to one-hot encode it" if column != layout.target
                           else "fix the row, or remove it")
                    return ValueError(_validation.invalid(
                        "path", f"a CSV file whose column {column!r} holds numbers (as its first rows do)",
                        layout.path, fix=f"Line {number} of {name} has {value[:40]!r} there; {fix}"))
    text = " ".join(str(getattr(exc, "message", exc)).split()).split(" [[")[0].rsplit(": ", 1)[-1]
    return ValueError(f"TensorFlow could not decode {name}: {text[:200]}. A quoted field must start and end with "
                      "its quotes (no spaces outside them) and stay on one line")


def n_batches(n_rows: int, batch_size: int) -> int:
    return max(1, math.ceil(n_rows / batch_size)) if n_rows else 0
