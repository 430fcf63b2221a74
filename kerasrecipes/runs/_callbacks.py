"""Small callbacks the training function adds to every run (not public API)."""

from __future__ import annotations

import math
import sys


def capture_last():
    """Holds the initial and the last epoch's weights; placed before early stopping so it sees them unrestored."""
    import keras

    class CaptureLast(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.weights = None
            self.initial = self.model.get_weights()  # fallback when no epoch ends finite

        def on_train_end(self, logs=None):
            self.weights = self.model.get_weights()

    return CaptureLast()


def divergence_guard():
    import keras

    class DivergenceGuard(keras.callbacks.Callback):
        """Without early stopping: stop on a NaN/inf loss and keep the last finite epoch's weights."""

        def on_train_begin(self, logs=None):
            if not getattr(self, "_resumed", False):  # a `set_state` before fit() resumes
                self.good, self.stop_reason, self.best_epoch = None, None, None
            self._resumed = False

        def on_epoch_end(self, epoch, logs=None):
            values = [v for k, v in (logs or {}).items() if k in ("loss", "val_loss")]
            if all(math.isfinite(v) for v in values):
                self.good, self.best_epoch = self.model.get_weights(), epoch
            else:
                self.stop_reason = "nan"
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            if self.stop_reason == "nan" and self.good is not None:
                self.model.set_weights(self.good)
            elif self.stop_reason is None:
                self.stop_reason, self.best_epoch = "max_epochs", None

        def get_state(self):
            """The last finite epoch's weights (numpy arrays), its epoch and the stop reason so far."""
            return {"good": self.good, "best_epoch": self.best_epoch, "stop_reason": self.stop_reason}

        def set_state(self, state):
            self.good, self.best_epoch, self.stop_reason = state["good"], state["best_epoch"], state["stop_reason"]
            self._resumed = True

    return DivergenceGuard()


def progress(epochs: int, stream=None):
    import keras

    stream = stream or sys.stderr  # looked up now, not at import (callers may replace sys.stderr)

    class EpochProgress(keras.callbacks.Callback):
        """One status line per epoch (rewritten in place on a terminal, every 10% otherwise)."""

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            shown = "  ".join(f"{k} {v:.4g}" for k, v in logs.items() if k in ("loss", "val_loss", "accuracy", "val_accuracy"))
            line = f"epoch {epoch + 1}/{epochs}  {shown}"
            if stream.isatty():
                stream.write("\r" + line.ljust(79)[:120])
                stream.flush()
            elif (epoch + 1) % max(1, epochs // 10) == 0 or epoch == 0:
                print(line, file=stream)

        def on_train_end(self, logs=None):
            if stream.isatty():
                stream.write("\n")

    return EpochProgress()


def standard(recipe, row, verbose: int):
    """The callbacks every training run gets, in order: (callbacks, last-weights holder, early stopping).

    Last/initial weights first (so it sees them before early stopping restores the best), then early
    stopping on the row's monitor (or, without it, the divergence guard), then the progress line.
    """
    from kerasrecipes.callbacks import EarlyStopping

    last = capture_last()
    callbacks = [last]
    stopper = None
    if recipe.early_stopping:
        stopper = EarlyStopping(monitor=row.monitor, mode=row.mode, patience=recipe.patience,
                                min_delta=recipe.min_delta, start_from_epoch=recipe.start_from_epoch,
                                restore_best_weights=True)
        callbacks.append(stopper)
    else:
        callbacks.append(divergence_guard())
    if verbose:
        callbacks.append(progress(recipe.epochs))
    return callbacks, last, stopper
