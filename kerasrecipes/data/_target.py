"""What the data says about the problem: the target's kind and classes, and the input's kind.

The task comes from scikit-learn's `type_of_target` ("continuous" -> regression, "binary",
"multiclass"; one-hot "multilabel-indicator" rows are recognised as categorical labels) and from the
input rank (4-D images, 3-D sequences). The data layer reads it when it prepares a dataset; the recipes
layer (`recipes._task`) turns it into a scenario row and checks heads against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kerasrecipes._validation import invalid
from kerasrecipes.errors import UserError

LABEL_MAX_CLASSES = 20
"""A numeric target of whole numbers (integer-typed, or floats such as 3.0) counts as class labels
only up to this many distinct values; beyond it (prices, counts, years, diabetes' disease scores)
it is a regression target. See `numeric_target_kind`."""
LABEL_MIN_ROWS = 3
"""Fewest rows of every value for whole numbers to be class labels: a stratified train/validation/test
split needs at least one row of each class in each split."""

INPUT_KINDS = {2: "tabular", 3: "sequence", 4: "image"}


@dataclass(frozen=True)
class TargetInfo:
    """What the data says about the problem.

    Attributes:
        kind: "regression", "binary" or "multiclass" (the label kind, also for images/sequences).
        target_type: scikit-learn's `type_of_target` word.
        n_classes: number of classes, None for regression.
        encoding: "sparse" (integer labels), "onehot" or "continuous".
        n_outputs: output width of the head (1 for binary and single-target regression).
        input_kind: "tabular", "sequence", "image", or "text" (a table with free text read as token ids).
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
        k = int(y.shape[1])
        return TargetInfo("multilabel", target_type, k, "multilabel", k, **common)
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


def target_info_from_shape(
    input_shape: Sequence[int],
    n_classes: int | None,
    n_samples: int = 0,
    encoding: str = "sparse",
    *,
    multilabel: bool = False,
) -> TargetInfo:
    """A `TargetInfo` for callers that know shapes and class count but hold no data (`multilabel`: `n_classes`
    labels, each 0 or 1)."""
    expected = "the shape of one sample: (features,), (timesteps, features) or (height, width, channels)"
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise UserError(invalid("input_shape", f"{expected}, of positive integers", input_shape)) from None
    if any(d < 1 for d in shape) or any(isinstance(d, bool) for d in input_shape):
        raise UserError(invalid("input_shape", f"{expected}, of positive integers", tuple(input_shape)))
    kind_of_input = INPUT_KINDS.get(len(shape) + 1)
    if kind_of_input is None:
        raise UserError(
            invalid(
                "input_shape",
                "the shape of one sample: (features,), (timesteps, features) or (height, width, channels)",
                shape,
            )
        )
    if n_classes is None:
        return TargetInfo("regression", "continuous", None, "continuous", 1, kind_of_input, n_samples, shape)
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise UserError(invalid("n_classes", "None (regression) or an integer >= 2", n_classes))
    if multilabel:
        k = int(n_classes)
        return TargetInfo("multilabel", "multilabel-indicator", k, "multilabel", k, kind_of_input, n_samples, shape)
    kind = "binary" if n_classes == 2 else "multiclass"
    return TargetInfo(
        kind, kind, int(n_classes), encoding, 1 if kind == "binary" else int(n_classes), kind_of_input, n_samples, shape
    )
