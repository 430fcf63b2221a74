"""The `Dataset` type and the checks shared by the loaders.

A `Dataset` is raw data plus the facts `prepare()` needs: which columns are numeric,
which are categorical, and where the data came from. It is not split, scaled or
encoded yet; see `kerasrecipes.data.prepare` for that.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes._tasks import TARGET_TASKS
from kerasrecipes.data import _column_types
from kerasrecipes.errors import UserError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

TASKS = TARGET_TASKS

# Fewest rows a dataset may have: enough for train, validation and test splits of a
# few rows each. `load_csv` and the synthetic generators both enforce it.
MIN_ROWS = 10

SEED = _validation.Interval("integer", 0, 2**32 - 1)


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Raw features and target of one dataset, before splitting and preprocessing.

    Args:
        name: Short name, e.g. `"iris"` or the CSV file's stem.
        X: Features. A 2-D `np.ndarray` for tabular array data, an `(n, height,
            width, channels)` array for images, an `(n, timesteps, features)` array
            for sequences, or a `pandas.DataFrame` for CSV (possibly mixed) data.
        y: Target, a 1-D `np.ndarray` of length `n` (class labels of any type, or
            real values).
        feature_names: Names of the columns of a 2-D `X`; for images and sequences,
            the names of the last axis (channels or per-timestep features).
        target_name: Name of the target, e.g. `"species"`.
        numeric_columns: Names (from `feature_names`) of numeric columns.
        categorical_columns: Names of categorical (text) columns, one-hot encoded by
            `prepare()`. Always empty for array data.
        source: JSON-serializable description of the origin, e.g.
            `{"kind": "sklearn", "name": "iris"}`, `{"kind": "csv", "path": ...,
            "sha256": ...}` or `{"kind": "synthetic", "name": ..., "n_samples": ...,
            "seed": ..., "params": {...}}`.
        task: Suggested task (`"regression"`, `"binary"` or `"multiclass"`) for the
            registry's datasets, or `None` when unknown (CSV files). `prepare()`
            always takes the task from its caller. Defaults to `None`.
        column_types: How each raw column was read (`data._column_types.ColumnType`, the
            dropped columns included), for CSV files and frames; empty for arrays,
            whose columns are all numeric. Defaults to `()`.

    Examples:
        >>> from kerasrecipes.data import load_dataset
        >>> ds = load_dataset("iris")
        >>> ds.X.shape, ds.target_name, ds.task
        ((150, 4), 'species', 'multiclass')
    """

    name: str
    X: Any = dataclasses.field(repr=False)
    y: np.ndarray = dataclasses.field(repr=False)
    feature_names: tuple[str, ...]
    target_name: str
    numeric_columns: tuple[str, ...]
    categorical_columns: tuple[str, ...] = ()
    source: dict = dataclasses.field(default_factory=dict)
    task: str | None = None
    column_types: tuple = ()

    def __post_init__(self) -> None:
        n_x = len(self.X)
        if self.y.ndim not in (1, 2) or len(self.y) != n_x:
            raise UserError(_validation.invalid("y", f"an array with one row per sample of `X` ({n_x})", self.y.shape))
        if self.task is not None:
            _validation.check("task", self.task, _validation.options(*TASKS))

    @property
    def n_samples(self) -> int:
        """Number of rows (samples)."""
        return len(self.X)

    @property
    def layout(self) -> str:
        """`"tabular"`, `"image"` (4-D `X`) or `"sequence"` (3-D `X`)."""
        ndim = getattr(self.X, "ndim", 2)
        return {2: "tabular", 3: "sequence", 4: "image"}.get(ndim, f"{ndim}-d")

    def frame(self) -> pd.DataFrame:
        """The tabular features as a `pandas.DataFrame` (raises for images/sequences)."""
        import pandas as pd

        if isinstance(self.X, pd.DataFrame):
            return self.X
        if self.X.ndim != 2:
            raise UserError(_validation.invalid("X", "a 2-D table for frame()", f"shape {self.X.shape}"))
        return pd.DataFrame(self.X, columns=list(self.feature_names))


def array_dataset(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    *,
    feature_names: tuple[str, ...] | list[str] | None = None,
    target_name: str = "target",
    source: dict | None = None,
    task: str | None = None,
) -> Dataset:
    """Wrap numeric arrays in a `Dataset`; every column (or last-axis feature) is numeric.

    Args:
        name: Dataset name.
        X: Numeric array, 2-D (tabular), 3-D (sequences) or 4-D (images).
        y: Target array with `len(X)` rows.
        feature_names: Names of the last axis of `X`. Defaults to `x0, x1, ...`.
        target_name: Name of the target. Defaults to `"target"`.
        source: Origin description. Defaults to `{"kind": "array", "name": name}`.
        task: Suggested task or `None`. Defaults to `None`.

    Returns:
        A `Dataset`.

    Raises:
        ValueError: If `X` is not a 2-D, 3-D or 4-D numeric array or `feature_names`
            has the wrong length.

    Examples:
        >>> import numpy as np
        >>> ds = array_dataset("toy", np.zeros((12, 3)), np.arange(12) % 2)
        >>> ds.feature_names
        ('x0', 'x1', 'x2')
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim not in (2, 3, 4) or X.dtype.kind not in "biuf":
        raise UserError(
            _validation.invalid("X", "a numeric array with 2, 3 or 4 dimensions", f"{X.dtype} shape {X.shape}")
        )
    if X.dtype.kind == "f" and _column_types.nonfinite(X).any():  # as a CSV file's are refused
        raise UserError(
            _validation.invalid(
                "X",
                "finite numbers within float32's range (NaN marks a missing value)",
                f"{int(_column_types.nonfinite(X).sum())} infinite or out-of-range value(s)",
                fix="Replace them, or set them to NaN so that they are imputed",
            )
        )
    if y.dtype.kind in "fc" and (np.isnan(y) | _column_types.nonfinite(y)).any():
        rows = (np.isnan(y) | _column_types.nonfinite(y)).reshape(len(y), -1).any(axis=1)
        raise UserError(
            _validation.invalid(
                "y",
                "finite targets",
                f"{int(rows.sum())} row(s) with NaN or infinite values, the first row {int(np.argmax(rows))}",
                fix="Drop those rows from X and y, or fill them",
            )
        )
    if feature_names is None:
        feature_names = [f"x{i}" for i in range(X.shape[-1])]
    feature_names = tuple(str(f) for f in feature_names)
    if len(feature_names) != X.shape[-1]:
        raise UserError(
            _validation.invalid("feature_names", f"{X.shape[-1]} names (one per last-axis feature)", feature_names)
        )
    return Dataset(
        name=name,
        X=X,
        y=y,
        feature_names=feature_names,
        target_name=target_name,
        numeric_columns=feature_names,
        categorical_columns=(),
        source=dict(source) if source else {"kind": "array", "name": name},
        task=task,
    )
