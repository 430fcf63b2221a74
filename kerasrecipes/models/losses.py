"""Losses: Barron's general robust loss and the table of loss names recipes use.

`LOSSES` maps each loss name to a `LossSpec`: how to build it, which tasks it
fits, which output activation (head) it expects and whether it reads logits.
Recipes and validation read the table; nothing here branches on names.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
from keras import ops

from kerasrecipes._tasks import TARGET_TASKS
from kerasrecipes._validation import Interval, check, invalid, unknown_name
from kerasrecipes.errors import UserError

TASKS = frozenset(TARGET_TASKS)


@keras.saving.register_keras_serializable(package="kerasrecipes")
class BarronLoss(keras.losses.Loss):
    """Barron's general robust loss (CVPR 2019) with a fixed shape and scale.

    With residual `x = y_pred - y_true`, shape `alpha` and scale `c > 0`::

        rho(x) = |alpha - 2| / alpha * (((x / c)**2 / |alpha - 2| + 1)**(alpha / 2) - 1)

    One `alpha` dial moves through familiar losses: `2` is L2 (`0.5 * (x/c)**2`),
    `1` pseudo-Huber (`sqrt((x/c)**2 + 1) - 1`), `0` Cauchy
    (`log(0.5 * (x/c)**2 + 1)`), `-2` Geman-McClure
    (`2 * (x/c)**2 / ((x/c)**2 + 4)`) and `-inf` Welsch (`1 - exp(-0.5 * (x/c)**2)`).
    Lower `alpha` means outliers weigh less. `c` is the residual size below which
    every variant behaves like L2.

    `alpha` values 0, 2 and -inf, where the formula is 0/0, use the closed-form
    limits. Every other value uses the formula written as
    `|alpha-2|/alpha * expm1(alpha/2 * log1p((x/c)**2 / |alpha-2|))`, with the
    constants computed in double precision, which stays accurate close to those
    limits (e.g. `alpha=1e-6` or `alpha=2 - 1e-6`). The per-element loss is averaged
    over the last axis, as in `keras.losses.MeanSquaredError`.

    Args:
        alpha: Shape, a real number or `float("-inf")`. Defaults to `1.0`.
        scale: Scale `c`, a real number > 0. Defaults to `1.0`.
        reduction: Keras reduction over the batch. Defaults to
            `"sum_over_batch_size"`.
        name: Name of the loss. Defaults to `"barron"`.

    Raises:
        ValueError: If `alpha` is NaN or `+inf`, or `scale` is not > 0.
        TypeError: If `alpha` or `scale` is not a real number.

    Examples:
        >>> import numpy as np
        >>> loss = BarronLoss(alpha=0.0, scale=1.0)
        >>> round(float(loss(np.zeros((1, 1)), np.full((1, 1), 2.0))), 4)  # log(3)
        1.0986
    """

    def __init__(self, alpha=1.0, scale=1.0, reduction="sum_over_batch_size", name="barron"):
        super().__init__(name=name, reduction=reduction)
        expected = "a real number or float('-inf')"
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise UserError(invalid("alpha", expected, alpha))
        alpha = float(alpha)
        if math.isnan(alpha) or alpha == math.inf:
            raise UserError(invalid("alpha", expected, alpha))
        self.alpha = alpha
        self.scale = check("scale", scale, Interval("real", 0.0, None, "neither"))

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        if len(y_true.shape) == len(y_pred.shape) - 1:
            y_true = ops.expand_dims(y_true, -1)
        elif len(y_true.shape) == len(y_pred.shape) + 1 and y_true.shape[-1] == 1:
            y_true = ops.squeeze(y_true, -1)
        squared = ops.square((y_pred - y_true) / self.scale)
        return ops.mean(self._rho(squared), axis=-1)

    def _rho(self, squared):
        """Barron's rho as a function of the squared scaled residual (x/c)**2."""
        alpha = self.alpha
        if alpha == 2.0:
            return 0.5 * squared
        if alpha == 0.0:
            return ops.log1p(0.5 * squared)
        if alpha == -math.inf:
            return -ops.expm1(-0.5 * squared)
        beta = abs(alpha - 2.0)
        return (beta / alpha) * ops.expm1((alpha / 2.0) * ops.log1p(squared * (1.0 / beta)))

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "scale": self.scale})
        return config


