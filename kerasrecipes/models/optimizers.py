"""Seed 004's optimizer table and learning-rate schedules as Keras optimizers.

Batch, stochastic and mini-batch gradient descent are all `keras.optimizers.SGD`; they differ only
in batch size (n, 1 or b), which the recipe's `gradient_descent` field sets (see `effective_batch_size`).
"""

from __future__ import annotations

from typing import Any

import keras

from kerasrecipes._validation import invalid, unknown_name
from kerasrecipes.errors import UserError

OPTIMIZER_FACTORIES: dict[str, Any] = {  # (learning rate, momentum, decoupled weight decay or None)
    "sgd": lambda lr, m, wd: keras.optimizers.SGD(learning_rate=lr, weight_decay=wd),
    "momentum": lambda lr, m, wd: keras.optimizers.SGD(learning_rate=lr, momentum=m, weight_decay=wd),
    "nesterov": lambda lr, m, wd: keras.optimizers.SGD(learning_rate=lr, momentum=m, nesterov=True, weight_decay=wd),
    "adagrad": lambda lr, m, wd: keras.optimizers.Adagrad(learning_rate=lr, weight_decay=wd),
    "adadelta": lambda lr, m, wd: keras.optimizers.Adadelta(learning_rate=lr, weight_decay=wd),
    "rmsprop": lambda lr, m, wd: keras.optimizers.RMSprop(learning_rate=lr, weight_decay=wd),
    "adam": lambda lr, m, wd: keras.optimizers.Adam(learning_rate=lr, weight_decay=wd),
}


def effective_batch_size(gradient_descent: str, batch_size: int, n_train: int) -> int:
    """Batch size implied by the gradient-descent flavour: n (batch), 1 (stochastic) or `batch_size`."""
    if gradient_descent == "batch":
        return max(1, int(n_train))
    if gradient_descent == "stochastic":
        return 1
    return min(int(batch_size), max(1, int(n_train)))


def learning_rate_schedule(recipe: Any, steps_per_epoch: int | None) -> Any:
    """The recipe's learning rate as a float (constant) or a `keras.optimizers.schedules` object."""
    if recipe.learning_rate == "find":  # `train` replaces it with the rate its range test finds
        raise UserError(
            "learning_rate='find' is chosen by a range test on training data, which only `train` (and "
            "`lr_find`) run; give a number here, e.g. the suggestion of `kerasrecipes lr-find`."
        )
    lr = float(recipe.learning_rate)
    if recipe.lr_schedule == "constant":
        return lr
    if not steps_per_epoch:
        raise UserError(
            invalid("steps_per_epoch", "a positive integer when lr_schedule is not 'constant'", steps_per_epoch)
        )
    decay_steps = int(recipe.lr_decay_epochs) * int(steps_per_epoch)
    schedules = keras.optimizers.schedules
    if recipe.lr_schedule == "exponential":
        return schedules.ExponentialDecay(lr, decay_steps, recipe.lr_decay_rate)
    if recipe.lr_schedule == "step":
        return schedules.ExponentialDecay(lr, decay_steps, recipe.lr_decay_rate, staircase=True)
    if recipe.lr_schedule == "cosine":
        return schedules.CosineDecay(lr, decay_steps, alpha=recipe.lr_decay_rate)
    if recipe.lr_schedule == "inverse_time":
        return schedules.InverseTimeDecay(lr, decay_steps, recipe.lr_decay_rate)
    raise UserError(
        unknown_name("lr_schedule", recipe.lr_schedule, ["constant", "exponential", "step", "cosine", "inverse_time"])
    )


def make_optimizer(recipe: Any, steps_per_epoch: int | None = None) -> keras.optimizers.Optimizer:
    """A fresh optimizer for a resolved recipe, with its schedule and gradient clipping applied.

    Args:
        recipe: a resolved `Recipe` (optimizer, learning_rate, momentum, lr_schedule, clipping...).
        steps_per_epoch: optimizer steps per epoch, needed by every schedule but "constant".

    Returns:
        A `keras.optimizers.Optimizer`.
    """
    if recipe.optimizer not in OPTIMIZER_FACTORIES:
        raise UserError(unknown_name("optimizer", recipe.optimizer, OPTIMIZER_FACTORIES))
    optimizer = OPTIMIZER_FACTORIES[recipe.optimizer](
        learning_rate_schedule(recipe, steps_per_epoch), recipe.momentum, recipe.weight_decay or None
    )
    if recipe.clipping != "none":
        from kerasrecipes.callbacks.gradient_clipping import apply_clipping

        apply_clipping(
            optimizer,
            recipe.clipping,
            value=recipe.clip_value,
            percentile=recipe.clip_percentile,
            window=recipe.clip_window or None,
        )
    return optimizer
