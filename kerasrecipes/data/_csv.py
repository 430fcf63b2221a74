"""Load a CSV file (`load_csv`) or a DataFrame (`from_frame`) with a target column into a `Dataset`.

The raw columns are typed by `data._column_types` (numbers with junk markers or decimal commas, booleans,
dates, categories, identifiers dropped); the decisions are kept with the dataset. Every problem is a
`ValueError` (a bad type is a `TypeError`) whose message names the problem and the fix; the file is
only read, never modified. Rows whose target is missing are dropped ("elimination", seed 001) with a
`DataWarning`.

Every road that reads a CSV file (`load_csv`, the `--stream` scan, `predict`) splits its lines with
the helpers here (`csv_reader`, `detect_delimiter`, `check_fields`), so they agree on delimiters (any
single character) and read cells of any length: `csv_reader` raises the `csv` module's field size
limit, which is process-wide, to the largest the platform allows (it is never lowered).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.data import _column_types, _dataset
from kerasrecipes.errors import UserError

DELIMITERS = (",", ";", "\t", "|")
"""The delimiters detected from the header when none is given (any other single character may be given)."""
FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
"""The `csv` module's field size limit while kerasrecipes reads (its default, 131,072 characters, is too small
for long text cells); a C long on every platform."""


class DataWarning(UserWarning):
    """A recoverable problem in the data (dropped rows, unseen categories, ignored columns)."""


def _warn(message: str, depth: int = 0) -> None:
    """Warn at the caller of `load_csv` (`depth` extra frames below it)."""
    warnings.warn(message, DataWarning, stacklevel=3 + depth)


def csv_reader(lines: Any, sep: str, **options: Any) -> Any:
    """`csv.reader(lines, delimiter=sep)` for cells of any length (see the module docstring)."""
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)
    return csv.reader(lines, delimiter=sep, **options)


def _field_counts(text: str, also: str | None = None) -> dict[str, int]:
    """Number of header fields each of `DELIMITERS` (and `also`) gives (quotes respected)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    candidates = DELIMITERS if also is None or also in DELIMITERS else (*DELIMITERS, also)
    return {d: len(next(csv_reader([header], d), [])) for d in candidates}


def detect_delimiter(text: str, also: str | None = None) -> str:
    """The delimiter of a CSV text (its header is enough): the one of `DELIMITERS`, and of `also` (say,
    the delimiter a run was trained with), that splits the header into the most fields (the first on ties).

    Examples:
        >>> detect_delimiter("a;b;y"), detect_delimiter("a:b:y"), detect_delimiter("a:b:y", also=":")
        (';', ',', ':')
    """
    counts = _field_counts(text, also)
    return max(counts, key=lambda d: counts[d])


def header_names(header: str, sep: str) -> list[str]:
    """The column names of a header line (stripped, quotes respected)."""
    return [c.strip() for c in next(csv_reader([header], sep), [])]


def _read_text(path: Path, shown: str) -> tuple[str, str]:
    if not path.is_file():
        what = "a directory" if path.is_dir() else "missing"
        raise UserError(
            _validation.invalid(
                "path",
                "an existing CSV file",
                shown,
                fix=f"The path is {what} (resolved to {path.resolve()}); check the spelling or pass an absolute path",
            )
        )
    try:
        raw = path.read_bytes()
    except PermissionError:
        raise UserError(
            _validation.invalid(
                "path", "a CSV file you may read", shown, fix="Permission denied; check the file's permissions"
            )
        ) from None
    if not raw.strip():
        raise UserError(
            _validation.invalid(
                "path",
                "a CSV file with a header row and data rows",
                shown,
                fix="The file is empty; write the header and rows first",
            )
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            _validation.invalid(
                "path",
                "a UTF-8 encoded CSV file",
                shown,
                fix=f"Byte {exc.start} is not UTF-8; re-save the file as UTF-8",
            )
        ) from None
    return text, hashlib.sha256(raw).hexdigest()


