"""Forward and backward passes of dense networks in plain NumPy.

This is the reference the Keras models are checked against: every derivative is
written out by hand, so a test can compare it with TensorFlow's autodiff.

Conventions (the seed's general notation, layers numbered `m = 1 .. L`):

- `params` is a sequence of `(W, b)` pairs, one per layer. `W^m` has shape
  `(N^m, N^{m-1})` (row `i` holds the weights into unit `i`) and `b^m` has
  shape `(N^m,)`.
- Samples are rows: `x` has shape `(batch, N^0)` (a 1-D `x` is a batch of one),
  `z^m = a^{m-1} W^m.T + b^m` and `a^m = sigma^m(z^m)` have shape `(batch, N^m)`.
- The cost `C` is the mean over the batch of a per-sample loss (Keras's
  `"sum_over_batch_size"` reduction), so every returned gradient already
  carries the `1 / batch` factor. For one sample the two coincide.
- The cross-entropies clip `a` to `[EPSILON, 1 - EPSILON]` as Keras does (zero
  gradient where the clip is active). Keras also renormalizes `a` to sum to 1
  before `categorical_crossentropy`; this module does not, which changes
  `dC/da` but not `dC/dz` for a softmax output.

Seed 004's worked example (a 2-2-1 sigmoid network) is in `SEED_004_EXAMPLE`
and `seed_004_example()`. Where the seed's text is wrong or rounded:

1. Its backprop tables write the sigmoid as `1 / (1 + e^{z})`; the worked
   example (and this module) uses `1 / (1 + e^{-z})`.
2. Its cost table gives `dC/da = y - a` for the squared error; the correct
   derivative, used by the worked example, is `a - y`.
3. It calls `J = 1/2 (y - yhat)^2` "MSE". That is `"squared_error"` here;
   `"mse"` is Keras's mean over outputs without the 1/2 (twice as large).
4. It prints `W^2` and `dJ/dW^2` as columns but multiplies `W^2` as a row;
   with `W^m` of shape `(N^m, N^{m-1})` both are `1 x 2`.
5. It numbers the input as layer 1, so its `z^2 = W^1 x + b^1`; here layer
   indices are shared by `W^m` and `z^m` (its `z^2, z^3` are `z[0], z[1]`).
6. It rounds `a^2` and `a^3` to 3 decimals and reuses them, so later numbers
   differ from the exact ones in the 3rd-4th significant digit (exact
   `z^3 = 1.041374`, `J = 0.034030`, `sigma'(z^3) = 0.192824`); its
   `dJ/dz^2_2 = -0.00617` is truncated (exact `-0.0061764`).
7. Its `dJ/dW^1 = (-0.00294, -0.00308)` is only the `x_1 = 0.5` column of
   the outer product `dJ/dz^2 x^T`; the `x_2 = 0.8` column
   `(-0.004705, -0.004941)` is missing.
8. Its ReLU table sets the derivative to 1 at `z = 0`; this module follows
   TensorFlow's choice at the kink (ReLU 0, leaky ReLU its slope 0.2, ELU 1,
   SELU its scale).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.errors import UserError

EPSILON = 1e-7  # Keras's `backend.epsilon()`: probabilities are clipped to [eps, 1 - eps].
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class Activation(NamedTuple):
    """An activation row: `function(z)` and `derivative(z)`.

    `derivative` returns `da/dz` elementwise (shape of `z`), or for activations
    that mix units (softmax) the per-sample Jacobian `J[b, i, j] = da_i/dz_j`
    of shape `(batch, N, N)`.

    Examples:
        >>> row = ACTIVATIONS["sigmoid"]
        >>> float(row.function(np.array(0.0))), float(row.derivative(np.array(0.0)))
        (0.5, 0.25)
    """

    function: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]


class Loss(NamedTuple):
    """A loss row: per-sample `function(a, y)` -> `(batch,)` and `derivative(a, y)` -> `dl/da`.

    `dl/da` has the shape of `a`, `(batch, N^L)`; `backward` divides it by the batch size.

    Examples:
        >>> row = LOSSES["squared_error"]
        >>> a, y = np.array([[0.75]]), np.array([[1.0]])
        >>> row.function(a, y), row.derivative(a, y)
        (array([0.03125]), array([[-0.25]]))
    """

    function: Callable[[np.ndarray, np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _elu(z, alpha=1.0):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_jacobian(z):
    s = _softmax(z)
    return s[:, :, None] * (np.eye(z.shape[-1])[None] - s[:, None, :])


def _swish_derivative(z):
    s = _sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


_SWISH = Activation(lambda z: z * _sigmoid(z), _swish_derivative)

ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation(lambda z: z, np.ones_like),
    "sigmoid": Activation(_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "tanh": Activation(np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": Activation(lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(np.float64)),
    "leaky_relu": Activation(  # Keras's default negative_slope=0.2.
        lambda z: np.where(z > 0, z, 0.2 * z), lambda z: np.where(z > 0, 1.0, 0.2)
    ),
    "elu": Activation(_elu, lambda z: np.where(z >= 0, 1.0, np.exp(np.minimum(z, 0.0)))),
    "selu": Activation(
        lambda z: _SELU_SCALE * _elu(z, _SELU_ALPHA),
        lambda z: _SELU_SCALE * np.where(z >= 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(z, 0.0))),
    ),
    "softplus": Activation(lambda z: np.logaddexp(0.0, z), _sigmoid),
    "swish": _SWISH,
    "silu": _SWISH,
    "softmax": Activation(_softmax, _softmax_jacobian),
}


def _clip(a):
    return np.clip(a, EPSILON, 1.0 - EPSILON)


def _inside(a):
    """Gradient of the clip: 1 where `a` is strictly inside [eps, 1 - eps], else 0."""
    return ((a > EPSILON) & (a < 1.0 - EPSILON)).astype(np.float64)


LOSSES: dict[str, Loss] = {
    # The seed's J: 1/2 sum_j (a_j - y_j)^2 per sample.
    "squared_error": Loss(lambda a, y: 0.5 * np.sum((a - y) ** 2, axis=-1), lambda a, y: a - y),
    # Keras's mean_squared_error: mean_j (a_j - y_j)^2 per sample.
    "mse": Loss(lambda a, y: np.mean((a - y) ** 2, axis=-1), lambda a, y: 2.0 * (a - y) / a.shape[-1]),
    # The seed's (y - 1) log(1 - a) - y log(a), averaged over outputs as Keras does.
    "binary_crossentropy": Loss(
        lambda a, y: np.mean((y - 1.0) * np.log(1.0 - _clip(a)) - y * np.log(_clip(a)), axis=-1),
        lambda a, y: _inside(a) * (_clip(a) - y) / (_clip(a) * (1.0 - _clip(a))) / a.shape[-1],
    ),
    # -sum_j y_j log(a_j); `a` is taken as a probability vector (e.g. a softmax output).
    "categorical_crossentropy": Loss(
        lambda a, y: -np.sum(y * np.log(_clip(a)), axis=-1),
        lambda a, y: -_inside(a) * y / _clip(a),
    ),
}


def _as_array(name, value, ndims):
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise UserError(_validation.invalid(name, "an array of real numbers", value)) from None
    if array.ndim not in ndims:
        expected = " or ".join(f"{n}-D" for n in ndims)
        raise UserError(_validation.invalid(f"{name}.shape", f"{expected}", array.shape))
    return array


def _check_params(params):
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or not params:
        expected = "a non-empty sequence of (W, b) pairs"
        raise UserError(_validation.invalid("params", expected, params))
    checked = []
    for m, pair in enumerate(params, start=1):
        if not isinstance(pair, Sequence) or len(pair) != 2:
            raise UserError(_validation.invalid(f"params[{m - 1}]", "a (W, b) pair", pair))
        w = _as_array(f"W^{m}", pair[0], (2,))
        b = _as_array(f"b^{m}", pair[1], (1,))
        if b.shape != (w.shape[0],):
            expected = f"({w.shape[0]},) to match W^{m}.shape={w.shape}"
            raise UserError(_validation.invalid(f"b^{m}.shape", expected, b.shape))
        if checked and w.shape[1] != checked[-1][0].shape[0]:
            prev = checked[-1][0].shape
            expected = f"(N^{m}, {prev[0]}) to follow W^{m - 1}.shape={prev}"
            raise UserError(_validation.invalid(f"W^{m}.shape", expected, w.shape))
        checked.append((w, b))
    return checked


def _check_activations(activations, num_layers):
    names = [activations] * num_layers if isinstance(activations, str) else activations
    if not isinstance(names, Sequence) or len(names) != num_layers:
        expected = f"a name or a sequence of {num_layers} names (one per layer)"
        raise UserError(_validation.invalid("activations", expected, activations))
    return [_lookup("activation", ACTIVATIONS, name) for name in names]


def _lookup(name, table, key):
    if not isinstance(key, str):
        raise UserError(_validation.invalid(name, "a string", key))
    if key not in table:
        expected = f"one of: {_validation.choices_text(table)}"
        raise UserError(_validation.invalid(name, expected, key))
    return table[key]


def init_params(layer_sizes, *, seed=0):
    """Draw random dense-network parameters in this module's layout.

    Weights are normal with standard deviation `1 / sqrt(N^{m-1})`; biases are
    normal with standard deviation 0.1, so no pre-activation sits exactly at 0.

    Args:
        layer_sizes: Units per layer, input first: `[N^0, N^1, ..., N^L]`,
            at least two positive integers.
        seed: Seed of the NumPy generator. Defaults to `0`.

    Returns:
        A list of `L` float64 `(W, b)` pairs, `W^m` of shape `(N^m, N^{m-1})`.

    Raises:
        ValueError: If `layer_sizes` has fewer than two entries or a size < 1.

    Examples:
        >>> [w.shape for w, _ in init_params([3, 5, 2])]
        [(5, 3), (2, 5)]
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in sizes):
        raise UserError(_validation.invalid("layer_sizes", "a list of at least two integers >= 1", layer_sizes))
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(0.0, n_in**-0.5, size=(n_out, n_in)), rng.normal(0.0, 0.1, size=n_out))
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


