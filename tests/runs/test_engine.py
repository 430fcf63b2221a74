"""The fast road gives the same weights as the plain per-epoch loop, and callbacks keep working."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from _reference_loop import reference_fit

from kerasrecipes import _tf_internals, data, runs
from kerasrecipes.callbacks import EarlyStopping, GradientMonitor
from kerasrecipes.data._target import infer_target
from kerasrecipes.recipes import Recipe, build_model
from kerasrecipes.runs.fast_road import _traces, engine
from kerasrecipes.seeding import set_seed

CASES = {
    "multiclass-dropout-bn-l2": ("iris", "multiclass", {"dropout": 0.2, "batch_norm": True, "l2": 1e-3}),
    "binary-elastic-net-autoclip": ("breast_cancer", "binary", {"elastic_net": 1e-3, "clipping": "autoclip"}),
    "regression-schedule-sgd": (
        "diabetes",
        "regression",
        {"optimizer": "momentum", "lr_schedule": "cosine", "lr_decay_epochs": 5, "clipping": "global_norm"},
    ),
    "binary-maxout-class-weight": ("breast_cancer", "binary", {"activation": "maxout", "imbalance": "class_weight"}),
}


def _train(road, name, epochs=6):
    dataset, task, fields = CASES[name]
    recipe = Recipe(units=16, **fields)
    p = data.prepare(data.load_dataset(dataset), task=task, seed=0, imbalance=recipe.imbalance or "none")
    info = infer_target(p.X_train, p.y_train)
    keras.backend.clear_session(free_memory=False)
    set_seed(3)
    model = build_model(recipe, p.input_shape, target=info, steps_per_epoch=int(np.ceil(len(p.X_train) / 32)))
    history = road(
        model,
        p.X_train,
        p.y_train,
        validation_data=(p.X_val, p.y_val),
        epochs=epochs,
        batch_size=32,
        seed=9,
        sample_weight=engine.expand_sample_weight(p.y_train, p.class_weight, p.sample_weight_train),
    )
    return model, history


@pytest.mark.parametrize("work", [engine.SINGLE_THREADED_WORK, -1], ids=["single-threaded", "tensorflow-defaults"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_road_equals_plain_loop_bit_for_bit(name, work, monkeypatch):
    monkeypatch.setattr(engine, "SINGLE_THREADED_WORK", work)  # -1: every step is "large" (`epoch_executor`)
    fast, h_fast = _train(engine.fast_fit, name)
    plain, h_plain = _train(reference_fit, name)
    for a, b in zip(fast.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    # The weights are bit-identical; the reported epoch means are float32 sums that the compiled
    # loop may accumulate in another order, so they agree to float32 rounding.
    assert h_fast.keys() == h_plain.keys()
    for key in h_fast:
        np.testing.assert_allclose(h_fast[key], h_plain[key], rtol=1e-6)
    assert h_fast["val_loss"] == h_plain["val_loss"]  # one full-batch pass each: identical


def test_different_shuffle_seed_changes_weights():
    fast, _ = _train(engine.fast_fit, "multiclass-dropout-bn-l2")
    dataset, task, fields = CASES["multiclass-dropout-bn-l2"]
    p = data.prepare(data.load_dataset(dataset), task=task, seed=0)
    keras.backend.clear_session(free_memory=False)
    set_seed(3)
    other = build_model(Recipe(units=16, **fields), p.input_shape, target=infer_target(p.X_train, p.y_train))
    engine.fast_fit(other, p.X_train, p.y_train, validation_data=(p.X_val, p.y_val), epochs=6, batch_size=32, seed=10)
    assert any(not np.array_equal(a, b) for a, b in zip(fast.get_weights(), other.get_weights()))


class EpochRecorder(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append((epoch, dict(logs)))
        if epoch == 2:
            self.model.stop_training = True


def test_epoch_callbacks_run_on_the_fast_road():
    recorder = EpochRecorder()
    result = runs.train("iris", recipe={"epochs": 20}, tracking="none", verbose=0, callbacks=[recorder])
    assert result.manifest["execution"]["road"] == "fast"
    assert [e for e, _ in recorder.epochs] == [0, 1, 2]  # stop_training is honoured
    assert recorder.epochs[0][1]["val_loss"] == result.history["val_loss"][0]


def test_per_batch_callbacks_turn_the_fast_road_off_and_say_why():
    monitor = GradientMonitor(frequency=1, verbose=0)
    result = runs.train("iris", recipe={"epochs": 2}, tracking="none", verbose=0, callbacks=[monitor])
    assert result.manifest["execution"]["road"] == "fit"
    assert "GradientMonitor needs per-batch hooks" in result.manifest["execution"]["why"]
    assert monitor.history  # it really ran per batch
    with pytest.raises(ValueError, match="execution='fast' cannot run GradientMonitor"):
        runs.train(
            "iris",
            recipe={"epochs": 2, "execution": "fast"},
            tracking="none",
            verbose=0,
            callbacks=[GradientMonitor(verbose=0)],
        )


def test_early_stopping_on_the_fast_road_restores_best():
    stopper = EarlyStopping(patience=2)
    dataset, task, fields = CASES["multiclass-dropout-bn-l2"]
    p = data.prepare(data.load_dataset(dataset), task=task, seed=0)
    keras.backend.clear_session(free_memory=False)
    set_seed(0)
    model = build_model(Recipe(units=16, learning_rate=0.2), p.input_shape, target=infer_target(p.X_train, p.y_train))
    history = engine.fast_fit(
        model,
        p.X_train,
        p.y_train,
        validation_data=(p.X_val, p.y_val),
        epochs=60,
        batch_size=16,
        seed=0,
        callbacks=[stopper],
    )
    assert stopper.stop_reason == "patience_exhausted"
    val = model.evaluate(p.X_val, p.y_val, verbose=0, return_dict=True)["loss"]
    assert val == pytest.approx(min(history["val_loss"]), rel=1e-5)


@pytest.mark.parametrize(
    "dataset, metrics",
    [
        ("breast_cancer", {"accuracy", "auc"}),
        ("diabetes", {"mean_absolute_error", "root_mean_squared_error"}),
    ],
)
def test_every_compiled_metric_is_recorded_each_epoch_on_every_road(dataset, metrics, tmp_path):
    """Issue 14: the fast road records the row's metrics as Keras' fit does (history.csv, curves, W&B). `train`
    takes the fast road unless the recipe asks for Keras' fit, and the manifest records the road it took."""
    expected = {"loss", "val_loss", *metrics, *(f"val_{m}" for m in metrics)}
    recipe = {"epochs": 3, "early_stopping": False}
    fast = runs.train(dataset, recipe=recipe, out=tmp_path / "fast", tracking="none", verbose=0)
    fit = runs.train(dataset, recipe={**recipe, "execution": "fit"}, tracking="none", verbose=0)
    assert fast.manifest["execution"]["road"] == "fast" and fit.manifest["execution"]["road"] == "fit"
    assert set(fast.history) == set(fit.history) == expected
    assert all(len(v) == 3 for v in fast.history.values())
    header = (tmp_path / "fast" / "history.csv").read_text().splitlines()[0].split(",")
    assert set(header) == {"epoch", *expected}
    # the last epoch's validation metrics are Keras' own metrics of the final weights
    p = fast.data
    evaluated = fast.model.evaluate(p.X_val, p.y_val, batch_size=len(p.X_val), verbose=0, return_dict=True)
    for name in metrics:
        assert fast.history[f"val_{name}"][-1] == pytest.approx(evaluated[name], rel=1e-5)