def check_fields(lines: Any, sep: str, name: str) -> None:
    """Every data line has the header's number of fields (pandas would shift or pad a row silently).

    `lines` is any iterable of the file's lines (its text in a `StringIO`, or the open file: memory
    stays flat on a large one).
    """
    reader = csv_reader(lines, sep, skipinitialspace=True)
    header = next(reader, [])
    for fields in reader:
        if fields and len(fields) != len(header) and any(f.strip() for f in fields):
            more = "more" if len(fields) > len(header) else "fewer"
            raise UserError(
                _validation.invalid(
                    "path",
                    f"a CSV file whose rows have the header's {len(header)} fields",
                    name,
                    fix=f"Line {reader.line_num} has {len(fields)}, {more} than the header; fix that row (a field "
                    "that holds the delimiter must be quoted)",
                )
            )


def target_columns(target: str, columns: Sequence[str]) -> list[str]:
    """The target's column names: `target` itself when a column has that name, else its comma-separated names
    (several 0/1 label columns: a multi-label target)."""
    if target in columns or "," not in target:
        return [target]
    names = [n.strip() for n in target.split(",")]
    if len(set(names)) != len(names) or "" in names:
        raise UserError(
            _validation.invalid("target", "distinct column names separated by commas", target, fix="Name each once")
        )
    return names


def _delimited_labels(series, target: str, sep: str, na_values, where: str) -> tuple[np.ndarray, list[str]]:
    """A column of delimited labels ("sports|politics") -> (rows x labels 0/1, the label names in sorted order)."""
    missing = _column_types._missing(_column_types._text(series), na_values)
    rows = [
        set() if gone else {label.strip() for label in str(text).split(sep) if label.strip()}
        for text, gone in zip(series.tolist(), missing)
    ]
    names = sorted(set().union(*rows))
    if names and max(len(r) for r in rows) < 2:
        raise UserError(
            _validation.invalid(
                "label_sep",
                f"the text between the labels of a row of {target!r}",
                sep,
                fix=f"No row of {where} holds two labels split by it (e.g. {next(iter(names))!r}); "
                "check --label-sep, or leave it out for one label per row",
            )
        )
    if len(names) < 2:
        raise UserError(
            _validation.invalid(
                "label_sep",
                f"a separator that splits {target!r} into at least 2 labels",
                sep,
                fix=f"{where} gives {names or 'no labels'}; check the separator (--label-sep)",
            )
        )
    if any("," in n for n in names):
        raise UserError(
            _validation.invalid(
                "target",
                "labels without commas (label names are listed with commas)",
                target,
                fix=f"{where} has the label {next(n for n in names if ',' in n)!r}; rename it",
            )
        )
    index = {n: j for j, n in enumerate(names)}
    y = np.zeros((len(rows), len(names)), np.int64)
    for i, labels in enumerate(rows):
        y[i, [index[n] for n in labels]] = 1
    return y, names


def _label_matrix(labels: list[np.ndarray], targets: list[str], where: str) -> np.ndarray:
    """Several target columns -> one (rows, labels) array of 0/1: a multi-label target."""
    for name, values in zip(targets, labels):
        if values.dtype.kind not in "iu" or not np.isin(values, (0, 1)).all():
            shown = [v for v in values.tolist() if v not in (0, 1)][:3]
            raise UserError(
                _validation.invalid(
                    "target",
                    "0/1 label columns (several target columns are one multi-label target)",
                    name,
                    fix=f"{where} has values such as {shown} in {name!r}; write each label as 0 or 1",
                )
            )
    return np.column_stack(labels).astype(np.int64)


