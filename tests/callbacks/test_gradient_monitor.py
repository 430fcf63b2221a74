"""GradientMonitor: records norms, names vanishing/exploding layers, stops on NaN."""

import math

import keras
import numpy as np
import pytest

from kerasrecipes.callbacks import GradientClipping, GradientMonitor
from kerasrecipes.callbacks import _gradient_hook as hooks


def tiny_model(learning_rate=0.01, depth=1, activation=None, units=4):
    keras.utils.set_random_seed(0)
    layers = [keras.layers.Dense(units, activation=activation, name=f"hidden{i}") for i in range(depth)]
    model = keras.Sequential([keras.Input((8,)), *layers, keras.layers.Dense(1, name="out")])
    model.compile(keras.optimizers.SGD(learning_rate), "mse")
    return model


def data(n=32):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(n, 8)).astype("float32")
    return x, x.sum(axis=1, keepdims=True).astype("float32")


# Scripted records: (global norms of earlier steps, layer norms now, expected kind, expected layer)
SCRIPTED = [
    ([], {"hidden0": 1e-9, "out": 0.5}, "vanishing", "hidden0"),
    ([], {"hidden0": 0.2, "out": 0.5}, None, None),
    ([1.0, 1.2, 0.9], {"hidden0": 40.0, "out": 1.0}, "exploding", "hidden0"),
    ([1.0, 1.2], {"hidden0": 40.0, "out": 1.0}, None, None),  # too little history to judge growth
    ([1.0], {"hidden0": math.nan, "out": 1.0}, "nan", "hidden0"),
]


@pytest.mark.parametrize("earlier, layers, kind, layer", SCRIPTED)
def test_scripted_records_flag_the_layer(earlier, layers, kind, layer):
    monitor = GradientMonitor(frequency=1, verbose=0)
    monitor.set_model(tiny_model())
    for step, global_norm in enumerate(earlier):
        monitor.record(step, global_norm, {"hidden0": global_norm * 0.6, "out": global_norm * 0.8})
    total = math.sqrt(sum(v * v for v in layers.values()))
    if kind is None:
        monitor.record(len(earlier), total, layers)
        assert monitor.flags == []
        return
    with pytest.warns(UserWarning, match=f"layer.*'{layer}'"):
        monitor.record(len(earlier), total, layers)
    assert [(f["kind"], f["layer"]) for f in monitor.flags] == [(kind, layer)]
    assert monitor.model.stop_training is (kind == "nan")


def test_records_per_layer_and_global_norms_every_frequency_steps():
    model = tiny_model()
    monitor = GradientMonitor(frequency=2, verbose=0)
    x, y = data()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[monitor])  # 8 steps: 0..7
    assert [entry["step"] for entry in monitor.history] == [0, 2, 4, 6]
    for entry in monitor.history:
        assert list(entry["layers"]) == ["hidden0", "out"]
        total = math.sqrt(sum(v * v for v in entry["layers"].values()))
        assert entry["global_norm"] == pytest.approx(total, rel=1e-5) and total > 0
    assert type(model.optimizer) is keras.optimizers.SGD and hooks.installed_hooks(model.optimizer) == ()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[monitor])  # reuse resets history
    assert [entry["step"] for entry in monitor.history] == [8, 10]


def test_flags_vanishing_gradients_in_the_first_layer_of_a_deep_sigmoid_net():
    model = tiny_model(depth=8, activation="sigmoid", units=16)
    monitor = GradientMonitor(frequency=1, verbose=0)
    x, y = data()
    with pytest.warns(UserWarning) as caught:
        model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[monitor])
    first = str(caught[0].message)
    assert first.startswith("Vanishing gradients in layer 'hidden0' (layer 1 of 9) at step 0")
    vanishing = [f["layer"] for f in monitor.flags if f["kind"] == "vanishing"]
    assert vanishing[0] == "hidden0" and "out" not in vanishing


def test_stops_training_on_nan_gradients_naming_the_layers():
    model = tiny_model()
    monitor = GradientMonitor(frequency=5, verbose=0)
    x, y = data()
    x[0, 0] = np.inf  # poisons the first batch: NaN gradients at step 0
    with pytest.warns(UserWarning, match=r"Non-finite gradients \(NaN/inf\) at step 0 in layer\(s\) 'hidden0', 'out'"):
        history = model.fit(x, y, batch_size=32, epochs=5, verbose=0, callbacks=[monitor])
    assert len(history.history["loss"]) == 1
    assert "Stopping training" in monitor.stop_message


def test_monitor_sees_raw_gradients_before_autoclip():
    model = tiny_model(learning_rate=0.05)
    monitor = GradientMonitor(frequency=1, verbose=0)
    clip = GradientClipping(mode="autoclip", percentile=10.0)
    x, y = data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[monitor, clip])
    recorded = [entry["global_norm"] for entry in monitor.history]
    np.testing.assert_allclose(recorded, clip.autoclip.history, rtol=1e-5)
    assert hooks.installed_hooks(model.optimizer) == ()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"frequency": 0}, r"`frequency` must be an integer >= 1. Received: frequency=0"),
        (
            {"vanishing_threshold": 0.0},
            r"`vanishing_threshold` must be a real number in \(0.0, 1.0\). Received: vanishing_threshold=0.0",
        ),
        ({"explosion_factor": 1.0}, r"`explosion_factor` must be a real number > 1.0. Received: explosion_factor=1.0"),
        ({"verbose": 3}, r"`verbose` must be an integer in \[0, 2\]. Received: verbose=3"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GradientMonitor(**kwargs)


def test_uncompiled_model_is_a_clear_error():
    monitor = GradientMonitor()
    monitor.set_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
    with pytest.raises(ValueError, match="needs a compiled model"):
        monitor.on_train_begin()
