"""`build_model`: recipe + input shape (+ classes) -> compiled `keras.Model`.

The one place that compiles: loss, metrics and head come from the scenario row and the target,
are checked together (`check_head`), and the optimizer comes from `models.optimizers`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kerasrecipes._validation import invalid
from kerasrecipes.data._target import target_info_from_shape
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import _table, _task
from kerasrecipes.recipes._recipe import Recipe


@dataclass(frozen=True)
class Head:
    """The resolved output of a model: units, activation, loss name and metric names."""

    units: int
    activation: str
    loss: str
    metrics: tuple[str, ...]


def resolve_head(
    recipe: Recipe,
    row: _table.Scenario,
    info: _task.TargetInfo,
    *,
    shape_only: bool = False,
    scenario: str | None = None,
) -> Head:
    """Head units, activation and loss for a resolved recipe on a target, checked for mismatches.

    `shape_only`: `info` came from an input shape and `n_classes`, not from data (the messages say so);
    `scenario`: the row was the user's `scenario`, not chosen from `task` (the fixes then name a row).
    """
    kind = info.kind
    if row.task in ("regression", "binary", "multiclass", "multilabel") and kind != row.task:
        if not (row.task == "multiclass" and kind == "binary"):
            _task.check_task_against_data(row.task, info, shape_only=shape_only, scenario=scenario)
    loss = recipe.loss
    if loss == "auto":
        loss = (
            {
                "regression": "mean_squared_error",
                "binary": "binary_crossentropy",
                "multiclass": "categorical_crossentropy",
                "multilabel": "binary_crossentropy",
            }[kind]
            if row.loss == "crossentropy"
            else row.loss
        )
        if row.task == "multiclass" and kind == "binary":
            loss = "categorical_crossentropy"
        if loss == "categorical_crossentropy" and info.encoding == "sparse":
            loss = "sparse_categorical_crossentropy"
    activation = recipe.output_activation
    if activation == "auto":
        rule_head = _task.LOSS_RULES.get(loss, (None, None, None))[1]
        if rule_head is not None:
            activation = rule_head
        elif row.output_activation != "target":
            activation = row.output_activation
        else:
            activation = "linear"
    if kind in ("regression", "multilabel"):
        units = info.n_outputs
    elif activation == "softmax" or loss in (
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "softmax_crossentropy",
    ):
        units = int(info.n_classes)
    else:
        units = 1
    _task.check_head(activation, loss, units, info, shape_only=shape_only)
    metrics = {
        "regression": ("mean_absolute_error", "root_mean_squared_error"),
        "binary": ("accuracy", "auc"),
        "multiclass": ("accuracy",),
        "multilabel": ("accuracy", "auc"),
    }[kind]
    return Head(units, activation, loss, row.metrics if row.builder == "dense" and kind == row.task else metrics)


def _metric_objects(head: Head) -> list[Any]:
    import keras

    logits = head.activation in ("linear", "tanh")
    labels = head.units > 1 and head.loss in ("binary_crossentropy", "sigmoid_crossentropy")  # multi-label
    out: list[Any] = []
    for name in head.metrics:
        if name == "accuracy" and (labels or (head.units == 1 and logits)):
            out.append(keras.metrics.BinaryAccuracy(threshold=0.0 if logits else 0.5, name="accuracy"))
        elif name == "auc" and labels:  # the mean of the labels' AUCs
            out.append(keras.metrics.AUC(from_logits=logits, multi_label=True, num_labels=head.units, name="auc"))
        elif name == "auc" and head.units == 2:  # a binary target on a two-unit softmax head
            from kerasrecipes.models.metrics import PositiveClassAUC

            out.append(PositiveClassAUC(from_logits=logits, name="auc"))
        elif name == "auc":
            out.append(keras.metrics.AUC(from_logits=logits, name="auc"))
        elif name == "root_mean_squared_error":
            out.append(keras.metrics.RootMeanSquaredError(name="root_mean_squared_error"))
        else:
            out.append(name)
    return out


def _loss_object(recipe: Recipe, head: Head) -> Any:
    from kerasrecipes.models.losses import LOSSES, get_loss

    params = {
        "huber": {"delta": recipe.huber_delta},
        "barron": {"alpha": recipe.barron_alpha, "scale": recipe.barron_scale},
    }.get(head.loss, {})
    if recipe.label_smoothing:
        if "label_smoothing" not in LOSSES[head.loss].params:
            raise UserError(
                invalid(
                    "label_smoothing",
                    f"0 with loss {head.loss!r} (it smooths the cross-entropy losses of classifiers only)",
                    recipe.label_smoothing,
                )
            )
        params["label_smoothing"] = recipe.label_smoothing
    return get_loss(head.loss, **params)


def _check_augmentation(recipe: Recipe, builder: str) -> None:
    """Image augmentation is for the CNN rows, input noise for the CNN and RNN rows: one line naming the field."""
    from kerasrecipes.models.conv import IMAGE_AUGMENTATION, NON_IMAGE_DATA

    fields = [f for f in IMAGE_AUGMENTATION if getattr(recipe, f) not in ("none", 0.0)] if builder != "cnn" else []
    if builder in ("dense", "text") and recipe.augment_noise > 0:
        fields.append("augment_noise")
    if fields:
        data = NON_IMAGE_DATA[builder]
        raise UserError(
            f"{fields[0]} augments "
            + (
                "images and sequences (the CNN and RNN rows)"
                if fields[0] == "augment_noise"
                else "images (the CNN rows)"
            )
            + f", and this model's data is {data} (the {builder} builder). Leave {fields[0]} at its default."
        )


def _check_conv_fields(recipe: Recipe, builder: str, defaults: Mapping[str, Any]) -> None:
    """A convolution field set away from its row's default where no convolution block of the recipe's own reads it
    (a table, sequences or text, or a backbone in their place): one line naming the field, not a silent no-op.
    A value equal to the default is the default, set or not (a resolved recipe cannot tell them apart)."""
    from kerasrecipes.models.conv import CONV_FIELDS, NON_IMAGE_DATA

    if builder == "cnn" and recipe.backbone == "none":
        return
    field = next((f for f in CONV_FIELDS if getattr(recipe, f) != defaults[f]), None)
    if field is None:
        return
    if builder == "cnn":
        raise UserError(
            f"{field}={getattr(recipe, field)!r} shapes the CNN's own convolution blocks, which "
            f"backbone={recipe.backbone!r} replaces. Leave {field} at its default, or set backbone='none'."
        )
    data = NON_IMAGE_DATA[builder]
    raise UserError(
        f"{field}={getattr(recipe, field)!r} shapes the convolution blocks of images (the CNN rows), and this "
        f"model's data is {data} (the {builder} builder). Leave {field} at its default."
    )


def _coerce_recipe(recipe: Recipe | Mapping[str, Any] | None) -> Recipe:
    if recipe is None:
        return Recipe()
    if isinstance(recipe, Mapping):
        return Recipe.from_dict(recipe)
    if not isinstance(recipe, Recipe):
        raise UserError(invalid("recipe", "a Recipe, a dict of recipe fields, or None", type(recipe).__name__))
    return recipe


def build_model(
    recipe: Recipe | Mapping[str, Any] | None,
    input_shape: Sequence[int],
    n_classes: int | None = None,
    *,
    target: _task.TargetInfo | None = None,
    steps_per_epoch: int | None = None,
    wide_input_shape: Sequence[int] | None = None,
    thresholds: _table.Thresholds | None = None,
    numeric_features: int | None = None,
    text_blocks: Sequence[Mapping[str, int]] = (),
    channel_scaling: Mapping[str, Any] | None = None,
):
    """Build and compile the model a recipe describes.

    The row is `recipe.scenario` when set; otherwise it is chosen from the input rank, `n_classes`
    and the regime thresholds (like `select_scenario`, without needing the data).

    Args:
        recipe: a `Recipe`, a dict of recipe fields, or None for all defaults.
        input_shape: shape of one sample: (features,), (timesteps, features) or (h, w, channels).
        n_classes: None for regression, 2 for binary, k for multiclass; for a multi-label scenario or
            `task="multilabel"`, the number of labels. Ignored when `target` is given.
        target: a `TargetInfo` from `infer_target` (knows one-hot vs integer labels and sample count).
        steps_per_epoch: optimizer steps per epoch; needed by learning-rate schedules.
        wide_input_shape: shape of a second "wide" input (wide-and-deep, Functional API only).
        thresholds: regime thresholds. Defaults to `DEFAULT_THRESHOLDS`.
        numeric_features: how many leading features are numeric, which `embedding="periodic"` embeds
            (a table's one-hot and missing-indicator columns come after them); None: all.
        text_blocks: the token ids among the features, per free-text column its `start`, `length` and
            `vocabulary_size` (`data._text.layout`). With any, the row is an RNN row unless the recipe
            names another, and the model embeds and reads each block (`models.text`). Defaults to `()`.
        channel_scaling: images: how the run's preprocessing scaled each channel before the network (a
            channel spec's `center`, `scale` and `clip`), which a `backbone` and `augment_randaugment` undo
            to read pixel values; None: the inputs are pixel values 0-255. Defaults to None.

    Returns:
        A compiled `keras.Model`; its resolved recipe is at `model.recipe` and head at `model.head`.

    Raises:
        ValueError: on mismatched head/loss/labels or invalid shapes, saying what to change.

    Examples:
        >>> model = build_model(Recipe(units=16), (4,), n_classes=3)
        >>> model.output_shape
        (None, 3)
    """
    recipe = _coerce_recipe(recipe)
    labels = (  # a multi-label row or task: n_classes counts the labels
        _table.get_scenario(recipe.scenario).task == "multilabel" if recipe.scenario else recipe.task == "multilabel"
    )
    info = target or target_info_from_shape(input_shape, n_classes, multilabel=labels)
    if text_blocks:  # token ids of free text: the RNN rows read them
        info = dataclasses.replace(info, input_kind="text")
    if target is not None and tuple(input_shape) != info.input_shape:
        raise UserError(
            f"input_shape {tuple(input_shape)} does not match the target's sample shape {info.input_shape}."
        )
    if recipe.scenario is not None:
        row = _table.get_scenario(recipe.scenario)
    else:
        task = recipe.task if recipe.task not in (None, "auto") else "auto"
        if task != "auto":  # the task "auto" derives from the data always fits it
            _task.check_task_against_data(task, info, shape_only=target is None)
        row = _task.row_for(task, info, thresholds)
    size = _table.dataset_size(info.n_samples, thresholds) if info.n_samples else None  # 0: shape only
    resolved = recipe.resolved(row, dataset_size=size)
    head = resolve_head(resolved, row, info, shape_only=target is None, scenario=recipe.scenario)
    from kerasrecipes.models import backbones, conv, dense, recurrent, text
    from kerasrecipes.models.losses import LOSSES

    builder = "text" if text_blocks else row.builder
    _check_augmentation(resolved, builder)
    _check_conv_fields(resolved, builder, _table.row_defaults(row, size))
    backbones.check_recipe(resolved, builder)
    pool = LOSSES[head.loss].ensemble_pool
    dense.check_ensemble(resolved, builder, pool, head.loss, wide_input_shape is not None)
    if builder == "text":
        if wide_input_shape is not None:
            raise UserError("wide_input_shape is supported by the dense builder only.")
        model = text.build_text(resolved, info.input_shape, text_blocks, head.units, head.activation)
    elif row.builder == "dense":
        model = dense.build_dense(
            resolved,
            info.input_shape,
            head.units,
            head.activation,
            wide_input_shape=wide_input_shape,
            numeric_features=numeric_features,
            pool=pool,
        )
    elif wide_input_shape is not None:
        raise UserError("wide_input_shape is supported by the dense builder only.")
    elif row.builder == "cnn" and resolved.backbone != "none":
        model = backbones.build_backbone_network(
            resolved, info.input_shape, head.units, head.activation, channel_scaling=channel_scaling
        )
    elif row.builder == "cnn":
        model = conv.build_cnn(resolved, info.input_shape, head.units, head.activation, channel_scaling=channel_scaling)
    else:
        model = recurrent.build_rnn(resolved, info.input_shape, head.units, head.activation)
    compile_model(model, resolved, head, steps_per_epoch)
    model.recipe = resolved
    model.head = head
    model.scenario = row
    return model


def compile_model(model: Any, recipe: Recipe, head: Head, steps_per_epoch: int | None) -> None:
    """Compile `model` with the resolved recipe's optimizer (at its `learning_rate`, with its schedule and
    clipping), the head's loss and metrics: fresh objects each time (a fine-tuning phase compiles again)."""
    from kerasrecipes.models import optimizers

    model.compile(
        optimizer=optimizers.make_optimizer(recipe, steps_per_epoch),
        loss=_loss_object(recipe, head),
        metrics=_metric_objects(head),
    )


