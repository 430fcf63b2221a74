"""Watch per-layer and global gradient norms; flag vanishing and exploding gradients."""

from __future__ import annotations

import statistics
import warnings

import keras
import numpy as np
from keras import ops

from kerasrecipes._log import get_logger
from kerasrecipes._validation import Boolean, Interval, check
from kerasrecipes.callbacks import _gradient_hook as hooks

MIN_HISTORY = 3  # recorded steps needed before "sudden growth" can be judged against their median
VANISHING_REMEDIES = "use ReLU instead of sigmoid, add batch normalization"
EXPLODING_REMEDIES = "clip gradients (GradientClipping), lower the learning rate, normalize the input data"


class _NormRecorder(hooks.GradientHook):
    """In-graph part: per-layer and global norms into untracked variables, no host sync."""

    priority = 0  # observers run before transforms (AutoClip), so they see the raw gradients

    def __init__(self, group_of: dict, num_groups: int, frequency: int):
        self.group_of, self.num_groups, self.frequency = group_of, num_groups, frequency
        self.layer_norms = hooks.new_variable(np.zeros(num_groups, "float32"), "float32", "layer_norms")
        self.global_norm = hooks.new_variable(0.0, "float32", "global_norm")
        self.recorded_step = hooks.new_variable(-1, "int64", "recorded_step")
        self.nonfinite_step = hooks.new_variable(-1, "int64", "nonfinite_step")
        self.nonfinite_norms = hooks.new_variable(np.zeros(num_groups, "float32"), "float32", "nonfinite_norms")

    def transform(self, grads, variables, step):
        squares = [hooks.sum_of_squares(g) for g in grads]
        members = [[] for _ in range(self.num_groups)]
        for square, variable in zip(squares, variables):
            if id(variable) in self.group_of:
                members[self.group_of[id(variable)]].append(square)
        layer = ops.sqrt(ops.stack([sum(m) if m else ops.zeros((), "float32") for m in members]))
        total = ops.sqrt(sum(squares))
        step = ops.cast(step, "int64")
        due = ops.equal(ops.mod(step, self.frequency), 0)
        self.layer_norms.assign(ops.where(due, layer, self.layer_norms.value))
        self.global_norm.assign(ops.where(due, total, self.global_norm.value))
        self.recorded_step.assign(ops.where(due, step, self.recorded_step.value))
        first_bad = ops.logical_and(ops.logical_not(ops.isfinite(total)), self.nonfinite_step.value < 0)
        self.nonfinite_step.assign(ops.where(first_bad, step, self.nonfinite_step.value))
        self.nonfinite_norms.assign(ops.where(first_bad, layer, self.nonfinite_norms.value))
        return grads


def layer_groups(model) -> dict:
    """{id(variable): layer name} for the trainable variables, in model order (input first)."""
    prefix = f"{model.name}/"
    groups = {}
    for variable in model.trainable_variables:
        path = getattr(variable, "path", variable.name).removeprefix(prefix)
        groups[id(variable)] = path.rsplit("/", 1)[0] if "/" in path else path
    return groups


