"""Helpers shared by the callback tests: a tiny compiled model and recognisable per-epoch weights."""

import keras
import numpy as np


def tiny_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model


def weights_for(epoch):
    """Weights whose every value is `epoch`, so a restored set shows which epoch it came from."""
    return [np.full((3, 1), float(epoch), "float32"), np.full((1,), float(epoch), "float32")]