def _target_values(series, target: str, where: str, line_of: np.ndarray, decimal: str) -> np.ndarray:
    """The target as numbers (integers when whole) or as text labels; a mix of both is an error."""
    import pandas as pd

    text = series.astype(str).str.strip()
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    parsed = pd.to_numeric(text, errors="coerce")
    share = float(parsed.notna().mean())
    if share == 1.0:
        values = parsed.to_numpy(dtype=np.float64)
        problem = _column_types.nonfinite_problem(target, values, line_of, where=where)
        if problem:
            raise UserError(
                _validation.invalid(
                    "target",
                    "a column of finite values",
                    target,
                    fix=f"{problem[0]}; {problem[1]}, or remove those rows",
                )
            )
        return values.astype(np.int64) if np.all(values == np.round(values)) else values
    numbers = parsed.dropna()
    # stray text among numbers: rare, or among real values (a regression target); "0/1/unknown" are labels
    if _column_types.NUMERIC_SHARE <= share and (share >= 0.9 or bool((numbers != numbers.round()).any())):
        bad = sorted(set(series[parsed.isna()].astype(str)))
        first = line_of[int(np.argmax(parsed.isna().to_numpy()))]
        raise UserError(
            _validation.invalid(
                "target",
                "a column of numbers or of class labels, not a mix",
                target,
                fix=f"{share:.0%} of its values are numbers but {len(text) - len(numbers)} are text, e.g. "
                f"{bad[:5]} (first on line {first}); fix those rows, or pass na_values={bad[:5]} "
                "(--na-values) so they are dropped",
            )
        )
    return series.astype(str).str.strip().to_numpy(dtype=object)


def check_csv_arguments(path: Any, target: Any, delimiter: Any) -> None:
    """Validate the arguments every CSV entry point takes (in memory and streaming)."""
    if not isinstance(path, (str, os.PathLike)):
        raise UserError(_validation.invalid("path", "a str or os.PathLike", path))
    if not isinstance(target, str):
        raise UserError(_validation.invalid("target", "a column name (str)", target))
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'):
        fix = (
            "Pass the one character that separates the fields, e.g. ';' or ':', or leave it out (detected from "
            "the header among ',', ';', tab and '|')"
        )
        if delimiter in ("\\t", "tab", "TAB"):
            fix = "For a tab, leave it out (a tab is detected) or pass the tab character itself ($'\\t' in bash)"
        elif isinstance(delimiter, str) and len(delimiter) == 1:
            fix = "Pass the character that separates the fields, e.g. ';' or ':'"
        raise UserError(
            _validation.invalid(
                "delimiter", "None or a single character other than a quote or a line break", delimiter, fix=fix
            )
        )


def check_column_options(columns: Sequence[str], target: str, **options: Any) -> dict[str, tuple[str, ...]]:
    """`drop`/`categorical`/`text` name columns of the data (not the target); `na_values` is text. One-line errors."""
    out = {}
    for key, names in options.items():
        names = () if names is None else names
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise UserError(_validation.invalid(key, "a list of strings", names))
        if key != "na_values":
            for name in names:
                if name == target:
                    flag = f"--{key}"
                    tail = (
                        "; to read a numeric target as class labels, pass --task binary or multiclass"
                        if key == "categorical"
                        else ""
                    )
                    raise UserError(
                        f"{flag} {name} names the target column; the target is never a feature, so "
                        f"leave it out of {flag} (`{key}`){tail}."
                    )
                if name not in columns:
                    kind = {
                        "drop": "column to drop",
                        "categorical": "column to read as categorical",
                        "text": "column to read as free text",
                    }[key]
                    raise UserError(_validation.unknown_name(kind, name, [c for c in columns if c != target]))
        out[key] = tuple(names)
    return out


