"""Loaders behind the dataset table: scikit-learn's bundled data and seeded generators.

Each returns a dict with `X`, `y`, `feature_names` and `target_name` (bundled
loaders add `loader`, the scikit-learn function suffix; generators may add `task`
and the resolved `params`). scikit-learn is imported inside the functions so that
importing the package stays fast.
"""

from __future__ import annotations

import numpy as np

from kerasrecipes import _validation
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
