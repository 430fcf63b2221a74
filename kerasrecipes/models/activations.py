"""Hidden-layer activations as data: which layer follows a `Dense`, and how to initialize it.

Each name in `ACTIVATIONS` maps to an `ActivationSpec`. Builders ask three things:
`is_maxout(name)` (use `Maxout` instead of `Dense`), `default_initializer(name)`
(the kernel initializer for the `Dense`/`Maxout` before it) and
`activation_layer(name)` (the layer after the `Dense`, or `None`).
`hidden_block` combines the three.

Initializers follow the variance argument of each activation's paper:

- He (`"he_normal"`, He et al., 2015) for the ReLU family (relu, leaky_relu, prelu,
  elu): these zero or shrink the negative half of their input, halving the
  variance passed on, so the weights get twice Glorot's variance to compensate.
- LeCun normal (`"lecun_normal"`) for SELU: self-normalization (Klambauer et al.,
  2017) is proven for weights with variance 1 / fan_in.
- Glorot uniform (`"glorot_uniform"`, Keras's default) otherwise: tanh, sigmoid,
  softplus, swish and linear are close to linear around zero, the case Glorot &
  Bengio (2010) derived for; maxout keeps Goodfellow et al.'s default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras

from kerasrecipes._validation import unknown_name
from kerasrecipes.errors import UserError
from kerasrecipes.models import layers as recipe_layers


@dataclass(frozen=True)
class ActivationSpec:
    """One row of the activation table.

    Args:
        name: The activation name, the key in `ACTIVATIONS`.
        layer: Callable with no arguments returning a new Keras layer to put
            after a `Dense`, or `None` when no layer is needed (`"linear"`) or
            the activation is not a separate layer (`"maxout"`).
        initializer: Default kernel initializer identifier for the layer before.
        notes: One line on what it is and when to pick it.
    """

    name: str
    layer: Callable[[], Any] | None
    initializer: str
    notes: str


def _keras_activation(identifier):
    return lambda: keras.layers.Activation(identifier)


_HE, _LECUN, _GLOROT = "he_normal", "lecun_normal", "glorot_uniform"

_ROWS = [
    ActivationSpec(
        "relu", _keras_activation("relu"), _HE, "max(0, x): the default; units can die when stuck negative."
    ),
    ActivationSpec(
        "leaky_relu",
        lambda: keras.layers.LeakyReLU(negative_slope=0.01),
        _HE,
        "x if x > 0 else 0.01 x (Maas et al., 2013): no dead units.",
    ),
    ActivationSpec(
        "prelu", keras.layers.PReLU, _HE, "Leaky ReLU with a learned slope per unit (starts at 0, i.e. ReLU)."
    ),
    ActivationSpec(
        "elu", _keras_activation("elu"), _HE, "x if x > 0 else exp(x) - 1: smooth, mean activations nearer 0."
    ),
    ActivationSpec(
        "selu", _keras_activation("selu"), _LECUN, "Scaled ELU: self-normalizing with lecun_normal and no batch norm."
    ),
    ActivationSpec(
        "swish", _keras_activation("silu"), _GLOROT, "x * sigmoid(x) (Keras 'silu'): smooth and non-monotonic."
    ),
    ActivationSpec(
        "softplus", _keras_activation("softplus"), _GLOROT, "log(1 + exp(x)): a smooth ReLU, always positive."
    ),
    ActivationSpec(
        "sigmoid",
        _keras_activation("sigmoid"),
        _GLOROT,
        "1 / (1 + exp(-x)): saturates; rarely right for hidden layers.",
    ),
    ActivationSpec(
        "tanh", _keras_activation("tanh"), _GLOROT, "Zero-centred sigmoid in [-1, 1]; saturates in deep stacks."
    ),
    ActivationSpec("linear", None, _GLOROT, "Identity: no activation layer (the Dense output is kept as is)."),
    ActivationSpec("maxout", None, _GLOROT, "Max of affine pieces: a Maxout layer replaces the Dense itself."),
]

ACTIVATIONS: dict[str, ActivationSpec] = {spec.name: spec for spec in _ROWS}


def _spec(name):
    if name not in ACTIVATIONS:
        raise UserError(unknown_name("activation", name, ACTIVATIONS))
    return ACTIVATIONS[name]


def activation_layer(name):
    """Return a new layer applying activation `name` after a `Dense`.

    Args:
        name: A key of `ACTIVATIONS`.

    Returns:
        A fresh `keras.layers.Layer`, or `None` for `"linear"` (nothing to add)
        and `"maxout"` (use `Maxout` in place of the `Dense`; see `is_maxout`).

    Raises:
        ValueError: If `name` is not in `ACTIVATIONS`; the message lists the
            valid names.

    Examples:
        >>> activation_layer("swish").get_config()["activation"]
        'silu'
        >>> activation_layer("linear") is None
        True
    """
    spec = _spec(name)
    return None if spec.layer is None else spec.layer()


def is_maxout(name):
    """Whether activation `name` means "a `Maxout` layer instead of `Dense`".

    Args:
        name: A key of `ACTIVATIONS`.

    Returns:
        `True` for `"maxout"`, `False` for every other valid name.

    Raises:
        ValueError: If `name` is not in `ACTIVATIONS`.

    Examples:
        >>> is_maxout("maxout"), is_maxout("relu")
        (True, False)
    """
    return _spec(name).name == "maxout"


def default_initializer(name):
    """Return the kernel initializer that suits activation `name`.

    He normal for the ReLU family, LeCun normal for SELU, Glorot uniform
    otherwise; the module docstring gives the reasoning.

    Args:
        name: A key of `ACTIVATIONS`.

    Returns:
        A Keras initializer identifier string.

    Raises:
        ValueError: If `name` is not in `ACTIVATIONS`.

    Examples:
        >>> default_initializer("relu"), default_initializer("selu")
        ('he_normal', 'lecun_normal')
    """
    return _spec(name).initializer


def hidden_block(units, activation, *, kernel_initializer=None, **dense_kwargs):
    """Return the layers of one hidden layer: `[Dense, activation]` or `[Maxout]`.

    Args:
        units: Number of output units, an integer >= 1.
        activation: A key of `ACTIVATIONS`.
        kernel_initializer: Kernel initializer, or `None` for
            `default_initializer(activation)`. Defaults to `None`.
        **dense_kwargs: Further arguments shared by `Dense` and `Maxout`:
            `use_bias`, `kernel_regularizer`, `bias_regularizer`, `name`.

    Returns:
        A list of one or two new layers to apply in order.

    Raises:
        ValueError: If `activation` is not in `ACTIVATIONS`, or `units` is
            invalid.

    Examples:
        >>> [type(layer).__name__ for layer in hidden_block(8, "relu")]
        ['Dense', 'Activation']
        >>> [type(layer).__name__ for layer in hidden_block(8, "maxout")]
        ['Maxout']
    """
    spec = _spec(activation)
    initializer = kernel_initializer or spec.initializer
    if is_maxout(activation):
        return [recipe_layers.Maxout(units, kernel_initializer=initializer, **dense_kwargs)]
    dense = keras.layers.Dense(units, kernel_initializer=initializer, **dense_kwargs)
    act = activation_layer(activation)
    return [dense] if act is None else [dense, act]


__all__ = [
    "ACTIVATIONS",
    "ActivationSpec",
    "activation_layer",
    "default_initializer",
    "hidden_block",
    "is_maxout",
]
