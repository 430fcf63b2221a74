"""Keras' early stopping, ending with the best weights and saying why it stopped."""

from __future__ import annotations

import enum

import keras
import numpy as np

from kerasrecipes._log import get_logger
from kerasrecipes._validation import Boolean, Interval, check, invalid, options
from kerasrecipes.callbacks._monitor import MODES, infer_mode, is_finite, monitored_value
from kerasrecipes.errors import UserError

STATE_KEYS = ("wait", "best", "best_epoch", "stopped_epoch", "stop_reason", "best_weights")


class StopReason(str, enum.Enum):
    """Why training ended; members compare equal to their string values."""

    PATIENCE_EXHAUSTED = "patience_exhausted"  # no improvement for `patience` epochs
    BASELINE_NOT_REACHED = "baseline_not_reached"  # `baseline` not beaten within `patience` epochs
    NAN = "nan"  # the monitored value was NaN or inf
    MAX_EPOCHS = "max_epochs"  # fit() ran all its epochs
    INTERRUPTED = "interrupted"  # another callback set `model.stop_training`

    def __str__(self) -> str:
        return self.value


class EarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' `EarlyStopping`, restoring the best weights by default, that also says why it stopped.

    A subclass of `keras.callbacks.EarlyStopping` (Keras 3 restores the best weights at the end of
    training whether or not it stopped early, so keras#12511 needs no workaround here). What it adds:

    - `restore_best_weights=True` by default (keras#11371);
    - a NaN or inf monitored value stops training at once (reason "nan");
    - a `baseline` not beaten within `patience` epochs stops training even while the metric still
      improves (Keras' own check only runs on epochs without improvement);
    - the outcome in `stop_reason` (a `StopReason`) and a one-line `stop_message`;
    - a missing monitored metric warns with the metrics that exist, or raises with `strict=True`;
    - its per-run state as plain values (`get_state` / `set_state`), which the run's checkpoints save
      and a resumed run restores.

    Epoch attributes are 0-based, like the `epoch` argument of Keras hooks; messages print them
    1-based, like Keras's progress bar.

    Args:
        monitor: logged quantity to watch. Defaults to `"val_loss"`.
        mode: `"min"`, `"max"` or `"auto"` (inferred from the name: loss/error -> min,
            accuracy/auc/r2 -> max; else from the Keras metric's direction). Defaults to `"auto"`.
        min_delta: smallest absolute change that counts as an improvement. Defaults to `0.0`.
        patience: number of epochs without improvement after which training stops. Defaults to `10`.
        baseline: value the metric must beat; if it is not beaten within `patience` epochs,
            training stops with reason "baseline_not_reached". Defaults to `None`.
        start_from_epoch: number of warm-up epochs that are not monitored. Defaults to `0`.
        restore_best_weights: restore the weights of the best epoch when training ends.
            Defaults to `True`.
        strict: raise instead of warning when `monitor` is missing from the logs. Defaults to `False`.
        verbose: 0 (silent) or 1 (log the stop message through `logging`). Defaults to `0`.

    Attributes:
        best, best_epoch, best_weights: best value, its 0-based epoch (None if none yet), and
            the weights saved at that epoch (a list of numpy arrays).
        wait: epochs since the last improvement. stopped_epoch: 0-based epoch at which this
            callback stopped training, 0 if it did not.
        stop_reason: a `StopReason` (a str) after training. stop_message: a one-line explanation.

    Examples:
        >>> import keras, numpy as np
        >>> stopper = EarlyStopping(monitor="loss", patience=2)
        >>> model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(1)])
        >>> model.compile(keras.optimizers.SGD(0.0), loss="mse")  # never improves
        >>> _ = model.fit(np.ones((5, 20)), np.zeros(5), epochs=10, callbacks=[stopper], verbose=0)
        >>> stopper.stopped_epoch, stopper.stop_reason, stopper.best_epoch
        (2, <StopReason.PATIENCE_EXHAUSTED: 'patience_exhausted'>, 0)
    """

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        min_delta=0.0,
        patience=10,
        baseline=None,
        start_from_epoch=0,
        restore_best_weights=True,
        strict=False,
        verbose=0,
    ):
        if not isinstance(monitor, str) or not monitor:
            raise UserError(invalid("monitor", "a non-empty metric name such as 'val_loss'", monitor))
        check("mode", mode, options(*MODES))
        super().__init__(
            monitor=monitor,
            mode=(infer_mode(monitor) or mode) if mode == "auto" else mode,
            min_delta=check("min_delta", min_delta, Interval("real", 0.0)),
            patience=check("patience", patience, Interval("integer", 0)),
            verbose=check("verbose", verbose, Interval("integer", 0, 2)),
            baseline=check("baseline", baseline, Interval("real"), allow_none=True),
            restore_best_weights=check("restore_best_weights", restore_best_weights, Boolean()),
            start_from_epoch=check("start_from_epoch", start_from_epoch, Interval("integer", 0)),
        )
        self.strict = check("strict", strict, Boolean())
        self._resumed = False
        self.best_epoch, self.stop_reason, self.stop_message, self._last_epoch = None, None, None, None

    def on_train_begin(self, logs=None):
        # Allow instances to be re-used across fit() calls; a `set_state` before fit() resumes.
        if not self._resumed:
            super().on_train_begin(logs)
            self.best = None  # Keras 3.14's on_train_begin keeps the previous fit's best
            self.best_epoch = None
        self._resumed = False
        self.stop_reason, self.stop_message, self._last_epoch = None, None, None

    def _set_monitor_op(self):
        try:
            super()._set_monitor_op()
        except ValueError as exc:  # Keras cannot tell the metric's direction: the user can
            raise UserError(" ".join(str(exc).split())) from None

    def _is_improvement(self, monitor_value, reference_value):
        """Keras' comparison (`keras.ops.less`/`greater` on float32), in NumPy for plain numbers.

        Keras runs it as an eager tensor op, many times slower than NumPy on a scalar;
        `np.float32` rounds exactly as the tensor conversion does, so the answer is the same (tested).
        """
        if reference_value is None:
            return True
        ops = keras.ops
        if self.monitor_op not in (ops.less, ops.greater) or not all(
            isinstance(v, (float, int, np.floating, np.integer)) for v in (monitor_value, reference_value)
        ):
            return super()._is_improvement(monitor_value, reference_value)
        value, reference = np.float32(monitor_value - self.min_delta), np.float32(reference_value)
        return bool(value < reference) if self.monitor_op is ops.less else bool(value > reference)

    def get_monitor_value(self, logs):
        """The monitored value from `logs`; warn (or raise when `strict`) if it is missing."""
        return monitored_value(self, logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self._last_epoch = epoch
        current = logs.get(self.monitor)
        if current is not None and not is_finite(current):
            self._stop(epoch, StopReason.NAN)
            return
        super().on_epoch_end(epoch, logs)
        if self.model.stop_training and self.stopped_epoch == epoch and self.stop_reason is None:
            reached = self.baseline is None or bool(self._is_improvement(self.best, self.baseline))
            self.stop_reason = StopReason.PATIENCE_EXHAUSTED if reached else StopReason.BASELINE_NOT_REACHED
        elif (
            self.baseline is not None
            and current is not None
            and epoch >= self.start_from_epoch
            and self.wait >= self.patience
            and not self._is_improvement(self.best, self.baseline)
        ):
            self._stop(epoch, StopReason.BASELINE_NOT_REACHED)

    def _stop(self, epoch, reason):
        self.stopped_epoch, self.stop_reason = epoch, reason
        self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stop_reason is None:
            stopped = bool(getattr(self.model, "stop_training", False))
            self.stop_reason = StopReason.INTERRUPTED if stopped else StopReason.MAX_EPOCHS
        verbose, self.verbose = self.verbose, 0  # Keras' own messages: ours says more, in one line
        super().on_train_end(logs)
        self.verbose = verbose
        self.stop_message = self._describe(self.restore_best_weights and self.best_weights is not None)
        if self.verbose:
            get_logger(__name__).info(self.stop_message)

    def _describe(self, restored: bool) -> str:
        last = "?" if self._last_epoch is None else self._last_epoch + 1
        at, reason = self.stopped_epoch + 1, StopReason(self.stop_reason)
        if reason is StopReason.PATIENCE_EXHAUSTED:
            text = (
                f"Epoch {at}: early stopping: `{self.monitor}` did not improve by more than "
                f"{abs(self.min_delta):g} for {self.patience} epoch(s) (patience exhausted)."
            )
        elif reason is StopReason.BASELINE_NOT_REACHED:
            text = (
                f"Epoch {at}: early stopping: `{self.monitor}` did not beat baseline="
                f"{self.baseline:g} within {self.patience} epoch(s)."
            )
        elif reason is StopReason.NAN:
            text = f"Epoch {at}: stopping: `{self.monitor}` is NaN or infinite."
        elif reason is StopReason.MAX_EPOCHS:
            text = f"Training ran to its last epoch ({last}) without early stopping."
        else:
            text = f"Another callback stopped training at epoch {last}."
        if self.best_epoch is None:
            return text + f" No finite `{self.monitor}` was monitored, so no weights were restored."
        tail = "restored its weights." if restored else "weights were not restored."
        return text + f" Best {self.monitor}={float(self.best):.6g} at epoch {self.best_epoch + 1}; {tail}"

    def get_state(self) -> dict:
        """The per-run state; JSON-serializable except `best_weights` (a list of numpy arrays)."""
        return {
            "wait": self.wait,
            "best": None if self.best is None else float(self.best),
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "stop_reason": None if self.stop_reason is None else str(self.stop_reason),
            "best_weights": self.best_weights,
        }

    def set_state(self, state: dict) -> None:
        """Restore `get_state()` output; called before `fit()`, the next run resumes from it.

        Raises:
            UserError: if `state` has keys other than those of `get_state()`.
        """
        unknown = sorted(set(state) - set(STATE_KEYS))
        if unknown:
            raise UserError(f"Unknown EarlyStopping state key(s) {unknown}. Expected keys: {', '.join(STATE_KEYS)}")
        self.wait = int(state.get("wait", 0))
        self.best = state.get("best")
        self.best_epoch = state.get("best_epoch")
        self.best_weights = state.get("best_weights")
        self.stopped_epoch = int(state.get("stopped_epoch", 0))
        reason = state.get("stop_reason")
        self.stop_reason = None if reason is None else StopReason(reason)
        self._resumed = True
