"""Datasets by name: the dataset table, scikit-learn's bundled datasets and seeded synthetic generators.

Each row of `DATASETS` is a `DatasetSpec`: its kind (`"sklearn"` bundled, fixed size;
`"synthetic"`, generated with `n_samples` rows from a seed), the suggested task, the
layout of `X`, a loader and, for generators, their parameters with defaults and
constraints. `load_dataset()` is the one entry point. Nothing is loaded at import.

Each loader returns a dict with `X`, `y`, `feature_names` and `target_name` (bundled
loaders add `loader`, the scikit-learn function suffix; generators may add `task`
and the resolved `params`). scikit-learn is imported inside the functions so that
importing the package stays fast.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.data import _dataset
from kerasrecipes.errors import UserError


def _bundle(loader_name: str, target_name: str, **kwargs) -> dict:
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{loader_name}")(**kwargs)
    return {
        "X": np.asarray(bunch.data, dtype=np.float64),
        "y": np.asarray(bunch.target),
        "feature_names": tuple(str(f) for f in bunch.feature_names),
        "target_name": target_name,
        "loader": loader_name,
    }


def iris() -> dict:
    return _bundle("iris", "species")


def wine() -> dict:
    return _bundle("wine", "cultivar")


def breast_cancer() -> dict:
    return _bundle("breast_cancer", "diagnosis")


def digits() -> dict:
    return _bundle("digits", "digit")


def digits_images() -> dict:
    """Digits as `(n, 8, 8, 1)` images: height, width, one grey channel."""
    out = _bundle("digits", "digit")
    out["X"] = out["X"].reshape(-1, 8, 8, 1)
    out["feature_names"] = ("intensity",)
    return out


def digits_sequences() -> dict:
    """Digits as `(n, 8, 8)` sequences: each image row is one timestep of 8 features."""
    out = _bundle("digits", "digit")
    out["X"] = out["X"].reshape(-1, 8, 8)
    out["feature_names"] = tuple(f"column_{i}" for i in range(8))
    return out


def diabetes() -> dict:
    """Diabetes with features in their original units (`scaled=False`)."""
    return _bundle("diabetes", "disease_progression", scaled=False)


def linnerud() -> dict:
    """Linnerud reduced to one target: body weight (lb) from three exercise counts."""
    out = _bundle("linnerud", "Weight")
    out["y"] = np.asarray(out["y"][:, 0], dtype=np.float64)
    return out


def friedman1(*, n_samples: int, seed: int, n_features: int, noise: float) -> dict:
    """Friedman #1: y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise."""
    from sklearn import datasets

    X, y = datasets.make_friedman1(n_samples=n_samples, n_features=n_features, noise=noise, random_state=seed)
    return {"X": X, "y": y, "feature_names": tuple(f"x{i}" for i in range(n_features)), "target_name": "y"}


def _check_weights(weights, n_classes: int) -> list[float] | None:
    if weights is None:
        return None
    expected = f"a list of {n_classes - 1} or {n_classes} class proportions in (0, 1) with a sum <= 1"
    try:
        values = [float(w) for w in weights]
    except (TypeError, ValueError):
        raise UserError(_validation.invalid("weights", expected, weights)) from None
    ok = len(values) in (n_classes - 1, n_classes) and all(0 < w < 1 for w in values)
    if not ok or sum(values) > 1 + 1e-9:
        raise UserError(_validation.invalid("weights", expected, weights))
    return values


