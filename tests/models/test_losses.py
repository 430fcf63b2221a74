"""Tests for kerasrecipes.models.losses: BarronLoss and the LOSSES table."""

import dataclasses
import inspect
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasrecipes.models import losses

SCALE = 1.5
RESIDUALS = np.array([[0.0, 0.1, -0.7], [1.0, -2.5, 4.0], [-10.0, 30.0, 0.01]])

CLOSED_FORMS = {
    2.0: lambda z: 0.5 * z,  # L2
    1.0: lambda z: np.sqrt(z + 1.0) - 1.0,  # pseudo-Huber
    0.0: lambda z: np.log(0.5 * z + 1.0),  # Cauchy
    -2.0: lambda z: 2.0 * z / (z + 4.0),  # Geman-McClure
    -math.inf: lambda z: 1.0 - np.exp(-0.5 * z),  # Welsch
}


def barron_numpy(x, alpha, scale):
    """Barron's general formula in float64, straight from the paper."""
    z = (np.asarray(x, dtype="float64") / scale) ** 2
    b = abs(alpha - 2.0)
    return b / alpha * ((z / b + 1.0) ** (alpha / 2.0) - 1.0)


def per_sample(loss, residuals):
    """Per-sample loss for y_true = 0, y_pred = residuals (mean over the last axis)."""
    residuals = np.asarray(residuals, dtype="float32")
    return np.asarray(loss(np.zeros_like(residuals), residuals)).astype("float64")


# Cheap cases loop inside one test: the shared teardown (clear_session) dominates runtime.
def test_barron_matches_closed_forms():
    for alpha, closed_form in CLOSED_FORMS.items():
        loss = losses.BarronLoss(alpha=alpha, scale=SCALE, reduction=None)
        expected = closed_form((RESIDUALS / SCALE) ** 2).mean(axis=-1)
        np.testing.assert_allclose(
            per_sample(loss, RESIDUALS), expected, rtol=1e-5, atol=1e-7, err_msg=f"alpha={alpha}"
        )


def test_barron_general_formula():
    for alpha in [-5.0, -0.5, 0.5, 1.5, 3.0, 10.0]:
        loss = losses.BarronLoss(alpha=alpha, scale=SCALE, reduction=None)
        expected = barron_numpy(RESIDUALS, alpha, SCALE).mean(axis=-1)
        np.testing.assert_allclose(
            per_sample(loss, RESIDUALS), expected, rtol=1e-5, atol=1e-7, err_msg=f"alpha={alpha}"
        )


def test_barron_is_stable_and_continuous_near_the_limits():
    near_zero = [(1e-6, 0.0), (-1e-6, 0.0), (1e-3, 0.0)]
    near_two = [(2 - 1e-6, 2.0), (2 + 1e-6, 2.0), (1.999, 2.0)]
    for alpha, limit in near_zero + near_two:
        got = per_sample(losses.BarronLoss(alpha=alpha, scale=SCALE, reduction=None), RESIDUALS)
        # Stable: float32 agrees with the general formula evaluated in float64.
        reference = barron_numpy(RESIDUALS, alpha, SCALE).mean(axis=-1)
        np.testing.assert_allclose(got, reference, rtol=1e-5, err_msg=f"alpha={alpha}")
        # Continuous: a millionth away from the limit, the loss is the limit's closed form.
        if abs(alpha - limit) <= 1e-6:
            exact = CLOSED_FORMS[limit]((RESIDUALS / SCALE) ** 2).mean(axis=-1)
            np.testing.assert_allclose(got, exact, rtol=1e-4, err_msg=f"alpha={alpha}")


def test_barron_reduction_and_label_rank():
    y_pred = np.array([[0.5], [-1.0], [2.0]], dtype="float32")
    y_true = np.zeros(3, dtype="float32")  # rank 1 labels, as from a regression target
    mean = losses.BarronLoss(alpha=1.0)(y_true, y_pred)
    expected = (np.sqrt(y_pred[:, 0] ** 2 + 1.0) - 1.0).mean()
    np.testing.assert_allclose(float(mean), expected, rtol=1e-6)
    total = losses.BarronLoss(alpha=1.0, reduction="sum")(y_pred, y_pred)
    assert float(total) == 0.0


def test_barron_gradients_are_finite():
    y_true = tf.zeros((2, 4))
    y_pred = tf.Variable([[0.0, 1e-4, 1.0, -3.0], [1e3, -1e3, 1e-8, 20.0]])
    for alpha in [4.0, 2.0, 1.999999, 1.0, 1e-6, 0.0, -1e-6, -2.0, -100.0, -math.inf]:
        loss = losses.BarronLoss(alpha=alpha, scale=0.5)
        with tf.GradientTape() as tape:
            value = loss(y_true, y_pred)
        gradient = tape.gradient(value, y_pred).numpy()
        assert np.isfinite(float(value)), alpha
        assert np.all(np.isfinite(gradient)), alpha
        assert gradient[0, 0] == 0.0, alpha  # smooth minimum at zero residual
        # Never pushes the prediction away from the target (outliers may get ~0 gradient).
        assert np.all(gradient * y_pred.numpy() >= 0.0), alpha


BAD_ARGUMENTS = [
    (
        {"alpha": float("nan")},
        ValueError,
        r"`alpha` must be a real number or float\('-inf'\)\. Received: alpha=nan",
    ),
    ({"alpha": math.inf}, ValueError, r"Received: alpha=inf"),
    ({"alpha": "1"}, TypeError, r"`alpha` must be .* Received: alpha='1'"),
    ({"scale": 0.0}, ValueError, r"`scale` must be a real number > 0.0\. Received: scale=0.0"),
    ({"scale": -1.0}, ValueError, r"`scale` must be a real number > 0.0\. Received: scale=-1.0"),
    ({"reduction": "avg"}, ValueError, r"Received: reduction=avg"),
]


