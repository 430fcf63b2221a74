"""`prepare()`: split a `Dataset`, fit preprocessing on the training rows, encode targets."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes._io import plain
from kerasrecipes.data import _column_types, _dataset, _feature_spec, _split
from kerasrecipes.data._prepared_data import PreparedData
from kerasrecipes.errors import UserError

_FRACTION = _validation.Interval("real", 0.0, 1.0, closed="neither")
_TEST_FRACTION = _validation.Interval("real", 0.0, 1.0, closed="left")  # 0: no test split (the estimators' fit)
# Constraints of prepare()'s options, beside their meaning (defaults are in the signature).
CONSTRAINTS = {
    "task": _validation.options(*_dataset.TASKS),
    "seed": _dataset.SEED,
    "validation_fraction": _FRACTION,
    "test_fraction": _TEST_FRACTION,
    "scaling": _validation.options(*_feature_spec.SCALINGS),
    "imputation": _validation.options(*_feature_spec.IMPUTATIONS),
    "imbalance": _validation.options("none", "class_weight", "downsample"),
    "text": _validation.options("auto", "sequence", "ngrams"),
    "text_max_tokens": _validation.Interval("integer", 3, 1_000_000),
    "text_length": _validation.Interval("integer", 0, 100_000),
    "text_ngrams": _validation.Interval("integer", 1, 5),
}
TEXT_OPTIONS = ("text", "text_max_tokens", "text_length", "text_ngrams")


def _take(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _missing_rows(X: Any) -> np.ndarray:
    if hasattr(X, "isna"):  # a typed frame: NaN numbers, "" text (or NaN/None in a user's own frame)
        return (X.isna() | (X == _feature_spec.MISSING_TEXT)).to_numpy().any(axis=1)
    if X.dtype.kind != "f":
        return np.zeros(len(X), dtype=bool)
    return np.isnan(X.reshape(len(X), -1)).any(axis=1)


def _encode_target(y: np.ndarray, task: str, target_name: str):
    """Return (encoded y, classes or None); raise if `task` does not fit the target."""
    from sklearn.preprocessing import LabelEncoder
    from sklearn.utils.multiclass import type_of_target

    numeric = y.dtype.kind in "biuf"
    if numeric and (np.isnan(y.astype(np.float64)).any() or _column_types.nonfinite(y).any()):
        raise UserError(
            _validation.invalid(
                "y",
                "free of NaN and infinite values",
                f"{target_name!r} with non-finite values",
                fix="Drop those rows first (load_csv drops rows whose target is missing)",
            )
        )
    if task == "multilabel":
        return _multilabel_target(y, target_name)
    if task == "regression":
        if not numeric:
            raise UserError(
                _validation.invalid(
                    "task",
                    "'binary' or 'multiclass' for a text target",
                    task,
                    fix=f"The target {target_name!r} has values such as {y[0]!r}",
                )
            )
        return y.astype(np.float64), None
    if y.ndim != 1:
        raise UserError(
            _validation.invalid(
                "task",
                "'multilabel' for several 0/1 label columns, or 'regression' for several numbers",
                task,
                fix=f"y has shape {y.shape}: one column per label or value",
            )
        )
    kind = type_of_target(y)
    if kind == "continuous":
        raise UserError(
            _validation.invalid(
                "task",
                f"'regression' for a continuous target (type_of_target={kind!r})",
                task,
                fix=f"The target {target_name!r} has non-integer values such as {y[y != np.round(y)][0]!r}",
            )
        )
    encoder = LabelEncoder().fit(y)
    n_classes = len(encoder.classes_)
    if numeric and n_classes > len(y) / 3:  # could not be stratified anyway
        raise UserError(
            _validation.invalid(
                "task",
                "'regression' for a numeric target with this many distinct values",
                task,
                fix=f"The target {target_name!r} has {n_classes} values in {len(y)} rows, fewer than 3 rows per class",
            )
        )
    if task == "binary" and n_classes != 2:
        raise UserError(
            _validation.invalid(
                "task",
                f"'multiclass' for a target with {n_classes} classes",
                task,
                fix="'binary' needs exactly 2 classes",
            )
        )
    if n_classes < 2:
        raise UserError(
            _validation.invalid("y", "a target with at least 2 classes", f"only {encoder.classes_.tolist()}")
        )
    return encoder.transform(y).astype(np.int64), encoder.classes_


def label_names(target_name: str, n_labels: int) -> list[str]:
    """The label names of a multi-label target: its comma-separated column names, else label_0, label_1, ..."""
    names = [n.strip() for n in str(target_name).split(",")]
    return names if len(names) == n_labels else [f"label_{i}" for i in range(n_labels)]


def _multilabel_target(y: np.ndarray, target_name: str):
    """A multi-label target: one 0/1 column per label, each label present and absent in some rows."""
    if y.ndim != 2 or y.shape[1] < 2:
        raise UserError(
            _validation.invalid(
                "task",
                "'binary' or 'multiclass' for a target of one column",
                "multilabel",
                fix="'multilabel' needs one 0/1 column per label: --target a,b,c (y of shape (n, labels))",
            )
        )
    names = label_names(target_name, y.shape[1])
    values = np.asarray(y, dtype=np.float64)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        column = int(np.argwhere(bad)[0][1])
        raise UserError(
            _validation.invalid(
                "y",
                "0 or 1 in every label column of a multi-label target",
                f"{names[column]!r} holds {y[bad][0]!r}",
                fix="Give each label as a 0/1 column, or train that column alone with --target",
            )
        )
    constant = [n for n, column in zip(names, values.T) if column.min() == column.max()]
    if constant:
        raise UserError(
            _validation.invalid(
                "y",
                "labels that are 1 in some rows and 0 in others",
                f"{constant[0]!r} is {int(values[0, names.index(constant[0])])} in every row",
                fix=f"Leave {constant[0]!r} out of the target: a label that never changes cannot be learned",
            )
        )
    return values.astype(np.float32), np.asarray(names, dtype=object)


def _features(dataset, X, train, val, test, scaling, imputation, reading):
    """Fit the preprocessing spec on the training rows; return each split's features, the spec, names out."""
    from kerasrecipes.data import _feature_layers

    parts = [_take(X, rows) for rows in (train, val, test)]
    if getattr(X, "ndim", 2) > 2:
        spec = _feature_spec.fit_channels(parts[0], scaling)
        if "sequence" in dataset.source:  # series read from a table's columns: new rows are read the same way
            spec["series_columns"] = dataset.source["sequence"]["columns"]
            if "types" in dataset.source["sequence"]:
                spec["types"] = dataset.source["sequence"]["types"]
        if "forecast" in dataset.source:  # windows of a long series: predict continues one from new rows
            spec["forecast"] = dataset.source["forecast"]
        if dataset.source.get("kind") in ("images", "image-table"):  # predict decodes new files the same way
            spec["images"] = {"size": dataset.source["image_size"], "color": dataset.source["color"]}
            if "image_column" in dataset.source:  # and reads a CSV file's paths from the same column
                spec["images"]["column"] = dataset.source["image_column"]
        names = tuple(dataset.feature_names)
    else:
        if hasattr(X, "iloc"):
            numeric, categorical = dataset.numeric_columns, dataset.categorical_columns
        else:
            numeric, categorical = tuple(dataset.feature_names), ()
            parts = [_as_frame(p, dataset.feature_names) for p in parts]
        text = tuple(t.name for t in dataset.column_types if t.kind == "text")
        spec = _feature_spec.fit_tabular(
            parts[0],
            numeric,
            categorical,
            scaling=scaling,
            imputation=imputation,
            types=dataset.column_types,
            text=text,
            text_options={
                "mode": reading["text"],
                "max_tokens": reading["text_max_tokens"],
                "length": reading["text_length"],
                "ngrams": reading["text_ngrams"],
            },
        )
        if dataset.source.get("kind") == "texts":  # predict reads new .txt files into the same column
            spec["texts"] = {"column": dataset.feature_names[0]}
        names = tuple(_feature_spec.feature_names(spec))
    layer = _feature_layers.features_layer(
        spec
    )  # called directly: the saved model's layer, without a Model of Inputs around it
    return [_feature_layers.apply(layer, _feature_layers.to_inputs(spec, p)) for p in parts], spec, names


