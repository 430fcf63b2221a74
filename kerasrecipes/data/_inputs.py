"""New raw rows, checked against a run's input schema and turned into its saved model's inputs.

The schema is the preprocessing spec a run recorded (`data._feature_spec`): the raw columns with
their kinds and, for categorical columns, the categories seen in training. `model_inputs` applies the
rules of prediction on new data:

- a column the run was trained on is missing: an error naming it (and the columns it expects);
- extra columns are ignored, with one warning for all of them;
- categories not seen in training go to the "other" bucket (or all zeros without one), counted in
  one warning per call; a free-text column's words outside its vocabulary are its unknown token;
- missing values (NaN, None, empty text) are imputed as in training, by the saved model itself;
- each column is read as training read it (`data._column_types.convert`: junk markers, decimal commas,
  booleans, dates), and text a numeric, boolean or date column cannot read is an error naming the
  column, the value and its line (or row);
- a number that is not finite in float32 (infinite, or beyond +-3.4e38) is an error naming the
  column and its line (or row), as in training (`data._column_types.nonfinite_problem`);
- columns the run dropped (identifiers) are ignored without a warning.

Warnings are collected in a `Notes` object (a streaming prediction adds every chunk's notes and warns
once at the end) and issued by `Notes.warn` as `DataWarning`s.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from kerasrecipes.data import _column_types
from kerasrecipes.data._csv import DataWarning
from kerasrecipes.data._feature_spec import MISSING_TEXT
from kerasrecipes.errors import UserError


@dataclasses.dataclass
class Notes:
    """What `model_inputs` noticed in the rows (added up over the chunks of a large file)."""

    rows: int = 0
    extra_columns: list[str] = dataclasses.field(default_factory=list)
    unseen: dict[str, int] = dataclasses.field(default_factory=dict)  # column -> rows with an unseen category
    unseen_examples: dict[str, str] = dataclasses.field(default_factory=dict)
    missing: dict[str, int] = dataclasses.field(default_factory=dict)  # column -> missing values (imputed)

    def add(self, other: Notes) -> None:
        self.rows += other.rows
        self.extra_columns = self.extra_columns or other.extra_columns
        for name in other.unseen:
            self.unseen[name] = self.unseen.get(name, 0) + other.unseen[name]
            self.unseen_examples.setdefault(name, other.unseen_examples[name])
        for name, n in other.missing.items():
            self.missing[name] = self.missing.get(name, 0) + n

    def warn(self, where: str = "the rows", stacklevel: int = 3) -> None:
        """One warning for the extra columns and one for the unseen categories, if any."""
        if self.extra_columns:
            shown = ", ".join(repr(c) for c in self.extra_columns[:8]) + (" ..." if len(self.extra_columns) > 8 else "")
            warnings.warn(
                f"Ignoring {len(self.extra_columns)} column(s) of {where} that the run was not trained on: {shown}.",
                DataWarning,
                stacklevel=stacklevel,
            )
        if self.unseen:
            shown = "; ".join(f"{name!r}: {n} (e.g. {self.unseen_examples[name]!r})" for name, n in self.unseen.items())
            warnings.warn(
                f"{sum(self.unseen.values())} value(s) in {where} are categories the run never saw in "
                f"training; they go to the out-of-vocabulary bucket. By column: {shown}.",
                DataWarning,
                stacklevel=stacklevel,
            )


def _columns_of(spec: dict[str, Any], rows: Any) -> tuple[dict[str, Any], list[str], int]:
    """(values by column name, extra column names, row count) from a frame, a dict or a 2-D array."""
    names = [c["name"] for c in spec["columns"]]
    if hasattr(rows, "columns"):  # a pandas.DataFrame
        columns = {str(c): rows[c].to_numpy() for c in rows.columns}
        n = len(rows)
    elif isinstance(rows, Mapping):
        columns = {str(k): np.atleast_1d(np.asarray(v, dtype=object if _is_text(v) else None)) for k, v in rows.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise UserError(
                f"The columns of the rows have different lengths ({sorted(lengths)}); give one value "
                "per row in every column."
            )
        n = lengths.pop() if lengths else 0
    else:
        array = np.asarray(rows, dtype=object)
        if array.ndim == 1 and len(names) > 1 and len(array) == len(names):
            array = array[None, :]  # one row given as a flat list
        if array.ndim != 2 or array.shape[1] != len(names):
            raise UserError(
                f"The rows must be a table with the run's {len(names)} columns ({', '.join(names[:8])}"
                f"{', ...' if len(names) > 8 else ''}) in that order. Received an array of shape "
                f"{array.shape}; pass a pandas.DataFrame or a dict by column name instead."
            )
        columns, n = {name: array[:, j] for j, name in enumerate(names)}, len(array)
    extra = [c for c in columns if c not in names]
    return columns, extra, n


def _is_text(value: Any) -> bool:
    first = value if isinstance(value, str) else next(iter(value), None) if hasattr(value, "__iter__") else value
    return isinstance(first, str)


def column_type(spec: Mapping[str, Any], column: Mapping[str, Any]) -> _column_types.ColumnType:
    """How a spec column reads raw values: its recorded type, or plain numbers / text (arrays)."""
    recorded = spec.get("types", {}).get(column["name"])
    return (
        _column_types.ColumnType.from_dict(recorded)
        if recorded
        else _column_types.ColumnType(column["name"], column["kind"])
    )


def model_inputs(
    spec: dict[str, Any], rows: Any, *, where: str = "the rows", first_line: int | None = None
) -> tuple[Any, Notes]:
    """Raw rows -> the saved model's inputs (a dict by input name, or an array), and what was noticed.

    Args:
        spec: the run's preprocessing spec (`manifest["data"]["preprocessing"]`).
        rows: a `pandas.DataFrame`, a dict by column name (scalars for one row, or sequences), or a
            2-D array with the run's columns in order; images or sequences for a channel spec.
        where: how errors name the rows, e.g. "new.csv". Defaults to "the rows".
        first_line: the file line of the first row, to name lines in errors (None: name rows).

    Returns:
        (inputs, `Notes`).

    Raises:
        ValueError: a missing column, text in a numeric column, a number not finite in float32, or rows
            of the wrong shape.
    """
    if spec["kind"] == "channels" and "forecast" in spec and not hasattr(rows, "dtype"):
        return _forecast_inputs(spec, rows, where)
    if spec["kind"] == "channels" and "series_columns" in spec and not hasattr(rows, "dtype"):
        return _series_inputs(spec, rows, where, first_line)
    if spec["kind"] == "channels":
        return _channel_inputs(spec, rows, where), Notes(rows=len(np.atleast_1d(rows)))
    columns, extra, n = _columns_of(spec, rows)
    missing_columns = [c["name"] for c in spec["columns"] if c["name"] not in columns]
    if missing_columns:
        expected = ", ".join(repr(c["name"]) for c in spec["columns"])
        raise UserError(
            f"{where}: missing column(s) {', '.join(map(repr, missing_columns))} that the run was "
            f"trained on. Add them (empty values are imputed); the run's columns are {expected}."
        )
    dropped = set(spec.get("dropped", ()))
    notes, inputs = Notes(rows=n, extra_columns=[c for c in extra if c not in dropped]), {}
    vocabularies = {c["column"]: [*c["vocabulary"], *c.get("grouped", ())] for c in spec["categorical"]}
    for column in spec["columns"]:
        name = column["name"]
        values = _column_types.convert(column_type(spec, column), columns[name], where=where, first_line=first_line)
        if column["kind"] == "numeric":
            problem = _column_types.nonfinite_problem(name, values, first_line, where=where, counted=False)
            if problem:  # training refuses them too (float32 would read a huge number as infinite)
                raise UserError(
                    f"{problem[0]}; the run was trained on finite numbers. {problem[1].capitalize()}, "
                    "or leave the cell empty (it is then imputed)."
                )
            notes.missing[name] = int(np.isnan(values).sum())
            inputs[column["input"]] = values.astype(np.float32)
        elif column["kind"] == "text":  # words outside the vocabulary are the model's unknown token
            notes.missing[name] = int((values == MISSING_TEXT).sum())
            inputs[column["input"]] = values
        else:
            absent = values == MISSING_TEXT
            unseen = ~absent & ~np.isin(values, vocabularies[name])
            if unseen.any():
                notes.unseen[name] = int(unseen.sum())
                notes.unseen_examples[name] = _column_types._short(values[int(np.argmax(unseen))])  # a cell may be long
            notes.missing[name] = int(absent.sum())
            inputs[column["input"]] = values
    return inputs, notes


def _series_inputs(spec: dict[str, Any], rows: Any, where: str, first_line: int | None) -> tuple[np.ndarray, Notes]:
    """Table rows whose columns are a series' steps (`data.as_sequences`) -> (rows, timesteps, channels)."""
    import pandas as pd

    frame = pd.DataFrame([rows]) if isinstance(rows, dict) and not _listlike(rows) else pd.DataFrame(rows)
    wanted = [c for group in spec["series_columns"] for c in group]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise UserError(
            f"{where}: missing column(s) {', '.join(map(repr, missing[:5]))} of the run's series (its columns, "
            f"in order: {', '.join(wanted[:3])}, ..., {wanted[-1]}). Give every step of the series."
        )
    values = []
    for group in spec["series_columns"]:
        if spec.get("types"):  # read as training read the columns (junk markers, decimal commas)
            columns = [
                _column_types.convert(
                    column_type(spec, {"name": c, "kind": "numeric"}), frame[c], where=where, first_line=first_line
                )
                for c in group
            ]
            values.append(np.column_stack(columns))
            continue
        part = frame[group].apply(pd.to_numeric, errors="coerce")
        cells = frame[group].astype(str).apply(lambda column: column.str.strip())
        text = part.isna() & frame[group].notna() & (cells != "")
        if text.to_numpy().any():
            row, column = np.argwhere(text.to_numpy())[0]
            at = f"line {first_line + row}" if first_line is not None else f"row {row}"
            raise UserError(
                f"{where}: {group[column]!r} holds {frame[group].iloc[row, column]!r} at {at}; a series' steps "
                "are numbers."
            )
        values.append(part.to_numpy(dtype=np.float64))
    array = np.stack(values, axis=-1)
    extra = [c for c in frame.columns if c not in set(wanted)]
    return _channel_inputs(spec, array, where), Notes(rows=len(array), extra_columns=extra)


