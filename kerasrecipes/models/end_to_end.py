"""The end-to-end model a run saves: raw inputs -> preprocessing -> trained network -> the user's answer.

`inference_model(spec, target, core)` puts the features layer of a preprocessing spec
(`data._feature_layers`) in front of a trained network and maps the network's output to what a user wants
back: class probabilities (one column per class, `ClassProbabilities`) or the regression value in original
units. It is `model.keras` of a run directory and what `load_run(...).predict` and every export run.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kerasrecipes.data._feature_layers import PACKAGE, features_layer, raw_inputs


@keras.saving.register_keras_serializable(package=PACKAGE)
class ClassProbabilities(keras.layers.Layer):
    """A classifier head's output -> one probability per class (columns in the classes' code order).

    A 1-unit head gives p(class 1): a sigmoid output as it is, logits through a sigmoid, a tanh (hinge)
    output as (t + 1) / 2; the result is [1 - p, p]. A k-unit head is a softmax output, or logits
    through a softmax.

    Args:
        activation: the head's activation ("sigmoid", "softmax", "linear" or "tanh").
    """

    def __init__(self, activation: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activation

    def call(self, inputs: Any) -> Any:
        x = ops.cast(inputs, "float32")
        if x.shape[-1] == 1:
            p = {"sigmoid": x, "linear": ops.sigmoid(x), "tanh": ops.clip((x + 1.0) / 2.0, 0.0, 1.0)}[self.activation]
            return ops.concatenate([1.0 - p, p], axis=-1)
        return ops.softmax(x, axis=-1) if self.activation == "linear" else x

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], max(2, input_shape[-1]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": self.activation}


@keras.saving.register_keras_serializable(package=PACKAGE)
class LastValue(keras.layers.Layer):
    """A window of a series -> its last value of the first channel (the target), shape (batch, 1).

    A forecast's network answers the change from the window's last value (`data.as_forecast`); the
    end-to-end model adds this back, so it answers in the series' units.
    """

    def call(self, inputs: Any) -> Any:
        return ops.cast(inputs[:, -1, :1], "float32")

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], 1)


def output_layer(target: dict[str, Any], head_activation: str) -> keras.layers.Layer:
    """The network's output -> original units (regression), class probabilities, or one probability per label
    (multi-label: a sigmoid head as it is, logits through a sigmoid)."""
    if target["task"] == "regression":
        return keras.layers.Rescaling(scale=target["std"], offset=target["mean"], name="original_units")
    if target["task"] == "multilabel":
        return keras.layers.Activation("sigmoid" if head_activation == "linear" else "linear", name="probabilities")
    return ClassProbabilities(head_activation, name="probabilities")


def inference_model(spec: dict[str, Any], target: dict[str, Any], core: keras.Model) -> keras.Model:
    """The end-to-end model: raw inputs -> preprocessing -> trained network -> probabilities or original units."""
    inputs = raw_inputs(spec)
    outputs = output_layer(target, core.head.activation)(core(features_layer(spec)(inputs)))
    if "forecast" in spec:  # the network's change from the last value, added to it
        outputs = keras.layers.Add(name="forecast")([outputs, LastValue(name="last_value")(inputs)])
    return keras.Model(inputs, outputs, name="end_to_end")