def forward(params, x, activations="sigmoid"):
    """Run the forward pass `z^m = a^{m-1} W^m.T + b^m`, `a^m = sigma^m(z^m)`.

    Args:
        params: Sequence of `L` `(W, b)` pairs, `W^m` of shape `(N^m, N^{m-1})`
            and `b^m` of shape `(N^m,)`.
        x: Input of shape `(batch, N^0)`, or `(N^0,)` for a single sample.
        activations: Name from `ACTIVATIONS` for every layer, or one name per
            layer. Defaults to `"sigmoid"`.

    Returns:
        The cache: a dict with `"z"`, the `L` pre-activations, and `"a"`, the
        `L + 1` activations starting with `a^0 = x`, all of shape `(batch, N)`.

    Raises:
        ValueError: If shapes do not chain or an activation name is unknown.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> cache = forward([([[1.0, -1.0]], [0.0])], [2.0, 1.0], "relu")
        >>> cache["a"][-1]
        array([[1.]])
    """
    layers = _check_params(params)
    table = _check_activations(activations, len(layers))
    a = _as_array("x", x, (1, 2))
    a = a[None, :] if a.ndim == 1 else a
    if a.shape[1] != layers[0][0].shape[1]:
        w1 = layers[0][0].shape
        expected = f"(batch, {w1[1]}) to match W^1.shape={w1}"
        raise UserError(_validation.invalid("x.shape", expected, a.shape))
    cache = {"z": [], "a": [a]}
    for (w, b), activation in zip(layers, table):
        z = a @ w.T + b
        a = activation.function(z)
        cache["z"].append(z)
        cache["a"].append(a)
    return cache


