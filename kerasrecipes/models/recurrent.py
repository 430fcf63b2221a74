"""Recurrent networks for the seed's deep-learning (RNN) rows: LSTM, GRU or SimpleRNN, optionally
bidirectional, stacked `recurrent_layers` deep, then the dense hidden stack.

Cells keep their own tanh/sigmoid gates (the recipe's hidden activation applies to the dense
layers); dropout is applied between recurrent layers as a separate layer so the fast fused kernels
stay usable. The RNN rows clip the global gradient norm by default (seed 001: exploding gradients).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from kerasrecipes.errors import UserError
from kerasrecipes.models.dense import assemble, head_layer, hidden_layers, kernel_regularizer

CELLS = {"lstm": layers.LSTM, "gru": layers.GRU, "simple": layers.SimpleRNN}


def recurrent_layers(recipe: Any, input_shape: Sequence[int]) -> list[keras.layers.Layer]:
    if len(input_shape) != 2:
        raise UserError(
            f"An RNN needs sequences of shape (timesteps, features). Received: input_shape={tuple(input_shape)}"
        )
    out: list[keras.layers.Layer] = []
    for i in range(1, recipe.recurrent_layers + 1):
        cell = CELLS[recipe.rnn_cell](
            recipe.units,
            return_sequences=i < recipe.recurrent_layers,
            use_bias=recipe.use_bias,
            kernel_regularizer=kernel_regularizer(recipe),
            name=f"{recipe.rnn_cell}_{i}",
        )
        out.append(layers.Bidirectional(cell, name=f"bidirectional_{i}") if recipe.bidirectional else cell)
        if recipe.dropout > 0:
            out.append(layers.Dropout(recipe.dropout, name=f"{recipe.rnn_cell}_{i}_dropout"))
    return out


def build_rnn(recipe: Any, input_shape: Sequence[int], units: int, activation: str) -> keras.Model:
    """RNN for a resolved recipe (Sequential or Functional per `recipe.api`); uncompiled."""
    noise = [layers.GaussianNoise(recipe.augment_noise, name="augment_noise")] if recipe.augment_noise > 0 else []
    body = noise + recurrent_layers(recipe, input_shape) + hidden_layers(recipe)
    return assemble(recipe.api, input_shape, body, head_layer(units, activation), name="rnn")
