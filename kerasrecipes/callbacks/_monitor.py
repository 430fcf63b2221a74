"""Private base for callbacks that watch one logged metric (modelled on Keras's `MonitorCallback`).

It holds `monitor`, `mode` and `min_delta`, infers the direction of a metric from its name, and
exposes one `_is_improvement(current, reference)`. It is not meant to be used directly.
"""

from __future__ import annotations

import math
import warnings

import keras

from kerasrecipes import _tf_internals
from kerasrecipes._validation import Boolean, Interval, check, invalid, options
from kerasrecipes.errors import UserError

MODES = ("auto", "min", "max")

# Direction by name, checked in this order on the name without its "val_" prefix. The first
# table wins, so "val_mean_absolute_error" is "min" and "top_k_categorical_accuracy" is "max".
MIN_NAME_PARTS = (
    "loss",
    "error",
    "crossentropy",
    "hinge",
    "divergence",
    "logcosh",
    "huber",
    "mse",
    "mae",
    "mape",
    "msle",
    "false_",
    "perplexity",
)
MAX_NAME_PARTS = (
    "acc",
    "auc",
    "precision",
    "recall",
    "r2",
    "f1",
    "fbeta",
    "iou",
    "true_",
    "specificity",
    "sensitivity",
    "correlation",
)


def infer_mode(monitor: str) -> str | None:
    """Direction of a metric from its name: "min", "max", or None when the name says nothing.

    Examples:
        >>> infer_mode("val_loss"), infer_mode("val_accuracy"), infer_mode("lr")
        ('min', 'max', None)
    """
    name = monitor.lower().removeprefix("val_")
    if any(part in name for part in MIN_NAME_PARTS):
        return "min"
    if any(part in name for part in MAX_NAME_PARTS):
        return "max"
    return None


def is_finite(value) -> bool:
    """True for a finite real number (NaN and +/-inf are not)."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


class MonitorCallback(keras.callbacks.Callback):
    """Shared "watch one metric" logic for EarlyStopping and WeightSaver; not used directly.

    Args:
        monitor: name of the logged quantity to watch, e.g. `"val_loss"`.
        mode: one of `"auto"`, `"min"`, `"max"`. `"min"` means lower is better. `"auto"` infers
            the direction from the name (see `infer_mode`), then from the Keras metric's own
            direction once the model's metrics are built.
        min_delta: smallest change that counts as an improvement (absolute, >= 0).
        strict: if True, a monitored metric missing from the logs raises `ValueError` instead of
            warning (Lightning's pattern).

    Raises:
        ValueError: if the direction cannot be inferred at the first epoch end with `mode="auto"`.
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0, strict=False):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise UserError(invalid("monitor", "a non-empty metric name such as 'val_loss'", monitor))
        self.monitor = monitor
        self.mode = check("mode", mode, options(*MODES))
        self.min_delta = check("min_delta", min_delta, Interval("real", 0.0))
        self.strict = check("strict", strict, Boolean())
        self._direction = None if mode == "auto" else mode
        if self._direction is None:
            self._direction = infer_mode(monitor)

    @property
    def direction(self) -> str | None:
        """The resolved mode, "min" or "max" (None until it can be inferred)."""
        return self._direction

    def _resolve_direction(self) -> str:
        """Resolve "auto" from the model's built metrics, like Keras's `_set_monitor_op`."""
        if self._direction is not None:
            return self._direction
        name = self.monitor.removeprefix("val_")
        for metric in _all_metrics(getattr(self, "model", None)):
            direction = _tf_internals.metric_direction(metric) if metric.name == name else None
            if direction is not None:
                self._direction = "max" if direction == "up" else "min"
                return self._direction
        raise UserError(
            invalid(
                "mode",
                "'min' or 'max' for this metric",
                self.mode,
                f"{type(self).__name__} cannot tell whether `{self.monitor}` should be minimized or "
                "maximized. Pass mode='min' (lower is better) or mode='max' (higher is better)",
            )
        )

    def _is_improvement(self, current, reference) -> bool:
        """True if `current` beats `reference` by more than `min_delta` (None is always beaten)."""
        if not is_finite(current):
            return False
        if reference is None:
            return True
        if self._resolve_direction() == "min":
            return float(current) < float(reference) - self.min_delta
        return float(current) > float(reference) + self.min_delta

    def _sort_key(self, value) -> float:
        """A key that sorts best first (ascending) whatever the direction."""
        return float(value) if self._resolve_direction() == "min" else -float(value)

    def _get_monitor_value(self, logs):
        """The monitored value from `logs` as a float; None (with a warning) if it is missing."""
        value = monitored_value(self, logs)
        return None if value is None else float(value)


def monitored_value(callback, logs):
    """`logs[callback.monitor]`; if it is missing, warn naming the metrics that exist (raise when
    `callback.strict`), and return None."""
    logs = logs or {}
    value = logs.get(callback.monitor)
    if value is None:
        available = ", ".join(sorted(logs)) or "(none)"
        message = (
            f"{type(callback).__name__} is monitoring `{callback.monitor}`, which is not in the "
            f"logs. Available metrics are: {available}. Pass one of them as `monitor`"
            " (validation metrics need `validation_data` or `validation_split`)."
        )
        if callback.strict:
            raise UserError(message)
        warnings.warn(message, stacklevel=4)  # point at the user's fit()
    return value


def _all_metrics(model):
    """Every metric object of a compiled model, looking inside Keras's compile containers."""
    found = []
    for metric in getattr(model, "metrics", None) or []:
        found.extend(getattr(metric, "metrics", None) or [metric])
    return found
