"""Series in a table: each row's numeric feature columns, in header order, are one series (`as_sequences`).

A CSV file of sensor readings or daily values often holds one series per row: `t0, t1, ..., t99, label`.
`as_sequences` turns such a table into sequences of shape (rows, timesteps, channels) for the RNN rows: with
no `channels`, every feature column is one timestep of one channel; with `channels=["temp", "humidity"]`,
each channel's columns are those whose name starts with it, in header order, and every channel has the
same number. The run keeps the column layout (`series_columns` of its preprocessing spec), so `predict`
reads new CSV rows the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.data import _dataset
from kerasrecipes.errors import UserError

VALUE = "value"
"""The channel name of a single-channel series."""


def series_columns(columns: Sequence[str], channels: Sequence[str] | None) -> list[list[str]]:
    """The columns of each channel, in header order: every column one step of `value`, or by channel prefix."""
    columns = list(columns)
    if not channels:
        return [columns]
    if isinstance(channels, str) or not all(isinstance(c, str) and c for c in channels):
        raise UserError(_validation.invalid("channels", "a list of column-name prefixes", channels))
    groups = []
    for channel in channels:
        mine = [c for c in columns if c.startswith(channel)]
        if not mine:
            raise UserError(
                _validation.invalid(
                    "channels",
                    "prefixes that start some feature columns' names",
                    list(channels),
                    fix=f"No column starts with {channel!r}; the feature columns are {', '.join(columns[:8])}",
                )
            )
        groups.append(mine)
    taken = [c for group in groups for c in group]
    if len(set(taken)) != len(taken):
        twice = next(c for c in taken if taken.count(c) > 1)
        raise UserError(
            _validation.invalid(
                "channels", "prefixes that each column matches once", list(channels), fix=f"{twice!r} matches two"
            )
        )
    left = [c for c in columns if c not in set(taken)]
    if left:
        raise UserError(
            _validation.invalid(
                "channels",
                "prefixes that cover every feature column",
                list(channels),
                fix=f"{left[0]!r}{f' and {len(left) - 1} more' if len(left) > 1 else ''} belong(s) to no channel; "
                "add their prefix, or leave them out with --drop",
            )
        )
    lengths = {channel: len(group) for channel, group in zip(channels, groups)}
    if len(set(lengths.values())) > 1:
        raise UserError(
            _validation.invalid(
                "channels",
                "channels with the same number of columns (one per timestep)",
                list(channels),
                fix=f"their column counts are {lengths}",
            )
        )
    return groups


def as_sequences(dataset: _dataset.Dataset, channels: Sequence[str] | None = None) -> _dataset.Dataset:
    """A table whose rows are series -> a `Dataset` of sequences (rows, timesteps, channels) for the RNN rows.

    Args:
        dataset: a table from `load_csv` or `from_frame`: its feature columns are the series' values.
        channels: column-name prefixes, one per channel (e.g. `["temp", "humidity"]` for columns
            `temp_0, ..., humidity_0, ...`). Defaults to `None`: one channel, every feature column in
            header order.

    Returns:
        A `Dataset` with `X` of shape (rows, timesteps, channels), its `feature_names` the channel
        names, and `source["sequence"]` the layout (which `reproduce` and `predict` use again).

    Raises:
        ValueError: a feature column that is not numeric, channels that do not cover the columns or
            differ in length, or fewer than 2 timesteps.

    Examples:
        >>> import pandas as pd
        >>> from kerasrecipes.data import from_frame
        >>> frame = pd.DataFrame({f"t{i}": [float(i + r) for r in range(12)] for i in range(5)})
        >>> frame["up"] = [0, 1] * 6
        >>> as_sequences(from_frame(frame, "up")).X.shape
        (12, 5, 1)
    """
    if not hasattr(dataset.X, "columns"):
        raise UserError(_validation.invalid("dataset", "a table (from load_csv or from_frame)", dataset.layout))
    names = list(dataset.X.columns)
    text = [n for n in names if n not in dataset.numeric_columns]
    if text:
        raise UserError(
            f"A series' values are numbers, and column {text[0]!r} is text. Leave it out with --drop {text[0]} "
            "(drop=[...]), or train without --sequence."
        )
    kinds = {t.name: t.kind for t in dataset.column_types}
    other = [n for n in names if kinds.get(n, "numeric") != "numeric"]
    if other:
        raise UserError(
            f"A series' values are numbers, and column {other[0]!r} was read as {kinds[other[0]]}. Leave it out "
            f"with --drop {other[0]}, or train without --sequence."
        )
    groups = series_columns(names, channels)
    if len(groups[0]) < 2:
        raise UserError(
            _validation.invalid(
                "sequence", "at least 2 timesteps (feature columns per channel)", f"{len(groups[0])} column(s)"
            )
        )
    X = np.stack([dataset.X[group].to_numpy(dtype=np.float64) for group in groups], axis=-1)
    channel_names = tuple(channels) if channels else (VALUE,)
    types = {t.name: t.to_dict() for t in dataset.column_types if t.name in set(names)}
    return _dataset.Dataset(
        name=dataset.name,
        X=X,
        y=dataset.y,
        feature_names=channel_names,
        target_name=dataset.target_name,
        numeric_columns=channel_names,
        source={
            **dataset.source,
            "sequence": {
                "channels": list(channels) if channels else None,
                "columns": groups,
                **({"types": types} if types else {}),  # predict reads new rows' cells as training did
            },
        },
        task=dataset.task,
    )


def as_forecast(dataset: _dataset.Dataset, *, time: str, window: int, horizon: int = 1) -> _dataset.Dataset:
    """A long series in a table -> windows for forecasting: the last `window` steps in, the next `horizon` out.

    The rows are ordered by the `time` column; the target column (the one `load_csv` was given) is the
    series to forecast, and every other numeric feature column is a further input channel (its values
    over the same window). Sample `i` is rows `i .. i+window-1` as input and the target's rows
    `i+window .. i+window+horizon-1` as output (a regression with `horizon` outputs), held in `y` as the
    change from the window's last value: a network then learns what the naive forecast (the last value,
    held) misses, and a trend beyond the training range does not push it out of the values it has seen.
    The run's saved model adds the last value back, so it answers in the series' own units.
    `prepare` splits such data by time (train, then validation, then test; never shuffled), and leaves
    out the `horizon - 1` samples at each boundary whose targets would reach into the next split.

    Args:
        dataset: a table from `load_csv` or `from_frame`, one row per time step.
        time: the column that orders the rows (dates or numbers); it is not an input.
        window: steps the model sees, at least 2.
        horizon: steps it forecasts, at least 1. Defaults to 1.

    Returns:
        A `Dataset` of sequences (samples, window, channels), its first channel the target, with
        `source["forecast"]` the layout (which `reproduce` and `predict` use again).

    Raises:
        ValueError: a missing or duplicated time, a gap in the series (a step more than 1.5 times the
            usual one), a missing value, a text column, or a window and horizon longer than the series.

    Examples:
        >>> import pandas as pd
        >>> from kerasrecipes.data import from_frame
        >>> frame = pd.DataFrame({"day": range(40), "sales": [float(i % 7) for i in range(40)]})
        >>> ds = as_forecast(from_frame(frame, "sales"), time="day", window=7, horizon=2)
        >>> ds.X.shape, ds.y.shape
        ((32, 7, 1), (32, 2))
    """
    if not hasattr(dataset.X, "columns"):
        raise UserError(_validation.invalid("dataset", "a table (from load_csv or from_frame)", dataset.layout))
    _validation.check("window", window, _validation.Interval("integer", 2))
    _validation.check("horizon", horizon, _validation.Interval("integer", 1))
    if dataset.y.ndim != 1 or dataset.y.dtype.kind not in "iuf":
        raise UserError(
            _validation.invalid("target", "the numeric column to forecast", dataset.target_name, fix="name it")
        )
    names = list(dataset.X.columns)
    if time in dataset.source.get("dropped_columns", ()):
        raise UserError(
            f"The time column {time!r} was left out when the file was read (its name reads as an id); rename it, "
            "e.g. to 'step', and pass --time with the new name."
        )
    if time not in names:
        raise UserError(_validation.unknown_name("time column", time, names) + " (--time names the column of times).")
    others = [n for n in names if n != time]
    text = [n for n in others if n not in dataset.numeric_columns]
    if text:
        raise UserError(
            f"A forecast's inputs are numbers, and column {text[0]!r} is text. Leave it out with --drop {text[0]}."
        )
    times = dataset.X[time].to_numpy(dtype=np.float64)
    if np.isnan(times).any():
        raise UserError(
            f"The time column {time!r} has {int(np.isnan(times).sum())} empty cell(s); every row needs one."
        )
    order = np.argsort(times, kind="stable")
    times = times[order]
    steps = np.diff(times)
    if (steps == 0).any():
        raise UserError(
            f"The time column {time!r} repeats a time ({_shown(dataset, time, order[int(np.argmin(steps))])}); "
            "a series has one row per time. Aggregate the duplicates first."
        )
    usual = float(np.median(steps)) if len(steps) else 0.0
    if len(steps) and steps.max() > 1.5 * usual:
        at = int(np.argmax(steps > 1.5 * usual))
        raise UserError(
            f"The series has a gap after {_shown(dataset, time, order[at])}: a step of {steps[at]:g} where the "
            f"usual step is {usual:g}. Fill the missing rows (or forecast each stretch on its own)."
        )
    series = np.column_stack([dataset.y.astype(np.float64), *(dataset.X[c].to_numpy(np.float64) for c in others)])
    series = series[order]
    if np.isnan(series).any():
        row, column = np.argwhere(np.isnan(series))[0]
        name = ([dataset.target_name, *others])[column]
        raise UserError(
            f"The series has an empty {name!r} at {_shown(dataset, time, order[row])}; a forecast's window has no "
            "holes. Fill it (e.g. with the previous value)."
        )
    n = len(series) - window - horizon + 1
    if n < _dataset.MIN_ROWS:
        raise UserError(
            _validation.invalid(
                "window and horizon",
                f"short enough to leave at least {_dataset.MIN_ROWS} windows in the series",
                (window, horizon),
                fix=f"The series has {len(series)} steps; --window plus --horizon must be at most "
                f"{len(series) - _dataset.MIN_ROWS + 1}",
            )
        )
    from numpy.lib.stride_tricks import sliding_window_view

    X = sliding_window_view(series, window, axis=0)[:n].transpose(0, 2, 1).copy()
    y = sliding_window_view(series[:, 0], horizon)[window : window + n] - X[:, -1:, 0]  # change from the last
    channels = (dataset.target_name, *others)
    types = {t.name: t.to_dict() for t in dataset.column_types if t.name in {time, *others}}
    return _dataset.Dataset(
        name=dataset.name,
        X=X,
        y=y,
        feature_names=channels,
        target_name=dataset.target_name,
        numeric_columns=channels,
        source={
            **dataset.source,
            "forecast": {
                "time": time,
                "window": window,
                "horizon": horizon,
                "channels": list(channels),
                "step": usual,  # the series' usual time step: predict dates the steps ahead
                **({"types": types} if types else {}),
            },
        },
        task="regression",
    )


def _shown(dataset: _dataset.Dataset, time: str, row: int) -> str:
    """How a row of the table is named in a message: its time as the file has it, if known."""
    kinds = {t.name: t.kind for t in dataset.column_types}
    value = dataset.X[time].iloc[int(row)]
    if kinds.get(time) == "date":
        return f"{time} {np.datetime64(int(round(value * 86400)), 's').astype('datetime64[D]')}"
    return f"{time} {value:g}"
