"""Tests for kerasrecipes.models.activations: the hidden-layer activation table."""

import keras
import numpy as np
import pytest

from kerasrecipes.models import activations, layers

NAMES = sorted(activations.ACTIVATIONS)

EXPECTED_INITIALIZER = {
    "relu": "he_normal",
    "leaky_relu": "he_normal",
    "prelu": "he_normal",
    "elu": "he_normal",
    "selu": "lecun_normal",
    "swish": "glorot_uniform",
    "softplus": "glorot_uniform",
    "sigmoid": "glorot_uniform",
    "tanh": "glorot_uniform",
    "linear": "glorot_uniform",
    "maxout": "glorot_uniform",
}

X = np.linspace(-3.0, 3.0, 13, dtype="float32").reshape(1, -1)
SIGMOID = 1.0 / (1.0 + np.exp(-X))
NUMPY_FORMS = {
    "relu": np.maximum(X, 0.0),
    "leaky_relu": np.where(X > 0, X, 0.01 * X),
    "prelu": np.maximum(X, 0.0),  # the learned slope starts at zero
    "selu": 1.0507009873554805 * np.where(X > 0, X, 1.6732632423543772 * np.expm1(X)),
    "elu": np.where(X > 0, X, np.expm1(X)),
    "swish": X * SIGMOID,
    "softplus": np.log1p(np.exp(X)),
    "sigmoid": SIGMOID,
    "tanh": np.tanh(X),
}


def test_table_has_the_seed_vocabulary():
    assert set(NAMES) == set(EXPECTED_INITIALIZER)
    for name, spec in activations.ACTIVATIONS.items():
        assert spec.name == name and spec.notes


@pytest.mark.parametrize("name", NAMES)
def test_every_activation_builds_and_fits_one_step(name):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), *activations.hidden_block(3, name), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.output_shape == (None, 1)


# Cheap cases loop inside one test: the shared teardown (clear_session) dominates runtime.
def test_activation_layer_and_is_maxout():
    for name in NAMES:
        layer = activations.activation_layer(name)
        assert activations.is_maxout(name) == (name == "maxout")
        if name in ("linear", "maxout"):
            assert layer is None, name
        else:
            assert isinstance(layer, keras.layers.Layer), name
            assert layer is not activations.activation_layer(name)  # fresh each call


def test_activation_values():
    for name, expected in NUMPY_FORMS.items():
        out = np.asarray(activations.activation_layer(name)(X))
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6, err_msg=name)


def test_default_initializer():
    for name, expected in EXPECTED_INITIALIZER.items():
        assert activations.default_initializer(name) == expected
        first = activations.hidden_block(2, name)[0]
        built = keras.initializers.get(expected)
        assert type(first.kernel_initializer) is type(built), name


def test_hidden_block_layers_and_overrides():
    maxout = activations.hidden_block(4, "maxout", use_bias=False, kernel_regularizer="l2")
    assert len(maxout) == 1 and isinstance(maxout[0], layers.Maxout)
    assert maxout[0].use_bias is False
    dense = activations.hidden_block(4, "relu", kernel_initializer="zeros")
    assert isinstance(dense[0].kernel_initializer, keras.initializers.Zeros)
    assert [type(layer).__name__ for layer in activations.hidden_block(4, "linear")] == ["Dense"]


def test_unknown_name_lists_valid_names():
    functions = [
        activations.activation_layer,
        activations.is_maxout,
        activations.default_initializer,
        lambda name: activations.hidden_block(3, name),
    ]
    for function in functions:
        message = r"Unknown activation 'rleu'\. Did you mean 'relu'\?"
        with pytest.raises(ValueError, match=message) as info:
            function("rleu")
        assert "Expected one of: " + ", ".join(NAMES) in str(info.value)


def test_model_with_maxout_and_prelu_saves_and_reloads(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            *activations.hidden_block(5, "maxout"),
            *activations.hidden_block(3, "prelu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    model.fit(x, x[:, :1], epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "activations.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded.layers[0], layers.Maxout)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