class GradientMonitor(keras.callbacks.Callback):
    """Record gradient norms during `fit()` and flag vanishing, exploding and NaN gradients.

    Every `frequency` optimizer steps the norms of the raw gradients (before any clipping) are
    recorded: the global L2 norm and one norm per layer (the trainable variables grouped by layer).
    The norms are computed inside the compiled train step by a gradient hook (see
    `_gradient_hook`) and read back only at recorded steps. Each problem is warned once per run,
    naming the layer:

    - vanishing: a layer's norm is below `vanishing_threshold` times the largest layer norm of the
      same step (typical of early layers in deep sigmoid nets);
    - exploding: the global norm exceeds `explosion_factor` times the median of the previous
      recorded global norms (after `MIN_HISTORY` records);
    - NaN/inf: checked at every step; with `stop_on_nan`, training stops (`model.stop_training`).

    Cost: one squared sum per gradient tensor per step (what global-norm clipping computes) and
    a few scalar reads per batch. With `steps_per_execution > 1`, the last due step of each
    execution is the one recorded.

    Args:
        frequency: record every this many optimizer steps (>= 1). Defaults to `10`.
        vanishing_threshold: ratio to the largest layer norm in (0, 1) below which a layer is
            flagged as vanishing. Defaults to `1e-3`.
        explosion_factor: growth factor (> 1) over the median of past global norms flagged as
            exploding. Defaults to `10.0`.
        stop_on_nan: stop training at the first non-finite gradient. Defaults to `True`.
        verbose: 0 (warnings only) or 1 (also log the stop message). Defaults to `1`.

    Attributes:
        history: list of dicts `{"step", "global_norm", "layers": {layer name: norm}}`, `step`
            being the 0-based optimizer iteration.
        flags: list of dicts `{"step", "kind", "layer", "message"}`, kind in "vanishing",
            "exploding", "nan".
        stop_message: why this callback stopped training, or None.

    Examples:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="out")])
        >>> model.compile("sgd", "mse")
        >>> monitor = GradientMonitor(frequency=1, verbose=0)
        >>> _ = model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4, callbacks=[monitor], verbose=0)
        >>> [entry["step"] for entry in monitor.history], list(monitor.history[0]["layers"])
        ([0, 1], ['out'])
    """

    def __init__(self, frequency=10, vanishing_threshold=1e-3, explosion_factor=10.0, stop_on_nan=True, verbose=1):
        super().__init__()
        self.frequency = check("frequency", frequency, Interval("integer", 1))
        self.vanishing_threshold = check(
            "vanishing_threshold", vanishing_threshold, Interval("real", 0.0, 1.0, "neither")
        )
        self.explosion_factor = check("explosion_factor", explosion_factor, Interval("real", 1.0, None, "neither"))
        self.stop_on_nan = check("stop_on_nan", stop_on_nan, Boolean())
        self.verbose = check("verbose", verbose, Interval("integer", 0, 2))
        self._recorder = None
        self._optimizer = None
        self._reset()

    def _reset(self):
        self.history, self.flags, self.stop_message = [], [], None
        self._flagged, self._last_step = set(), -1

    def on_train_begin(self, logs=None):
        self._reset()
        optimizer = hooks.compiled_optimizer(self.model, type(self).__name__)
        groups = layer_groups(self.model)
        self._layer_names = list(dict.fromkeys(groups.values()))
        index = {name: i for i, name in enumerate(self._layer_names)}
        self._recorder = _NormRecorder({k: index[v] for k, v in groups.items()}, len(index), self.frequency)
        self._optimizer = hooks.install(optimizer, self._recorder)
        hooks.retrace(self.model)

    def on_train_batch_end(self, batch, logs=None):
        if self._recorder is None:
            return
        step = int(self._recorder.recorded_step.numpy())
        if step > self._last_step:
            self._last_step = step
            norms = self._recorder.layer_norms.numpy()
            self.record(step, float(self._recorder.global_norm.numpy()), dict(zip(self._layer_names, norms.tolist())))
        bad_step = int(self._recorder.nonfinite_step.numpy())
        if bad_step >= 0 and "nan" not in {f["kind"] for f in self.flags}:
            norms = self._recorder.nonfinite_norms.numpy()
            self._flag_nonfinite(bad_step, dict(zip(self._layer_names, norms.tolist())))

    def on_train_end(self, logs=None):
        if self._recorder is not None:
            self.on_train_batch_end(None)
            hooks.uninstall(self._optimizer, self._recorder)
            self._recorder = self._optimizer = None
            hooks.retrace(self.model)

    def record(self, step: int, global_norm: float, layers: dict) -> None:
        """Append one record and check it (the hook calls this; tests may script it)."""
        previous = [entry["global_norm"] for entry in self.history]
        self.history.append({"step": step, "global_norm": global_norm, "layers": dict(layers)})
        if not np.isfinite(global_norm):
            self._flag_nonfinite(step, layers)
            return
        largest_layer = max(layers, key=layers.get, default=None)
        largest = layers.get(largest_layer, 0.0)
        for position, (name, norm) in enumerate(layers.items(), start=1):
            if largest > 0 and norm < self.vanishing_threshold * largest:
                self._flag(
                    step,
                    "vanishing",
                    name,
                    (
                        f"Vanishing gradients in layer '{name}' (layer {position} of {len(layers)}) at "
                        f"step {step}: its gradient norm {norm:.3g} is below vanishing_threshold="
                        f"{self.vanishing_threshold:g} x the largest layer norm ({largest:.3g}, layer "
                        f"'{largest_layer}'). Remedies: {VANISHING_REMEDIES}."
                    ),
                )
        if len(previous) >= MIN_HISTORY:
            median = statistics.median(previous)
            if median > 0 and global_norm > self.explosion_factor * median:
                name = self._fastest_growing(layers)
                self._flag(
                    step,
                    "exploding",
                    name,
                    (
                        f"Exploding gradients at step {step}: the global gradient norm {global_norm:.3g} is "
                        f"more than explosion_factor={self.explosion_factor:g} x the median of earlier "
                        f"steps ({median:.3g}); it grew most in layer '{name}'. Remedies: {EXPLODING_REMEDIES}."
                    ),
                )

    def _fastest_growing(self, layers: dict) -> str:
        def growth(name):
            past = [e["layers"].get(name, 0.0) for e in self.history[:-1]]
            return layers[name] / max(statistics.median(past), 1e-30)

        return max(layers, key=growth)

    def _flag_nonfinite(self, step: int, layers: dict) -> None:
        bad = [name for name, norm in layers.items() if not np.isfinite(norm)] or list(layers)
        names = ", ".join(f"'{n}'" for n in bad)
        action = "Stopping training (stop_on_nan=True)." if self.stop_on_nan else "Training continues."
        message = (
            f"Non-finite gradients (NaN/inf) at step {step} in layer(s) {names}. {action} "
            f"Remedies: {EXPLODING_REMEDIES}."
        )
        self._flag(step, "nan", bad[0] if bad else None, message)
        if self.stop_on_nan and self.stop_message is None:
            self.stop_message = message
            self.model.stop_training = True
            if self.verbose:
                get_logger(__name__).info(message)

    def _flag(self, step, kind, layer, message) -> None:
        if (kind, layer) in self._flagged:
            return
        self._flagged.add((kind, layer))
        self.flags.append({"step": step, "kind": kind, "layer": layer, "message": message})
        warnings.warn(message, stacklevel=2)
