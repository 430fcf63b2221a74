"""The NumPy reference: seed 004's worked example, TensorFlow autodiff, finite differences."""

import math

import numpy as np
import pytest

from kerasrecipes.models import reference

SIZES = [[3, 5, 2], [4, 8, 8, 1], [2, 3, 3]]
SEED = reference.SEED_004_EXAMPLE
PRINTED = SEED["printed"]

# The seed rounds a2 and a3 to 3 decimals (relative error <= 5e-4 / 0.627 ~ 8e-4) and
# multiplies up to three such factors, printing 3-4 significant digits: its numbers are
# within ~3e-3 relative of the exact ones. 5e-3 leaves margin without hiding a wrong term.
SEED_RTOL = 5e-3


@pytest.fixture(scope="module")
def tf():
    import tensorflow

    return tensorflow


def _tf_gradients(tf, params, x, y, activations, loss):
    """The same network and loss in TensorFlow (Keras activations and losses), float64."""
    import keras

    names = [activations] * len(params) if isinstance(activations, str) else activations
    variables = [(tf.Variable(w), tf.Variable(b)) for w, b in params]
    y = tf.constant(y)
    with tf.GradientTape(persistent=True) as tape:
        a = tf.constant(np.atleast_2d(x))
        zs = []
        for (w, b), name in zip(variables, names):
            z = tf.matmul(a, w, transpose_b=True) + b
            zs.append(z)
            a = keras.activations.get(name)(z)
        if loss == "squared_error":
            per_sample = 0.5 * tf.reduce_sum((a - y) ** 2, axis=-1)
        else:
            per_sample = keras.losses.get(loss)(y, a)
        cost = tf.reduce_mean(per_sample)
    flat = [v for pair in variables for v in pair]
    grads = tape.gradient(cost, flat)
    return {
        "loss": float(cost),
        "dW": [g.numpy() for g in grads[0::2]],
        "db": [g.numpy() for g in grads[1::2]],
        "dz": [g.numpy() for g in tape.gradient(cost, zs)],
    }


def _targets(rng, loss, shape):
    if loss == "binary_crossentropy":
        return rng.uniform(0.0, 1.0, size=shape)
    if loss == "categorical_crossentropy":
        return np.eye(shape[1])[rng.integers(0, shape[1], size=shape[0])]
    return rng.normal(size=shape)


def _assert_same(ours, theirs, atol=1e-6):
    assert ours["loss"] == pytest.approx(theirs["loss"], abs=atol)
    for key in ("dW", "db", "dz"):
        assert len(ours[key]) == len(theirs[key])
        for mine, other in zip(ours[key], theirs[key]):
            assert mine.shape == other.shape
            np.testing.assert_allclose(mine, other, rtol=0, atol=atol)


# --- seed 004's worked example -------------------------------------------------------


def _exact_for(key):
    """The exact value the printed `key` stands for, shaped like the printed one."""
    value = reference.seed_004_example()[key]
    if key == "dJ_dW1":  # Printed: only the x1 column.
        value = value[:, 0]
    return np.ravel(value)


@pytest.mark.parametrize("key", sorted(PRINTED))
def test_seed_printed_values_within_rounding(key):
    printed, exact = np.ravel(PRINTED[key]), _exact_for(key)
    np.testing.assert_allclose(printed, exact, rtol=SEED_RTOL, atol=0)
    # The notes say which printed values are exact and which are rounded.
    assert np.allclose(printed, exact, rtol=1e-9, atol=0) == (SEED["notes"][key] == "exact")


def test_seed_headline_numbers():
    ex = reference.seed_004_example()
    assert ex["a3"] == pytest.approx(0.739, abs=5e-4)
    assert ex["dJ_dz3"] == pytest.approx(-0.0503, abs=5e-5)
    np.testing.assert_allclose(ex["dJ_dW2"], [[-0.03155, -0.03587]], atol=5e-6)