@keras.saving.register_keras_serializable(package="kerasrecipes")
class HuberLoss(keras.losses.Huber):
    """`keras.losses.Huber` whose config keeps `delta`.

    Keras 3.15's `Huber.get_config()` omits `delta`, so a model saved to
    `.keras` reloads with `delta=1.0` and silently trains on a different loss.
    This subclass only adds `delta` to the config.

    Args:
        delta: Residual size where the loss turns from quadratic to linear, a
            real number > 0. Defaults to `1.0`.
        reduction: Keras reduction over the batch. Defaults to
            `"sum_over_batch_size"`.
        name: Name of the loss. Defaults to `"huber_loss"`.

    Raises:
        ValueError: If `delta` is not > 0.
        TypeError: If `delta` is not a real number.

    Examples:
        >>> HuberLoss(delta=2.0).get_config()["delta"]
        2.0
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        delta = check("delta", delta, Interval("real", 0.0, None, "neither"))
        super().__init__(delta=delta, reduction=reduction, name=name)
        self.delta = delta

    def get_config(self):
        config = super().get_config()
        config["delta"] = self.delta
        return config


@keras.saving.register_keras_serializable(package="kerasrecipes")
class SparseCategoricalCrossentropy(keras.losses.SparseCategoricalCrossentropy):
    """`keras.losses.SparseCategoricalCrossentropy` with `label_smoothing`, which Keras 3.15's lacks
    (its `CategoricalCrossentropy` has it, for one-hot labels).

    With `label_smoothing` = e > 0 the integer labels become one-hot rows smoothed to
    `(1 - e) * onehot + e / classes` inside the loss; with 0 it is Keras' loss unchanged.

    Args:
        from_logits: whether `y_pred` are logits. Defaults to `False`.
        label_smoothing: e in [0, 1). Defaults to `0.0`.
        **kwargs: Keras loss keyword arguments (`reduction`, `name`, ...).

    Examples:
        >>> import numpy as np
        >>> loss = SparseCategoricalCrossentropy(label_smoothing=0.1)
        >>> round(float(loss(np.array([0]), np.array([[0.9, 0.05, 0.05]]))), 4)  # -(0.9333 ln .9 + 2 * 0.0333 ln .05)
        0.2981
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, **kwargs):
        super().__init__(from_logits=from_logits, **kwargs)
        self.label_smoothing = check("label_smoothing", label_smoothing, Interval("real", 0.0, 1.0, "left"))

    def call(self, y_true, y_pred):
        if not self.label_smoothing:
            return super().call(y_true, y_pred)
        classes = y_pred.shape[-1]
        onehot = ops.one_hot(ops.reshape(ops.cast(y_true, "int32"), (-1,)), classes, dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(
            onehot, y_pred, from_logits=self.from_logits, label_smoothing=self.label_smoothing
        )

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


@dataclass(frozen=True)
class LossSpec:
    """One row of the loss table.

    Args:
        name: The loss name, the key in `LOSSES`.
        factory: Callable `factory(**params)` returning a Keras loss object.
        tasks: The tasks it fits, a subset of {"regression", "binary",
            "multiclass"}.
        output_activation: The head activation it expects (`"sigmoid"`,
            `"softmax"`, `"tanh"`, `"linear"`), or `None` for "use the scenario
            row's".
        from_logits: Whether the loss reads raw scores (a linear head).
        notes: One line on when to use it and what labels it expects.
        params: Names of the keyword arguments `factory` accepts. Defaults to
            none.
        one_hot_labels: Whether labels must be one-hot rather than integer
            class ids or 0/1 values. Defaults to `False`.
        ensemble_pool: How a packed ensemble (`models.layers.EnsembleHead`)
            averages its members so that its training loss is exactly the mean
            of the members' own losses: `"sigmoid"` or `"softmax"` (average the
            logits), `"mean"` (average the outputs), or `None` where no such
            average exists for this loss. Defaults to `None`.
    """

    name: str
    factory: Callable[..., Any]
    tasks: frozenset
    output_activation: str | None
    from_logits: bool
    notes: str
    params: frozenset = field(default_factory=frozenset)
    one_hot_labels: bool = False
    ensemble_pool: str | None = None


def _spec(name, factory, tasks, head, notes, from_logits=False, params=(), one_hot=False, pool=None):
    return LossSpec(
        name=name,
        factory=factory,
        tasks=frozenset(tasks),
        output_activation=head,
        from_logits=from_logits,
        notes=notes,
        params=frozenset(params),
        one_hot_labels=one_hot,
        ensemble_pool=pool,
    )


_REG, _BIN, _MULTI = ("regression",), ("binary",), ("multiclass",)


def _sparse_crossentropy(from_logits: bool, label_smoothing: float) -> keras.losses.Loss:
    """Keras' own loss without smoothing (models saved before `label_smoothing` existed stay the same)."""
    if label_smoothing:
        return SparseCategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)


