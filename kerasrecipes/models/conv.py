"""Convolutional networks for the seed's deep-learning (CNN) rows.

Per block: Conv2D -> [BatchNorm] -> activation -> pooling -> [SpatialDropout2D], filters doubling
per block (seed 002: "use spatial dropout in convolutional layers"); then the top (`cnn_top`:
Flatten, or GlobalAveragePooling2D, each filter's mean over the image) and the dense hidden stack of
`models.dense`.

With `residual=True` each block is a residual block (He et al. 2016): Conv2D -> [BatchNorm] ->
activation -> Conv2D -> [BatchNorm], added to the block's input (through a 1x1 Conv2D projection,
[BatchNorm], when the filter count changes), then activation, pooling and spatial dropout as above.
A Sequential model cannot hold the skip connection, so a residual network is always Functional,
whatever `api` says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
from keras import layers

from kerasrecipes.errors import UserError
from kerasrecipes.models import activations as _activations
from kerasrecipes.models.dense import assemble, head_layer, hidden_layers, kernel_initializer, kernel_regularizer
from kerasrecipes.models.layers import PixelRandAugment

IMAGE_AUGMENTATION = (
    "augment_flip",
    "augment_rotation",
    "augment_zoom",
    "augment_translation",
    "augment_contrast",
    "augment_randaugment",
)
"""The recipe fields of the image augmentation layers (`augmentation_layers`)."""
CONV_FIELDS = ("filters", "kernel_size", "conv_blocks", "pooling", "cnn_top", "residual")
"""The recipe fields of the CNN's own convolution blocks (`build_cnn`), which a backbone replaces."""
NON_IMAGE_DATA = {"dense": "a table", "rnn": "sequences", "text": "text read as token ids"}
"""The data each builder other than the CNN reads, as refusals of image-only fields name it."""


def augmentation_layers(recipe: Any, channel_scaling: Mapping[str, Any] | None = None) -> list[keras.layers.Layer]:
    """Keras' random augmentation layers the recipe asks for, first in the network: they change the training
    batches only (at inference they pass the images through), drawing from seed generators that the run's seed
    sets, so a rerun draws the same. They act on the scaled pixels the model's preprocessing gives (contrast
    about each image's mean, without clipping to a pixel range), but for RandAugment (`augment_randaugment`),
    which works on pixel values: it maps the images back to them with `channel_scaling` (the preprocessing's
    channel spec; None: the images are pixel values 0-255), applies its operations there and scales again."""
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
    if getattr(recipe, "augment_randaugment", 0.0) > 0:
        spec = channel_scaling or {}
        out.append(
            PixelRandAugment(
                recipe.augment_randaugment,
                center=spec.get("center"),
                scale=spec.get("scale"),
                name="augment_randaugment",
            )
        )
    if getattr(recipe, "augment_noise", 0.0) > 0:
        out.append(layers.GaussianNoise(recipe.augment_noise, name="augment_noise"))
    return out


def _conv(recipe: Any, filters: int, kernel_size: int, name: str) -> keras.layers.Layer:
    return layers.Conv2D(
        filters,
        kernel_size,
        padding="same",
        use_bias=recipe.use_bias,
        kernel_initializer=kernel_initializer(recipe),
        kernel_regularizer=kernel_regularizer(recipe),
        name=name,
    )


def _activation(name: str, activation: str | None) -> list[keras.layers.Layer]:
    """The activation layer after the layer called `name` (none for None or a linear activation)."""
    act = None if activation is None else _activations.activation_layer(activation)
    if act is None:
        return []
    act.name = f"{name}_{activation}"
    return [act]


def _normalized(recipe: Any, name: str, activation: str | None) -> list[keras.layers.Layer]:
    """[BatchNorm] -> activation (none when `activation` is None) after the layer called `name`."""
    norm = [layers.BatchNormalization(name=f"{name}_batch_norm")] if recipe.batch_norm else []
    return norm + _activation(name, activation)


def _block_end(recipe: Any, b: int, size: tuple[int, int]) -> tuple[list[keras.layers.Layer], tuple[int, int]]:
    """Pooling (while the maps are at least 2x2) -> [SpatialDropout2D] closing block `b`; the maps' new size."""
    out: list[keras.layers.Layer] = []
    height, width = size
    if height >= 2 and width >= 2:
        pool = layers.MaxPooling2D if recipe.pooling == "max" else layers.AveragePooling2D
        out.append(pool(2, name=f"conv_{b}_pool"))
        height, width = height // 2, width // 2
    if recipe.dropout > 0:
        out.append(layers.SpatialDropout2D(recipe.dropout, name=f"conv_{b}_spatial_dropout"))
    return out, (height, width)


