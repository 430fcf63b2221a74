"""Tests for kerasrecipes.models.regularizers: the elastic net and make_regularizer."""

import keras
import numpy as np
import pytest

from kerasrecipes.models import regularizers

RATE_BETA = [(0.01, 0.5), (0.1, 0.0), (0.1, 1.0), (1.0, 0.3), (0.0, 0.7), (2.5, 0.9)]


def seed_formula(w, rate, beta):
    """Seed 002, by hand: rate * sum(beta * |w| + (1 - beta) / 2 * w**2)."""
    w = np.asarray(w, dtype="float64")
    return rate * np.sum(beta * np.abs(w) + (1.0 - beta) / 2.0 * w**2)


@pytest.fixture
def weights():
    return np.random.default_rng(0).normal(scale=2.0, size=(7, 5)).astype("float32")


# Cheap cases loop inside one test: the shared teardown (clear_session) dominates runtime.
def test_elastic_net_matches_seed_formula(weights):
    for rate, beta in RATE_BETA:
        penalty = regularizers.ElasticNet(rate=rate, beta=beta)(weights)
        np.testing.assert_allclose(
            float(penalty),
            seed_formula(weights, rate, beta),
            rtol=1e-6,
            atol=1e-7,
            err_msg=f"rate={rate}, beta={beta}",
        )


def test_elastic_net_equals_keras_l1l2(weights):
    for rate, beta in RATE_BETA:
        ours = regularizers.ElasticNet(rate=rate, beta=beta)(weights)
        theirs = keras.regularizers.L1L2(l1=rate * beta, l2=rate * (1 - beta) / 2)(weights)
        np.testing.assert_allclose(
            float(ours), float(theirs), rtol=1e-6, atol=1e-7, err_msg=f"rate={rate}, beta={beta}"
        )


MAKE_CASES = [
    ({}, None, None),
    ({"l1": 0.0, "l2": None, "elastic_net": 0.0}, None, None),
    ({"l1": 0.01}, keras.regularizers.L1, {"l1": 0.01}),
    ({"l2": 0.02}, keras.regularizers.L2, {"l2": 0.02}),
    ({"l1": 0.01, "l2": 0.02}, keras.regularizers.L1L2, {"l1": 0.01, "l2": 0.02}),
    ({"elastic_net": 0.1}, regularizers.ElasticNet, {"rate": 0.1, "beta": 0.5}),
    (
        {"elastic_net": 0.1, "elastic_net_beta": 0.2},
        regularizers.ElasticNet,
        {"rate": 0.1, "beta": 0.2},
    ),
]


def test_make_regularizer():
    for kwargs, expected_type, expected_config in MAKE_CASES:
        reg = regularizers.make_regularizer(**kwargs)
        if expected_type is None:
            assert reg is None, kwargs
            continue
        assert type(reg) is expected_type, kwargs
        assert reg.get_config() == pytest.approx(expected_config), kwargs


def test_make_regularizer_rejects_elastic_net_with_l1_l2():
    for kwargs in [{"l1": 0.1}, {"l2": 0.1}, {"l1": 0.1, "l2": 0.1}]:
        with pytest.raises(ValueError, match=r"Only one of `l1`/`l2` and `elastic_net` can be set\. Received: l1="):
            regularizers.make_regularizer(elastic_net=0.1, **kwargs)


NON_NEGATIVE = r"must be a real number >= 0.0\. Received: "
UNIT_INTERVAL = r"must be a real number in \[0.0, 1.0\]\. Received: "
BAD_ARGUMENTS = [
    ("ElasticNet", {"rate": -1}, ValueError, "`rate` " + NON_NEGATIVE + "rate=-1.0"),
    ("ElasticNet", {"beta": 1.5}, ValueError, "`beta` " + UNIT_INTERVAL + "beta=1.5"),
    ("ElasticNet", {"rate": "big"}, TypeError, "`rate` " + NON_NEGATIVE + "rate='big'"),
    ("ElasticNet", {"rate": float("nan")}, ValueError, "`rate` " + NON_NEGATIVE + "rate=nan"),
    ("make_regularizer", {"l2": -0.1}, ValueError, "`l2` " + NON_NEGATIVE + "l2=-0.1"),
    (
        "make_regularizer",
        {"elastic_net_beta": 2},
        ValueError,
        "`elastic_net_beta` " + UNIT_INTERVAL + "elastic_net_beta=2",
    ),
]


def test_bad_arguments():
    for factory, kwargs, error, message in BAD_ARGUMENTS:
        with pytest.raises(error, match=message):
            getattr(regularizers, factory)(**kwargs)


def test_elastic_net_config_round_trip():
    reg = regularizers.ElasticNet(rate=0.3, beta=0.25)
    restored = keras.regularizers.deserialize(keras.regularizers.serialize(reg))
    assert isinstance(restored, regularizers.ElasticNet)
    assert restored.get_config() == {"rate": 0.3, "beta": 0.25}


def test_model_with_elastic_net_saves_and_reloads(tmp_path):
    keras.utils.set_random_seed(0)
    reg = regularizers.ElasticNet(rate=0.05, beta=0.4)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, kernel_regularizer=reg), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    kernel = model.layers[0].kernel.numpy()
    # The penalty reaches the model's losses exactly as the seed formula says.
    np.testing.assert_allclose(float(sum(model.losses)), seed_formula(kernel, 0.05, 0.4), rtol=1e-6)
    path = tmp_path / "elastic_net.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    restored = loaded.layers[0].kernel_regularizer
    assert isinstance(restored, regularizers.ElasticNet)
    assert restored.get_config() == reg.get_config()
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
