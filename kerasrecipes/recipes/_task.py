"""The scenario row for (X, y), and the head/loss/label mismatch checks.

What the data says (`TargetInfo`, `infer_target`: the label kind and the input kind) is read in the
data layer (`data._target`) and re-exported here. The row follows from it: 4-D images take the CNN
rows, 3-D sequences the RNN rows; the regime comes from the feature count or the sample count,
whichever the row's task uses in the scenario table.
"""

from __future__ import annotations

from typing import Any

from kerasrecipes.data._target import (  # noqa: F401  (re-exported: the recipes API names them)
    INPUT_KINDS,
    LABEL_MAX_CLASSES,
    LABEL_MIN_ROWS,
    TargetInfo,
    infer_target,
    numeric_target_kind,
)
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import _table

# loss -> (tasks it serves, head activation it needs, label encoding it needs or None)
LOSS_RULES: dict[str, tuple[frozenset, str | None, str | None]] = {
    "mean_squared_error": (frozenset({"regression"}), None, None),
    "mean_absolute_error": (frozenset({"regression"}), None, None),
    "huber": (frozenset({"regression"}), None, None),
    "log_cosh": (frozenset({"regression"}), None, None),
    "barron": (frozenset({"regression"}), None, None),
    "hinge": (frozenset({"binary"}), "tanh", "sparse"),
    "binary_crossentropy": (frozenset({"binary", "multilabel"}), "sigmoid", "sparse"),
    "sigmoid_crossentropy": (frozenset({"binary", "multilabel"}), "linear", "sparse"),
    "categorical_crossentropy": (frozenset({"binary", "multiclass"}), "softmax", "onehot"),
    "sparse_categorical_crossentropy": (frozenset({"binary", "multiclass"}), "softmax", "sparse"),
    "softmax_crossentropy": (frozenset({"binary", "multiclass"}), "linear", "sparse"),
}


def row_for(task: str, info: TargetInfo, thresholds: _table.Thresholds | None = None) -> _table.Scenario:
    """The row of `task` ("auto": CNN/RNN by input kind, else the target's kind) in this data's regime."""
    if task == "auto":
        task = {"image": "cnn", "sequence": "rnn", "text": "rnn"}.get(info.input_kind, info.kind)
    thresholds = thresholds or _table.DEFAULT_THRESHOLDS
    if _table.regime_axis(task) == "features":
        regime = "more_features" if info.n_features >= thresholds.more_features else "less_features"
    else:
        regime = _table.dataset_size(info.n_samples, thresholds)
    return _table.scenario_for(task, regime)


def select_scenario(
    X: Any, y: Any, task: str = "auto", *, thresholds: _table.Thresholds | None = None
) -> tuple[_table.Scenario, TargetInfo]:
    """Pick the scenario-table row for (X, y).

    Args:
        X: inputs (2-D tabular, 3-D sequences, 4-D images).
        y: targets.
        task: "auto" (infer) or one of `TASKS`. Defaults to "auto".
        thresholds: regime thresholds. Defaults to `DEFAULT_THRESHOLDS`.

    Returns:
        (row, target info).

    Raises:
        ValueError: when an explicit `task` contradicts the data, with what to change.

    Examples:
        >>> import numpy as np
        >>> row, info = select_scenario(np.zeros((100, 4)), np.arange(100) % 3)
        >>> row.name
        'multiclass-less-features'
    """
    info = infer_target(X, y)
    if task != "auto":
        from kerasrecipes._validation import check

        check("task", task, _table._TASK_OPTIONS)
        check_task_against_data(task, info)
    return row_for(task, info, thresholds), info


_DATA_SHAPES = {
    "tabular": "(samples, features)",
    "sequence": "(samples, timesteps, features)",
    "image": "(samples, height, width, channels)",
}
_SAMPLE_SHAPES = {"tabular": "(features,)", "sequence": "(timesteps, features)", "image": "(height, width, channels)"}


def task_for(info: TargetInfo) -> str:
    """The task that fits the data: cnn/rnn by input rank, else the target's kind (what task="auto" picks)."""
    return {"image": "cnn", "sequence": "rnn"}.get(info.input_kind, info.kind)


