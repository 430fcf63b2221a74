"""Building blocks of `prepare()`: seeded splits, fitted-on-train transformers, imbalance.

scikit-learn is imported inside the functions so that importing the package is fast.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from kerasrecipes import _validation

# scaling option -> scikit-learn scaler class name (None: no scaling).
SCALERS = {"standard": "StandardScaler", "minmax": "MinMaxScaler", "none": None}
# imputation option -> SimpleImputer strategy (None: rows with missing features are dropped).
IMPUTERS = {"median": "median", "mean": "mean", "most_frequent": "most_frequent", "drop": None}


def make_scaler(scaling: str):
    """A fresh scikit-learn scaler for a `scaling` option, or `None` for `"none"`."""
    from sklearn import preprocessing

    name = SCALERS[scaling]
    return None if name is None else getattr(preprocessing, name)()


class ChannelScaler:
    """Scale image or sequence arrays per feature channel (the last axis).

    Every value of channel `c`, over all samples and positions (pixels or timesteps),
    is scaled with statistics of channel `c` in the training data: a grey image has
    one channel, so this is global standardization; a sequence with 8 features gets 8
    scalers. Works like a scikit-learn transformer (`fit`, `transform`,
    `fit_transform`, `inverse_transform`).

    Args:
        scaling: `"standard"` (zero mean, unit variance) or `"minmax"` ([0, 1]).
            Defaults to `"standard"`.

    Example:

    >>> import numpy as np
    >>> x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    >>> scaled = ChannelScaler().fit_transform(x)
    >>> scaled.shape, np.allclose(scaled.reshape(-1, 4).mean(axis=0), 0)
    ((2, 3, 4), True)
    """

    def __init__(self, scaling: str = "standard") -> None:
        self.scaling = _validation.check(
            "scaling", scaling, _validation.options("standard", "minmax"))
        self.scaler_ = None

    def _flat(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return X.reshape(-1, X.shape[-1])

    def fit(self, X: np.ndarray, y: Any = None) -> "ChannelScaler":
        self.scaler_ = make_scaler(self.scaling).fit(self._flat(X))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.scaler_.transform(self._flat(X)).reshape(np.shape(X))

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        return self.scaler_.inverse_transform(self._flat(X)).reshape(np.shape(X))

    def __repr__(self) -> str:
        return f"ChannelScaler(scaling={self.scaling!r})"


def tabular_preprocessor(numeric: Sequence, categorical: Sequence, *, scaling: str,
                         imputation: str):
    """An unfitted `ColumnTransformer` for numeric and categorical columns.

    Numeric: `SimpleImputer(strategy=imputation, add_indicator=True)` (the indicator
    columns appear only for columns with missing values in the data it is fitted on,
    like fastai's `FillMissing`; omitted when `imputation="drop"`), then the scaler.
    Categorical: `SimpleImputer(strategy="most_frequent")`, then
    `OneHotEncoder(handle_unknown="ignore")` (an unseen category encodes as all zeros).
    """
    from sklearn import compose, impute, pipeline, preprocessing

    numeric_steps = []
    if IMPUTERS[imputation] is not None:
        numeric_steps.append(("impute", impute.SimpleImputer(strategy=IMPUTERS[imputation],
                                                             add_indicator=True)))
    scaler = make_scaler(scaling)
    if scaler is not None:
        numeric_steps.append(("scale", scaler))
    transformers = []
    if len(numeric):
        steps = pipeline.Pipeline(numeric_steps) if numeric_steps else "passthrough"
        transformers.append(("numeric", steps, list(numeric)))
    if len(categorical):
        categorical_steps = pipeline.Pipeline([
            ("impute", impute.SimpleImputer(strategy="most_frequent")),
            ("onehot", preprocessing.OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ])
        transformers.append(("categorical", categorical_steps, list(categorical)))
    return compose.ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0,
                                     verbose_feature_names_out=False)


def split_indices(n: int, labels: np.ndarray | None, classes: Sequence, *, seed: int,
                  validation_fraction: float, test_fraction: float):
    """Seeded train/validation/test row indices, stratified when `labels` is given.

    The test rows are split off first (`test_fraction` of all rows), then the
    validation rows (`validation_fraction` of all rows) from the rest, both with
    `train_test_split(random_state=seed)`. `labels` are codes 0..k-1 into `classes`.
    """
    from sklearn.model_selection import train_test_split

    index = np.arange(n)
    if labels is not None:
        counts = np.bincount(labels, minlength=len(classes))
        rare = np.flatnonzero(counts < 3)
        if len(rare):
            shown = {_plain(classes[c]): int(counts[c]) for c in rare[:5]}
            more = f" and {len(rare) - 5} more" if len(rare) > 5 else ""
            raise ValueError(_validation.invalid(
                "y", "at least 3 rows per class for a stratified train/validation/test split",
                f"class counts {shown}{more}", fix="Merge or drop the rare classes, or add rows"))
    try:
        rest, test = train_test_split(index, test_size=test_fraction, random_state=seed,
                                      stratify=labels)
        share = validation_fraction / (1.0 - test_fraction)
        train, val = train_test_split(rest, test_size=share, random_state=seed,
                                      stratify=None if labels is None else labels[rest])
    except ValueError as exc:
        kind = "stratified " if labels is not None else ""
        raise ValueError(_validation.invalid(
            "validation_fraction and test_fraction",
            f"large enough for a {kind}split of {n} rows",
            (validation_fraction, test_fraction),
            fix=f"scikit-learn reports: {exc}. Change the fractions or add rows")) from None
    return train, val, test


def downsample(labels: np.ndarray, seed: int) -> tuple[np.ndarray, dict[int, float]]:
    """Downsample every class to the smallest class's count; return kept rows and factors.

    Rows of each larger class are drawn without replacement with
    `np.random.default_rng(seed)`; kept rows stay in their original order. The factor of
    class `c` is `count_before / count_after` (1.0 for the smallest class): weighting
    each kept row by it ("upweighting") restores each class's original total weight.
    """
    present = np.unique(labels)
    counts = {int(c): int(np.sum(labels == c)) for c in present}
    smallest = min(counts.values())
    rng = np.random.default_rng(seed)
    keep = []
    for c in present:
        rows = np.flatnonzero(labels == c)
        if len(rows) > smallest:
            rows = rng.choice(rows, size=smallest, replace=False)
        keep.append(rows)
    factors = {c: counts[c] / smallest for c in counts}
    return np.sort(np.concatenate(keep)), factors


def balanced_class_weight(labels: np.ndarray, n_classes: int) -> dict[int, float]:
    """`compute_class_weight("balanced")` as a `{class_index: weight}` dict for Keras."""
    from sklearn.utils.class_weight import compute_class_weight

    weights = compute_class_weight("balanced", classes=np.arange(n_classes), y=labels)
    return {int(c): float(w) for c, w in enumerate(weights)}


def _plain(value: Any) -> Any:
    """A numpy scalar as a plain Python value (JSON-friendly)."""
    return value.item() if hasattr(value, "item") else value
