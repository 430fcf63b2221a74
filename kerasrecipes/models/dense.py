"""Dense networks, through the Sequential and the Functional API, from one layer list.

Both APIs assemble the same fresh layers produced by `hidden_layers`, so a recipe gives the same
layer structure and parameter count either way. The Functional builder also takes a second, "wide"
input that skips the hidden stack and joins the deep features before the head (wide-and-deep,
Cheng et al. 2016).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from kerasrecipes.errors import UserError
from kerasrecipes.models import activations as _activations
from kerasrecipes.models.layers import EnsembleHead, EnsembleScaling, Maxout, PackedDense, PeriodicEmbedding
from kerasrecipes.models.regularizers import make_regularizer


def kernel_initializer(recipe: Any) -> str:
    if recipe.kernel_initializer == "auto":
        return _activations.default_initializer(recipe.activation)
    return recipe.kernel_initializer


def kernel_regularizer(recipe: Any) -> Any:
    return make_regularizer(
        l1=recipe.l1, l2=recipe.l2, elastic_net=recipe.elastic_net, elastic_net_beta=recipe.elastic_net_beta
    )


def layer_widths(recipe: Any) -> list[int]:
    """Units of each hidden layer: `units`, then times `units_decay` per layer (at least 1)."""
    return [max(1, int(round(recipe.units * recipe.units_decay**i))) for i in range(recipe.num_layers)]


def hidden_layers(
    recipe: Any, widths: Sequence[int] | None = None, prefix: str = "hidden", members: int = 1
) -> list[keras.layers.Layer]:
    """Fresh hidden layers: Dense (or Maxout) -> [BatchNorm] -> activation -> [Dropout], per width.

    With `members` > 1 each Dense is a `PackedDense` (that many independent networks side by side).
    """
    out: list[keras.layers.Layer] = []
    init = kernel_initializer(recipe)
    for i, width in enumerate(layer_widths(recipe) if widths is None else widths, start=1):
        regularizer = kernel_regularizer(recipe)
        if members > 1:
            out.append(
                PackedDense(
                    width,
                    members,
                    kernel_initializer=init,
                    use_bias=recipe.use_bias,
                    kernel_regularizer=regularizer,
                    name=f"{prefix}_{i}",
                )
            )
        elif _activations.is_maxout(recipe.activation):
            out.append(
                Maxout(
                    width,
                    num_pieces=recipe.maxout_pieces,
                    kernel_initializer=init,
                    use_bias=recipe.use_bias,
                    kernel_regularizer=regularizer,
                    name=f"{prefix}_{i}",
                )
            )
        else:
            out.append(
                layers.Dense(
                    width,
                    use_bias=recipe.use_bias,
                    kernel_initializer=init,
                    kernel_regularizer=regularizer,
                    name=f"{prefix}_{i}",
                )
            )
        if recipe.batch_norm:
            out.append(layers.BatchNormalization(name=f"{prefix}_{i}_batch_norm"))
        act = None if _activations.is_maxout(recipe.activation) else _activations.activation_layer(recipe.activation)
        if act is not None:
            act.name = f"{prefix}_{i}_{recipe.activation}"  # stable names for gradient reports
            out.append(act)
        if recipe.dropout > 0:
            out.append(layers.Dropout(recipe.dropout, name=f"{prefix}_{i}_dropout"))
    return out


def head_layer(units: int, activation: str) -> keras.layers.Layer:
    return layers.Dense(units, activation=activation, name="head")


def assemble(
    api: str,
    input_shape: Sequence[int],
    body: list[keras.layers.Layer],
    head: keras.layers.Layer,
    *,
    wide_input_shape: Sequence[int] | None = None,
    name: str = "kerasrecipes",
) -> keras.Model:
    """Stack `body` then `head` on an input, as a Sequential or a Functional model."""
    if wide_input_shape is not None and api != "functional":
        raise UserError("A wide input (wide-and-deep) needs api='functional'; Sequential models have one input.")
    if api == "sequential":
        return keras.Sequential([keras.Input(tuple(input_shape), name="inputs"), *body, head], name=name)
    inputs = keras.Input(tuple(input_shape), name="inputs")
    x = inputs
    for layer in body:
        x = layer(x)
    if wide_input_shape is None:
        return keras.Model(inputs, head(x), name=name)
    wide = keras.Input(tuple(wide_input_shape), name="wide_inputs")
    flat_wide = layers.Flatten(name="wide_flatten")(wide) if len(wide_input_shape) > 1 else wide
    joined = layers.Concatenate(name="wide_and_deep")([x, flat_wide])
    return keras.Model([inputs, wide], head(joined), name=name)


def check_ensemble(recipe: Any, builder: str, pool: str | None, loss: str, wide: bool) -> None:
    """Refuse, naming the fix, an ensemble (`ensemble` > 1) that cannot be built exactly, and a TabM-mini
    ensemble (`ensemble_kind="tabm_mini"`) of one member or on another builder than dense."""
    k = recipe.ensemble
    tabm = recipe.ensemble_kind == "tabm_mini"
    single = "ensemble=1 and ensemble_kind='packed'" if tabm else "ensemble=1"  # one plain network
    if tabm and builder != "dense":
        raise UserError(
            f"ensemble_kind='tabm_mini' builds dense networks only, and this run's scenario builds a {builder} "
            f"network. Set {single}."
        )
    if tabm and k == 1:
        raise UserError(
            "ensemble_kind='tabm_mini' builds an ensemble of members sharing one network, and ensemble=1 asks "
            "for one network. Set ensemble=8 (or another count >= 2), or ensemble_kind='packed'."
        )
    if k == 1:
        return
    if builder != "dense":
        problem = f"builds dense networks only, and this run's scenario builds a {builder} network. Set ensemble=1"
    elif pool is None:
        problem = (
            f"needs loss mean_squared_error or a cross-entropy (only for those is the members' mean loss "
            f"exact); received loss={loss!r}. Set loss='auto' or {single}"
        )
    elif recipe.batch_norm:
        problem = (
            f"cannot use batch_norm=true (batch statistics would mix the members). Set batch_norm=false or {single}"
        )
    elif _activations.is_maxout(recipe.activation) and not tabm:  # TabM-mini's shared layers can be Maxout
        problem = (
            "cannot use activation='maxout' with ensemble_kind='packed'. Choose another activation, set "
            "ensemble_kind='tabm_mini', or set ensemble=1"
        )
    elif wide:
        problem = f"takes one input, not a wide-and-deep second one. Drop the wide input or set {single}"
    else:
        return
    raise UserError(f"ensemble={k} {problem}.")


def build_dense(
    recipe: Any,
    input_shape: Sequence[int],
    units: int,
    activation: str,
    *,
    wide_input_shape: Sequence[int] | None = None,
    numeric_features: int | None = None,
    pool: str | None = None,
) -> keras.Model:
    """Dense network for a resolved recipe; `recipe.api` picks Sequential or Functional.

    Args:
        recipe: a resolved `Recipe`.
        input_shape: shape of one sample, e.g. (n_features,).
        units: head width.
        activation: head activation.
        wide_input_shape: optional second input joined before the head (Functional only).
        numeric_features: how many leading inputs are numeric (`embedding="periodic"` embeds those
            only); None: all.
        pool: how `recipe.ensemble` > 1 members are averaged (`EnsembleHead`; the loss decides,
            `losses.LOSSES[loss].ensemble_pool`); checked by `check_ensemble` first.

    With `recipe.ensemble` > 1 the members share the input (and its embeddings) and each has its own
    head (`PackedDense`), averaged by `EnsembleHead`. `ensemble_kind="packed"`: each member has its own
    hidden layers too (`PackedDense`), and is trained as if alone. `"tabm_mini"`: an `EnsembleScaling`
    gives each member its own scaling of the inputs, then one set of hidden layers serves every member
    (TabM-mini); the loss is the mean of the members' losses and predictions the mean of their
    probabilities.

    Returns:
        An uncompiled `keras.Model`.
    """
    members = recipe.ensemble
    tabm = members > 1 and recipe.ensemble_kind == "tabm_mini"
    body = hidden_layers(recipe, members=1 if tabm else members)
    head = head_layer(units, activation)
    if tabm:
        body.insert(0, EnsembleScaling(members, name="member_scaling"))
    if members > 1:
        body.append(PackedDense(units, members, name="head_members"))
        head = EnsembleHead(
            activation,
            pool,
            scale_gradients=not tabm,
            average="probabilities" if tabm else "pool",
            name="head",
        )
    if recipe.embedding == "periodic":
        body.insert(
            0, PeriodicEmbedding(sigma=recipe.embedding_sigma, features=numeric_features, name="periodic_embedding")
        )
    if len(input_shape) > 1:
        body.insert(0, layers.Flatten(name="flatten"))
    return assemble(recipe.api, input_shape, body, head, wide_input_shape=wide_input_shape, name="dense")
