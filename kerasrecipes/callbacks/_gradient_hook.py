"""Let callbacks see and transform gradients inside Keras's compiled train step, at low cost.

Design. Keras 3 has no gradient-hook API, but `optimizer.apply(grads, trainable_variables)` is
public, and every trainer (and `apply_gradients`) goes through it. `install(optimizer, hook)` swaps
that optimizer *instance* to a cached dynamic subclass of its own class whose `apply` runs the
installed hooks (sorted by `priority`: observers first, then transforms) on the gradients and then
calls the optimizer's own `apply`, which does its own `clipnorm`/`clipvalue`/`global_clipnorm`, gradient
accumulation and update. Nothing else changes: `isinstance` still holds, and the subclass carries
the original class name and module, so `get_config()`, `model.save("m.keras")` and
`keras.models.load_model` see (and re-create) the plain optimizer. A hook is runtime behaviour: it
is not stored in `.keras` files; re-install it after loading, e.g. with
`apply_clipping(model.optimizer, "autoclip")`.

Hooks see the gradients of each train step: with `gradient_accumulation_steps`, each micro-batch's
gradients before they are accumulated; with a `LossScaleOptimizer`, the inner optimizer gets the
hook and sees unscaled gradients. Variables without a gradient (None) are not passed to hooks.

Hook state lives in `keras.Variable`s the hook creates eagerly and keeps to itself. They are *not*
added to `optimizer.variables`, so the optimizer's saved variable list, `.keras` files and
`BackupAndRestore` checkpoints keep the exact layout of the plain optimizer. Hooks expose their
state as plain Python (`get_state`/`set_state`) for crash-safe resume instead.

The TF trainer traces and caches `model.train_function`; only `compile()` resets it. `fit()` calls
`make_train_function()` *before* `callbacks.on_train_begin()` and reads `model.train_function`
every step, so a callback that installs or removes a hook calls `retrace(model)` there, and the new
setting takes effect on that `fit()` and any later one.

Unit-tested on the TensorFlow backend, with `jit_compile=True`, `steps_per_execution`, gradient
accumulation and a `LossScaleOptimizer`. PyTorch should work but is untested; JAX's stateless
train step would drop the hooks' variable updates, so `install` refuses it.
"""

from __future__ import annotations

import keras
from keras import ops

from kerasrecipes.errors import UserError

_HOOKED_CLASSES: dict[type, type] = {}
_STATE_ATTR = "_kerasrecipes_gradient_hooks"


class GradientHook:
    """Something that sees (and may replace) the gradient list inside the train step.

    Subclasses override `transform(grads, variables, step)`; it runs while the train function is
    traced, so it must use `keras.ops` and return a list of tensors matching `grads`.
    `variables` are the trainable variables the gradients belong to, in the same order, and `step`
    is the optimizer's `iterations` (0-based, before this update). Lower `priority` runs first.
    """

    priority = 0

    def transform(self, grads, variables, step):
        return grads


class _HookState:
    """Plain (untracked) per-optimizer record of installed hooks and the original class."""

    def __init__(self, original_class):
        self.original_class = original_class
        self.hooks: list[GradientHook] = []


def _state(optimizer) -> _HookState | None:
    return optimizer.__dict__.get(_STATE_ATTR)


def _hooked_class(base: type) -> type:
    """The cached subclass of `base` whose public `apply` runs the installed hooks first."""
    if base in _HOOKED_CLASSES:
        return _HOOKED_CLASSES[base]

    class Hooked(base):
        def apply(self, grads, trainable_variables=None):
            state = _state(self)
            if state is None or not state.hooks:
                return super().apply(grads, trainable_variables)
            grads = list(grads)
            variables = [None] * len(grads) if trainable_variables is None else list(trainable_variables)
            present = [i for i, grad in enumerate(grads) if grad is not None]  # None: no gradient
            seen = [grads[i] for i in present]
            for hook in sorted(state.hooks, key=lambda h: h.priority):
                seen = list(hook.transform(seen, [variables[i] for i in present], self.iterations))
            for i, grad in zip(present, seen):
                grads[i] = grad
            return super().apply(grads, trainable_variables)

    Hooked.__name__, Hooked.__qualname__, Hooked.__module__ = base.__name__, base.__qualname__, base.__module__
    _HOOKED_CLASSES[base] = Hooked
    return Hooked


def resolve_optimizer(optimizer):
    """The optimizer that applies the gradients (a `LossScaleOptimizer`'s inner optimizer)."""
    return getattr(optimizer, "inner_optimizer", None) or optimizer


def install(optimizer, hook: GradientHook):
    """Run `hook` on every gradient update of `optimizer`; returns the optimizer actually hooked."""
    if keras.backend.backend() == "jax":
        raise NotImplementedError(
            "Gradient hooks (AutoClip, GradientMonitor) need a stateful optimizer step; the JAX "
            "backend is not supported. Use the TensorFlow or PyTorch backend."
        )
    optimizer = resolve_optimizer(optimizer)
    state = _state(optimizer)
    if state is None:
        state = _HookState(type(optimizer))
        object.__setattr__(optimizer, _STATE_ATTR, state)  # bypass Keras variable tracking
        object.__setattr__(optimizer, "__class__", _hooked_class(type(optimizer)))
    if hook not in state.hooks:
        state.hooks.append(hook)
    return optimizer


def uninstall(optimizer, hook: GradientHook) -> None:
    """Remove `hook`; with no hooks left, give the optimizer back its original class."""
    optimizer = resolve_optimizer(optimizer)
    state = _state(optimizer)
    if state is None:
        return
    if hook in state.hooks:
        state.hooks.remove(hook)
    if not state.hooks:
        object.__setattr__(optimizer, "__class__", state.original_class)
        del optimizer.__dict__[_STATE_ATTR]


def installed_hooks(optimizer) -> tuple:
    """The hooks installed on `optimizer` (empty for a plain optimizer)."""
    state = _state(resolve_optimizer(optimizer))
    return tuple(state.hooks) if state else ()


def retrace(model) -> None:
    """Drop the model's cached train function so the next step traces the current optimizer."""
    if getattr(model, "make_train_function", None) is not None:
        model.make_train_function(force=True)


def compiled_optimizer(model, owner: str):
    """`model.optimizer`, or a clear error if the model was not compiled with one."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise UserError(
            f"{owner} needs a compiled model with an optimizer. Call "
            "`model.compile(optimizer=..., loss=...)` before `fit()`."
        )
    return optimizer


def new_variable(value, dtype, name):
    """An eager, non-trainable state variable that is not tracked by any optimizer."""
    return keras.Variable(value, dtype=dtype, trainable=False, name=name)


def _is_sparse(grad) -> bool:
    return hasattr(grad, "indices") and hasattr(grad, "values")


def sum_of_squares(grad):
    """Sum of squared entries of one gradient, in float32 (sparse slices count their values)."""
    values = grad.values if _is_sparse(grad) else grad
    return ops.sum(ops.square(ops.cast(values, "float32")))


def scale(grad, factor):
    """`grad * factor`, keeping the gradient's dtype and sparse type."""
    if _is_sparse(grad):
        return type(grad)(grad.values * ops.cast(factor, grad.values.dtype), grad.indices, grad.dense_shape)
    return grad * ops.cast(factor, grad.dtype)