def _top(recipe: Any) -> keras.layers.Layer:
    """The feature maps -> one vector per image, as `recipe.cnn_top` says."""
    if recipe.cnn_top == "global_average":
        return layers.GlobalAveragePooling2D(name="global_average")
    return layers.Flatten(name="flatten")


def _check_image_shape(input_shape: Sequence[int]) -> None:
    if len(input_shape) != 3:
        raise UserError(
            f"A CNN needs images of shape (height, width, channels). Received: input_shape={tuple(input_shape)}"
        )


def _hidden_activation(recipe: Any) -> str:
    return "relu" if _activations.is_maxout(recipe.activation) else recipe.activation


def conv_layers(recipe: Any, input_shape: Sequence[int]) -> list[keras.layers.Layer]:
    """The plain (not residual) conv blocks, then the top, as a list a Sequential model can hold."""
    _check_image_shape(input_shape)
    activation = _hidden_activation(recipe)
    out: list[keras.layers.Layer] = []
    size = (int(input_shape[0]), int(input_shape[1]))
    for b in range(1, recipe.conv_blocks + 1):
        out.append(_conv(recipe, recipe.filters * 2 ** (b - 1), recipe.kernel_size, f"conv_{b}"))
        out += _normalized(recipe, f"conv_{b}", activation)
        end, size = _block_end(recipe, b, size)
        out += end
    out.append(_top(recipe))
    return out


def residual_blocks(recipe: Any, x: Any) -> Any:
    """The residual conv blocks and the top applied to the symbolic tensor `x` of images (Functional API)."""
    _check_image_shape(x.shape[1:])
    activation = _hidden_activation(recipe)
    size = (int(x.shape[1]), int(x.shape[2]))
    for b in range(1, recipe.conv_blocks + 1):
        filters = recipe.filters * 2 ** (b - 1)
        y = _conv(recipe, filters, recipe.kernel_size, f"conv_{b}_1")(x)
        for layer in _normalized(recipe, f"conv_{b}_1", activation):
            y = layer(y)
        y = _conv(recipe, filters, recipe.kernel_size, f"conv_{b}_2")(y)
        for layer in _normalized(recipe, f"conv_{b}_2", None):
            y = layer(y)
        shortcut = x
        if int(x.shape[-1]) != filters:  # a 1x1 convolution gives the input the block's filter count
            shortcut = _conv(recipe, filters, 1, f"conv_{b}_projection")(x)
            for layer in _normalized(recipe, f"conv_{b}_projection", None):
                shortcut = layer(shortcut)
        x = layers.Add(name=f"conv_{b}_add")([y, shortcut])
        tail = _activation(f"conv_{b}", activation)
        end, size = _block_end(recipe, b, size)
        for layer in tail + end:
            x = layer(x)
    return _top(recipe)(x)


def build_cnn(
    recipe: Any,
    input_shape: Sequence[int],
    units: int,
    activation: str,
    *,
    channel_scaling: Mapping[str, Any] | None = None,
) -> keras.Model:
    """CNN for a resolved recipe; uncompiled.

    Sequential or Functional per `recipe.api`; with `recipe.residual` always Functional (the blocks'
    skip connections need the Functional API). `channel_scaling` is how the run's preprocessing scaled each
    channel (see `augmentation_layers`); None: the inputs are pixel values 0-255.
    """
    if not recipe.residual:  # made in network order: each initializer draws its seed when its layer is made
        body = augmentation_layers(recipe, channel_scaling) + conv_layers(recipe, input_shape) + hidden_layers(recipe)
        return assemble(recipe.api, input_shape, body, head_layer(units, activation), name="cnn")
    _check_image_shape(input_shape)
    inputs = keras.Input(tuple(input_shape), name="inputs")
    x = inputs
    for layer in augmentation_layers(recipe, channel_scaling):
        x = layer(x)
    x = residual_blocks(recipe, x)
    for layer in hidden_layers(recipe):
        x = layer(x)
    return keras.Model(inputs, head_layer(units, activation)(x), name="cnn")
