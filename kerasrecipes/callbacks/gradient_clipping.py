"""Gradient clipping for exploding gradients (RNNs above all), fixed or adaptive (AutoClip).

Fixed modes use the optimizer's own `clipnorm` (each gradient tensor's norm), `clipvalue` (each
entry) or `global_clipnorm` (the norm of all gradients together). AutoClip (Seetharaman et al.,
2020, arXiv 2007.14469) clips the global norm to the p-th percentile of the global norms seen so far,
including the current one; it runs inside the compiled train step through `_gradient_hook`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from kerasrecipes._validation import Interval, check, invalid, options
from kerasrecipes.callbacks import _gradient_hook as hooks
from kerasrecipes.errors import UserError

MODES = ("norm", "value", "global_norm", "autoclip")
OPTIMIZER_ARGUMENT = {"norm": "clipnorm", "value": "clipvalue", "global_norm": "global_clipnorm"}
MAX_HISTORY = 10_000  # AutoClip's window when `window=None`: the last 10,000 recorded norms.

_VALUE = Interval("real", 0.0, None, "neither")
_PERCENTILE = Interval("real", 0.0, 100.0, "right")
_WINDOW = Interval("integer", 1)
_WARMUP = Interval("integer", 0)


class AutoClip(hooks.GradientHook):
    """AutoClip state and step: clip the global gradient norm to a percentile of past norms.

    Each step records the global norm g_t and clips to the `percentile`-th percentile (numpy's
    default linear interpolation) of the recorded norms, g_t included, over the last `window` steps.
    A sorted copy of the window is kept in a variable: each step finds the evicted norm's and the
    new norm's positions by binary search and shifts the entries between them by one, so a step
    costs about ten O(window) element-wise ops and no sort.
    Non-finite norms are neither recorded nor clipped (AutoClip does not repair NaN gradients).
    Create it through `apply_clipping(optimizer, "autoclip")` or `GradientClipping(mode="autoclip")`.

    Args:
        percentile: p in (0, 100]. Defaults to `10.0` (the paper's recommendation).
        window: number of most recent norms to keep; `None` keeps up to `MAX_HISTORY` (10,000).
            Defaults to `None`.
        warmup_steps: number of first recorded steps that are recorded but not clipped.
            Defaults to `0` (the paper's behaviour).
    """

    priority = 100  # after observers such as GradientMonitor, which see the raw gradients

    def __init__(self, percentile=10.0, window=None, warmup_steps=0):
        self.percentile = check("percentile", percentile, _PERCENTILE)
        self.window = check("window", window, _WINDOW, allow_none=True)
        self.warmup_steps = check("warmup_steps", warmup_steps, _WARMUP)
        self.capacity = self.window or MAX_HISTORY
        self._ring = hooks.new_variable(np.zeros(self.capacity, "float32"), "float32", "autoclip_norms")
        self._sorted = hooks.new_variable(np.full(self.capacity, np.inf, "float32"), "float32", "autoclip_sorted")
        self._count = hooks.new_variable(0, "int32", "autoclip_count")
        self._threshold = hooks.new_variable(np.nan, "float32", "autoclip_threshold")

    def transform(self, grads, variables, step):
        norm = ops.sqrt(sum(hooks.sum_of_squares(g) for g in grads))
        finite = ops.isfinite(norm)  # a non-finite norm leaves the state and the gradients alone
        size, count, old = self.capacity, self._count.value, self._sorted.value
        slot = ops.mod(count, size)
        evicted = ops.take(self._ring.value, slot)  # recorded `size` steps ago, once the window is full
        # Binary search (O(log window)) for the evicted norm's position and the new norm's rank.
        found = ops.cast(ops.searchsorted(old, ops.stack([evicted, norm])), "int32")
        drop = ops.where(ops.logical_and(finite, count >= size), found[0], size)  # `size`: no eviction
        rank = ops.where(finite, found[1], size)
        # Evict + insert = one shift of the entries between the two positions, then write the norm.
        after = rank > drop
        start, stop = ops.where(after, drop, rank + 1), ops.where(after, rank - 1, drop + 1)
        shifted = ops.where(
            after,
            ops.concatenate([old[1:], ops.convert_to_tensor([np.inf], "float32")]),
            ops.concatenate([old[:1], old[:-1]]),
        )
        index = ops.arange(size, dtype="int32")
        new = ops.where(ops.logical_and(index >= start, index < stop), shifted, old)
        new = ops.where(ops.equal(index, ops.where(after, rank - 1, rank)), norm, new)
        # Threshold: percentile with linear interpolation (numpy's default) over the n entries.
        n = ops.minimum(count, size - 1) + 1
        position = ops.cast(n - 1, "float32") * (self.percentile / 100.0)
        low = ops.cast(ops.floor(position), "int32")
        low_high = ops.take(new, ops.stack([low, ops.minimum(low + 1, n - 1)]))
        threshold = low_high[0] + (low_high[1] - low_high[0]) * (position - ops.cast(low, "float32"))
        threshold = ops.where(count + 1 > self.warmup_steps, threshold, np.inf)
        clip = ops.logical_and(finite, norm > threshold)
        factor = ops.where(clip, threshold / ops.where(clip, norm, 1.0), 1.0)
        self._sorted.assign(new)
        self._ring.assign(ops.where(ops.equal(index, ops.where(finite, slot, -1)), norm, self._ring.value))
        self._count.assign(count + ops.cast(finite, "int32"))
        self._threshold.assign(ops.where(finite, threshold, self._threshold.value))
        return [hooks.scale(g, factor) for g in grads]

    @property
    def history(self) -> np.ndarray:
        """Recorded global norms in the window, oldest first."""
        count = int(self._count.numpy())
        ring = np.asarray(self._ring.numpy())
        if count <= self.capacity:
            return ring[:count].copy()
        return np.roll(ring, -(count % self.capacity))

    @property
    def threshold(self) -> float:
        """The clipping threshold of the last step (inf during warm-up, NaN before any step)."""
        return float(self._threshold.numpy())

    def reset(self) -> None:
        """Forget every recorded norm."""
        self.set_state({"norms": [], "count": 0})

    def get_state(self) -> dict:
        """JSON-serializable state: the window's norms (oldest first) and the total count."""
        return {
            "norms": [float(v) for v in self.history],
            "count": int(self._count.numpy()),
            "threshold": self.threshold,
        }

    def set_state(self, state: dict) -> None:
        """Restore `get_state()` output (e.g. on resume)."""
        norms = np.asarray(state.get("norms", []), "float32")[-self.capacity :]
        count = max(int(state.get("count", len(norms))), len(norms))
        ring = np.zeros(self.capacity, "float32")
        ring[(count - len(norms) + np.arange(len(norms))) % self.capacity] = norms
        ordered = np.full(self.capacity, np.inf, "float32")
        ordered[: len(norms)] = np.sort(norms)
        self._ring.assign(ring)
        self._sorted.assign(ordered)
        self._count.assign(count)
        self._threshold.assign(float(state.get("threshold", np.nan)))


def _current_clipping(optimizer) -> dict:
    """The clipping already configured on an optimizer, as {argument: value}."""
    found = {arg: getattr(optimizer, arg) for arg in OPTIMIZER_ARGUMENT.values() if getattr(optimizer, arg, None)}
    if any(isinstance(h, AutoClip) for h in hooks.installed_hooks(optimizer)):
        found["autoclip"] = True
    return found


def apply_clipping(optimizer, mode, value=1.0, percentile=10.0, window=None):
    """Configure gradient clipping on an optimizer in place, replacing any clipping it had.

    Fixed modes set the optimizer's own `clipnorm`, `clipvalue` or `global_clipnorm` to `value`
    and clear the other two; `"none"` clears all three and removes AutoClip; `"autoclip"` installs
    an `AutoClip` hook. Call it before the first `fit()` (or call `model.make_train_function(
    force=True)` afterwards): Keras traces and caches the train function.

    Args:
        optimizer: a `keras.optimizers.Optimizer` (a `LossScaleOptimizer` configures its inner one).
        mode: one of `"none"`, `"norm"`, `"value"`, `"global_norm"`, `"autoclip"`.
        value: threshold of the fixed modes, > 0. Defaults to `1.0`.
        percentile: AutoClip's p in (0, 100]. Defaults to `10.0`.
        window: AutoClip's window in steps (>= 1), `None` for up to 10,000; ignored by the other
            modes. Defaults to `None`.

    Returns:
        The installed `AutoClip` (inspect `.history`, `.threshold`) for `"autoclip"`, else None.

    Examples:
        >>> opt = keras.optimizers.SGD(0.1)
        >>> apply_clipping(opt, "global_norm", value=5.0)
        >>> opt.global_clipnorm
        5.0
    """
    mode = check("mode", mode, options("none", *MODES))
    value = check("value", value, _VALUE)
    percentile = check("percentile", percentile, _PERCENTILE)
    window = check("window", window, _WINDOW, allow_none=True)
    target = hooks.resolve_optimizer(optimizer)
    for hook in hooks.installed_hooks(target):
        if isinstance(hook, AutoClip):
            hooks.uninstall(target, hook)
    for argument in OPTIMIZER_ARGUMENT.values():
        setattr(target, argument, value if OPTIMIZER_ARGUMENT.get(mode) == argument else None)
    if mode != "autoclip":
        return None
    autoclip = AutoClip(percentile, window)
    hooks.install(target, autoclip)
    return autoclip


class GradientClipping(keras.callbacks.Callback):
    """Clip gradients during one `fit()`, in any compiled Keras model.

    At `on_train_begin` the callback configures the model's optimizer (fixed modes through its
    `clipnorm`/`clipvalue`/`global_clipnorm`, AutoClip through a gradient hook) and retraces the
    train function, so it takes effect even on a model that was already trained. At `on_train_end`
    it restores the optimizer and retraces again: clipping lasts for this callback's fits only.
    Clipping is the standard remedy for exploding gradients, especially in RNNs.

    Args:
        mode: `"norm"` (each gradient tensor's L2 norm <= value), `"value"` (each entry in
            [-value, value]), `"global_norm"` (the norm of all gradients together <= value) or
            `"autoclip"` (global norm <= the p-th percentile of past norms). Defaults to
            `"global_norm"`.
        value: threshold of the fixed modes (> 0); unused by AutoClip. Defaults to `1.0`.
        percentile: AutoClip's p in (0, 100]. Defaults to `10.0`.
        window: AutoClip's window in steps (>= 1); `None` keeps up to 10,000. Defaults to `None`.
        warmup_steps: AutoClip steps recorded but not clipped at the start. Defaults to `0`.

    Attributes:
        autoclip: the `AutoClip` state (`.history`, `.threshold`, `.reset()`), None for fixed modes.

    Raises:
        ValueError: at `on_train_begin` if the optimizer already clips ("Only one of ... can be
            set"), or if the model has no optimizer.

    Examples:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> clip = GradientClipping(mode="autoclip", percentile=10.0)
        >>> _ = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, callbacks=[clip], verbose=0)
        >>> len(clip.autoclip.history)
        1
    """

    def __init__(self, mode="global_norm", value=1.0, percentile=10.0, window=None, warmup_steps=0):
        super().__init__()
        self.mode = check("mode", mode, options(*MODES))
        self.value = check("value", value, _VALUE)
        self.percentile = check("percentile", percentile, _PERCENTILE)
        self.window = check("window", window, _WINDOW, allow_none=True)
        self.warmup_steps = check("warmup_steps", warmup_steps, _WARMUP)
        if mode != "autoclip" and (window is not None or warmup_steps):
            name, received = ("window", window) if window is not None else ("warmup_steps", warmup_steps)
            raise UserError(
                invalid(name, "unset unless mode='autoclip'", received, f"It only applies to AutoClip; mode={mode!r}")
            )
        self.autoclip = None
        self._optimizer = None
        self._pending_state = None

    def on_train_begin(self, logs=None):
        optimizer = hooks.resolve_optimizer(hooks.compiled_optimizer(self.model, type(self).__name__))
        existing = _current_clipping(optimizer)
        if existing:
            received = ", ".join(f"{k}={v}" for k, v in existing.items())
            raise UserError(
                "Only one of the optimizer's `clipnorm`, `clipvalue`, `global_clipnorm`, AutoClip "
                f"and a GradientClipping callback can be set. Received: {received} on the optimizer "
                f"and GradientClipping(mode={self.mode!r}). Remove one of them."
            )
        if self.mode == "autoclip":
            if self.autoclip is None:
                self.autoclip = AutoClip(self.percentile, self.window, self.warmup_steps)
            self.autoclip.set_state(self._pending_state or {})  # a fresh run unless resuming
            hooks.install(optimizer, self.autoclip)
        else:
            setattr(optimizer, OPTIMIZER_ARGUMENT[self.mode], self.value)
        self._pending_state = None
        self._optimizer = optimizer
        hooks.retrace(self.model)

    def on_train_end(self, logs=None):
        if self._optimizer is None:
            return
        if self.autoclip is not None:
            hooks.uninstall(self._optimizer, self.autoclip)
        else:
            setattr(self._optimizer, OPTIMIZER_ARGUMENT[self.mode], None)
        self._optimizer = None
        hooks.retrace(self.model)

    @property
    def threshold(self) -> float:
        """The current clipping threshold (`value` for fixed modes)."""
        return self.autoclip.threshold if self.autoclip is not None else self.value

    def get_state(self) -> dict:
        """JSON-serializable AutoClip state (empty for fixed modes)."""
        return self.autoclip.get_state() if self.autoclip is not None else {}

    def set_state(self, state: dict) -> None:
        """Restore `get_state()`; before `fit()` it replaces the reset of the next `on_train_begin`."""
        if self.mode != "autoclip":
            return
        if self._optimizer is not None:  # during fit: apply now
            self.autoclip.set_state(state)
        else:
            self._pending_state = dict(state)
