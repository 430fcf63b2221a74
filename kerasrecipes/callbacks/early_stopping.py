"""Early stopping that always ends with the best weights and says why it stopped (seeds 001, 003, 004)."""

from __future__ import annotations

import enum

from kerasrecipes._validation import Boolean, Interval, check
from kerasrecipes.callbacks._monitor import MonitorCallback, is_finite

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


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored metric stops improving, then restore the best weights.

    Unlike `keras.callbacks.EarlyStopping` (which this reimplements on the package's monitor base
    rather than subclassing, since every hook would change), the best weights are restored at the
    end of *every* run by default, whether or not it stopped early (keras#12511, keras#11371); a
    NaN or inf monitored value stops training at once; and the outcome is recorded in
    `stop_reason` and `stop_message`. Epoch attributes are 0-based, like the `epoch` argument of
    Keras hooks; messages print them 1-based, like Keras's progress bar.

    Args:
        monitor: logged quantity to watch. Defaults to `"val_loss"`.
        mode: `"min"`, `"max"` or `"auto"` (inferred from the name: loss/error -> min,
            accuracy/auc/r2 -> max). Defaults to `"auto"`.
        min_delta: smallest absolute change that counts as an improvement. Defaults to `0.0`.
        patience: number of epochs without improvement after which training stops. Defaults to `10`.
        baseline: value the metric must beat; if it is not beaten within `patience` epochs,
            training stops with reason "baseline_not_reached". Defaults to `None`.
        start_from_epoch: number of warm-up epochs that are not monitored. Defaults to `0`.
        restore_best_weights: restore the weights of the best epoch when training ends.
            Defaults to `True`.
        strict: raise instead of warning when `monitor` is missing from the logs. Defaults to `False`.
        verbose: 0 (silent) or 1 (print the stop message). Defaults to `0`.

    Attributes:
        best, best_epoch, best_weights: best value, its 0-based epoch (None if none yet), and
            the weights saved at that epoch (a list of numpy arrays).
        wait: epochs since the last improvement. stopped_epoch: 0-based epoch at which this
            callback stopped training, 0 if it did not.
        stop_reason: a `StopReason` (a str) after training. stop_message: a one-line explanation.

    Example:

    >>> import keras, numpy as np
    >>> stopper = EarlyStopping(monitor="loss", patience=2)
    >>> model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.0), loss="mse")  # never improves
    >>> _ = model.fit(np.ones((5, 20)), np.zeros(5), epochs=10, callbacks=[stopper], verbose=0)
    >>> stopper.stopped_epoch, stopper.stop_reason, stopper.best_epoch
    (2, <StopReason.PATIENCE_EXHAUSTED: 'patience_exhausted'>, 0)
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0, patience=10, baseline=None,
                 start_from_epoch=0, restore_best_weights=True, strict=False, verbose=0):
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta, strict=strict)
        self.patience = check("patience", patience, Interval("integer", 0))
        self.baseline = check("baseline", baseline, Interval("real"), allow_none=True)
        self.start_from_epoch = check("start_from_epoch", start_from_epoch, Interval("integer", 0))
        self.restore_best_weights = check("restore_best_weights", restore_best_weights, Boolean())
        self.verbose = check("verbose", verbose, Interval("integer", 0, 2))
        self._resumed = False
        self._reset()

    def _reset(self):
        self.wait, self.best, self.best_epoch, self.best_weights = 0, None, None, None
        self._reset_outcome()

    def _reset_outcome(self):
        self.stopped_epoch, self.stop_reason, self.stop_message = 0, None, None
        self._last_epoch = None

    def on_train_begin(self, logs=None):
        # Allow instances to be re-used across fit() calls; a `set_state` before fit() resumes.
        if self._resumed:
            self._reset_outcome()
        else:
            self._reset()
        self._resumed = False

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self._last_epoch = epoch
        current = self._get_monitor_value(logs)
        if current is None:
            return
        if not is_finite(current):
            self._stop(epoch, StopReason.NAN)
            return
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
        if self.wait > 0 and self.wait >= self.patience:
            reached = self.baseline is None or self._is_improvement(self.best, self.baseline)
            self._stop(epoch, StopReason.PATIENCE_EXHAUSTED if reached else StopReason.BASELINE_NOT_REACHED)

    def _stop(self, epoch, reason):
        self.stopped_epoch, self.stop_reason = epoch, reason
        self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stop_reason is None:
            stopped = bool(getattr(self.model, "stop_training", False))
            self.stop_reason = StopReason.INTERRUPTED if stopped else StopReason.MAX_EPOCHS
        restored = self.restore_best_weights and self.best_weights is not None
        if restored:
            self.model.set_weights(self.best_weights)
        self.stop_message = self._describe(restored)
        if self.verbose:
            print(self.stop_message)

    def _describe(self, restored: bool) -> str:
        last = "?" if self._last_epoch is None else self._last_epoch + 1
        at, reason = self.stopped_epoch + 1, StopReason(self.stop_reason)
        if reason is StopReason.PATIENCE_EXHAUSTED:
            text = (f"Epoch {at}: early stopping: `{self.monitor}` did not improve by more than "
                    f"{self.min_delta:g} for {self.patience} epoch(s) (patience exhausted).")
        elif reason is StopReason.BASELINE_NOT_REACHED:
            text = (f"Epoch {at}: early stopping: `{self.monitor}` did not beat baseline="
                    f"{self.baseline:g} within {self.patience} epoch(s).")
        elif reason is StopReason.NAN:
            text = f"Epoch {at}: stopping: `{self.monitor}` is NaN or infinite."
        elif reason is StopReason.MAX_EPOCHS:
            text = f"Training ran to its last epoch ({last}) without early stopping."
        else:
            text = f"Another callback stopped training at epoch {last}."
        if self.best_epoch is None:
            return text + f" No finite `{self.monitor}` was monitored, so no weights were restored."
        tail = "restored its weights." if restored else "weights were not restored."
        return text + f" Best {self.monitor}={self.best:.6g} at epoch {self.best_epoch + 1}; {tail}"

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
            ValueError: if `state` has keys other than those of `get_state()`.
        """
        unknown = sorted(set(state) - set(STATE_KEYS))
        if unknown:
            raise ValueError(f"Unknown EarlyStopping state key(s) {unknown}. Expected keys: {', '.join(STATE_KEYS)}")
        self.wait = int(state.get("wait", 0))
        self.best = state.get("best")
        self.best_epoch = state.get("best_epoch")
        self.best_weights = state.get("best_weights")
        self.stopped_epoch = int(state.get("stopped_epoch", 0))
        reason = state.get("stop_reason")
        self.stop_reason = None if reason is None else StopReason(reason)
        self._resumed = True