# name, factory, tasks, head (None: the scenario row's), notes, and the rest by keyword.
_ROWS = [
    _spec(
        "mean_squared_error",
        keras.losses.MeanSquaredError,
        _REG,
        None,
        "L2: smooth with a unique optimum, but sensitive to outliers.",
        pool="mean",
    ),
    _spec(
        "mean_absolute_error",
        keras.losses.MeanAbsoluteError,
        _REG,
        None,
        "L1: robust to outliers, not differentiable at zero.",
    ),
    _spec(
        "huber",
        HuberLoss,
        _REG,
        None,
        "L2 for |x| <= delta, L1 beyond; `delta` sets the switch.",
        params=("delta",),
    ),
    _spec(
        "log_cosh",
        keras.losses.LogCosh,
        _REG,
        None,
        "log(cosh(x)): like L2 near zero and like L1 far away, smooth everywhere.",
    ),
    _spec(
        "hinge",
        keras.losses.Hinge,
        _BIN,
        "tanh",
        "max(0, 1 - y * f(x)), the SVM margin loss. Keras converts 0/1 labels to "
        "-1/1; a tanh head keeps scores in [-1, 1], where the margin lives.",
    ),
    _spec(
        "binary_crossentropy",
        keras.losses.BinaryCrossentropy,
        _BIN,
        "sigmoid",
        "Log-loss on probabilities; 0/1 labels.",
        params=("label_smoothing",),
        pool="sigmoid",
    ),
    _spec(
        "sigmoid_crossentropy",
        lambda label_smoothing=0.0: keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=label_smoothing),
        _BIN,
        "linear",
        "Binary log-loss on logits (the sigmoid is inside the loss); 0/1 labels.",
        from_logits=True,
        params=("label_smoothing",),
        pool="sigmoid",
    ),
    _spec(
        "categorical_crossentropy",
        keras.losses.CategoricalCrossentropy,
        _MULTI,
        "softmax",
        "Log-loss on probabilities; one-hot labels.",
        one_hot=True,
        params=("label_smoothing",),
        pool="softmax",
    ),
    _spec(
        "sparse_categorical_crossentropy",
        lambda label_smoothing=0.0: _sparse_crossentropy(False, label_smoothing),
        _MULTI,
        "softmax",
        "Log-loss on probabilities; integer class labels.",
        params=("label_smoothing",),
        pool="softmax",
    ),
    _spec(
        "softmax_crossentropy",
        lambda label_smoothing=0.0: _sparse_crossentropy(True, label_smoothing),
        _MULTI,
        "linear",
        "Log-loss on logits (the softmax is inside the loss); integer labels.",
        from_logits=True,
        params=("label_smoothing",),
        pool="softmax",
    ),
    _spec(
        "barron",
        lambda alpha=1.0, scale=1.0: BarronLoss(alpha=alpha, scale=scale),
        _REG,
        None,
        "Barron's robust loss: alpha 2 is L2, 1 pseudo-Huber, 0 Cauchy, "
        "-inf Welsch; `scale` is the residual size treated as an inlier.",
        params=("alpha", "scale"),
    ),
]

LOSSES: dict[str, LossSpec] = {spec.name: spec for spec in _ROWS}


def get_loss(name, **params):
    """Build the Keras loss registered under `name`.

    Args:
        name: A key of `LOSSES`, e.g. `"huber"` or `"barron"`.
        **params: Keyword arguments of that loss (see `LossSpec.params`);
            `None` values mean "use the default" and are dropped.

    Returns:
        A `keras.losses.Loss` instance.

    Raises:
        ValueError: If `name` is not in `LOSSES` (the message lists the valid
            names), or a parameter is not accepted by that loss.

    Examples:
        >>> get_loss("huber", delta=2.0).delta
        2.0
        >>> sorted(LOSSES["barron"].params)
        ['alpha', 'scale']
        >>> LOSSES["softmax_crossentropy"].from_logits
        True
    """
    if name not in LOSSES:
        raise UserError(unknown_name("loss", name, LOSSES))
    spec = LOSSES[name]
    params = {key: value for key, value in params.items() if value is not None}
    unexpected = sorted(set(params) - spec.params)
    if unexpected:
        accepted = ", ".join(sorted(spec.params)) or "none"
        raise UserError(
            f"Unrecognized parameters for loss {name!r}: {unexpected}. "
            f"Accepted parameters: {accepted}. Received: params={params}"
        )
    return spec.factory(**params)


__all__ = ["BarronLoss", "HuberLoss", "LOSSES", "LossSpec", "SparseCategoricalCrossentropy", "TASKS", "get_loss"]
