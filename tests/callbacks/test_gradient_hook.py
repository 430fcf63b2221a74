"""The gradient hook rides the public `optimizer.apply` under every way Keras runs a train step."""

import keras
import numpy as np
import pytest

from kerasrecipes.callbacks import _gradient_hook as hooks

X = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
Y = X @ np.array([[1.0], [-2.0], [0.5]], "float32")


class Recorder(hooks.GradientHook):
    """Counts the steps it sees and multiplies every gradient by `factor`."""

    def __init__(self, factor):
        self.factor = factor
        self.calls = hooks.new_variable(0, "int32", "calls")
        self.last_step = hooks.new_variable(-1, "int64", "last_step")

    def transform(self, grads, variables, step):
        assert len(grads) == len(variables) and all(v is not None for v in variables)
        self.calls.assign_add(1)
        self.last_step.assign(keras.ops.cast(step, "int64"))
        return [g * self.factor for g in grads]


def optimizer_for(setting):
    if setting == "accumulation":
        return keras.optimizers.SGD(0.1, gradient_accumulation_steps=2)
    if setting == "loss_scale":
        return keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
    return keras.optimizers.SGD(0.1)


def fit_with(setting, factor):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(
        optimizer_for(setting),
        "mse",
        jit_compile=setting == "jit",
        steps_per_execution=4 if setting == "steps_per_execution" else 1,
    )
    hook = Recorder(factor)
    hooked = hooks.install(model.optimizer, hook)
    before = [w.copy() for w in model.get_weights()]
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    return model, hook, hooked, before


@pytest.mark.parametrize("setting", ["plain", "jit", "steps_per_execution", "accumulation", "loss_scale"])
def test_hook_sees_every_step_and_its_transform_is_applied(setting):
    model, hook, hooked, before = fit_with(setting, 0.0)
    assert int(hook.calls.numpy()) == len(X) // 4  # once per train step (micro-batch)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # zeroed gradients: nothing moved
    assert hooked is hooks.resolve_optimizer(model.optimizer)
    moved, *_ = fit_with(setting, 1.0)
    assert not np.array_equal(moved.get_weights()[0], before[0])


def test_hooked_optimizer_keeps_its_class_name_and_config_and_uninstalls():
    model, hook, hooked, _ = fit_with("plain", 1.0)
    assert type(hooked).__name__ == "SGD" and isinstance(hooked, keras.optimizers.SGD)
    assert keras.optimizers.deserialize(keras.optimizers.serialize(hooked)).__class__ is keras.optimizers.SGD
    hooks.uninstall(hooked, hook)
    assert type(hooked) is keras.optimizers.SGD and hooks.installed_hooks(hooked) == ()


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_variables_without_gradient_are_not_passed_to_hooks():
    keras.utils.set_random_seed(0)
    optimizer = keras.optimizers.SGD(0.1)
    variables = [keras.Variable(np.ones(2, "float32")), keras.Variable(np.ones(2, "float32"))]
    hook = Recorder(0.5)
    hooks.install(optimizer, hook)
    optimizer.apply([None, np.ones(2, "float32")], variables)
    np.testing.assert_allclose(variables[0].numpy(), [1.0, 1.0])
    np.testing.assert_allclose(variables[1].numpy(), [0.95, 0.95])
    assert int(hook.calls.numpy()) == 1
