"""Convolutional networks for the seed's deep-learning (CNN) rows.

Per block: Conv2D -> [BatchNorm] -> activation -> pooling -> [SpatialDropout2D], filters doubling
per block (seed 002: "use spatial dropout in convolutional layers"); then Flatten and the dense
hidden stack of `models.dense`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from kerasrecipes.errors import UserError
from kerasrecipes.models import activations as _activations
from kerasrecipes.models.dense import assemble, head_layer, hidden_layers, kernel_initializer, kernel_regularizer

IMAGE_AUGMENTATION = ("augment_flip", "augment_rotation", "augment_zoom", "augment_translation", "augment_contrast")
"""The recipe fields of the image augmentation layers (`augmentation_layers`)."""


def augmentation_layers(recipe: Any) -> list[keras.layers.Layer]:
    """Keras' random augmentation layers the recipe asks for, first in the network: they change the training
    batches only (at inference they pass the images through), drawing from seed generators that the run's seed
    sets, so a rerun draws the same. They act on the scaled pixels the model's preprocessing gives (contrast
    about each image's mean, without clipping to a pixel range)."""
    out: list[keras.layers.Layer] = []
    if getattr(recipe, "augment_flip", "none") != "none":
        out.append(layers.RandomFlip(recipe.augment_flip, name="augment_flip"))
    if getattr(recipe, "augment_rotation", 0.0) > 0:
        out.append(layers.RandomRotation(recipe.augment_rotation, fill_mode="reflect", name="augment_rotation"))
    if getattr(recipe, "augment_zoom", 0.0) > 0:
        out.append(layers.RandomZoom(recipe.augment_zoom, fill_mode="reflect", name="augment_zoom"))
    if getattr(recipe, "augment_translation", 0.0) > 0:
        t = recipe.augment_translation
        out.append(layers.RandomTranslation(t, t, fill_mode="reflect", name="augment_translation"))
    if getattr(recipe, "augment_contrast", 0.0) > 0:
        out.append(layers.RandomContrast(recipe.augment_contrast, value_range=(-1e30, 1e30), name="augment_contrast"))
    if getattr(recipe, "augment_noise", 0.0) > 0:
        out.append(layers.GaussianNoise(recipe.augment_noise, name="augment_noise"))
    return out


def conv_layers(recipe: Any, input_shape: Sequence[int]) -> list[keras.layers.Layer]:
    if len(input_shape) != 3:
        raise UserError(
            f"A CNN needs images of shape (height, width, channels). Received: input_shape={tuple(input_shape)}"
        )
    activation = "relu" if _activations.is_maxout(recipe.activation) else recipe.activation
    out: list[keras.layers.Layer] = []
    height, width = int(input_shape[0]), int(input_shape[1])
    pool = layers.MaxPooling2D if recipe.pooling == "max" else layers.AveragePooling2D
    for b in range(1, recipe.conv_blocks + 1):
        out.append(
            layers.Conv2D(
                recipe.filters * 2 ** (b - 1),
                recipe.kernel_size,
                padding="same",
                use_bias=recipe.use_bias,
                kernel_initializer=kernel_initializer(recipe),
                kernel_regularizer=kernel_regularizer(recipe),
                name=f"conv_{b}",
            )
        )
        if recipe.batch_norm:
            out.append(layers.BatchNormalization(name=f"conv_{b}_batch_norm"))
        act = _activations.activation_layer(activation)
        if act is not None:
            act.name = f"conv_{b}_{activation}"
            out.append(act)
        if height >= 2 and width >= 2:
            out.append(pool(2, name=f"conv_{b}_pool"))
            height, width = height // 2, width // 2
        if recipe.dropout > 0:
            out.append(layers.SpatialDropout2D(recipe.dropout, name=f"conv_{b}_spatial_dropout"))
    out.append(layers.Flatten(name="flatten"))
    return out


def build_cnn(recipe: Any, input_shape: Sequence[int], units: int, activation: str) -> keras.Model:
    """CNN for a resolved recipe (Sequential or Functional per `recipe.api`); uncompiled."""
    body = augmentation_layers(recipe) + conv_layers(recipe, input_shape) + hidden_layers(recipe)
    return assemble(recipe.api, input_shape, body, head_layer(units, activation), name="cnn")