def check_task_against_data(
    task: str, info: TargetInfo, *, shape_only: bool = False, scenario: str | None = None
) -> None:
    """Raise, saying what to change, when `task` (the task of `scenario` when given) does not fit the data.

    `shape_only`: `info` came from `build_model(recipe, input_shape, n_classes)`, not from arrays, so the
    messages name `input_shape` and `n_classes` (what the caller passed) instead of X and y.
    """
    if scenario is None:
        subject, use = f"task={task!r}", (lambda t: f"task={t!r}")
    else:
        subject = f"scenario={scenario!r} (task {task!r})"
        use = lambda t: f"scenario={row_for(t, info).name!r}"  # noqa: E731 - the row task="auto" would pick
    need = {"cnn": "image", "rnn": "sequence"}.get(task, "tabular")
    if info.input_kind != need:
        if shape_only:
            raise UserError(
                f"{subject} needs {need} input, input_shape={_SAMPLE_SHAPES[need]}, but input_shape="
                f"{info.input_shape} is {info.input_kind}. Pass an input_shape of the form {_SAMPLE_SHAPES[need]}, "
                f"or use {use(task_for(info))}."
            )
        table = (  # what a CLI user can do: rows of a CSV file as series
            " (for a CSV whose rows are series: --sequence, or kerasrecipes.data.as_sequences)"
            if need == "sequence" and info.input_kind == "tabular"
            else ""
        )
        raise UserError(
            f"{subject} needs {need} input of shape {_DATA_SHAPES[need]}, but X is {info.input_kind} "
            f"with sample shape {info.input_shape}. Reshape X{table} or use {use(task_for(info))}."
        )
    if task == "multilabel" and info.kind != "multilabel":
        if shape_only:
            raise UserError(
                f"{subject} needs several 0/1 labels per row, but n_classes={info.n_classes} builds for "
                f"{info.kind}. Pass target=infer_target(X, y) with y of shape (samples, labels), or use "
                f"{use(task_for(info))}."
            )
        raise UserError(
            f"{subject} needs several 0/1 label columns (y of shape (samples, labels); --target a,b,c), but y is "
            f"{info.kind}. Use {use(task_for(info))}."
        )
    if task in ("regression", "binary", "multiclass") and info.kind == "multilabel":
        raise UserError(
            f"y has several labels per row ({info.n_classes} 0/1 columns) but {subject} predicts one value per "
            f"row. Use {use('multilabel')} ({info.n_classes} sigmoid units), or train one label at a time."
        )
    if task in ("binary", "multiclass") and info.kind == "regression":
        if shape_only:
            classes = "n_classes=2" if task == "binary" else "n_classes=K, the number of classes (e.g. n_classes=3)"
            raise UserError(
                f"n_classes=None means a regression target, but {subject} is a classifier. "
                f"Pass {classes}, or use {use('regression')}."
            )
        raise UserError(
            f"y is continuous (a regression target) but {subject} is a classifier. "
            f"Use {use('regression')}, or pass integer class labels."
        )
    if shape_only and task == "regression" and info.kind != "regression":  # data: train reads labels as numbers
        raise UserError(
            f"n_classes={info.n_classes} means class labels, but {subject} predicts numbers. "
            f"Pass n_classes=None, or use {use(info.kind)}."
        )
    if task == "binary" and info.kind == "multiclass" and (info.n_classes or 0) > 2:
        if shape_only:
            raise UserError(
                f"n_classes={info.n_classes} but {subject} has a 1-unit sigmoid head (2 classes). "
                f"Use {use('multiclass')} (softmax head), or pass n_classes=2."
            )
        raise UserError(
            f"y has {info.n_classes} classes but {subject} (a 1-unit sigmoid head). "
            f"Use {use('multiclass')} (softmax head)."
        )