def _forecast_inputs(spec: dict[str, Any], rows: Any, where: str) -> tuple[np.ndarray, Notes]:
    """The latest rows of a series (a table with the time and every channel) -> the one window that ends at its
    last time, which the model continues."""
    import pandas as pd

    shape = spec["forecast"]
    frame = pd.DataFrame(rows)
    wanted = [shape["time"], *shape["channels"]]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise UserError(
            f"{where}: missing column(s) {', '.join(map(repr, missing))}; a forecast continues the series from its "
            f"latest rows, with the columns {', '.join(map(repr, wanted))}."
        )
    if len(frame) < shape["window"]:
        raise UserError(
            f"{where} has {len(frame)} row(s); the run forecasts from the last {shape['window']} steps of the series. "
            "Give at least that many of its latest rows."
        )
    times = _forecast_times(shape, frame, where)
    latest = frame.iloc[np.argsort(times, kind="stable")[-shape["window"] :]]
    values = np.column_stack([_typed(shape, c, latest[c], where) for c in shape["channels"]])
    if np.isnan(values).any():
        raise UserError(
            f"{where}: the last {shape['window']} rows have empty or non-numeric values; a forecast's window has no "
            "holes. Fill them (e.g. with the previous value)."
        )
    extra = [c for c in frame.columns if c not in set(wanted)]
    return _channel_inputs(spec, values[None], where), Notes(rows=1, extra_columns=extra)