def load_csv(
    path: str | os.PathLike,
    target: str,
    *,
    delimiter: str | None = None,
    na_values: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    label_sep: str | None = None,
    text: Sequence[str] | None = None,
    free_text: bool = True,
) -> _dataset.Dataset:
    """Read a CSV file into a `Dataset`, typing its raw columns as a careful user would.

    The file is read as text and every column is typed by `data._column_types`: numbers (a few junk
    markers such as `?` read as missing; decimal commas where the file uses them), booleans (yes/no,
    true/false -> 1/0), dates (-> days since 1970; the model derives year, month, weekday), text
    categories, and identifiers or empty columns, which are dropped. The decisions are kept in
    `Dataset.column_types` (and travel with a run's model, so new rows are read the same way). Empty
    cells and pandas' usual markers (`NA`, `NaN`, ...) are missing values. A line with more or fewer
    fields than the header is an error naming the line.

    Args:
        path: Path to the file; it is read once and never modified.
        target: Name of the target column (the label or value to predict).
        delimiter: Field separator, any single character but a quote or a line break (e.g. `:` or
            a space). Defaults to `None`: the one of `,`, `;`, tab and `|` that splits the header
            into the most columns.
        na_values: Extra strings read as missing, e.g. `["?"]`. Defaults to `None`.
        drop: Columns to leave out. Defaults to `None`.
        categorical: Columns to read as text categories whatever they look like (e.g. a zip
            code). Defaults to `None`.
        label_sep: The target column holds several labels per row separated by this text (e.g. `|`
            in `sports|politics`): a multi-label target, one 0/1 column per label found, in sorted
            order; an empty cell is a row with no label. Defaults to `None`: one label or value per
            row. (Several 0/1 label columns are named in `target` instead: `"a,b,c"`.)
        text: Columns to read as free text whatever they look like (`data._text`). Defaults to `None`.
        free_text: Whether a column that looks like free text (sentences, mostly distinct) is read as
            text; `False` reads it as categories or drops it as an identifier (how runs of kerasrecipes
            before text support read it). Defaults to `True`.

    Returns:
        A `Dataset` named after the file stem, with `task=None` (the caller decides),
        and `source={"kind": "csv", "path", "sha256", "target", "delimiter", "na_values",
        "drop", "categorical", "n_rows_read", "dropped_rows", "dropped_columns"}`.

    Raises:
        ValueError: If the file is missing, empty, not UTF-8 or malformed (a line with
            another number of fields than the header); the delimiter yields a single
            column; the target column is missing, all missing or constant; fewer
            than 10 rows have a target value; or a number is not finite in float32
            (infinite or beyond +-3.4e38), naming its column and line.
        TypeError: If an argument has the wrong type.

    Examples:
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
    content, sha256 = _read_text(Path(path), shown)
    counts = _field_counts(content, delimiter)
    best = detect_delimiter(content)  # first (",") on ties
    sep = best if delimiter is None else delimiter
    if counts[sep] > 1:
        check_fields(io.StringIO(content), sep, shown)
    try:
        frame = pd.read_csv(
            io.StringIO(content),
            sep=sep,
            skipinitialspace=True,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            index_col=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        hint = f"; the header suggests delimiter={best!r}" if counts[best] > counts[sep] else ""
        raise UserError(
            _validation.invalid(
                "path",
                f"a well-formed CSV file with delimiter {sep!r}",
                shown,
                fix=f"pandas reports: {reason}. Check the delimiter and quoting{hint}",
            )
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    named = [c.strip() for c in next(csv_reader(io.StringIO(content), sep), [])]
    twice = sorted({c for c in named if named.count(c) > 1})
    if twice:  # pandas renames the copies ("x" -> "x.1"); say so rather than train on names the user never wrote
        copies = [c for c in frame.columns if c not in named]
        _warn(
            f"The header of {shown} names {', '.join(map(repr, twice))} more than once; the copies are read as "
            f"{', '.join(map(repr, copies))}. Rename them in the file to say which is which."
        )
    if frame.shape[1] < 2:
        fix = "It needs a target column and at least one feature column"
        if counts[best] > 1 and best != sep:
            raise UserError(
                _validation.invalid(
                    "delimiter",
                    "the character that separates the columns",
                    delimiter,
                    fix=f"It yields a single column, but {best!r} splits the header into "
                    f"{counts[best]} columns; pass delimiter={best!r}",
                )
            )
        header = str(frame.columns[0])
        if delimiter is None and len(header.split()) > 1:
            fix = (
                f"The header {header[:60]!r} is one column: separate the columns with one of "
                f"',', ';', tab or '|' (spaces are not a delimiter)"
            )
        raise UserError(_validation.invalid("path", "a CSV file with at least 2 columns", shown, fix=fix))
    if len(frame) == 0:
        raise UserError(
            _validation.invalid(
                "path",
                "a CSV file with a header row and data rows",
                shown,
                fix=f"It has the header ({', '.join(map(str, frame.columns))[:80]}) but no data rows; add rows",
            )
        )
    source = {"kind": "csv", "path": str(Path(shown).resolve()), "sha256": sha256, "target": target, "delimiter": sep}
    if label_sep is not None:
        source["label_sep"] = label_sep
    return _dataset_from(
        frame,
        target,
        Path(shown).stem,
        source,
        where=Path(shown).name,
        delimiter=sep,
        na_values=na_values,
        drop=drop,
        categorical=categorical,
        label_sep=label_sep,
        text=text,
        free_text=free_text,
    )


def from_frame(
    frame: Any,
    target: str,
    *,
    name: str = "frame",
    na_values: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    label_sep: str | None = None,
    text: Sequence[str] | None = None,
) -> _dataset.Dataset:
    """A `Dataset` from a `pandas.DataFrame` of raw columns, typed as `load_csv` types a file's.

    Args:
        frame: the rows, the target column among them; it is not modified.
        target: the column to predict.
        name: the dataset's name (run directories, W&B). Defaults to "frame".
        na_values: extra strings read as missing. Defaults to `None`.
        drop: columns to leave out. Defaults to `None`.
        categorical: columns to read as text categories. Defaults to `None`.
        label_sep: the target column holds several labels per row separated by this text (as for
            `load_csv`). Defaults to `None`.
        text: columns to read as free text. Defaults to `None` (sentences are found by their look).

    Examples:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"size": ["3", "?"] * 6, "ok": ["yes", "no"] * 6, "y": [0, 1] * 6})
        >>> ds = from_frame(frame, "y")
        >>> ds.numeric_columns, [t.kind for t in ds.column_types]
        (('size', 'ok'), ['numeric', 'boolean'])
    """
    if not hasattr(frame, "columns"):
        raise UserError(_validation.invalid("frame", "a pandas.DataFrame", type(frame).__name__))
    if not isinstance(target, str):
        raise UserError(_validation.invalid("target", "a column name (str)", target))
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    return _dataset_from(
        frame,
        target,
        name,
        {"kind": "frame", "name": name, "target": target},
        where="the frame",
        delimiter=None,
        na_values=na_values,
        drop=drop,
        categorical=categorical,
        label_sep=label_sep,
        text=text,
    )


def _dataset_from(
    frame,
    target: str,
    name: str,
    source: dict,
    *,
    where: str,
    delimiter: str | None,
    na_values,
    drop,
    categorical,
    label_sep: str | None = None,
    text=None,
    free_text: bool = True,
) -> _dataset.Dataset:
    """Checks and typing shared by `load_csv` and `from_frame` (delimiter None): raw frame -> typed `Dataset`."""
    columns = list(frame.columns)
    if label_sep is not None and (not isinstance(label_sep, str) or not label_sep.strip()):
        raise UserError(_validation.invalid("label_sep", "the text between a row's labels, e.g. '|'", label_sep))
    targets = [target] if label_sep is not None else target_columns(target, columns)
    for name in targets:
        if name not in columns:
            message = _validation.unknown_name("target column", name, columns)
            folded = [c for c in columns if c.casefold() == name.casefold()]
            if folded and "Did you mean" not in message:
                message = message.replace(f"{name!r}.", f"{name!r}. Did you mean {folded[0]!r}?", 1)
            raise UserError(f"{message} (the columns of {where}).")
    options = {}
    for name in targets:
        options = check_column_options(
            columns, name, na_values=na_values, drop=drop, categorical=categorical, text=text
        )
    n_read = len(frame)
    absent = np.zeros(len(frame), dtype=bool)
    for name in targets if label_sep is None else ():  # delimited labels: an empty cell is a row with none
        absent |= _column_types._missing(_column_types._text(frame[name]), options["na_values"])
    if absent.all():
        raise UserError(
            _validation.invalid(
                "target",
                "a column with values",
                target,
                fix="Every value of that column is missing; choose another target column",
            )
        )
    line_of = np.flatnonzero(~absent) + 2  # file line of each kept row (header = 1)
    if absent.any():
        _warn(f"Dropping {int(absent.sum())} row(s) of {where} whose target {target!r} is missing.", depth=1)
        frame = frame[~absent].reset_index(drop=True)
    if len(frame) < _dataset.MIN_ROWS:
        raise UserError(
            _validation.invalid(
                "path",
                f"a CSV file with at least {_dataset.MIN_ROWS} rows that have a target value",
                where,
                fix=f"It has {len(frame)}; add rows (train, validation and test each need some)",
            )
        )
    features = [c for c in columns if c not in targets and c != target]
    types = [
        _column_types.ColumnType(c, "dropped", "dropped, as asked")
        if c in options["drop"]
        else _column_types.infer_type(
            c,
            frame[c],
            decimal_commas=delimiter != ",",
            categorical=c in options["categorical"],
            na_values=options["na_values"],
            asked_text=c in options["text"],
            free_text=free_text,
        )
        for c in features
    ]
    empty = [t.name for t in types if t.name in options["text"] and t.kind == "dropped"]
    if empty:  # asked for as free text, yet it has nothing to read
        raise UserError(
            f"--text {empty[0]} names a column without any text in {where}; fill it, or leave it out of --text "
            f"(`text`) and it is dropped."
        )
    kept = [t for t in types if t.kind != "dropped"]
    if not kept:
        raise UserError(
            _validation.invalid(
                "path",
                "a CSV file with at least one feature column with values",
                where,
                fix="None of its feature columns is left: " + ", ".join(f"{t.name!r} ({t.note})" for t in types[:6]),
            )
        )
    if label_sep is not None:
        y, targets = _delimited_labels(frame[target], target, label_sep, options["na_values"], where)
        labels = []
    else:
        labels = [
            _target_values(
                frame[name],
                name,
                where,
                line_of,
                _column_types.infer_type(name, frame[name], decimal_commas=delimiter != ",").decimal,
            )
            for name in targets
        ]
    if labels:
        y = labels[0] if len(labels) == 1 else _label_matrix(labels, targets, where)
    if len(targets) == 1 and len(np.unique(y)) < 2:
        raise UserError(
            _validation.invalid(
                "target",
                "a column with at least 2 distinct values (classes)",
                target,
                fix=f"Every row has the value {y[0]!r}; there is nothing to learn",
            )
        )
    typed = {}
    for t in kept:
        values = _column_types.convert(t, frame[t.name], where=where, first_line=None)
        problem = (
            None if t.kind in ("categorical", "text") else _column_types.nonfinite_problem(t.name, values, line_of)
        )
        if problem:
            raise UserError(
                _validation.invalid(
                    "path",
                    "a CSV file with finite numbers",
                    where,
                    fix=f"{problem[0]}; {problem[1]}, or empty those cells so they are imputed",
                )
            )
        typed[t.name] = values
    import pandas as pd

    X = pd.DataFrame(typed)
    source.update(
        na_values=list(options["na_values"]),
        drop=list(options["drop"]),
        categorical=list(options["categorical"]),
        **({"text": list(options["text"])} if options["text"] else {}),
        free_text=free_text,
        n_rows_read=n_read,
        dropped_rows=int(absent.sum()),
        dropped_columns=[t.name for t in types if t.kind == "dropped"],
    )
    return _dataset.Dataset(
        name=name,
        X=X,
        y=y,
        feature_names=tuple(X.columns),
        target_name=",".join(targets),  # several: the label names
        numeric_columns=tuple(t.name for t in kept if t.kind not in ("categorical", "text")),
        categorical_columns=tuple(t.name for t in kept if t.kind == "categorical"),
        source=source,
        task=None,
        column_types=tuple(types),
    )