def backward(params, cache, y, activations="sigmoid", loss="squared_error"):
    """Backpropagate the batch-mean loss through a cache from `forward`.

    `dC/dz^L = dC/da^L . da^L/dz^L`, then `dC/dz^m = (dC/dz^{m+1} W^{m+1}) * sigma'(z^m)`,
    `dC/dW^m = dC/dz^m.T a^{m-1}` (summed over the batch) and
    `dC/db^m = sum over the batch of dC/dz^m`.

    Args:
        params: The `(W, b)` pairs given to `forward`.
        cache: The dict returned by `forward`.
        y: Targets of shape `(batch, N^L)`; `(batch,)` or `(N^L,)` or a scalar
            is accepted when it has the same number of entries.
        activations: The activations given to `forward`. Defaults to `"sigmoid"`.
        loss: Name from `LOSSES`. Defaults to `"squared_error"`.

    Returns:
        A dict with `"loss"` (float), and lists over layers `m = 1 .. L` of
        `"dW"` (shape of `W^m`), `"db"` (shape of `b^m`) and `"dz"` (shape of
        `z^m`, including the `1 / batch` factor).

    Raises:
        ValueError: If `y` does not match the output shape or a name is unknown.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> params = [([[1.0, 2.0]], [0.0])]
        >>> cache = forward(params, [1.0, 1.0], "linear")
        >>> backward(params, cache, 2.0, "linear", "squared_error")["dW"][0]
        array([[1., 1.]])
    """
    layers = _check_params(params)
    table = _check_activations(activations, len(layers))
    loss_row = _lookup("loss", LOSSES, loss)
    if not isinstance(cache, dict) or len(cache.get("z", ())) != len(layers):
        expected = f"the dict `forward` returns for {len(layers)} layers"
        raise UserError(_validation.invalid("cache", expected, type(cache).__name__))
    out = cache["a"][-1]
    target = _as_array("y", y, (0, 1, 2))
    if target.shape != out.shape:
        if target.ndim == 2 or target.size != out.size:
            expected = f"{out.shape}, the shape of the network output"
            raise UserError(_validation.invalid("y.shape", expected, target.shape))
        target = target.reshape(out.shape)
    batch = out.shape[0]
    grads = {"loss": float(np.mean(loss_row.function(out, target))), "dW": [], "db": [], "dz": []}
    da = loss_row.derivative(out, target) / batch
    for m in reversed(range(len(layers))):
        slope = table[m].derivative(cache["z"][m])
        dz = np.einsum("bi,bij->bj", da, slope) if slope.ndim == 3 else da * slope
        grads["dz"].insert(0, dz)
        grads["dW"].insert(0, dz.T @ cache["a"][m])
        grads["db"].insert(0, dz.sum(axis=0))
        da = dz @ layers[m][0]
    return grads