def _typed(shape: dict[str, Any], name: str, values: Any, where: str) -> np.ndarray:
    """A forecast's column read as training read it (its recorded type; plain numbers for older runs)."""
    import pandas as pd

    recorded = shape.get("types", {}).get(name)
    if recorded is None:
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    return _column_types.convert(_column_types.ColumnType.from_dict(recorded), values, where=where)


def _forecast_times(shape: dict[str, Any], frame: Any, where: str) -> np.ndarray:
    """The rows' times as numbers (a date column as days since 1970-01-01), as training ordered them."""
    import pandas as pd

    if shape.get("types", {}).get(shape["time"]):
        times = _typed(shape, shape["time"], frame[shape["time"]], where)
    else:  # runs before the types were recorded
        times = pd.to_numeric(frame[shape["time"]], errors="coerce")
        if times.isna().any():
            times = pd.to_datetime(frame[shape["time"]], errors="coerce")
        times = times.to_numpy()
    if pd.isna(times).any():
        raise UserError(
            f"{where}: the time column {shape['time']!r} has empty or unreadable cells; every row needs one."
        )
    return times


def forecast_times(spec: dict[str, Any], rows: Any, where: str = "the rows") -> list[Any] | None:
    """The times of the steps a forecast predicts from `rows`: the latest time plus 1, 2, ... usual steps, as the
    time column writes them (a date as YYYY-MM-DD, with the time of day where the column has one); None when the
    run did not record its series' usual step."""
    import pandas as pd

    shape = spec["forecast"]
    if "step" not in shape:
        return None
    last = float(np.max(_forecast_times(shape, pd.DataFrame(rows), where)))
    ahead = [last + k * shape["step"] for k in range(1, shape["horizon"] + 1)]
    recorded = shape.get("types", {}).get(shape["time"]) or {}
    if recorded.get("kind") != "date":
        return [float(t) if not float(t).is_integer() else int(t) for t in ahead]
    unit = "s" if recorded.get("has_time") else "D"
    return [
        str(np.datetime64(int(round(t * 86400)), "s").astype(f"datetime64[{unit}]")).replace("T", " ") for t in ahead
    ]