def test_compiled_metrics_are_built_without_a_forward_pass_unless_a_metric_builds_on_its_first_update(monkeypatch):
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    calls = []
    original = keras.Sequential.call
    monkeypatch.setattr(keras.Sequential, "call", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))

    def model(metric):
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        m.compile("adam", "mse", metrics=["mae", metric])
        return m

    built = engine.compiled_metrics(model(keras.metrics.RootMeanSquaredError()), x[:1], y[:1])
    assert not calls and len(built.variables) == 4  # two totals and two counts, no call of the model
    lazy = model(keras.metrics.R2Score())  # creates its variables on its first update (Keras' `_built`)
    built = engine.compiled_metrics(lazy, x[:1], y[:1])
    assert calls and all(m._built for m in built.metrics if hasattr(m, "_built"))
    history = engine.fast_fit(lazy, x, y, validation_data=(x, y), epochs=2, batch_size=2, seed=0)
    assert len(history["val_r2_score"]) == 2


def _kept_loop():
    """The `While` op of the trace the last fast-road run kept."""
    graph = next(reversed(_traces._TRACES.values())).function.graph
    return next(op for op in graph.get_operations() if op.type in ("While", "StatelessWhile"))


def _lowered(op) -> bool:
    try:
        return op.get_attr("_lower_using_switch_merge")
    except ValueError:
        return False