def test_barron_bad_arguments():
    for kwargs, error, message in BAD_ARGUMENTS:
        with pytest.raises(error, match=message):
            losses.BarronLoss(**kwargs)


@pytest.mark.parametrize(
    "make_loss",
    [
        lambda: losses.BarronLoss(alpha=0.5, scale=0.5),
        lambda: losses.BarronLoss(alpha=-math.inf, scale=0.5),
        lambda: losses.get_loss("huber", delta=0.25),  # Keras's own Huber forgets delta
    ],
    ids=["barron", "barron_welsch", "huber"],
)
def test_custom_loss_model_saves_and_reloads(tmp_path, make_loss):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=make_loss())
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(8, 1)).astype("float32")
    path = tmp_path / "custom_loss.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded.loss) is type(model.loss)
    assert loaded.loss.get_config() == model.loss.get_config()
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)


# The LOSSES table.

N_CLASSES = 3


def tiny_data(spec, rng):
    x = rng.normal(size=(16, 4)).astype("float32")
    if "regression" in spec.tasks:
        return x, rng.normal(size=(16, 1)).astype("float32"), 1
    if "binary" in spec.tasks:
        return x, rng.integers(0, 2, size=(16, 1)).astype("float32"), 1
    labels = rng.integers(0, N_CLASSES, size=(16,))
    if spec.one_hot_labels:
        labels = np.eye(N_CLASSES, dtype="float32")[labels]
    return x, labels, N_CLASSES


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_every_loss_compiles_and_fits_one_step(name):
    keras.utils.set_random_seed(0)
    spec = losses.LOSSES[name]
    x, y, units = tiny_data(spec, np.random.default_rng(0))
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(units, activation=spec.output_activation or "linear"),
        ]
    )
    model.compile(optimizer="sgd", loss=losses.get_loss(name))
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_loss_specs_are_consistent():
    for name, spec in losses.LOSSES.items():
        assert spec.name == name
        assert spec.tasks and spec.tasks <= losses.TASKS, name
        assert spec.output_activation in {None, "linear", "sigmoid", "softmax", "tanh"}, name
        if spec.from_logits:
            assert spec.output_activation == "linear", name
        if "regression" in spec.tasks:
            assert spec.output_activation is None, name
        loss = losses.get_loss(name)
        assert isinstance(loss, keras.losses.Loss), name
        assert bool(loss.get_config().get("from_logits", False)) == spec.from_logits, name
        assert spec.params <= set(inspect.signature(spec.factory).parameters), name
        with pytest.raises(dataclasses.FrozenInstanceError):
            spec.name = "other"


def test_get_loss_passes_parameters_and_drops_none():
    barron = losses.get_loss("barron", alpha=-2.0, scale=None)
    assert (barron.alpha, barron.scale) == (-2.0, 1.0)
    huber = losses.get_loss("huber", delta=3.0)
    assert isinstance(huber, keras.losses.Huber)
    assert huber.get_config()["delta"] == 3.0
    value = huber(np.zeros((1, 1)), np.full((1, 1), 5.0))
    np.testing.assert_allclose(float(value), 3.0 * (5.0 - 1.5))  # delta * (|x| - delta / 2)
    message = r"`delta` must be a real number > 0.0\. Received: delta=0.0"
    with pytest.raises(ValueError, match=message):
        losses.get_loss("huber", delta=0.0)


def test_get_loss_unknown_name_lists_valid_names():
    message = r"Unknown loss 'mean_squared_eror'\. Did you mean 'mean_squared_error'\?"
    with pytest.raises(ValueError, match=message) as info:
        losses.get_loss("mean_squared_eror")
    for name in losses.LOSSES:
        assert name in str(info.value)


def test_get_loss_unknown_parameter():
    message = r"Unrecognized parameters for loss 'huber': \['alpha'\].*Received: params="
    with pytest.raises(ValueError, match=message):
        losses.get_loss("huber", alpha=1.0)


def test_sparse_label_smoothing_equals_keras_categorical_smoothing_and_round_trips():
    from kerasrecipes.models.losses import SparseCategoricalCrossentropy

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=16)
    logits = rng.normal(size=(16, 4)).astype("float32")
    for from_logits, pred in ((True, logits), (False, keras.ops.convert_to_numpy(keras.ops.softmax(logits)))):
        ours = SparseCategoricalCrossentropy(from_logits=from_logits, label_smoothing=0.2)
        theirs = keras.losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=0.2)
        assert float(ours(labels, pred)) == pytest.approx(float(theirs(np.eye(4)[labels], pred)), rel=1e-6)
        plain = SparseCategoricalCrossentropy(from_logits=from_logits)
        assert float(plain(labels, pred)) == pytest.approx(
            float(keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)(labels, pred)), rel=1e-6
        )
    again = keras.losses.deserialize(keras.losses.serialize(ours))
    assert again.label_smoothing == 0.2 and again.from_logits is False


@pytest.mark.parametrize(
    "scenario, loss_type",
    [("binary-small-dataset", "BinaryCrossentropy"), ("multiclass-less-features", "SparseCategoricalCrossentropy")],
)
def test_recipe_label_smoothing_reaches_the_loss(scenario, loss_type):
    from kerasrecipes.recipes import build_model

    n_classes = 2 if scenario.startswith("binary") else 3
    model = build_model({"scenario": scenario, "label_smoothing": 0.1, "units": 4}, (3,), n_classes=n_classes)
    assert type(model.loss).__name__ == loss_type and model.loss.label_smoothing == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"`label_smoothing` must be 0 with loss 'mean_squared_error'"):
        build_model({"scenario": "regression-less-features", "label_smoothing": 0.1}, (3,))
