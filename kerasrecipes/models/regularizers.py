"""Weight regularizers: the elastic net penalty and one factory for L1/L2/elastic net.

The elastic net (Zou & Hastie, 2005) mixes the L1 (lasso) and L2 (ridge) penalties
with one overall strength `rate` (lambda) and one mixing weight `beta`::

    penalty(w) = rate * sum_j (beta * |w_j| + (1 - beta) / 2 * w_j ** 2)

`beta=1` is pure L1 (sparsity), `beta=0` is pure L2 scaled by 1/2 (shrinkage), and
values in between keep the sparsity of L1 while staying stable when features are
correlated.
"""

from __future__ import annotations

import keras
from keras import ops

from kerasrecipes._validation import Interval, check
from kerasrecipes.errors import UserError

_NON_NEGATIVE = Interval("real", 0.0, None)
_UNIT_INTERVAL = Interval("real", 0.0, 1.0)


@keras.saving.register_keras_serializable(package="kerasrecipes")
class ElasticNet(keras.regularizers.Regularizer):
    """Elastic net penalty: `rate * sum(beta * |w| + (1 - beta) / 2 * w**2)`.

    `rate` is the overall regularization strength (lambda): the penalty scales
    linearly with it. `beta` is the L1 share of the mix: `beta=1` is a pure L1
    penalty, `beta=0` a pure (halved) L2 penalty.

    The penalty equals `keras.regularizers.L1L2(l1=rate * beta,
    l2=rate * (1 - beta) / 2)`; this class exists so that sweeps can vary the
    strength and the mix independently, with one name for each.

    Args:
        rate: Overall strength lambda, a real number >= 0. Defaults to `0.01`.
        beta: L1 share of the penalty, a real number in [0, 1].
            Defaults to `0.5`.

    Raises:
        ValueError: If `rate` is negative or `beta` is outside [0, 1].
        TypeError: If either argument is not a real number.

    Examples:
        >>> import numpy as np
        >>> reg = ElasticNet(rate=0.1, beta=0.5)
        >>> float(reg(np.array([[1.0, -2.0]], dtype="float32")))  # doctest: +ELLIPSIS
        0.275...
        >>> layer = keras.layers.Dense(3, kernel_regularizer=reg)
    """

    def __init__(self, rate=0.01, beta=0.5):
        self.rate = check("rate", rate, _NON_NEGATIVE)
        self.beta = check("beta", beta, _UNIT_INTERVAL)

    def __call__(self, x):
        l1_weight = ops.cast(self.beta, x.dtype)
        l2_weight = ops.cast((1.0 - self.beta) / 2.0, x.dtype)
        per_weight = l1_weight * ops.absolute(x) + l2_weight * ops.square(x)
        return ops.cast(self.rate, x.dtype) * ops.sum(per_weight)

    def get_config(self):
        return {"rate": self.rate, "beta": self.beta}

    def __repr__(self):
        return f"ElasticNet(rate={self.rate!r}, beta={self.beta!r})"


def make_regularizer(l1=0.0, l2=0.0, elastic_net=0.0, elastic_net_beta=0.5):
    """Build the weight regularizer a recipe asks for, or `None` for none.

    Either the plain penalties (`l1`, `l2`, Keras's `L1`, `L2` or `L1L2`) or the
    elastic net (`elastic_net` strength with `elastic_net_beta` mix) can be set,
    not both: an elastic net already contains an L1 and an L2 term, so adding more
    would give two names for one knob. `None` for any argument means its default.

    Args:
        l1: L1 factor, `l1 * sum(|w|)`, a real number >= 0. Defaults to `0.0`.
        l2: L2 factor, `l2 * sum(w**2)`, a real number >= 0. Defaults to `0.0`.
        elastic_net: Elastic net strength `rate` (see `ElasticNet`), a real
            number >= 0. Defaults to `0.0`.
        elastic_net_beta: Elastic net L1 share `beta`, a real number in [0, 1].
            Only used when `elastic_net > 0`. Defaults to `0.5`.

    Returns:
        `None` when every strength is zero; `keras.regularizers.L1`, `L2` or
        `L1L2` when only `l1`/`l2` are set; an `ElasticNet` when `elastic_net`
        is set.

    Raises:
        ValueError: If a value is out of range, or if `elastic_net` is combined
            with `l1` or `l2`.
        TypeError: If a value is not a real number.

    Examples:
        >>> make_regularizer() is None
        True
        >>> type(make_regularizer(l2=1e-4)).__name__
        'L2'
        >>> make_regularizer(elastic_net=1e-3, elastic_net_beta=0.2)
        ElasticNet(rate=0.001, beta=0.2)
    """
    l1 = check("l1", 0.0 if l1 is None else l1, _NON_NEGATIVE)
    l2 = check("l2", 0.0 if l2 is None else l2, _NON_NEGATIVE)
    elastic_net = check("elastic_net", 0.0 if elastic_net is None else elastic_net, _NON_NEGATIVE)
    beta = check(
        "elastic_net_beta",
        0.5 if elastic_net_beta is None else elastic_net_beta,
        _UNIT_INTERVAL,
    )
    if elastic_net > 0 and (l1 > 0 or l2 > 0):
        raise UserError(
            "Only one of `l1`/`l2` and `elastic_net` can be set. "
            f"Received: l1={l1}, l2={l2}, elastic_net={elastic_net}. "
            "An elastic net already has an L1 and an L2 term: set "
            "`elastic_net_beta` to mix them, or use `l1`/`l2` alone."
        )
    if elastic_net > 0:
        return ElasticNet(rate=elastic_net, beta=beta)
    if l1 > 0 and l2 > 0:
        return keras.regularizers.L1L2(l1=l1, l2=l2)
    if l1 > 0:
        return keras.regularizers.L1(l1)
    if l2 > 0:
        return keras.regularizers.L2(l2)
    return None


__all__ = ["ElasticNet", "make_regularizer"]
