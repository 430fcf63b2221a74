"""What preprocessing learns from the training rows, as plain JSON: the one representation of every road.

A *preprocessing spec* is a dict of constants fitted on the training split only, whether the rows are
in memory (`fit_tabular`, `fit_channels`, from NumPy/pandas) or streamed (`streaming._scan`, from
running totals). `kerasrecipes.data._feature_layers` turns a spec into Keras layers: they compute the features
training sees (the fast road runs them once over each split) and they are the first layers of the
run's end-to-end `model.keras`, so what training saw is what the saved model computes. The spec is
also the layer's config and the manifest's `preprocessing` record, so it is plain JSON throughout.

Tabular spec::

    {"kind": "tabular",
     "columns": [{"name": "age", "input": "age", "kind": "numeric"}, ...],   # raw inputs, in order
     "types": {"age": {"name": "age", "kind": "numeric"}, ...},             # how raw text is read (_typing)
     "dropped": ["customer_id", ...],                                      # columns typing left out
     "numeric": {"columns": [...], "parts": [[column, date part or null], ...],  # features
                 "fill": [...], "indicators": [...],                        # imputation
                 "center": [...], "scale": [...], "clip": false},           # scaling of features + indicators
     "categorical": [{"column": "color", "vocabulary": [...], "other": true}, ...],
     "text": [{"column": "review", "mode": "sequence", "vocabulary": [...], "length": 120, "ngrams": 1}]}  # data._text

Features, in order: the numeric columns (missing values filled; a date column, read as days since
1970-01-01, gives its `DATE_PARTS`), one missing indicator per numeric feature with missing
training values, then per categorical column one-hot over its vocabulary (sorted; at most
`MAX_ONE_HOT` categories, the rarer ones in "other")
preceded by an "other" column when training rows fell outside the vocabulary (missing values), where
unseen categories go too; without it an unseen category encodes as all zeros. Numeric columns and
indicators are scaled: (x - center) / scale, and then smoothly clipped (`smooth_clip`) where the spec has
`"clip": true` (`scaling="robust"`; specs without the key do not clip). Free-text columns come last
(`data._text`): their token ids, or their multi-hot n-grams; specs without the "text" key have none.

Channel spec (images, sequences): `{"kind": "channels", "shape": [...], "center": [c...], "scale": [c...]}`
(and `"clip": true` with `scaling="robust"`).
Target spec: `{"task": "regression", "mean": m, "std": s}` (lists for a 2-D target) or `{"task": "binary"|"multiclass", "classes": [...]}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kerasrecipes._io import plain

SCALINGS = ("standard", "minmax", "none", "robust")
CLIP_SCALINGS = ("robust",)
"""Scalings followed by smooth clipping, x / sqrt(1 + (x / 3)^2) (RealMLP, Holzmueller et al. 2024)."""
IMPUTATIONS = ("median", "mean", "most_frequent", "drop")
MISSING_TEXT = ""
"""How a missing categorical value reaches the layers (CSV's empty cell); it falls in the "other" column."""


def input_names(columns: Sequence[str]) -> list[str]:
    """Safe, unique Keras/SavedModel input names for raw column names (`^[A-Za-z][A-Za-z0-9_]*$`).

    Examples:
        >>> input_names(["unit price ($)", "1st", "unit-price"])
        ['unit_price', 'c_1st', 'unit_price_2']
    """
    taken: set[str] = set()
    out = []
    for column in columns:
        base = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", str(column))).strip("_") or "column"
        if not base[0].isalpha():
            base = f"c_{base}"
        name, k = base, 2
        while name.lower() in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name.lower())
        out.append(name)
    return out


def scaling_constants(values: np.ndarray, scaling: str) -> tuple[np.ndarray, np.ndarray]:
    """(center, scale) per column of a 2-D float64 array without missing values; a constant column scales by 1."""
    if scaling == "standard":
        center, scale = values.mean(axis=0), values.std(axis=0)
    elif scaling == "minmax":
        center, scale = values.min(axis=0), values.max(axis=0) - values.min(axis=0)
    elif scaling == "robust":  # RealMLP's: median and interquartile range, half the range where that is 0
        low, center, high = np.quantile(values, [0.25, 0.5, 0.75], axis=0) if len(values) else np.zeros((3, 0))
        spread = (values.max(axis=0) - values.min(axis=0)) / 2.0 if len(values) else np.zeros(0)
        scale = np.where(high - low > 0, high - low, spread)
    else:
        center, scale = np.zeros(values.shape[1]), np.ones(values.shape[1])
    return center, np.where(scale > 0, scale, 1.0)