def build_model_for_data(
    X: Any,
    y: Any,
    recipe: Recipe | Mapping[str, Any] | None = None,
    *,
    task: str = "auto",
    thresholds: _table.Thresholds | None = None,
    steps_per_epoch: int | None = None,
):
    """Infer task and regime from (X, y), pick the row and build the compiled model.

    Examples:
        >>> X, y = np.random.rand(50, 4), np.arange(50) % 2
        >>> build_model_for_data(X, y).scenario.name
        'binary-small-dataset'
    """
    recipe = _coerce_recipe(recipe)
    if recipe.task not in (None, "auto"):
        task = recipe.task
    row, info = _task.select_scenario(X, y, task, thresholds=thresholds)
    if task == "regression" and info.kind != "regression" and info.encoding == "sparse":
        # numeric class labels predicted as numbers, as `train(task="regression")` does (text labels cannot be)
        if np.asarray(y).dtype.kind not in "biuf":
            raise UserError(
                invalid(
                    "task",
                    "'binary' or 'multiclass' for a text target",
                    task,
                    fix=f"y holds text labels such as {np.asarray(y).ravel()[0]!r}",
                )
            )
        info = dataclasses.replace(
            info, kind="regression", target_type="continuous", n_classes=None, encoding="continuous", n_outputs=1
        )
    if recipe.scenario is None:
        recipe = recipe.replace(scenario=row.name)
    return build_model(recipe, info.input_shape, target=info, steps_per_epoch=steps_per_epoch)