def _as_frame(X: np.ndarray, names):
    import pandas as pd

    return pd.DataFrame(X, columns=list(names))


DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "seed": 42,
        "validation_fraction": 0.2,
        "test_fraction": 0.2,
        "scaling": "standard",
        "imputation": "median",
        "imbalance": "none",
        "text": "auto",
        "text_max_tokens": 10_000,
        "text_length": 0,
        "text_ngrams": 2,
    }
)
"""How data is split and preprocessed when a recipe leaves the field unset; the recipe table's
`BASE_DEFAULTS` take these values."""


def prepare(
    dataset: _dataset.Dataset,
    *,
    task: str,
    seed: int,
    validation_fraction: float = DEFAULTS["validation_fraction"],
    test_fraction: float = DEFAULTS["test_fraction"],
    scaling: str = DEFAULTS["scaling"],
    imputation: str = DEFAULTS["imputation"],
    imbalance: str = DEFAULTS["imbalance"],
    text: str = DEFAULTS["text"],
    text_max_tokens: int = DEFAULTS["text_max_tokens"],
    text_length: int = DEFAULTS["text_length"],
    text_ngrams: int = DEFAULTS["text_ngrams"],
    folds: int | None = None,
    fold: int | None = None,
) -> PreparedData:
    """Split a dataset into train/validation/test and preprocess it for Keras.

    1. Missing features: `imputation="drop"` eliminates rows with any missing feature
       before splitting; otherwise missing values are imputed (step 4). Images and
       sequences cannot be imputed: NaN there is an error unless `"drop"`.
    2. Targets: class labels become codes `0..k-1` (`LabelEncoder`; `classes` keeps
       the originals). `task` must fit the target (`type_of_target`).
    3. Split: `test_fraction` of the rows, then `validation_fraction` of the rows, are
       split off with `train_test_split(random_state=seed)`, stratified by class for
       classification (each class needs at least 3 rows). With `folds`, the rows left after
       the test split are cut into `folds` folds (`StratifiedKFold`, or `KFold` for a number
       or labels, shuffled with `seed`) and fold `fold` is the validation split.
    4. Features: a preprocessing spec is fitted on the training rows only
       (`data._feature_spec`: numeric columns imputed with the `imputation` statistic
       plus a missing indicator per column with missing training values, then scaled;
       categorical columns one-hot over their training categories, missing values in an
       "other" column; images and sequences scaled per channel, the last axis), and each
       split is transformed once by the Keras layers built from it (`data._feature_layers`), the
       same layers that lead the run's saved model.
    5. Regression targets are standardized with their training mean and standard
       deviation (`target`); `inverse_transform_y()` gives predictions in original units.
    6. Imbalance (classification only, training split only):
       `"class_weight"` sets `class_weight` to `compute_class_weight("balanced")`, i.e.
       `n_train / (n_classes * count_c)`; `"downsample"` ("downsampling and
       upweighting") draws, with `seed`, as many training rows of every class as the
       smallest class has, and sets `sample_weight_train` of each kept row to its
       class's downsampling factor `count_before / count_after` (1.0 for the smallest
       class), so each class keeps its original total weight in the loss.
       `class_weight` stays `None` then. Validation and test rows are never changed.

    Args:
        dataset: A `Dataset` from `load_dataset()` or `load_csv()`.
        task: `"regression"`, `"binary"` or `"multiclass"`, chosen by the caller.
        seed: Integer seed of the split and of downsampling.
        validation_fraction: Share of all rows for validation, in (0, 1). Defaults
            to `0.2`.
        test_fraction: Share of all rows for testing, in [0, 1) (0: no test split, as
            `RecipeClassifier.fit` trains); the two fractions must sum to less than 1. Defaults to `0.2`.
        scaling: `"standard"` (zero mean, unit variance), `"minmax"` ([0, 1] on train),
            `"none"`, or `"robust"` (median and interquartile range, then RealMLP's smooth clipping to
            (-3, 3)). Defaults to `"standard"`.
        imputation: `"median"`, `"mean"`, `"most_frequent"` (numeric columns) or
            `"drop"` (eliminate rows with missing features). Defaults to `"median"`.
        imbalance: `"none"`, `"class_weight"` or `"downsample"`. Defaults to `"none"`.
        text: how free-text columns are read (`data._text`): `"sequence"` (token ids for an
            embedding and recurrent layers), `"ngrams"` (multi-hot word n-grams) or `"auto"` (per column:
            sequence when its training rows number `data._text.SEQUENCE_RATIO` times its median words of a
            text or more, else ngrams). Defaults to `"auto"`.
        text_max_tokens: vocabulary size of a text column, fitted on the training rows. Defaults to 10,000.
        text_length: token ids per text ("sequence"); 0 picks the training texts' 95th-percentile word
            count (at most `data._text.MAX_LENGTH`). Defaults to 0.
        text_ngrams: longest word n-gram ("ngrams"). Defaults to 2.
        folds: cross-validation folds of the rows left after the test split (2 to 100), or None for one
            validation split of `validation_fraction`. Defaults to None.
        fold: the fold that validates when `folds` is set, 0 to `folds` - 1. Defaults to None (fold 0).

    Returns:
        A `PreparedData`; the same dataset, options and seed give byte-identical arrays.

    Raises:
        ValueError: For out-of-range options, a task that does not fit the target,
            too few rows per class to stratify, or NaN in image/sequence data.
        TypeError: For arguments of the wrong type.

    Examples:
        >>> from kerasrecipes.data import load_dataset, prepare
        >>> data = prepare(load_dataset("breast_cancer"), task="binary", seed=0,
        ...                imbalance="class_weight")
        >>> data.input_shape, sorted(data.class_weight)
        ((30,), [0, 1])
    """
    if not isinstance(dataset, _dataset.Dataset):
        raise UserError(_validation.invalid("dataset", "a kerasrecipes.data.Dataset", dataset))
    options = dict(
        task=task,
        seed=seed,
        validation_fraction=validation_fraction,
        test_fraction=test_fraction,
        scaling=scaling,
        imputation=imputation,
        imbalance=imbalance,
    )
    options = {k: _validation.check(k, v, CONSTRAINTS[k]) for k, v in options.items()}
    reading = {
        k: _validation.check(k, v, CONSTRAINTS[k])
        for k, v in zip(TEXT_OPTIONS, (text, text_max_tokens, text_length, text_ngrams))
    }
    if options["validation_fraction"] + options["test_fraction"] >= 1.0:
        raise UserError(
            _validation.invalid(
                "validation_fraction + test_fraction",
                "< 1 (the rest is the training split)",
                options["validation_fraction"] + options["test_fraction"],
            )
        )
    if task == "regression" and imbalance != "none":
        raise UserError(
            _validation.invalid("imbalance", "'none' for task='regression' (it balances classes)", imbalance)
        )
    X, y = dataset.X, np.asarray(dataset.y)
    rows = np.arange(len(y))
    missing = _missing_rows(X)
    if imputation == "drop" and missing.any():
        rows = rows[~missing]
        X, y = _take(X, rows), y[rows]
    elif getattr(X, "ndim", 2) > 2 and missing.any():
        raise UserError(
            _validation.invalid(
                "imputation",
                "'drop' for image or sequence data with NaN values",
                imputation,
                fix=f"{int(missing.sum())} samples contain NaN; only tabular data is imputed",
            )
        )
    if task == "multilabel" and imbalance != "none":
        raise UserError(
            _validation.invalid(
                "imbalance", "'none' for task='multilabel' (it balances the classes of one label)", imbalance
            )
        )
    y, classes = _encode_target(y, task, dataset.target_name)
    if "forecast" in dataset.source and folds:
        raise UserError(
            _validation.invalid(
                "folds",
                "unset for a forecast: its windows are split by time, and folds would train on the future",
                folds,
                fix="Leave out --cv (or set --cv 0)",
            )
        )
    if "forecast" in dataset.source:  # windows of one series: split by time, never shuffled
        train, val, test = _split.time_split_indices(
            len(y),
            validation_fraction=validation_fraction,
            test_fraction=test_fraction,
            gap=dataset.source["forecast"]["horizon"] - 1,
        )
    else:
        train, val, test = _split.split_indices(
            len(y),
            None if classes is None or task == "multilabel" else y,
            [] if classes is None else classes,
            seed=seed,
            validation_fraction=validation_fraction,
            test_fraction=test_fraction,
            folds=folds,
            fold=fold,
        )
    class_weight = sample_weight = downsampling = None
    if imbalance == "class_weight":
        class_weight = _split.balanced_class_weight(y[train], len(classes))
    elif imbalance == "downsample":
        keep, factors = _split.downsample(y[train], seed)
        downsampling = {
            "train_rows_before": int(len(train)),
            "factors": {str(plain(classes[c])): f for c, f in factors.items()},
        }
        train = train[keep]
        sample_weight = np.array([factors[int(c)] for c in y[train]], dtype=np.float32)
    X_parts, spec, names_out = _features(
        dataset, X, train, val, test, options["scaling"], options["imputation"], reading
    )
    target = _feature_spec.fit_target(y[train], task, classes)
    y_parts = [y[train], y[val], y[test]]
    if classes is None:
        y_parts = [((p - target["mean"]) / target["std"]).astype(np.float32) for p in y_parts]
    metadata = {
        "dataset": dataset.name,
        "source": dataset.source,
        "target_name": dataset.target_name,
        "layout": dataset.layout,
        **options,
        **(reading if spec.get("text") else {}),  # recorded only where the data has text
        "n_features_in": int(np.prod(np.shape(dataset.X)[1:])),
        "dropped_rows": int(len(dataset.y) - len(y)),
        "downsampling": downsampling,
        **({"folds": folds, "fold": fold or 0} if folds else {}),  # recorded only where the rows were folded
    }
    return PreparedData(
        X_train=X_parts[0],
        y_train=y_parts[0],
        X_val=X_parts[1],
        y_val=y_parts[1],
        X_test=X_parts[2],
        y_test=y_parts[2],
        task=task,
        n_classes=None if classes is None else len(classes),
        classes=classes,
        class_weight=class_weight,
        sample_weight_train=sample_weight,
        feature_names_out=names_out,
        input_shape=tuple(int(d) for d in X_parts[0].shape[1:]),
        preprocessing=spec,
        target=target,
        raw_test=_take(X, test),
        indices={"train": rows[train], "val": rows[val], "test": rows[test]},
        metadata=metadata,
    )
