"""Task and regime inference from (X, y), and the head/loss/label mismatch checks.

The task comes from scikit-learn's `type_of_target` ("continuous" -> regression, "binary",
"multiclass"; one-hot "multilabel-indicator" rows are recognised as categorical labels) and from the
input rank (4-D images -> the CNN rows, 3-D sequences -> the RNN rows). The regime comes from the
feature count or the sample count, whichever the row's task uses in the scenario table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kerasrecipes._validation import invalid
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import _table

LABEL_MAX_CLASSES = 20
"""A numeric target of whole numbers (integer-typed, or floats such as 3.0) counts as class labels
only up to this many distinct values; beyond it (prices, counts, years, diabetes' disease scores)
it is a regression target. See `numeric_target_kind`."""
LABEL_MIN_ROWS = 3
"""Fewest rows of every value for whole numbers to be class labels: a stratified train/validation/test
split needs at least one row of each class in each split."""

INPUT_KINDS = {2: "tabular", 3: "sequence", 4: "image"}

# loss -> (tasks it serves, head activation it needs, label encoding it needs or None)
LOSS_RULES: dict[str, tuple[frozenset, str | None, str | None]] = {
    "mean_squared_error": (frozenset({"regression"}), None, None),
    "mean_absolute_error": (frozenset({"regression"}), None, None),
    "huber": (frozenset({"regression"}), None, None),
    "log_cosh": (frozenset({"regression"}), None, None),
    "barron": (frozenset({"regression"}), None, None),
    "hinge": (frozenset({"binary"}), "tanh", "sparse"),
    "binary_crossentropy": (frozenset({"binary"}), "sigmoid", "sparse"),
    "sigmoid_crossentropy": (frozenset({"binary"}), "linear", "sparse"),
    "categorical_crossentropy": (frozenset({"binary", "multiclass"}), "softmax", "onehot"),
    "sparse_categorical_crossentropy": (frozenset({"binary", "multiclass"}), "softmax", "sparse"),
    "softmax_crossentropy": (frozenset({"binary", "multiclass"}), "linear", "sparse"),
}


@dataclass(frozen=True)
class TargetInfo:
    """What the data says about the problem.

    Attributes:
        kind: "regression", "binary" or "multiclass" (the label kind, also for images/sequences).
        target_type: scikit-learn's `type_of_target` word.
        n_classes: number of classes, None for regression.
        encoding: "sparse" (integer labels), "onehot" or "continuous".
        n_outputs: output width of the head (1 for binary and single-target regression).
        input_kind: "tabular", "sequence" or "image".
        n_samples: rows of X.
        input_shape: shape of one sample.
        note: why a target of whole numbers was read as classes or as a regression target (one line,
            for the log and the manifest), or None when the target's type says it plainly.
    """

    kind: str
    target_type: str
    n_classes: int | None
    encoding: str
    n_outputs: int
    input_kind: str
    n_samples: int
    input_shape: tuple[int, ...]
    note: str | None = None

    @property
    def n_features(self) -> int:
        return int(np.prod(self.input_shape[-1:])) if self.input_kind != "image" else int(np.prod(self.input_shape))


def _as_array(name: str, value: Any) -> np.ndarray:
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    try:
        return np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise UserError(invalid(name, "array-like", type(value).__name__)) from exc


def infer_target(X: Any, y: Any, *, name: str = "y") -> TargetInfo:
    """Describe the target and the input: label kind, classes, encoding and input kind.

    Args:
        X: inputs, 2-D (samples, features), 3-D (samples, timesteps, features) or 4-D images.
        y: targets: class labels, one-hot rows, or continuous values.
        name: the target's name, for the note on whole-number targets (`numeric_target_kind`).
            Defaults to "y".

    Returns:
        A `TargetInfo`.

    Raises:
        ValueError: for shapes that do not fit, multilabel or unknown targets.

    Examples:
        >>> infer_target(np.zeros((4, 3)), [0, 1, 1, 0]).kind
        'binary'
    """
    from sklearn.utils.multiclass import type_of_target

    X = _as_array("X", X)
    y = _as_array("y", y)
    if X.ndim not in INPUT_KINDS:
        raise UserError(
            f"X must be 2-D (samples, features), 3-D (samples, timesteps, features) or 4-D images "
            f"(samples, height, width, channels). Received: X.shape={X.shape}"
        )
    if len(X) != len(y):
        raise UserError(f"X and y must have the same number of rows. Received: {len(X)} rows in X, {len(y)} in y")
    if len(y) < 2:
        raise UserError(invalid("y", "at least 2 samples", f"{len(y)} sample(s)"))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    target_type = type_of_target(y)
    common = dict(input_kind=INPUT_KINDS[X.ndim], n_samples=int(len(X)), input_shape=tuple(int(d) for d in X.shape[1:]))
    if target_type in ("continuous", "continuous-multioutput"):
        return TargetInfo(
            "regression", target_type, None, "continuous", 1 if y.ndim == 1 else int(y.shape[1]), **common
        )
    if target_type == "multilabel-indicator":
        if np.all(y.sum(axis=1) == 1):
            k = int(y.shape[1])
            return TargetInfo("multiclass", target_type, k, "onehot", k, **common)
        raise UserError(
            "y is multilabel (rows with several 1s); the scenario table covers regression, binary and "
            "multiclass targets. Train one binary model per label, or one-hot encode single labels."
        )
    if target_type in ("binary", "multiclass"):
        kind, note = "multiclass", None
        if y.dtype.kind in "iuf":  # whole numbers: classes or a quantity?
            values, counts = np.unique(y, return_counts=True)
            kind, note = numeric_target_kind(dict(zip(values.tolist(), counts.tolist())), integral=True, name=name)
            if kind == "regression":
                return TargetInfo("regression", "continuous", None, "continuous", 1, note=note, **common)
        n_unique = int(len(np.unique(y)))
        if target_type == "binary" or n_unique == 2:
            return TargetInfo("binary", target_type, 2, "sparse", 1, note=note, **common)
        return TargetInfo("multiclass", target_type, n_unique, "sparse", n_unique, note=note, **common)
    if target_type == "multiclass-multioutput":
        raise UserError("y has several class-label columns (multiclass-multioutput); train one model per column.")
    raise UserError(
        f"Cannot tell the task from y (scikit-learn type_of_target says {target_type!r}). "
        "Give numeric targets, or set task= explicitly."
    )


def numeric_target_kind(counts: dict | None, *, integral: bool, name: str = "y") -> tuple[str, str | None]:
    """Classes or a quantity? The rule for a numeric target, shared by every road (in memory, streamed).

    A target with a non-whole value is a regression target. Whole numbers are class labels when there
    are 2 distinct values (binary); when there are more than `LABEL_MAX_CLASSES` (a price, a count, a
    year) or some value has fewer than `LABEL_MIN_ROWS` rows (too rare to be a class), they are a
    regression target; in between (e.g. a 0-5 rating) the target could be either, and it is read as
    classes. Except for plain binary targets and non-whole values, the decision comes with a one-line
    note that says which and why and how to override it (`task=`, `--task`).

    Args:
        counts: distinct value -> number of rows, or None when there are more than
            `LABEL_MAX_CLASSES` distinct values (a streaming pass stops counting there).
        integral: whether every value is a whole number.
        name: the target's name, for the note. Defaults to "y".

    Returns:
        ("regression" | "binary" | "multiclass", note or None).

    Examples:
        >>> numeric_target_kind({0: 30, 1: 25, 2: 40, 3: 12, 4: 9, 5: 4}, integral=True)[0]
        'multiclass'
        >>> numeric_target_kind(None, integral=True, name="price")[1].split(",")[0]
        "target 'price' holds more than 20 distinct whole numbers"
    """
    if not integral:
        return "regression", None
    override = "pass task='multiclass' (--task multiclass) to read them as classes"
    if counts is None or len(counts) > LABEL_MAX_CLASSES:
        return "regression", (
            f"target {name!r} holds more than {LABEL_MAX_CLASSES} distinct whole numbers, too many "
            f"to be classes: read as a regression target; {override}"
        )
    if len(counts) == 2:
        return "binary", None
    values = sorted(counts)
    span = f"{_plain_number(values[0])} to {_plain_number(values[-1])}"
    rare = [v for v in values if counts[v] < LABEL_MIN_ROWS]
    if rare:
        return "regression", (
            f"target {name!r} holds {len(values)} whole numbers ({span}), some in fewer than "
            f"{LABEL_MIN_ROWS} rows (e.g. {_plain_number(rare[0])}), too rare to be classes: read "
            f"as a regression target; {override}"
        )
    return "multiclass", (
        f"target {name!r} holds {len(values)} whole numbers ({span}): read as {len(values)} classes; "
        "pass task='regression' (--task regression) to predict it as a number"
    )


def _plain_number(value: Any) -> Any:
    value = float(value)
    return int(value) if value.is_integer() else value


def _row_for(task: str, info: TargetInfo, thresholds: _table.Thresholds | None = None) -> _table.Scenario:
    """The row of `task` ("auto": CNN/RNN by input rank, else the target's kind) in this data's regime."""
    if task == "auto":
        task = {"image": "cnn", "sequence": "rnn"}.get(info.input_kind, info.kind)
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
        >>> row, info = select_scenario(np.zeros((100, 4)), np.arange(100) % 3)
        >>> row.name
        'multiclass-less-features'
    """
    info = infer_target(X, y)
    if task != "auto":
        from kerasrecipes._validation import check

        check("task", task, _table._TASK_OPTIONS)
        _check_task_against_data(task, info)
    return _row_for(task, info, thresholds), info


_DATA_SHAPES = {
    "tabular": "(samples, features)",
    "sequence": "(samples, timesteps, features)",
    "image": "(samples, height, width, channels)",
}
_SAMPLE_SHAPES = {"tabular": "(features,)", "sequence": "(timesteps, features)", "image": "(height, width, channels)"}


def _task_for(info: TargetInfo) -> str:
    """The task that fits the data: cnn/rnn by input rank, else the target's kind (what task="auto" picks)."""
    return {"image": "cnn", "sequence": "rnn"}.get(info.input_kind, info.kind)


def _check_task_against_data(
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
        use = lambda t: f"scenario={_row_for(t, info).name!r}"  # noqa: E731 - the row task="auto" would pick
    need = {"cnn": "image", "rnn": "sequence"}.get(task, "tabular")
    if info.input_kind != need:
        if shape_only:
            raise UserError(
                f"{subject} needs {need} input, input_shape={_SAMPLE_SHAPES[need]}, but input_shape="
                f"{info.input_shape} is {info.input_kind}. Pass an input_shape of the form {_SAMPLE_SHAPES[need]}, "
                f"or use {use(_task_for(info))}."
            )
        raise UserError(
            f"{subject} needs {need} input of shape {_DATA_SHAPES[need]}, but X is {info.input_kind} "
            f"with sample shape {info.input_shape}. Reshape X or use {use(_task_for(info))}."
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