def test_seed_rounded_values_are_reused():
    # Replaying the seed's arithmetic with its 3-decimal a2 and a3 gives its printed numbers.
    a2, a3, y = np.array(PRINTED["a2"]), PRINTED["a3"], SEED["y"]
    assert 0.5 * a2[0] + 0.6 * a2[1] + 0.3 == pytest.approx(PRINTED["z3"], abs=1e-12)
    assert 0.5 * (y - a3) ** 2 == pytest.approx(PRINTED["J"], abs=5e-6)
    assert a3 * (1 - a3) == pytest.approx(PRINTED["sigma_prime_z3"], abs=5e-5)
    assert (a3 - y) * PRINTED["sigma_prime_z3"] == pytest.approx(PRINTED["dJ_dz3"], abs=5e-5)
    # ... while the exact values are further from the printed ones than float error.
    ex = reference.seed_004_example()
    assert abs(ex["z3"] - PRINTED["z3"]) > 1e-5
    assert abs(ex["J"] - PRINTED["J"]) > 1e-5


def test_seed_dz2_second_entry_is_truncated():
    exact = reference.seed_004_example()["dJ_dz2"][1]
    assert round(exact, 5) == pytest.approx(-0.00618)
    assert PRINTED["dJ_dz2"][1] == -0.00617


def test_seed_sigmoid_table_sign_typo():
    z2 = np.array(PRINTED["z2"])
    typo = 1.0 / (1.0 + np.exp(z2))  # The table's 1 / (1 + e^{z}).
    np.testing.assert_allclose(typo, 1.0 - np.array(PRINTED["a2"]), atol=5e-4)
    assert not np.allclose(typo, PRINTED["a2"], atol=1e-2)
    np.testing.assert_allclose(reference.ACTIVATIONS["sigmoid"].function(z2), PRINTED["a2"], atol=5e-4)


def test_seed_squared_error_derivative_sign():
    a, y, h = np.array([[0.739]]), np.array([[1.0]]), 1e-6
    row = reference.LOSSES["squared_error"]
    numeric = (row.function(a + h, y) - row.function(a - h, y)) / (2 * h)
    assert row.derivative(a, y)[0, 0] == pytest.approx(numeric[0], abs=1e-9)
    assert row.derivative(a, y)[0, 0] == pytest.approx(-(y - a)[0, 0])  # The table's y - a is wrong.
    assert PRINTED["dJ_dz3"] < 0  # The worked example uses a - y.


def test_seed_cost_is_half_squared_error_not_mse():
    ex = reference.seed_004_example()
    a3, y = np.array([[ex["a3"]]]), np.array([[SEED["y"]]])
    assert reference.LOSSES["squared_error"].function(a3, y)[0] == pytest.approx(ex["J"])
    mse = reference.LOSSES["mse"].function(a3, y)[0]
    assert mse == pytest.approx(2 * ex["J"])
    assert not math.isclose(mse, PRINTED["J"], rel_tol=0.1)


def test_seed_w2_gradient_is_a_row():
    ex = reference.seed_004_example()
    w2 = np.array(SEED["params"][1][0])
    assert w2.shape == ex["dJ_dW2"].shape == (1, 2)
    np.testing.assert_allclose(ex["dJ_dW2"][0], PRINTED["dJ_dW2"], rtol=SEED_RTOL)


def test_seed_dw1_lists_only_the_first_column():
    ex = reference.seed_004_example()
    full, x = ex["dJ_dW1"], np.array(SEED["x"])
    assert full.shape == (2, 2)
    np.testing.assert_allclose(full, np.outer(ex["dJ_dz2"], x), rtol=1e-12)
    np.testing.assert_allclose(full[:, 0], PRINTED["dJ_dW1"], rtol=SEED_RTOL)
    np.testing.assert_allclose(full[:, 1], [-0.004705, -0.004941], atol=5e-7)
    assert not np.allclose(full[:, 1], PRINTED["dJ_dW1"], rtol=0.1)


def test_seed_full_gradient_matches_tensorflow(tf):
    params = [(np.array(w, dtype=float), np.array(b, dtype=float)) for w, b in SEED["params"]]
    ours = reference.gradients(params, SEED["x"], SEED["y"], "sigmoid", "squared_error")
    theirs = _tf_gradients(tf, params, SEED["x"], np.array([[SEED["y"]]]), "sigmoid", "squared_error")
    _assert_same(ours, theirs, atol=1e-12)


# --- TensorFlow autodiff on random networks ------------------------------------------


