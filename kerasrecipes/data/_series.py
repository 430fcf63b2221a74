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
    return _dataset.Dataset(
        name=dataset.name,
        X=X,
        y=dataset.y,
        feature_names=channel_names,
        target_name=dataset.target_name,
        numeric_columns=channel_names,
        source={**dataset.source, "sequence": {"channels": list(channels) if channels else None, "columns": groups}},
        task=dataset.task,
    )