def _listlike(rows: dict) -> bool:
    return any(isinstance(v, (list, tuple, np.ndarray)) for v in rows.values())


def _channel_inputs(spec: dict[str, Any], rows: Any, where: str) -> np.ndarray:
    shape = tuple(spec["shape"])
    kind = getattr(rows, "dtype", np.asarray(rows).dtype).kind
    if kind not in "biuf":  # strings, objects, complex: numpy would raise its own error, or drop the imaginary part
        raise UserError(
            f"{where} must hold numbers (the run's {'images' if len(shape) == 3 else 'sequences'}); it "
            f"holds {np.asarray(rows).dtype} values. Save a numeric array, e.g. numpy.save(path, "
            "images.astype('float32'))."
        )
    with np.errstate(over="ignore"):  # a number beyond float32's range becomes infinite: refused below
        array = np.asarray(rows, dtype=np.float32)
    if array.shape == shape:
        array = array[None]  # one image or sequence
    if array.shape[1:] != shape:
        raise UserError(
            f"{where} must be an array of shape (n, {', '.join(map(str, shape))}) (the run's "
            f"{'images' if len(shape) == 3 else 'sequences'}). Received shape {np.shape(rows)}."
        )
    if not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).reshape(len(array), -1).any(axis=1).sum())
        raise UserError(
            f"{where} holds NaN, infinite or beyond-float32 (|x| > 3.4e+38) values in {bad} "
            "sample(s); images and sequences are not imputed. Fix or drop those samples."
        )
    return array
