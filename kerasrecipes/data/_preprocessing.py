"""What preprocessing learns from the training rows, as plain JSON: the one representation of every road.

A *preprocessing spec* is a dict of constants fitted on the training split only, whether the rows are
in memory (`fit_tabular`, `fit_channels`, from NumPy/pandas) or streamed (`streaming._scan`, from
running totals). `kerasrecipes.data._layers` turns a spec into Keras layers: they compute the features
training sees (the fast road runs them once over each split) and they are the first layers of the
run's end-to-end `model.keras`, so what training saw is what the saved model computes. The spec is
also the layer's config and the manifest's `preprocessing` record, so it is plain JSON throughout.

Tabular spec::

    {"kind": "tabular",
     "columns": [{"name": "age", "input": "age", "kind": "numeric"}, ...],   # raw inputs, in order
     "numeric": {"columns": [...], "fill": [...], "indicators": [...],      # imputation
                 "center": [...], "scale": [...]},                          # scaling of columns + indicators
     "categorical": [{"column": "color", "vocabulary": [...], "other": true}, ...]}

Features, in order: the numeric columns (missing values filled), one missing indicator per numeric
column with missing training values, then per categorical column one-hot over its vocabulary (sorted)
preceded by an "other" column when training rows fell outside the vocabulary (missing values), where
unseen categories go too; without it an unseen category encodes as all zeros. Numeric columns and
indicators are scaled: (x - center) / scale.

Channel spec (images, sequences): `{"kind": "channels", "shape": [...], "center": [c...], "scale": [c...]}`.
Target spec: `{"task": "regression", "mean": m, "std": s}` (lists for a 2-D target) or `{"task": "binary"|"multiclass", "classes": [...]}`.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

SCALINGS = ("standard", "minmax", "none")
IMPUTATIONS = ("median", "mean", "most_frequent", "drop")
MISSING_TEXT = ""
"""How a missing categorical value reaches the layers (CSV's empty cell); it falls in the "other" column."""


def input_names(columns: Sequence[str]) -> list[str]:
    """Safe, unique Keras/SavedModel input names for raw column names (`^[A-Za-z][A-Za-z0-9_]*$`).

    Example:
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
    else:
        center, scale = np.zeros(values.shape[1]), np.ones(values.shape[1])
    return center, np.where(scale > 0, scale, 1.0)


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


def fit_tabular(frame: Any, numeric: Sequence[str], categorical: Sequence[str], *, scaling: str,
                imputation: str) -> dict[str, Any]:
    """Fit a tabular spec on the training rows of a `pandas.DataFrame` (numeric float columns, text categories).

    Args:
        frame: the training rows; numeric columns as floats (NaN = missing), categorical columns as
            text (NaN or None = missing).
        numeric: names of the numeric columns.
        categorical: names of the categorical columns.
        scaling: "standard", "minmax" or "none".
        imputation: "median", "mean", "most_frequent" (numeric fill value) or "drop".

    Returns:
        The spec (see the module docstring).

    Example:
        >>> import pandas as pd
        >>> spec = fit_tabular(pd.DataFrame({"a": [1.0, None, 3.0], "c": ["x", "y", None]}), ["a"], ["c"],
        ...                    scaling="none", imputation="mean")
        >>> spec["numeric"]["fill"], spec["numeric"]["indicators"], spec["categorical"][0]
        ([2.0], ['a'], {'column': 'c', 'vocabulary': ['x', 'y'], 'other': True})
    """
    values = (frame[list(numeric)].to_numpy(dtype=np.float64) if len(numeric)
              else np.zeros((len(frame), 0)))
    fill = np.array([_fill_value(values[:, j], imputation) for j in range(values.shape[1])])
    missing = np.isnan(values)
    with_missing = missing.any(axis=0) & (imputation != "drop")
    filled = np.where(missing, fill, values)
    block = np.concatenate([filled, missing[:, with_missing].astype(np.float64)], axis=1)
    center, scale = scaling_constants(block, scaling) if len(block) else (np.zeros(0), np.ones(0))
    vocabularies, others = [], []
    for column in categorical:
        text = frame[column]
        present = text[text.notna()].astype(str)
        present = present[present != MISSING_TEXT]
        vocabularies.append(sorted(set(present)))
        others.append(len(present) < len(text))
    return tabular_spec(numeric, categorical, fill=fill, indicators=[c for c, w in zip(numeric, with_missing) if w],
                        center=center, scale=scale, vocabularies=vocabularies, others=others)


def tabular_spec(numeric: Sequence[str], categorical: Sequence[str], *, fill: Sequence[float],
                 indicators: Sequence[str], center: Sequence[float], scale: Sequence[float],
                 vocabularies: Sequence[Sequence[str]], others: Sequence[bool]) -> dict[str, Any]:
    """Assemble a tabular spec from fitted constants (in memory by `fit_tabular`, streamed by the scan)."""
    columns = [*numeric, *categorical]
    return {
        "kind": "tabular",
        "columns": [{"name": c, "input": n, "kind": "numeric" if c in numeric else "categorical"}
                    for c, n in zip(columns, input_names(columns))],
        "numeric": {"columns": list(numeric), "fill": [float(v) for v in fill], "indicators": list(indicators),
                    "center": [float(v) for v in center], "scale": [float(v) for v in scale]},
        "categorical": [{"column": c, "vocabulary": list(v), "other": bool(o)}
                        for c, v, o in zip(categorical, vocabularies, others)],
    }


def fit_channels(X: np.ndarray, scaling: str) -> dict[str, Any]:
    """Fit a channel spec (per last-axis channel, over all samples and positions) on training images or sequences."""
    flat = np.asarray(X, dtype=np.float64).reshape(-1, np.shape(X)[-1])
    center, scale = scaling_constants(flat, scaling)
    return {"kind": "channels", "shape": [int(d) for d in np.shape(X)[1:]], "center": center.tolist(),
            "scale": scale.tolist()}


def fit_target(y_train: np.ndarray, task: str, classes: Sequence | None) -> dict[str, Any]:
    """The target spec: a regression target's mean and std (training rows), or the classes in code order."""
    if task == "regression":  # per output column for a 2-D target
        y = np.asarray(y_train, dtype=np.float64)
        mean, std = y.mean(axis=0), y.std(axis=0)
        return {"task": task, "mean": mean.tolist(), "std": np.where(std > 0, std, 1.0).tolist()}
    return {"task": task, "classes": [_plain(c) for c in classes]}


def feature_names(spec: dict[str, Any]) -> list[str]:
    """Names of the features a spec produces, in order (scikit-learn's `get_feature_names_out` style)."""
    if spec["kind"] == "channels":
        return [f"channel_{i}" for i in range(len(spec["center"]))]
    names = [*spec["numeric"]["columns"], *(f"missingindicator_{c}" for c in spec["numeric"]["indicators"])]
    for cat in spec["categorical"]:
        names.extend(([f"{cat['column']}_<other>"] if cat["other"] else [])
                     + [f"{cat['column']}_{v}" for v in cat["vocabulary"]])
    return names


def _plain(value: Any) -> Any:
    """A numpy scalar as a plain Python value (JSON-friendly)."""
    return value.item() if hasattr(value, "item") else value