@pytest.mark.parametrize("work", [engine.SINGLE_THREADED_WORK, -1])
def test_small_steps_run_their_loop_functional_on_the_single_threaded_executor(work, monkeypatch):
    monkeypatch.setattr(engine, "SINGLE_THREADED_WORK", work)
    model, _ = _train(engine.fast_fit, "regression-schedule-sgd", epochs=1)
    single = (
        work > 0
        and not _tf_internals.onednn_enabled()  # oneDNN's kernels need Grappler's rewrite
        and _tf_internals.single_threaded_available()
    )
    assert engine.epoch_executor(model, 32) == (_traces.SINGLE_THREADED if single else None)
    assert _lowered(_kept_loop()) is not single  # TensorFlow lowers it for its default executor only


class Switched(keras.layers.Layer):
    """Passes its input through TensorFlow's low-level Switch and Merge, which the single-threaded executor refuses."""

    def call(self, x):
        false, true = tf.raw_ops.Switch(data=x, pred=tf.constant(True))
        return tf.raw_ops.Merge(inputs=[false, true]).output


def test_a_graph_the_single_threaded_executor_refuses_runs_on_the_default_one(monkeypatch):
    onednn = _tf_internals.onednn_enabled()
    monkeypatch.setattr(_tf_internals, "onednn_enabled", lambda: False)  # the executor is asked, and refuses
    x = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")
    y = x[:, :1] * 2
    weights = []
    for road in (engine.fast_fit, reference_fit):
        set_seed(0)
        model = keras.Sequential([keras.Input((3,)), Switched(), keras.layers.Dense(4), keras.layers.Dense(1)])
        model.compile("adam", "mse", metrics=["mae"])
        assert engine.epoch_executor(model, 4) == _traces.SINGLE_THREADED
        history = road(model, x, y, validation_data=(x, y), epochs=3, batch_size=4, seed=0)
        assert len(history["loss"]) == 3 and np.isfinite(history["loss"]).all()
        weights.append(model.get_weights())
    for a, b in zip(*weights):  # the same graph, on the default executor: the plain loop's weights
        if onednn:  # forced here: with oneDNN on, the default executor's While gets oneDNN's kernels, the
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # plain loop's steps Eigen's: float32 rounding
        else:
            np.testing.assert_array_equal(a, b)


def _tiny(optimizer, metrics=()):
    set_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer, "mse", metrics=list(metrics))
    return model


def test_fast_fit_trains_a_model_compiled_without_metrics():
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = x[:, :1] * 2 - x[:, 1:2]
    model = _tiny("adam")
    history = engine.fast_fit(model, x, y, validation_data=(x, y), epochs=3, batch_size=8, seed=0)
    assert sorted(history) == ["loss", "val_loss"] and history["loss"][-1] < history["loss"][0]


@pytest.mark.parametrize(
    "scaled",
    [
        lambda: keras.optimizers.SGD(0.05, loss_scale_factor=1024.0),
        lambda: keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.05)),
    ],
    ids=["loss_scale_factor", "LossScaleOptimizer"],
)
def test_fast_fit_scales_the_loss_as_keras_train_step_does(scaled):
    """A loss scale (a power of two: exact in float32) multiplies the loss before the gradient and divides the
    gradients after, as Keras' own train step does: the same weights as without it. A step that skipped
    `optimizer.scale_loss` would divide unscaled gradients by the scale."""
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = x[:, :1] * 2 - x[:, 1:2]
    weights = []
    for optimizer in (keras.optimizers.SGD(0.05), scaled()):
        model = _tiny(optimizer, metrics=["mae"])
        engine.fast_fit(model, x, y, validation_data=(x, y), epochs=3, batch_size=8, seed=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
