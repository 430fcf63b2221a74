"""Tests for kerasrecipes.models.optimizers: the recipe's optimizer fields reach Keras' optimizers."""

import keras
import numpy as np
import pytest

import kerasrecipes as kr
from kerasrecipes.models.optimizers import make_optimizer


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_weight_decay_is_keras_decoupled_decay(optimizer):
    """`weight_decay` reaches Keras' optimizer: with a zero gradient a step shrinks w by lr * weight_decay * w."""
    recipe = kr.Recipe(
        scenario="regression-less-features", optimizer=optimizer, learning_rate=0.1, weight_decay=0.5
    ).resolved(kr.get_scenario("regression-less-features"))
    opt = make_optimizer(recipe)
    w = keras.Variable(np.array([2.0, -4.0], "float32"))
    opt.apply([keras.ops.zeros((2,))], [w])
    assert np.allclose(keras.ops.convert_to_numpy(w), [2.0 * 0.95, -4.0 * 0.95], atol=1e-6)
    plain = make_optimizer(
        kr.Recipe(scenario="regression-less-features", optimizer=optimizer).resolved(
            kr.get_scenario("regression-less-features")
        )
    )
    assert plain.weight_decay is None
