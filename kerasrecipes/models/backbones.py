"""Keras applications as the body of an image network (`backbone`), and what their two training phases need.

A backbone network is: the augmentation layers, then a block named "backbone" (the pixels as the
application reads them, then the application: `include_top=False`, global average pooling), then the
recipe's dense hidden layers and head. The block takes the network's input, the images as the run's
preprocessing scaled them (`(pixels - center) / scale` per channel), and turns them back into what the
application was trained on: pixel values 0-255 for MobileNetV3 and EfficientNetV2 (their own first
layers rescale), [-1, 1] for ResNet50V2; a gray image's channel is repeated three times. This part of
the network is the same whatever the weights, so a run's own weights file always loads into it.

`backbone_weights` names a local file the application's weights load from (`Model.load_weights`, what
`keras.applications` does with a path for `weights`): Keras' ImageNet "no top" `.h5` file, or weights
saved from the same application. Nothing is downloaded. With such weights the backbone starts frozen
(`trainable=False`, which also keeps its batch normalization in inference mode); `unfreeze` opens it
for the fine-tuning phase, batch normalization still frozen, as Keras' transfer-learning guide does.
With `backbone_weights="none"` the backbone starts from random weights and trains from the start.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import keras
from keras import layers

from kerasrecipes.errors import UserError
from kerasrecipes.models.conv import NON_IMAGE_DATA, augmentation_layers
from kerasrecipes.models.dense import assemble, head_layer, hidden_layers
from kerasrecipes.models.layers import pixel_rescaling

APPLICATIONS: dict[str, tuple[str, dict[str, Any], str]] = {
    "mobilenet_v3_small": ("MobileNetV3Small", {"include_preprocessing": True}, "0-255"),
    "mobilenet_v3_small_minimalistic": (
        "MobileNetV3Small",
        {"include_preprocessing": True, "minimalistic": True},
        "0-255",
    ),
    "efficientnet_v2_b0": ("EfficientNetV2B0", {"include_preprocessing": True}, "0-255"),
    "resnet50_v2": ("ResNet50V2", {}, "-1-1"),
}
"""backbone -> (its `keras.applications` constructor, the constructor's arguments, the pixel range it reads:
"0-255" or "-1-1"). The names agree with `recipes._recipe.BACKBONES`."""

MIN_SIDE = 32
"""The smallest image side the applications take (Keras' own limit)."""

BLOCK = "backbone"
"""The name of the backbone block in a network."""


def check_recipe(recipe: Any, builder: str) -> None:
    """Refuse, in one line naming the fix, backbone fields that do not go together or with the data."""
    if recipe.backbone == "none":
        field = next(
            (f for f, off in (("backbone_weights", "none"), ("fine_tune_epochs", 0)) if getattr(recipe, f) != off),
            None,
        )
        if field is not None:
            raise UserError(
                f"{field}={getattr(recipe, field)!r} needs a backbone, and backbone='none'. Set backbone "
                f"(one of: {', '.join(APPLICATIONS)}), or leave {field} at its default."
            )
        return
    if builder != "cnn":
        data = NON_IMAGE_DATA[builder]
        raise UserError(
            f"backbone={recipe.backbone!r} reads images (the CNN rows), and this model's data is {data} "
            f"(the {builder} builder). Leave backbone at 'none'."
        )
    if recipe.fine_tune_epochs > 0 and recipe.backbone_weights == "none":
        raise UserError(
            f"fine_tune_epochs={recipe.fine_tune_epochs} fine-tunes pretrained weights, and backbone_weights='none' "
            "trains the backbone from the start already. Name a weights file in backbone_weights, or set "
            "fine_tune_epochs=0 (and raise epochs)."
        )
    if recipe.fine_tune_epochs > 0 and recipe.distribute != "none":
        raise UserError(
            f"fine_tune_epochs={recipe.fine_tune_epochs} cannot run distributed (distribute={recipe.distribute!r}). "
            "Set distribute='none', or fine_tune_epochs=0."
        )


def architecture_only(recipe: Any) -> Any:
    """The recipe that builds the same network without reading its backbone's weights file: for loading a
    run's own weights into it (the file may be on another machine); `as_trained` then sets its trainable
    layers as the run left them."""
    if recipe.backbone == "none" or recipe.backbone_weights == "none":
        return recipe
    return recipe.replace(backbone_weights="none", fine_tune_epochs=0)


def as_trained(model: keras.Model, recipe: Any, fine_tuned: bool) -> None:
    """Make the backbone of a network built from `architecture_only(recipe)` trainable as its run left it
    (frozen after the first phase, open but for batch normalization after fine-tuning): the trainable
    weights decide the optimizer slots a run's weights file holds."""
    if recipe.backbone == "none" or recipe.backbone_weights == "none":
        return
    if fine_tuned:
        unfreeze(model)
    else:
        _block_of(model).trainable = False


def build_backbone_network(
    recipe: Any,
    input_shape: Sequence[int],
    units: int,
    activation: str,
    *,
    channel_scaling: Mapping[str, Any] | None = None,
) -> keras.Model:
    """An image network on a Keras application, for a resolved recipe with a `backbone`; uncompiled.

    Args:
        recipe: the resolved recipe (`backbone`, `backbone_weights`, augmentation, dense hidden layers, `api`).
        input_shape: (height, width, channels) of one image, channels 1 (gray) or 3 (RGB).
        units: the head's units.
        activation: the head's activation.
        channel_scaling: how the run's preprocessing scaled each channel before the network (a channel
            spec's `center` and `scale`, and `clip`); None: the network's inputs are pixel values 0-255.
            Defaults to None.

    Returns:
        A Sequential or Functional model (per `recipe.api`) whose layer named "backbone" holds the
        application; frozen when `backbone_weights` names a file.

    Raises:
        UserError: images smaller than 32x32 or with another channel count, a missing weights file, or one
            that does not fit the application.
    """
    # made in network order: each initializer draws its seed when made
    body = augmentation_layers(recipe, channel_scaling)
    body.append(_block(recipe, input_shape, channel_scaling))
    body += hidden_layers(recipe)
    return assemble(recipe.api, input_shape, body, head_layer(units, activation), name="cnn")


def _block(recipe: Any, input_shape: Sequence[int], channel_scaling: Mapping[str, Any] | None) -> keras.Model:
    """The "backbone" block: the network's scaled images -> the application's pixels -> its pooled features."""
    if len(input_shape) != 3:
        raise UserError(
            f"A backbone needs images of shape (height, width, channels). Received: input_shape={tuple(input_shape)}"
        )
    height, width, channels = (int(d) for d in input_shape)
    if min(height, width) < MIN_SIDE:
        raise UserError(
            f"backbone={recipe.backbone!r} needs images of at least {MIN_SIDE}x{MIN_SIDE} pixels; these are "
            f"{height}x{width}. Read them larger with --image-size {MIN_SIDE} (image_size={MIN_SIDE}), or set "
            "backbone='none'."
        )
    if channels not in (1, 3):
        raise UserError(
            f"backbone={recipe.backbone!r} reads gray or RGB images (1 or 3 channels); these have {channels}. "
            "Read them with --color rgb (color='rgb')."
        )
    pretrained = recipe.backbone_weights != "none"
    if pretrained and channel_scaling is not None and channel_scaling.get("clip"):
        raise UserError(
            f"backbone_weights={recipe.backbone_weights!r} needs the images' pixel values back, and "
            f"scaling={recipe.scaling!r} clips them. Set scaling to 'standard', 'minmax' or 'none'."
        )
    path = os.path.expanduser(recipe.backbone_weights)
    if pretrained and not os.path.isfile(path):
        raise UserError(
            f"backbone_weights={path!r}: no such file (nothing is downloaded). Give the path of the weights file "
            f"(Keras' ImageNet no-top .h5 file for {recipe.backbone}, fetched once yourself), or "
            "backbone_weights='none'."
        )
    constructor, options, pixel_range = APPLICATIONS[recipe.backbone]
    application = getattr(keras.applications, constructor)(
        input_shape=(height, width, 3), include_top=False, weights=None, pooling="avg", **options
    )
    if pretrained:
        _load_weights(application, path, recipe.backbone)
    inputs = keras.Input((height, width, channels), name="backbone_inputs")
    x = pixel_rescaling(channel_scaling, channels, pixel_range, name="backbone_pixels")(inputs)
    if channels == 1:
        x = layers.Concatenate(name="backbone_rgb")([x, x, x])
    block = keras.Model(inputs, application(x), name=BLOCK)
    block.trainable = not pretrained
    return block


def _load_weights(application: keras.Model, path: str, backbone: str) -> None:
    """Load a local weights file into the application, or say in one line why it does not fit it."""
    with warnings.catch_warnings(record=True) as caught:  # Keras warns of what it skips, and may go on
        warnings.simplefilter("always")
        try:
            application.load_weights(path)
            skipped = next((w for w in caught if issubclass(w.category, UserWarning)), None)
            problem = None if skipped is None else f"some layers would keep random weights: {skipped.message}"
        except (ValueError, OSError, KeyError) as exc:
            problem = str(exc)
    if problem is not None:
        raise UserError(
            f"backbone_weights={path!r} does not hold weights of backbone={backbone!r} "
            f"({' '.join(problem.split())[:160]}). Give that application's weights file (include_top=False), or "
            "the backbone the file was saved from."
        )
    for w in caught:  # loaded: pass the other warnings on under the caller's filters
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def unfreeze(model: keras.Model) -> None:
    """Make a network's backbone trainable, its batch normalization layers left frozen (in inference mode).
    Compile the model again afterwards, as after any change of `trainable`."""
    block = _block_of(model)
    block.trainable = True
    stack = list(block.layers)
    while stack:
        layer = stack.pop()
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
        stack.extend(getattr(layer, "layers", []))


def _block_of(model: keras.Model) -> keras.Model:
    return next(layer for layer in model.layers if layer.name == BLOCK)