def classification(
    *,
    n_samples: int,
    seed: int,
    n_features: int,
    n_informative,
    n_classes: int,
    weights,
    class_sep: float,
    flip_y: float,
) -> dict:
    """`make_classification` with sensible defaults for `n_informative`/`n_redundant`.

    `n_informative` defaults to half the features (at least 2); up to 2 further
    features are redundant (linear combinations); the rest are noise. `weights`
    sets the class proportions, e.g. `[0.9]` gives a 90/10 binary problem.
    """
    from sklearn import datasets

    if n_informative is None:
        n_informative = min(n_features, max(2, n_features // 2))
    if n_informative > n_features:
        raise UserError(_validation.invalid("n_informative", f"an integer <= n_features ({n_features})", n_informative))
    if n_classes * 2 > 2**n_informative:
        raise UserError(
            _validation.invalid(
                "n_informative",
                f"at least log2(2 * n_classes) = {np.log2(2 * n_classes):.2f}",
                n_informative,
                fix="Increase `n_informative` or `n_features`",
            )
        )
    weights = _check_weights(weights, n_classes)
    n_redundant = min(2, n_features - n_informative)
    X, y = datasets.make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=n_redundant,
        n_classes=n_classes,
        weights=weights,
        flip_y=flip_y,
        class_sep=class_sep,
        random_state=seed,
    )
    params = {
        "n_features": n_features,
        "n_informative": n_informative,
        "n_redundant": n_redundant,
        "n_classes": n_classes,
        "weights": weights,
        "class_sep": class_sep,
        "flip_y": flip_y,
    }
    return {
        "X": X,
        "y": y,
        "feature_names": tuple(f"x{i}" for i in range(n_features)),
        "target_name": "class",
        "task": "binary" if n_classes == 2 else "multiclass",
        "params": params,
    }


def multilabel(*, n_samples: int, seed: int, n_features: int, n_labels: int, labels_per_row: int) -> dict:
    """`make_multilabel_classification`: each row has about `labels_per_row` of `n_labels` labels (0/1 columns)."""
    from sklearn import datasets

    if labels_per_row > n_labels:
        raise UserError(_validation.invalid("labels_per_row", f"an integer <= n_labels ({n_labels})", labels_per_row))
    X, y = datasets.make_multilabel_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_classes=n_labels,
        n_labels=labels_per_row,
        allow_unlabeled=True,
        random_state=seed,
    )
    names = tuple(f"label_{i}" for i in range(n_labels))
    return {
        "X": X,
        "y": y.astype(np.int64),
        "feature_names": tuple(f"x{i}" for i in range(n_features)),
        "target_name": ",".join(names),
        "task": "multilabel",
        "params": {"n_features": n_features, "n_labels": n_labels, "labels_per_row": labels_per_row},
    }


