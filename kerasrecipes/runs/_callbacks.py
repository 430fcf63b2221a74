"""Small callbacks the training function adds to every run (not public API)."""

from __future__ import annotations

import math


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


SHOWN = ("loss", "val_loss", "accuracy", "val_accuracy")


def progress(epochs: int, steps: int | None = None):
    """Training progress: epochs, and the batches of each epoch when `steps` is given (the `fit` road;
    the fast road runs a whole epoch in one call and calls no batch hooks)."""
    import keras

    from kerasrecipes._progress import Progress

    def shown(logs):
        return "  ".join(f"{k} {v:.4g}" for k, v in (logs or {}).items() if k in SHOWN)

    class EpochProgress(keras.callbacks.Callback):
        """Epochs done, elapsed, ETA and the latest metrics (`kerasrecipes._progress`)."""

        def on_train_begin(self, logs=None):
            self.display = Progress()
            self.epochs = self.display.add("epochs", total=epochs)

        def on_epoch_end(self, epoch, logs=None):
            self.display.update(self.epochs, completed=epoch + 1, info=shown(logs))

        def on_train_end(self, logs=None):
            self.display.close()

    class BatchProgress(EpochProgress):
        """Also the batches of the current epoch, for long epochs (a streamed file)."""

        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)
            self.batches = self.display.add("batches", total=steps, timed=True)

        def on_epoch_begin(self, epoch, logs=None):
            self.display.reset(self.batches, total=steps)

        def on_train_batch_end(self, batch, logs=None):
            self.display.update(self.batches, completed=batch + 1, info=shown(logs))

    return EpochProgress() if steps is None else BatchProgress()


def standard(recipe, row):
    """The callbacks every training run gets, in order: (callbacks, last-weights holder, ender).

    The ender is the callback that ends training and says why (`stop_reason`, `best_epoch`): early
    stopping, or the divergence guard when the recipe turns early stopping off.

    Last/initial weights first (so it sees them before early stopping restores the best), then early
    stopping on the row's monitor (or, without it, the divergence guard). The run adds the progress
    display once it knows its road.
    """
    from kerasrecipes.callbacks import EarlyStopping

    last = capture_last()
    callbacks = [last]
    if recipe.early_stopping:
        ender = EarlyStopping(
            monitor=row.monitor,
            mode=row.mode,
            patience=recipe.patience,
            min_delta=recipe.min_delta,
            start_from_epoch=recipe.start_from_epoch,
            restore_best_weights=True,
        )
    else:
        ender = divergence_guard()
    callbacks.append(ender)
    return callbacks, last, ender