def gradients(params, x, y, activations="sigmoid", loss="squared_error"):
    """Run `forward` then `backward`; return the gradients with the cache merged in.

    Args:
        params: Sequence of `(W, b)` pairs (see `forward`).
        x: Input of shape `(batch, N^0)` or `(N^0,)`.
        y: Targets of shape `(batch, N^L)` (see `backward`).
        activations: One name for all layers or one per layer. Defaults to `"sigmoid"`.
        loss: Name from `LOSSES`. Defaults to `"squared_error"`.

    Returns:
        The dict of `backward` plus the `"z"` and `"a"` lists of `forward`.

    Raises:
        ValueError: On shape mismatches or unknown names.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> params = init_params([3, 4, 2])
        >>> grads = gradients(params, np.ones((5, 3)), np.zeros((5, 2)), "tanh", "mse")
        >>> [g.shape for g in grads["dW"]]
        [(4, 3), (2, 4)]
    """
    cache = forward(params, x, activations)
    return {**cache, **backward(params, cache, y, activations, loss)}


# Seed 004, "Neural Network Forward and Backward Propagation", as printed. Keys use the
# seed's layer numbering (input = layer 1); `notes` says how each value was rounded.
SEED_004_EXAMPLE = {
    "params": [([[0.2, 0.4], [0.3, 0.7]], [0.1, 0.2]), ([[0.5, 0.6]], [0.3])],
    "x": [0.5, 0.8],
    "y": 1.0,
    "activations": "sigmoid",
    "loss": "squared_error",
    "printed": {
        "z2": (0.52, 0.91),
        "a2": (0.627, 0.713),
        "z3": 1.0413,
        "a3": 0.739,
        "J": 0.03406,
        "sigma_prime_z3": 0.1929,
        "dJ_dz3": -0.0503,
        "dJ_dW2": (-0.03155, -0.03587),
        "dJ_db2": -0.0503,
        "dJ_dz2": (-0.00588, -0.00617),
        "dJ_dW1": (-0.00294, -0.00308),
        "dJ_db1": (-0.00588, -0.00617),
    },
    "notes": {
        "z2": "exact",
        "a2": "rounded to 3 decimals (exact 0.627148, 0.713000) and reused below",
        "z3": "from the rounded a2 (exact 1.041374)",
        "a3": "rounded to 3 decimals (exact 0.739115) and reused below",
        "J": "from the rounded a3 (exact 0.034030); 1/2 squared error, not MSE",
        "sigma_prime_z3": "a3 (1 - a3) from the rounded a3 (exact 0.192824)",
        "dJ_dz3": "rounded (exact -0.050305)",
        "dJ_dW2": "rounded (exact -0.031549, -0.035867); printed as a column, is a 1x2 row",
        "dJ_db2": "rounded (exact -0.050305)",
        "dJ_dz2": "second entry truncated (exact -0.005881, -0.006176)",
        "dJ_dW1": "only the x1 = 0.5 column of the 2x2 gradient (exact -0.002941, -0.003088);"
        " the x2 = 0.8 column (-0.004705, -0.004941) is missing",
        "dJ_db1": "same numbers as dJ_dz2 (exact -0.005881, -0.006176)",
    },
}


def seed_004_example():
    """Compute the worked 2-2-1 sigmoid example exactly, in float64.

    Returns:
        A dict keyed like `SEED_004_EXAMPLE["printed"]` with exact values for one
        sample (batch axis removed): `dJ_dW2` has shape `(1, 2)` and `dJ_dW1` is
        the full `(2, 2)` gradient, including the column the seed leaves out.

    Examples:
        >>> round(seed_004_example()["a3"], 3)
        0.739
    """
    s = SEED_004_EXAMPLE
    g = gradients(s["params"], s["x"], s["y"], s["activations"], s["loss"])
    return {
        "z2": g["z"][0][0],
        "a2": g["a"][1][0],
        "z3": float(g["z"][1][0, 0]),
        "a3": float(g["a"][2][0, 0]),
        "J": g["loss"],
        "sigma_prime_z3": float(ACTIVATIONS["sigmoid"].derivative(g["z"][1])[0, 0]),
        "dJ_dz3": float(g["dz"][1][0, 0]),
        "dJ_dW2": g["dW"][1],
        "dJ_db2": float(g["db"][1][0]),
        "dJ_dz2": g["dz"][0][0],
        "dJ_dW1": g["dW"][0],
        "dJ_db1": g["db"][0],
    }
