"""Column typing: raw text columns as a careful user would read them, decided once and applied again.

`infer_types` looks at each raw column (text, as the file has it) and decides what it is; `convert`
applies a decision to raw values, at training time and again on new rows at prediction time, so a
run reads tomorrow's file exactly as it read today's. The kinds:

| kind | raw values | becomes |
|---|---|---|
| `numeric` | numbers, perhaps with a few junk markers (`?`, `n/a`, `-`) or decimal commas | float, the markers missing |
| `boolean` | two values such as yes/no, true/false, Y/N | 1.0 / 0.0 |
| `date` | dates or date-times in one format | days since 1970-01-01 (the model adds year, month, weekday, hour) |
| `categorical` | text categories (the rarest grouped into "other" when there are many) | text |
| `text` | free text: sentences, mostly distinct, read word by word (`data._text`) | text |
| `dropped` | an identifier (one value per row), or a column without values | nothing |

Missing values are the same in every kind of column: empty cells and pandas' markers (`NA_TEXT`),
the user's `na_values`, and the junk markers of `JUNK_TEXT` (`?`) a column holds when it is typed
(a text column reads them as missing on any row; a numeric column also reads its few other
non-numbers as missing). Each decision carries a one-line `note` when it is more than the plain
reading (the junk markers found are counted, e.g. "junk markers read as missing: '?' x3");
`describe` prints them as one short table, and runs keep them in the manifest and in the saved
preprocessing spec.

Numbers must be finite in float32, the precision the models compute in: `nonfinite` finds the
values that are not (infinite, or beyond +-3.4e38, which float32 reads as infinite), and
`nonfinite_problem` says which column, value and line, for every check of the package alike.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from kerasrecipes.errors import UserError

NA_TEXT = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)
"""Cell values that mean "missing" everywhere (pandas' default `na_values`)."""
JUNK_TEXT = ("?",)
"""Junk markers read as missing in any column that holds them when typed (counted in its note); a text column
records them always, so it reads them as missing on new rows too."""
FLOAT32_MAX = float(np.finfo(np.float32).max)
"""The largest float32 (about 3.4e38): a larger number is infinite to the model."""
NUMERIC_SHARE = 0.5
"""A text column whose share of numbers is at least this, with few other values, is numeric with junk markers."""
MAX_MARKERS = 10
"""Most distinct non-numeric values a numeric column may have (more: it is a text column)."""
DATE_SHARE = 0.95
"""Share of non-missing values that must parse in one date format."""
ID_SHARE = 0.95
"""A text or whole-number column whose values are (almost) all distinct is an identifier."""
TEXT_WORDS = 5
"""A column of text whose cells have at least this many words (the median cell), mostly distinct
(`TEXT_SHARE`), is free text: sentences, not categories nor identifiers (names have fewer words)."""
TEXT_SHARE = 0.5
BOOLEAN_PAIRS = ({"yes", "no"}, {"true", "false"}, {"y", "n"}, {"t", "f"})
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
)
_ID_NAME = re.compile(r"(^|[_\W])(id|uuid|guid|key|index|row)$|^id[_\W]|Id$|ID$", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_EPOCH = np.datetime64("1970-01-01T00:00:00", "ns")


@dataclasses.dataclass(frozen=True)
class ColumnType:
    """How one raw column is read.

    Attributes:
        name: the column.
        kind: "numeric", "boolean", "date", "categorical", "text" or "dropped".
        note: the one-line reason when the reading is more than plain (else None).
        markers: text values read as missing besides the usual ones (`NA_TEXT`): a numeric
            column's junk markers and the user's `na_values` found in the column.
        decimal: numeric: "," when the column writes decimal commas (and "." groups thousands).
        true: boolean: the value read as 1 (the other is 0).
        false: boolean: the value read as 0.
        date_format: date: the `strftime` format the values follow.
        has_time: date: whether the values carry a time of day.
    """

    name: str
    kind: str
    note: str | None = None
    markers: tuple[str, ...] = ()
    decimal: str = "."
    true: str | None = None
    false: str | None = None
    date_format: str | None = None
    has_time: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(self).items()
            if v not in (None, (), ".", False) or k in ("name", "kind")
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnType:
        return cls(**{**data, "markers": tuple(data.get("markers", ()))})


def _text(values: Any) -> Any:
    """A pandas Series of stripped text (object dtype), missing values as None; vectorized."""
    import pandas as pd

    series = pd.Series(values, copy=False)
    present = series.notna().to_numpy()
    text = series.astype(str).str.strip().astype(object)
    if not present.all():
        text[~present] = None
    return text


def _missing(text: Any, extra: Iterable[str] = ()) -> np.ndarray:
    return (text.isna() | text.isin(set(NA_TEXT) | set(extra))).to_numpy(dtype=bool)


def _numbers(text: Any, decimal: str = ".") -> Any:
    import pandas as pd

    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def infer_type(
    name: str,
    values: Any,
    *,
    decimal_commas: bool = False,
    categorical: bool = False,
    na_values: Iterable[str] = (),
    asked_text: bool = False,
    free_text: bool = True,
) -> ColumnType:
    """Decide how to read one raw column (see the module docstring).

    Args:
        name: the column's name.
        values: its raw values (text, or numbers a frame already holds).
        decimal_commas: whether "3,5" may mean 3.5 (not in a comma-separated file, where such a
            field would have to be quoted). Defaults to `False`.
        categorical: the user asks for text categories. Defaults to `False`.
        na_values: the user's extra missing-value markers. Defaults to `()`.
        asked_text: the user asks for free text (`--text`). Defaults to `False`.
        free_text: whether a column that looks like free text (`TEXT_WORDS`) is read as text; `False`
            drops it or reads it as categories, as a table without text support would. Defaults to `True`.
    """
    import pandas as pd

    text = _text(values)
    absent = _missing(text, na_values)
    declared = tuple(sorted(set(text[absent].dropna()) & set(na_values)))  # the user's na_values found here
    junk = text.isin(JUNK_TEXT).to_numpy(dtype=bool) & ~absent  # '?': missing in every kind of column
    found = tuple(sorted(set(text[junk])))
    present = text[~absent & ~junk]
    n, n_present = len(text), len(present)
    if n_present == 0:
        return ColumnType(name, "dropped", "no values")
    distinct = present.unique()
    markers = tuple(sorted(set(declared) | set(found)))
    text_markers = tuple(sorted(set(markers) | set(JUNK_TEXT)))  # a text column reads '?' as missing on any row
    if categorical:
        return ColumnType(name, "categorical", _noted("categorical, as asked", text[junk]), markers=text_markers)
    if asked_text:
        return ColumnType(name, "text", _noted("free text, as asked", text[junk]), markers=text_markers)
    lowered = {str(v).lower() for v in distinct}
    if len(distinct) == 2 and any(lowered == pair for pair in BOOLEAN_PAIRS):
        by_lower = {str(v).lower(): str(v) for v in distinct}
        true = next(by_lower[t] for t in ("yes", "true", "y", "t") if t in by_lower)
        false = next(v for v in map(str, distinct) if v != true)
        return ColumnType(
            name, "boolean", _noted(f"{true}/{false} -> 1/0", text[junk]), markers=markers, true=true, false=false
        )
    numbers = _numbers(present)
    share = float(numbers.notna().mean())
    if share == 1.0 or (share >= NUMERIC_SHARE and present[numbers.isna()].nunique() <= MAX_MARKERS):
        others = present[numbers.isna()]
        whole = bool(share == 1.0 and not found and (numbers == np.round(numbers)).all())
        if whole and _looks_like_id(name, numbers.to_numpy(), n):
            return ColumnType(name, "dropped", f"id-like: {len(distinct)} distinct whole numbers in {n} rows")
        return ColumnType(
            name,
            "numeric",
            _noted(None, pd.concat([text[junk], others])),
            markers=tuple(sorted(set(others) | set(markers))),
        )
    if decimal_commas and all(_DECIMAL_COMMA.match(v) for v in distinct) and any("," in v for v in distinct):
        return ColumnType(
            name, "numeric", _noted("decimal commas ('3,5' = 3.5)", text[junk]), markers=markers, decimal=","
        )
    date = _date_format(present)
    if date is not None:
        fmt, has_time = date
        return ColumnType(
            name,
            "date",
            _noted(
                f"dates '{fmt}' -> days since 1970, year, month, weekday" + (", hour" if has_time else ""), text[junk]
            ),
            markers=markers,
            date_format=fmt,
            has_time=has_time,
        )
    if free_text and n >= 20 and len(distinct) >= TEXT_SHARE * n_present:
        words = present.str.split().str.len()
        if float(words.median()) >= TEXT_WORDS:
            return ColumnType(
                name,
                "text",
                _noted(
                    f"free text: {len(distinct)} distinct texts, {int(words.median())} words each (median)", text[junk]
                ),
                markers=text_markers,
            )
    if len(distinct) >= ID_SHARE * n and n >= 20:
        return ColumnType(name, "dropped", f"id-like or free text: {len(distinct)} distinct values in {n} rows")
    return ColumnType(name, "categorical", _noted(None, text[junk]), markers=text_markers)


def _noted(note: str | None, junk: Any) -> str | None:
    """`note`, and the junk markers read as missing (`junk`: the cells holding them), counted."""
    if not len(junk):
        return note
    counts = junk.value_counts()
    said = "junk markers read as missing: " + ", ".join(f"{_short(k)!r} x{v}" for k, v in counts.head(5).items())
    return said if note is None else f"{note}; {said}"


def _short(text: Any, width: int = 40) -> str:
    """`text` cut to `width` characters for a note or a message (a cell may be very long)."""
    text = str(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def _looks_like_id(name: str, numbers: np.ndarray, n: int) -> bool:
    """Whole numbers, (almost) one per row, in a column named like an id (`id`, `customer_id`, `index`, a
    pandas index written without a name). A year or a count numbering the rows is kept: only the name tells."""
    if len(np.unique(numbers)) < ID_SHARE * n or n < 20:
        return False
    return bool(_ID_NAME.search(name)) or name == "" or name.startswith("Unnamed: ")


def _date_format(present: Any) -> tuple[str, bool] | None:
    """(format, has a time of day) if the values are dates in one of `DATE_FORMATS`, else None."""
    import pandas as pd

    sample = present.iloc[:2000]
    if not sample.str.contains(r"\d[-/.]\d", regex=True).all():
        return None
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
        if parsed.notna().mean() >= DATE_SHARE:
            if pd.to_datetime(present, format=fmt, errors="coerce").notna().mean() >= DATE_SHARE:
                return fmt, "%H" in fmt
    return None


def convert(column: ColumnType, values: Any, *, where: str = "the rows", first_line: int | None = None) -> np.ndarray:
    """Raw values -> what the run's model takes: float64 (NaN = missing) or text ("" = missing).

    Raises:
        ValueError: a value a numeric, boolean or date column cannot read, naming it and its line.
    """
    import pandas as pd

    if column.kind in ("categorical", "text"):
        text = _text(values)
        return text.where(~_missing(text, column.markers), "").to_numpy(dtype=object)
    series = pd.Series(values, copy=False)
    if column.kind == "date" and pd.api.types.is_datetime64_any_dtype(series):
        return _days(series)
    if column.kind == "numeric" and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64)
    text = _text(series)
    absent = _missing(text, column.markers)
    if column.kind == "numeric":
        out = _numbers(text, column.decimal).to_numpy(dtype=np.float64)
    elif column.kind == "boolean":
        mapping = {column.true.lower(): 1.0, column.false.lower(): 0.0, "1": 1.0, "0": 0.0, "true": 1.0, "false": 0.0}
        out = text.str.lower().map(mapping).to_numpy(dtype=np.float64)  # in any case, as training recognised it
    else:
        out = _days(pd.to_datetime(text, format=column.date_format, errors="coerce"))
    bad = np.isnan(out) & ~absent
    if bad.any():
        i = int(np.argmax(bad))
        place = f"line {first_line + i}" if first_line is not None else f"row {i}"
        expected = {
            "numeric": "numbers",
            "boolean": f"{column.true!r} or {column.false!r}",
            "date": f"dates like {column.date_format!r}",
        }[column.kind]
        raise UserError(
            f"Column {column.name!r} of {where} holds {str(text.iloc[i])[:40]!r} on {place}, but that "
            f"column is read as {expected}. Fix the value, or leave the cell empty (it is then imputed)."
        )
    out[absent] = np.nan
    return out


def nonfinite(values: Any) -> np.ndarray:
    """Where numbers are not finite in float32, the models' precision: infinite, or beyond +-`FLOAT32_MAX`
    (float32 reads them as infinite). NaN is a missing value, not flagged.

    Examples:
        >>> nonfinite([1.0, float("nan"), -float("inf"), 1e300, -3e38]).tolist()
        [False, False, True, True, False]
    """
    return np.abs(np.asarray(values, dtype=np.float64)) > FLOAT32_MAX  # NaN compares False


def nonfinite_problem(
    column: str, values: Any, lines: Any = None, *, where: str | None = None, counted: bool = True
) -> tuple[str, str] | None:
    """(what is wrong, how to fix it) when `values` hold a number `nonfinite` flags, else None.

    Every finiteness check of the package (training features and targets, in memory and streamed, and
    the rows to predict) says it in these words: the column, its first bad value's line, and how many
    rows hold one (`counted`). `lines` is each value's file line (an array), the first value's line (an
    int), or None to name rows from 0. The fix is to be completed by the caller: "..., or <how a cell
    is left missing there>".

    Examples:
        >>> nonfinite_problem("a", [1.0, float("inf"), 2.0], 2)[0]
        "Column 'a' is infinite in 1 row(s) (first on line 3)"
        >>> nonfinite_problem("a", [1e300], [7], where="new.csv", counted=False)[0]
        "Column 'a' of new.csv is beyond float32's range (|x| > 3.4e+38) on line 7 (1e+300)"
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    bad = nonfinite(values)
    if not bad.any():
        return None
    i = int(np.argmax(bad))
    line = lines[i] if isinstance(lines, (np.ndarray, list, tuple)) else None if lines is None else lines + i
    place = f"line {int(line)}" if line is not None else f"row {i}"
    named = f"Column {column!r}" + (f" of {where}" if where else "")
    if np.isinf(values[i]):
        what, value, fix = "is infinite", None, "replace those values"
    else:
        what, value = f"is beyond float32's range (|x| > {FLOAT32_MAX:.1e})", f"{values[i]:.4g}"
        fix = "rescale the column (e.g. to other units) or replace those values"
    if counted:
        at = f"in {int(bad.sum())} row(s) (first on {place}" + (f": {value})" if value else ")")
    else:
        at = f"on {place}" + (f" ({value})" if value else "")
    return f"{named} {what} {at}", fix


def _days(times: Any) -> np.ndarray:
    """Days since 1970-01-01 (with the time of day as a fraction), NaN where missing."""
    values = times.to_numpy(dtype="datetime64[ns]")
    days = (values - _EPOCH).astype("timedelta64[ns]").astype(np.float64) / 86_400e9
    days[np.isnat(values)] = np.nan
    return days


def describe(types: Iterable[ColumnType]) -> str:
    """The decisions worth saying, as one short table (plain numeric and categorical columns counted).

    Examples:
        >>> print(describe([ColumnType("age", "numeric"), ColumnType("id", "dropped", "id-like")]))
        columns: 1 numeric and 0 categorical as read, and:
          id  dropped      id-like
    """
    types = list(types)
    noted = [t for t in types if t.note]
    plain = {kind: sum(1 for t in types if not t.note and t.kind == kind) for kind in ("numeric", "categorical")}
    lines = [
        f"columns: {plain['numeric']} numeric and {plain['categorical']} categorical as read"
        + (", and:" if noted else "")
    ]
    width = max((len(t.name) for t in noted), default=0)
    lines += [f"  {t.name:<{width}}  {t.kind:<11}  {t.note}" for t in noted]
    return "\n".join(lines)