def smooth_clip(x: Any, xp: Any = np) -> Any:
    """RealMLP's smooth clipping of scaled features to (-3, 3): x / sqrt(1 + (x / 3)^2); `xp` is numpy or keras.ops."""
    return x / xp.sqrt(1.0 + (x / 3.0) ** 2)


def _fill_value(column: np.ndarray, imputation: str) -> float:
    present = column[~np.isnan(column)]
    if not len(present):
        return 0.0
    if imputation == "median":
        return float(np.median(present))
    if imputation == "most_frequent":  # the smallest of the most frequent values, like scikit-learn
        values, counts = np.unique(present, return_counts=True)
        return float(values[np.argmax(counts)])
    return float(present.mean())  # "mean", and "drop" (rows were dropped; new rows still need a value)


DATE_PARTS = ("days", "year", "month", "weekday")
"""The numeric features of a date column (plus "hour" when it has times): days since 1970-01-01 and
the calendar's year, month (1-12) and weekday (Monday 0)."""
MAX_ONE_HOT = 32
"""Most categories of one column that get a one-hot column each; the rarer ones share "other"."""
MAX_GROUPED = 10_000
"""Most grouped ("other") categories a spec lists by name (to tell them from unseen ones in new rows)."""


def date_parts(column_type: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The derived features of a column's type: the date parts, or none for a plain column."""
    if not column_type or column_type.get("kind") != "date":
        return ()
    return DATE_PARTS + (("hour",) if column_type.get("has_time") else ())


def civil(days: Any, xp: Any) -> tuple[Any, Any]:
    """(year, month) of days since 1970-01-01 in the proleptic Gregorian calendar (Hinnant's `civil_from_days`).

    `xp` is `numpy` or `keras.ops`: the layers compute exactly these float operations in float32.
    """
    z = xp.floor(days) + 719468.0
    era = xp.floor(z / 146097.0)
    doe = z - era * 146097.0
    yoe = xp.floor((doe - xp.floor(doe / 1460.0) + xp.floor(doe / 36524.0) - xp.floor(doe / 146096.0)) / 365.0)
    doy = doe - (365.0 * yoe + xp.floor(yoe / 4.0) - xp.floor(yoe / 100.0))
    mp = xp.floor((5.0 * doy + 2.0) / 153.0)
    month = xp.where(mp < 10.0, mp + 3.0, mp - 9.0)
    return yoe + era * 400.0 + xp.where(month <= 2.0, 1.0, 0.0), month


def derive(days: Any, part: str | None, xp: Any = np) -> Any:
    """One derived feature of a date column given as days since 1970-01-01 (`part` None: the value itself)."""
    if part in (None, "days"):
        return days
    if part == "weekday":
        return xp.mod(xp.floor(days) + 3.0, 7.0)
    if part == "hour":
        return (days - xp.floor(days)) * 24.0
    year, month = civil(days, xp)
    return year if part == "year" else month


def date_features(numeric: Sequence[str], types: Mapping[str, dict]) -> list[tuple[str, str | None]]:
    """(column, part) of every numeric feature: a plain column is one feature, a date column its parts."""
    return [(c, part) for c in numeric for part in (date_parts(types.get(c)) or (None,))]


def vocabulary(counts: Mapping[str, int]) -> tuple[list[str], list[str], str | None]:
    """(one-hot categories, categories grouped into "other", a note) from training counts.

    Up to `MAX_ONE_HOT` categories each get a column; a column with more keeps its `MAX_ONE_HOT` most
    frequent (seen at least twice) and groups the rest as "other", so high cardinality stays narrow.
    The grouped categories are kept (up to `MAX_GROUPED`) so that new rows tell them from unseen ones.
    """
    if len(counts) <= MAX_ONE_HOT:
        return sorted(counts), [], None
    ranked = sorted(counts, key=lambda v: (-counts[v], v))
    kept = [v for v in ranked[:MAX_ONE_HOT] if counts[v] >= 2]
    grouped = sorted(set(counts) - set(kept))
    rest = sum(counts[v] for v in grouped)
    return (
        sorted(kept),
        grouped[:MAX_GROUPED],
        (
            f"{len(counts)} categories: the {len(kept)} most frequent one-hot, the other {len(grouped)} "
            f"({rest} training rows) in 'other'"
        ),
    )


def fit_tabular(
    frame: Any,
    numeric: Sequence[str],
    categorical: Sequence[str],
    *,
    scaling: str,
    imputation: str,
    types: Sequence[Any] = (),
    text: Sequence[str] = (),
    text_options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit a tabular spec on the training rows of a `pandas.DataFrame` (numeric float columns, text categories).

    Args:
        frame: the training rows; numeric columns as floats (NaN = missing), categorical columns as
            text (NaN, None or "" = missing).
        numeric: names of the numeric columns (dates as days since 1970-01-01, booleans as 1/0).
        categorical: names of the categorical columns.
        scaling: "standard", "minmax", "none" or "robust" (median and interquartile range, then smooth clipping).
        imputation: "median", "mean", "most_frequent" (numeric fill value) or "drop".
        types: the columns' `data._column_types.ColumnType`s (from `load_csv`), if any; a date column
            becomes its `DATE_PARTS`. Defaults to `()`.
        text: names of the free-text columns (text, "" or None = missing). Defaults to `()`.
        text_options: how text is read: `mode`, `max_tokens`, `length` and `ngrams` of
            `data._text.fit_text`. Defaults to `None` (needed when `text` is given).

    Returns:
        The spec (see the module docstring).

    Examples:
        >>> import pandas as pd
        >>> spec = fit_tabular(pd.DataFrame({"a": [1.0, None, 3.0], "c": ["x", "y", None]}), ["a"], ["c"],
        ...                    scaling="none", imputation="mean")
        >>> spec["numeric"]["fill"], spec["numeric"]["indicators"], spec["categorical"][0]
        ([2.0], ['a'], {'column': 'c', 'vocabulary': ['x', 'y'], 'other': True})
    """
    typed = {t.name: t.to_dict() for t in types}
    parts = date_features(numeric, typed)
    values = (
        np.stack([derive(frame[c].to_numpy(dtype=np.float64), part) for c, part in parts], axis=1)
        if parts
        else np.zeros((len(frame), 0))
    )
    fill = np.array([_fill_value(values[:, j], imputation) for j in range(values.shape[1])])
    missing = np.isnan(values)
    with_missing = missing.any(axis=0) & (imputation != "drop")
    filled = np.where(missing, fill, values)
    block = np.concatenate([filled, missing[:, with_missing].astype(np.float64)], axis=1)
    center, scale = scaling_constants(block, scaling) if len(block) else (np.zeros(0), np.ones(0))
    vocabularies, others, notes, groups = [], [], [], []
    for column in categorical:
        cells = frame[column]
        present = cells[cells.notna()].astype(str)
        present = present[present != MISSING_TEXT]
        kept, grouped, note = vocabulary(present.value_counts().to_dict())
        vocabularies.append(kept)
        others.append(bool(grouped) or len(present) < len(cells))
        notes.append(note)
        groups.append(grouped)
    names = feature_columns(parts)
    texts = []
    for column in text:
        from kerasrecipes.data import _text

        values = frame[column].where(frame[column].notna(), MISSING_TEXT).astype(str).to_numpy(dtype=object)
        texts.append(_text.fit_text(column, values, **dict(text_options or {})))
    return tabular_spec(
        numeric,
        categorical,
        parts=parts,
        fill=fill,
        indicators=[c for c, w in zip(names, with_missing) if w],
        center=center,
        scale=scale,
        vocabularies=vocabularies,
        others=others,
        notes=notes,
        groups=groups,
        types=typed,
        clip=scaling in CLIP_SCALINGS,
        text=texts,
    )


def feature_columns(parts: Sequence[tuple[str, str | None]]) -> list[str]:
    """The names of numeric features: the column, or `<column>_<part>` for a date's parts."""
    return [c if part is None else f"{c}_{part}" for c, part in parts]


def tabular_spec(
    numeric: Sequence[str],
    categorical: Sequence[str],
    *,
    fill: Sequence[float],
    indicators: Sequence[str],
    center: Sequence[float],
    scale: Sequence[float],
    vocabularies: Sequence[Sequence[str]],
    others: Sequence[bool],
    parts: Sequence[tuple[str, str | None]] | None = None,
    notes: Sequence[str | None] = (),
    groups: Sequence[Sequence[str]] = (),
    types: Mapping[str, dict] | None = None,
    clip: bool = False,
    text: Sequence[dict] = (),
) -> dict[str, Any]:
    """Assemble a tabular spec from fitted constants (in memory by `fit_tabular`, streamed by the scan)."""
    texts = [entry["column"] for entry in text]
    columns = [*numeric, *categorical, *texts]
    parts = [(c, None) for c in numeric] if parts is None else list(parts)
    types = types or {}
    notes = list(notes) or [None] * len(categorical)
    groups = list(groups) or [[] for _ in categorical]
    return {
        "kind": "tabular",
        "columns": [
            {"name": c, "input": n, "kind": "numeric" if c in numeric else "text" if c in texts else "categorical"}
            for c, n in zip(columns, input_names(columns))
        ],
        "types": dict(types),  # how each raw column is read (data._column_types), the dropped ones included
        "dropped": [name for name, t in types.items() if t.get("kind") == "dropped"],
        "numeric": {
            "columns": feature_columns(parts),
            "parts": [[c, p] for c, p in parts],
            "fill": [float(v) for v in fill],
            "indicators": list(indicators),
            "center": [float(v) for v in center],
            "scale": [float(v) for v in scale],
            **({"clip": True} if clip else {}),
        },
        "categorical": [
            {"column": c, "vocabulary": list(v), "other": bool(o), **({"note": n, "grouped": list(g)} if n else {})}
            for c, v, o, n, g in zip(categorical, vocabularies, others, notes, groups)
        ],
        **({"text": [dict(entry) for entry in text]} if text else {}),
    }


def typing_table(spec: Mapping[str, Any]) -> str | None:
    """How a tabular spec read its columns, as `data._column_types.describe`'s short table (None for arrays)."""
    from kerasrecipes.data import _column_types

    if spec.get("kind") != "tabular" or not spec.get("types"):
        return None
    grouped = {c["column"]: c["note"] for c in spec["categorical"] if c.get("note")}
    types = [_column_types.ColumnType.from_dict(t) for t in spec["types"].values()]
    types = [
        _column_types.ColumnType(t.name, t.kind, "; ".join(n for n in (grouped[t.name], t.note) if n))
        if t.name in grouped
        else t
        for t in types
    ]  # both notes: the grouping and the junk markers counted
    return _column_types.describe(types)


def fit_channels(X: np.ndarray, scaling: str) -> dict[str, Any]:
    """Fit a channel spec (per last-axis channel, over all samples and positions) on training images or sequences."""
    flat = np.asarray(X, dtype=np.float64).reshape(-1, np.shape(X)[-1])
    center, scale = scaling_constants(flat, scaling)
    return {
        "kind": "channels",
        "shape": [int(d) for d in np.shape(X)[1:]],
        "center": center.tolist(),
        "scale": scale.tolist(),
        **({"clip": True} if scaling in CLIP_SCALINGS else {}),
    }


def fit_target(y_train: np.ndarray, task: str, classes: Sequence | None) -> dict[str, Any]:
    """The target spec: a regression target's mean and std (training rows), or the classes in code order."""
    if task == "regression":  # per output column for a 2-D target
        y = np.asarray(y_train, dtype=np.float64)
        mean, std = y.mean(axis=0), y.std(axis=0)
        return {"task": task, "mean": mean.tolist(), "std": np.where(std > 0, std, 1.0).tolist()}
    if task == "multilabel":  # each label's probability is a yes at its threshold (tuned after training)
        return {"task": task, "classes": [plain(c) for c in classes], "thresholds": [0.5] * len(classes)}
    return {"task": task, "classes": [plain(c) for c in classes]}


def numeric_features(spec: Mapping[str, Any]) -> int | None:
    """How many leading features of a tabular spec are numeric (before indicators and one-hot columns); None for channels."""
    return len(spec["numeric"]["columns"]) if spec.get("kind") == "tabular" else None


def feature_names(spec: dict[str, Any]) -> list[str]:
    """Names of the features a spec produces, in order (scikit-learn's `get_feature_names_out` style)."""
    if spec["kind"] == "channels":
        return [f"channel_{i}" for i in range(len(spec["center"]))]
    names = [*spec["numeric"]["columns"], *(f"missingindicator_{c}" for c in spec["numeric"]["indicators"])]
    for cat in spec["categorical"]:
        names.extend(
            ([f"{cat['column']}_<other>"] if cat["other"] else []) + [f"{cat['column']}_{v}" for v in cat["vocabulary"]]
        )
    for entry in spec.get("text", ()):
        column = entry["column"]
        if entry["mode"] == "sequence":
            names.extend(f"{column}_token_{i}" for i in range(entry["length"]))
        else:
            names.extend([f"{column}_<other>", *(f"{column}_{v}" for v in entry["vocabulary"])])
    return names