@pytest.mark.parametrize("activation", sorted(reference.ACTIVATIONS))
def test_activation_matches_tensorflow(tf, activation):
    import keras

    z = np.array([[-30.0, -2.5, -0.3, 0.0, 0.4, 1.7, 30.0], [-1e-3, 0.0, 1e-3, 2.0, -2.0, 5.0, -5.0]])
    row = reference.ACTIVATIONS[activation]
    tz = tf.constant(z)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(tz)
        out = keras.activations.get(activation)(tz)
    if activation == "softmax":
        expected = tape.batch_jacobian(out, tz).numpy()
    else:
        expected = tape.gradient(out, tz).numpy()
    # rtol 1e-7, not 1e-12: TF stores leaky_relu's slope as a float32 attribute (0.2000000030).
    np.testing.assert_allclose(row.function(z), out.numpy(), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(row.derivative(z), expected, rtol=1e-7, atol=1e-12)


def test_relu_derivative_at_zero_follows_tensorflow_not_the_seed():
    assert reference.ACTIVATIONS["relu"].derivative(np.array([0.0]))[0] == 0.0
    assert reference.ACTIVATIONS["leaky_relu"].derivative(np.array([0.0]))[0] == 0.2


def _cases(names, uses_softmax):
    """Every (sizes, name) pair, except a softmax over a single output unit (constant 1)."""
    return [
        pytest.param(sizes, name, id=f"{name}-{sizes}")
        for sizes in SIZES
        for name in sorted(names)
        if not (uses_softmax(name) and sizes[-1] == 1)
    ]


@pytest.mark.parametrize(("sizes", "activation"), _cases(reference.ACTIVATIONS, lambda name: name == "softmax"))
def test_every_activation_matches_tensorflow(tf, sizes, activation):
    rng = np.random.default_rng(len(sizes))
    params = reference.init_params(sizes, seed=1)
    x, y = rng.normal(size=(4, sizes[0])), rng.normal(size=(4, sizes[-1]))
    ours = reference.gradients(params, x, y, activation, "mse")
    _assert_same(ours, _tf_gradients(tf, params, x, y, activation, "mse"))


LOSS_OUTPUTS = {
    "squared_error": "linear",
    "mse": "sigmoid",
    "binary_crossentropy": "sigmoid",
    "categorical_crossentropy": "softmax",
}


@pytest.mark.parametrize(("sizes", "loss"), _cases(reference.LOSSES, lambda name: LOSS_OUTPUTS[name] == "softmax"))
def test_every_loss_matches_tensorflow(tf, sizes, loss):
    rng = np.random.default_rng(7)
    params = reference.init_params(sizes, seed=2)
    activations = ["tanh"] * (len(sizes) - 2) + [LOSS_OUTPUTS[loss]]
    x, y = rng.normal(size=(5, sizes[0])), _targets(rng, loss, (5, sizes[-1]))
    ours = reference.gradients(params, x, y, activations, loss)
    _assert_same(ours, _tf_gradients(tf, params, x, y, activations, loss))


def test_mixed_activations_match_tensorflow(tf):
    rng = np.random.default_rng(3)
    params = reference.init_params([4, 6, 5, 3], seed=3)
    activations = ["selu", "leaky_relu", "softmax"]
    x, y = rng.normal(size=(6, 4)), _targets(rng, "categorical_crossentropy", (6, 3))
    ours = reference.gradients(params, x, y, activations, "categorical_crossentropy")
    _assert_same(ours, _tf_gradients(tf, params, x, y, activations, "categorical_crossentropy"))


def test_softmax_crossentropy_reduces_to_a_minus_y():
    rng = np.random.default_rng(4)
    params = reference.init_params([3, 4, 3], seed=4)
    x, y = rng.normal(size=(5, 3)), _targets(rng, "categorical_crossentropy", (5, 3))
    g = reference.gradients(params, x, y, ["relu", "softmax"], "categorical_crossentropy")
    np.testing.assert_allclose(g["dz"][-1], (g["a"][-1] - y) / 5, atol=1e-12)


def test_batch_gradient_is_the_mean_of_sample_gradients():
    rng = np.random.default_rng(5)
    params = reference.init_params([3, 4, 2], seed=5)
    x, y = rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    batch = reference.gradients(params, x, y, "tanh", "squared_error")
    samples = [reference.gradients(params, x[i], y[i], "tanh", "squared_error") for i in range(3)]
    for m in range(2):
        np.testing.assert_allclose(batch["dW"][m], np.mean([s["dW"][m] for s in samples], axis=0))
        np.testing.assert_allclose(batch["db"][m], np.mean([s["db"][m] for s in samples], axis=0))


def test_finite_differences():
    rng = np.random.default_rng(6)
    params = reference.init_params([3, 4, 3], seed=6)
    activations, loss = ["elu", "softmax"], "categorical_crossentropy"
    x, y = rng.normal(size=(4, 3)), _targets(rng, loss, (4, 3))
    grads = reference.gradients(params, x, y, activations, loss)

    def cost(p):
        return reference.gradients(p, x, y, activations, loss)["loss"]

    h = 1e-6
    for m, (w, b) in enumerate(params):
        for array, analytic in ((w, grads["dW"][m]), (b, grads["db"][m])):
            for index in np.ndindex(array.shape):
                saved = array[index]
                array[index] = saved + h
                up = cost(params)
                array[index] = saved - h
                down = cost(params)
                array[index] = saved
                assert analytic[index] == pytest.approx((up - down) / (2 * h), abs=1e-8)


# --- validation ---------------------------------------------------------------------


def _good():
    return reference.init_params([2, 3, 1], seed=0)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: reference.forward(_good(), np.ones((4, 3))),
            ValueError,
            r"`x.shape` must be \(batch, 2\) to match W\^1.shape=\(3, 2\)\. Received: x.shape=\(4, 3\)",
        ),
        (
            lambda: reference.forward([(np.ones((3, 2)), np.ones(3)), (np.ones((1, 4)), np.ones(1))], np.ones(2)),
            ValueError,
            r"`W\^2.shape` must be \(N\^2, 3\) to follow W\^1.shape=\(3, 2\)\. Received: W\^2.shape=\(1, 4\)",
        ),
        (
            lambda: reference.forward([(np.ones((3, 2)), np.ones(2))], np.ones(2)),
            ValueError,
            r"`b\^1.shape` must be \(3,\) to match W\^1.shape=\(3, 2\)\. Received: b\^1.shape=\(2,\)",
        ),
        (
            lambda: reference.forward(_good(), np.ones(2), "sigmoidd"),
            ValueError,
            r"`activation` must be one of: 'elu', .*'tanh'\. Received: activation='sigmoidd'",
        ),
        (
            lambda: reference.forward(_good(), np.ones(2), ["relu"]),
            ValueError,
            r"`activations` must be a name or a sequence of 2 names",
        ),
        (lambda: reference.forward(_good(), np.ones(2), 3), ValueError, r"`activations` must be"),
        (lambda: reference.forward(_good(), np.ones(2), [None, "relu"]), TypeError, r"`activation` must be a string"),
        (lambda: reference.forward([], np.ones(2)), TypeError, r"`params` must be a non-empty"),
        (lambda: reference.forward(_good(), "abc"), TypeError, r"`x` must be an array of real"),
        (
            lambda: reference.gradients(_good(), np.ones(2), 1.0, loss="hinge"),
            ValueError,
            r"`loss` must be one of: 'binary_crossentropy', 'categorical_crossentropy', 'mse', "
            r"'squared_error'\. Received: loss='hinge'",
        ),
        (
            lambda: reference.gradients(_good(), np.ones((4, 2)), np.ones((4, 2))),
            ValueError,
            r"`y.shape` must be \(4, 1\), the shape of the network output\. Received: y.shape=\(4, 2\)",
        ),
        (lambda: reference.backward(_good(), {}, 1.0), ValueError, r"`cache` must be the dict"),
        (
            lambda: reference.forward(_good(), np.ones((1, 1, 2))),
            ValueError,
            r"`x.shape` must be 1-D or 2-D\. Received: x.shape=\(1, 1, 2\)",
        ),
        (lambda: reference.init_params([3]), ValueError, r"`layer_sizes` must be a list of at least two"),
    ],
)
def test_invalid_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_flat_targets_are_reshaped():
    g = reference.gradients(_good(), np.ones((4, 2)), np.zeros(4))
    assert g["dz"][-1].shape == (4, 1)
