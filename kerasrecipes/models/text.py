"""The network of a table with free-text columns read as token ids (`data._text`, mode "sequence").

The features a run trains on are one flat row: the table's numeric, indicator and one-hot features
first, then each text column's token ids. `build_text` cuts that row into its parts (`FeatureSlice`)
and gives each kind its branch (seed 003's Functional API): per text column an `Embedding` that masks
the padding id 0, then the recipe's recurrent layers (`models.recurrent`); the table's own features as
they are. The branches are joined, then the recipe's hidden layers and the head follow. With one text
column and nothing else, `api="sequential"` builds the same layers as a `keras.Sequential`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from kerasrecipes.models.dense import head_layer, hidden_layers
from kerasrecipes.models.layers import FeatureSlice
from kerasrecipes.models.recurrent import recurrent_layers


def _text_branch(recipe: Any, block: dict, index: int) -> list[keras.layers.Layer]:
    """Token ids -> embedded words (padding masked) -> the recurrent layers' summary of the text."""
    embedding = layers.Embedding(
        block["vocabulary_size"], recipe.text_embedding_dim, mask_zero=True, name=f"text_{index}_embedding"
    )
    cells = recurrent_layers(recipe, (block["length"], recipe.text_embedding_dim))
    for layer in cells:
        layer.name = f"text_{index}_{layer.name}"
    return [embedding, *cells]


def build_text(
    recipe: Any, input_shape: Sequence[int], blocks: Sequence[dict], units: int, activation: str
) -> keras.Model:
    """The model of features with token-id blocks (`data._text.layout`); uncompiled.

    Args:
        recipe: a resolved `Recipe` (its recurrent, hidden-layer and `text_embedding_dim` fields).
        input_shape: (features,): the table's features, then the token ids.
        blocks: per text column, its `start`, `length` and `vocabulary_size`.
        units: head width.
        activation: head activation.
    """
    width = int(input_shape[0])
    head = head_layer(units, activation)
    if recipe.api == "sequential" and len(blocks) == 1 and blocks[0]["start"] == 0 and blocks[0]["length"] == width:
        body = _text_branch(recipe, blocks[0], 1) + hidden_layers(recipe)
        return keras.Sequential([keras.Input((width,), name="inputs"), *body, head], name="text")
    inputs = keras.Input((width,), name="inputs")
    parts, table_start = [], min(b["start"] for b in blocks)
    if table_start > 0:  # the table's own features (numeric, indicators, one-hot)
        parts.append(FeatureSlice(0, table_start, name="table_features")(inputs))
    for i, block in enumerate(blocks, start=1):
        x = FeatureSlice(block["start"], block["start"] + block["length"], name=f"text_{i}_ids")(inputs)
        for layer in _text_branch(recipe, block, i):
            x = layer(x)
        parts.append(x)
    end = max(b["start"] + b["length"] for b in blocks)
    if end < width:  # n-gram columns after the token ids
        parts.append(FeatureSlice(end, width, name="other_features")(inputs))
    x = parts[0] if len(parts) == 1 else layers.Concatenate(name="branches")(parts)
    for layer in hidden_layers(recipe):
        x = layer(x)
    return keras.Model(inputs, head(x), name="text")