def sequences(
    *, n_samples: int, seed: int, timesteps: int, n_features: int, noise: float, amplitude: float = 3.0
) -> dict:
    """Binary sequences whose label depends only on temporal order.

    Every sequence is Gaussian noise (standard deviation `noise`) of shape
    `(timesteps, n_features)`. One random feature gets two pulses at random times
    `t1 < t2` (at least 2 steps apart): a `+amplitude` pulse and a `-amplitude`
    pulse. Label 1 means "up then down" (+ at t1, - at t2), label 0 "down then up".
    Both classes have the same values in a different order, so a model of order-free
    summary statistics (per-feature mean, std, min, max) is at chance level.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, noise, size=(n_samples, timesteps, n_features))
    y = rng.integers(0, 2, size=n_samples)
    t1 = rng.integers(0, timesteps - 2, size=n_samples)
    t2 = t1 + rng.integers(2, timesteps - t1)
    channel = rng.integers(0, n_features, size=n_samples)
    sign = np.where(y == 1, amplitude, -amplitude)
    rows = np.arange(n_samples)
    X[rows, t1, channel] += sign
    X[rows, t2, channel] -= sign
    return {"X": X, "y": y, "feature_names": tuple(f"x{i}" for i in range(n_features)), "target_name": "up_then_down"}


_REAL_GE0 = _validation.Interval("real", 0.0)


def _INT_GE(low: int) -> _validation.Interval:
    return _validation.Interval("integer", low)


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """One row of the dataset table.

    Args:
        name: Registry key.
        kind: `"sklearn"` (bundled with scikit-learn, fixed size) or `"synthetic"`.
        task: Suggested task: `"regression"`, `"binary"` or `"multiclass"`.
        layout: Shape of `X`: `"tabular"` (n, features), `"image"` (n, 8, 8, 1) or
            `"sequence"` (n, timesteps, features).
        loader: Callable returning a dict with `X`, `y`, `feature_names`,
            `target_name` and optionally `task`. Bundled loaders take no arguments;
            generators take `n_samples`, `seed` and their `params`.
        description: One line for `kerasrecipes datasets` listings.
        n_samples: Default row count of a generator; `None` for bundled datasets.
        params: Generator parameters: name -> `(default, constraint)`, where the
            constraint is a `kerasrecipes._validation` constraint or `None`.
    """

    name: str
    kind: str
    task: str
    layout: str
    loader: Callable[..., dict]
    description: str
    n_samples: int | None = None
    params: Mapping[str, tuple[Any, Any]] = dataclasses.field(default_factory=dict)


def _row(name, kind, task, layout, loader, description, n_samples=None, **params):
    return DatasetSpec(name, kind, task, layout, loader, description, n_samples, params)


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        _row(
            "iris",
            "sklearn",
            "multiclass",
            "tabular",
            iris,
            "Iris flowers: 150 rows, 4 measurements, 3 species.",
        ),
        _row(
            "wine",
            "sklearn",
            "multiclass",
            "tabular",
            wine,
            "Wine recognition: 178 rows, 13 chemical features, 3 cultivars.",
        ),
        _row(
            "breast_cancer",
            "sklearn",
            "binary",
            "tabular",
            breast_cancer,
            "Breast cancer Wisconsin: 569 rows, 30 features, malignant (0) or benign (1).",
        ),
        _row(
            "digits",
            "sklearn",
            "multiclass",
            "tabular",
            digits,
            "Handwritten digits: 1797 rows, 64 pixel intensities (0-16), 10 classes.",
        ),
        _row(
            "digits_images",
            "sklearn",
            "multiclass",
            "image",
            digits_images,
            "Handwritten digits as (n, 8, 8, 1) images for convolutional models.",
        ),
        _row(
            "digits_sequences",
            "sklearn",
            "multiclass",
            "sequence",
            digits_sequences,
            "Handwritten digits as (n, 8, 8) sequences: 8 timesteps (image rows) of 8 features.",
        ),
        _row(
            "diabetes",
            "sklearn",
            "regression",
            "tabular",
            diabetes,
            "Diabetes progression: 442 rows, 10 features in original units.",
        ),
        _row(
            "linnerud",
            "sklearn",
            "regression",
            "tabular",
            linnerud,
            "Linnerud: 20 rows, 3 exercises -> body weight (single target).",
        ),
        _row(
            "friedman1",
            "synthetic",
            "regression",
            "tabular",
            friedman1,
            "Friedman #1 regression: y from the first 5 features, the rest is noise.",
            n_samples=2000,
            n_features=(10, _INT_GE(5)),
            noise=(1.0, _REAL_GE0),
        ),
        _row(
            "classification",
            "synthetic",
            "binary",
            "tabular",
            classification,
            "make_classification; `weights` makes it imbalanced, `n_classes` multiclass.",
            n_samples=2000,
            n_features=(20, _INT_GE(2)),
            n_informative=(None, _INT_GE(1)),
            n_classes=(2, _INT_GE(2)),
            weights=(None, None),
            class_sep=(1.0, _validation.Interval("real", 0.0, closed="neither")),
            flip_y=(0.01, _validation.Interval("real", 0.0, 1.0)),
        ),
        _row(
            "multilabel",
            "synthetic",
            "multilabel",
            "tabular",
            multilabel,
            "make_multilabel_classification: several labels per row, one 0/1 column each.",
            n_samples=2000,
            n_features=(20, _INT_GE(2)),
            n_labels=(5, _INT_GE(2)),
            labels_per_row=(2, _INT_GE(1)),
        ),
        _row(
            "sequences",
            "synthetic",
            "binary",
            "sequence",
            sequences,
            "Noise sequences with a +pulse and a -pulse; the label is their order in time.",
            n_samples=2000,
            timesteps=(20, _INT_GE(4)),
            n_features=(4, _INT_GE(1)),
            noise=(1.0, _REAL_GE0),
        ),
    )
}


def list_datasets(pattern: str = "*") -> list[str]:
    """Return the sorted names in `DATASETS` matching a shell-style `pattern`.

    Args:
        pattern: `fnmatch` pattern such as `"digits*"`. Defaults to `"*"`.

    Returns:
        Sorted list of dataset names.

    Examples:
        >>> list_datasets("digits*")
        ['digits', 'digits_images', 'digits_sequences']
    """
    return sorted(name for name in DATASETS if fnmatch.fnmatchcase(name, pattern))


def dataset_spec(name: str) -> DatasetSpec:
    """The row of `DATASETS` that `name` names; a one-line `UserError` naming the closest names otherwise.

    `load_dataset` starts with it; the command line calls it before it imports TensorFlow, so that a
    misspelt `--dataset` is refused at once.

    Examples:
        >>> dataset_spec("iris").task
        'multiclass'
    """
    spec = DATASETS.get(name) if isinstance(name, str) else None
    if spec is None:
        message = _validation.unknown_name("dataset", name, DATASETS)
        if isinstance(name, str) and name.lower().endswith((".csv", ".tsv", ".txt")):
            message += f". For a CSV file, give --csv {name} --target COLUMN (Python: load_csv(path, target))"
        raise UserError(message)
    return spec


def load_dataset(name: str, *, n_samples: int | None = None, seed: int = 0, **params: Any) -> _dataset.Dataset:
    """Load a registered dataset by name.

    Bundled datasets (`kind="sklearn"`) have a fixed size and ignore `seed`. Synthetic
    datasets are generated with `n_samples` rows from `seed`, so the same arguments
    always give byte-identical arrays.

    Args:
        name: A name from `list_datasets()`.
        n_samples: Rows to generate (synthetic datasets only, at least 10). Defaults
            to `None`, meaning the row's default (2000 for the generators).
        seed: Integer seed of the generator. Defaults to `0`.
        **params: Generator parameters of the row (`DATASETS[name].params`), e.g.
            `noise=0.5` for `"friedman1"` or `weights=[0.9]` for `"classification"`.

    Returns:
        A `Dataset` with `task` set to the suggested task.

    Raises:
        ValueError: For an unknown name, `n_samples` given for a bundled dataset, an
            unknown parameter or an out-of-range value.
        TypeError: For a value of the wrong type.

    Examples:
        >>> ds = load_dataset("classification", n_samples=200, weights=[0.9], seed=1)
        >>> ds.X.shape, ds.task
        ((200, 20), 'binary')
    """
    spec = dataset_spec(name)
    seed = _validation.check("seed", seed, _dataset.SEED)
    if spec.kind == "sklearn":
        if n_samples is not None:
            raise UserError(
                _validation.invalid(
                    "n_samples",
                    f"None for the bundled dataset {name!r}, which has a fixed size",
                    n_samples,
                    fix="Use a synthetic dataset such as 'classification' to choose a size",
                )
            )
        if params:
            raise UserError(_validation.invalid("params", f"empty for the bundled dataset {name!r}", params))
        loaded = spec.loader()
        source = {"kind": "sklearn", "name": name, "loader": f"sklearn.datasets.load_{loaded['loader']}"}
    else:
        if n_samples is None:
            n_samples = spec.n_samples
        n_samples = _validation.check("n_samples", n_samples, _INT_GE(_dataset.MIN_ROWS))
        unknown = sorted(set(params) - set(spec.params))
        if unknown:
            raise UserError(_validation.unknown_name(f"parameter of {name!r}", unknown[0], spec.params))
        values = {}
        for key, (default, constraint) in spec.params.items():
            value = params.get(key)
            if value is not None and constraint is not None:
                value = _validation.check(key, value, constraint)
            values[key] = default if value is None else value
        loaded = spec.loader(n_samples=n_samples, seed=seed, **values)
        source = {
            "kind": "synthetic",
            "name": name,
            "n_samples": n_samples,
            "seed": seed,
            "params": loaded.get("params", values),
        }
    return _dataset.array_dataset(
        name,
        loaded["X"],
        loaded["y"],
        feature_names=loaded["feature_names"],
        target_name=loaded["target_name"],
        source=source,
        task=loaded.get("task", spec.task),
    )