def check_head(output_activation: str, loss: str, units: int, info: TargetInfo, *, shape_only: bool = False) -> None:
    """Raise ValueError, saying what to change, when head, loss and labels do not fit together.

    Every fix is written in recipe fields (`loss=...`, `output_activation=...`, `task=...`), so setting
    them as written gives a model that builds.

    Args:
        output_activation: head activation ("linear", "relu", "sigmoid", "softmax", "tanh").
        loss: loss name from `LOSS_RULES`.
        units: head width.
        info: the target description from `infer_target`.
        shape_only: `info` came from `build_model`'s `n_classes`, not from labels: the messages say
            `n_classes` instead of y. Defaults to False.

    Examples:
        >>> import numpy as np
        >>> info = infer_target(np.zeros((15, 2)), [0, 1, 2, 3, 4] * 3)
        >>> check_head("sigmoid", "binary_crossentropy", 1, info)
        Traceback (most recent call last):
        ...
        kerasrecipes.errors.UserError: A 1-unit sigmoid head cannot represent 5 classes. Use a softmax head with 5 units and sparse_categorical_crossentropy (loss='sparse_categorical_crossentropy', output_activation='auto').
    """
    if loss not in LOSS_RULES:
        from kerasrecipes._validation import unknown_name

        raise UserError(unknown_name("loss", loss, LOSS_RULES))
    tasks, head, encoding = LOSS_RULES[loss]
    k = info.n_classes
    ce = "categorical_crossentropy" if info.encoding == "onehot" else "sparse_categorical_crossentropy"
    auto_head = "loss='auto' and output_activation='auto' (a linear head, mean_squared_error)"
    if info.kind == "regression" and "regression" not in tasks:
        if shape_only:
            other = (
                ""
                if encoding == "onehot"
                else ", or pass n_classes=2 for a binary classifier"
                if "multiclass" not in tasks
                else ", or pass n_classes=K, the number of classes, for a classifier"
            )
            raise UserError(
                f"n_classes=None means a regression target, but the loss is {loss} with a {output_activation} head. "
                f"Set {auto_head}{other}."
            )
        raise UserError(
            f"y is continuous (a regression target) but the loss is {loss} with a {output_activation} head. "
            f"Use task='regression' with {auto_head}, or pass class labels."
        )
    if info.kind == "multilabel":
        fix = f"Use {k} sigmoid units with binary_crossentropy (loss='auto', output_activation='auto')."
        if output_activation == "softmax" or "multiclass" in tasks:
            raise UserError(
                f"y has several labels per row ({k} 0/1 columns), but a softmax head with {loss} makes the "
                f"labels compete for one probability. {fix}"
            )
        if units != k:
            raise UserError(f"A multi-label head needs one unit per label: {k} units, got {units}. {fix}")
    if output_activation == "softmax" and loss == "binary_crossentropy":
        sigmoid = (
            "Use a 1-unit sigmoid head (output_activation='sigmoid') with binary_crossentropy, or keep softmax "
            if not (k and k > 2)
            else "Keep softmax "
        )
        raise UserError(
            f"A softmax head with binary_crossentropy trains the wrong objective. {sigmoid}with loss='{ce}'."
        )
    if output_activation == "sigmoid" and units == 1 and k is not None and k > 2:
        raise UserError(
            f"A 1-unit sigmoid head cannot represent {k} classes. Use a softmax head with {k} units "
            f"and {ce} (loss='{ce}', output_activation='auto')."
        )
    labels = f"n_classes={k} means class labels" if shape_only else f"y holds class labels ({info.kind})"
    if info.kind != "regression" and info.kind not in tasks:
        if "regression" in tasks:
            regression = (
                "pass n_classes=None for a regression model"
                if shape_only
                else "set task='regression' if the labels are ordered numbers"
            )
            raise UserError(
                f"{labels} but {loss} is a regression loss. Use the row's cross-entropy (loss='auto'), or {regression}."
            )
        fit = "binary_crossentropy" if info.kind == "binary" else ce
        raise UserError(
            f"{loss} does not fit a {info.kind} target with {k} classes. Use {fit} with "
            + ("a 1-unit sigmoid head" if info.kind == "binary" else "a softmax head")
            + f" (loss='{fit}', output_activation='auto')."
        )
    if encoding == "onehot" and info.encoding == "sparse":
        if shape_only:
            raise UserError(
                f"categorical_crossentropy expects one-hot labels but n_classes={k} builds for integer class ids. "
                "Set loss='sparse_categorical_crossentropy' (the same loss on class ids), or pass "
                "target=infer_target(X, y) with one-hot y."
            )
        raise UserError(
            "categorical_crossentropy expects one-hot labels but y holds integer class ids. "
            "Set loss='sparse_categorical_crossentropy' (the same loss on class ids)."
        )
    if encoding == "sparse" and info.encoding == "onehot":
        raise UserError(
            f"{loss} expects integer class ids but y is one-hot. Set loss='categorical_crossentropy', "
            "or pass y.argmax(axis=1)."
        )
    if head is not None and output_activation != head:
        raise UserError(
            f"{loss} expects a {head} head, got {output_activation}. Set output_activation='{head}'"
            + (
                (
                    " (or loss='sigmoid_crossentropy'"
                    + ("" if output_activation == "linear" else " with output_activation='linear'")
                    + " for logits)."
                )
                if loss == "binary_crossentropy"
                else "."
            )
        )
    if output_activation == "softmax" and k is not None and units != k:
        raise UserError(f"A softmax head needs one unit per class: {k} units, got {units}.")
