"""A kept trace of the compiled epoch serves the next run of the same graph, with the same weights."""

import collections

import keras
import numpy as np
import pytest

from kerasrecipes import data, runs
from kerasrecipes.data._target import infer_target
from kerasrecipes.recipes import Recipe, build_model
from kerasrecipes.runs.fast_road import _traces, engine
from kerasrecipes.seeding import set_seed


@pytest.fixture
def traces():
    """Start with no kept traces; `_traces.counts` counts the epochs "traced" and the kept ones "reused"."""
    _traces.clear()
    _traces.counts.clear()
    yield _traces.counts
    _traces.clear()


def _weights(seed, **recipe):
    result = runs.train("iris", recipe={"epochs": 4, "seed": seed, **recipe}, tracking="none", verbose=0)
    return result.model.get_weights(), result.history


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


STORY = {"dropout": 0.2, "l2": 1e-3, "learning_rate": 0.01}
"""The graph the `story` runs train: dropout (seed generators a kept trace must rebind to the run), an L2 factor (a
tensor the trace captures) and a plain learning rate (a variable the graph reads)."""


@pytest.fixture(scope="module")
def story():
    """Runs of the `STORY` graph on iris, in this order, that the tests below read: name -> (weights, history, the
    counts it added: {"traced": 1} or {"reused": 1}). They share these runs instead of each training its own.

    - `clipped_alone`: seed 1 with AutoClip's gradient hook, before any trace of the graph is kept.
    - `fresh`: seed 1, no trace kept (a hooked run's trace never is).
    - The kept traces are forgotten. `other_factor`: seed 0, learning rate 0.003 and L2 factor 1e-2. `seed_0`: seed 0
      at 0.003 with `STORY`'s factor. `reused`: seed 1 as `fresh`, after them. `clipped`: as `clipped_alone`, after
      them.

    `reused` takes `seed_0`'s trace across a learning rate, so the tests reading it fail together if runs at other
    rates stop sharing a trace.
    """
    _traces.clear()
    story = {}

    def run(name, seed, **changes):
        before = collections.Counter(_traces.counts)
        weights, history = _weights(seed, **{**STORY, **changes})
        story[name] = weights, history, dict(_traces.counts - before)

    run("clipped_alone", 1, clipping="autoclip")
    run("fresh", 1)
    _traces.clear()
    run("other_factor", 0, learning_rate=0.003, l2=1e-2)
    run("seed_0", 0, learning_rate=0.003)
    run("reused", 1)
    run("clipped", 1, clipping="autoclip")
    _traces.clear()
    return story


def test_a_kept_trace_trains_exactly_as_a_fresh_trace(story):
    fresh, fresh_history, counted = story["fresh"]
    assert counted == {"traced": 1} and story["seed_0"][2] == {"traced": 1}
    reused, reused_history, counted = story["reused"]  # on seed 0's trace: its seed generators rebound to seed 1's
    assert counted == {"reused": 1}
    _assert_same(fresh, reused)
    assert fresh_history == reused_history


def test_runs_that_differ_only_in_a_plain_learning_rate_share_a_trace(story):
    assert story["seed_0"][2] == {"traced": 1}  # at 0.003
    assert story["reused"][2] == {"reused": 1}  # at 0.01: the rate lives in a variable the graph reads
    _assert_same(story["fresh"][0], story["reused"][0])


class SwapOptimizer(keras.callbacks.Callback):
    """Replaces the compiled optimizer before training (found by review: the compile configuration still
    names the old one)."""

    def __init__(self, beta_1):
        super().__init__()
        self.beta_1 = beta_1

    def on_train_begin(self, logs=None):
        optimizer = keras.optimizers.Adam(learning_rate=0.01, beta_1=self.beta_1)
        optimizer.build(self.model.trainable_variables)
        self.model.optimizer = optimizer


def test_a_replaced_optimizer_is_read_as_it_is_at_the_first_epoch(traces):
    def run(seed, beta_1):
        return runs.train(
            "iris", recipe={"epochs": 3, "seed": seed}, tracking="none", verbose=0, callbacks=[SwapOptimizer(beta_1)]
        ).model.get_weights()

    fresh = run(1, 0.5)
    _traces.clear()
    run(0, 0.99)
    assert traces == {"traced": 2}
    reused = run(1, 0.5)  # beta_1 is baked into the graph: 0.99's trace must not serve it
    assert traces == {"traced": 3}
    _assert_same(fresh, reused)


def test_keras_global_settings_are_part_of_the_graph(story, traces):
    epsilon = keras.config.epsilon()
    try:
        keras.config.set_epsilon(1e-3)  # read while tracing (the cross-entropy clips with it)
        _weights(0, **STORY)
    finally:
        keras.config.set_epsilon(epsilon)
    reused, _ = _weights(1, **STORY)
    assert traces == {"traced": 2}
    _assert_same(story["fresh"][0], reused)


def test_row_counts_may_differ_within_a_trace(traces):
    p = data.prepare(data.load_dataset("iris"), task="multiclass", seed=0)
    info = infer_target(p.X_train, p.y_train)

    def fit(rows):
        keras.backend.clear_session(free_memory=False)
        set_seed(0)
        model = build_model(Recipe(units=8), p.input_shape, target=info)
        engine.fast_fit(
            model,
            p.X_train[:rows],
            p.y_train[:rows],
            validation_data=(p.X_val, p.y_val),
            epochs=3,
            batch_size=16,
            seed=0,
        )
        return model.get_weights()

    fresh = fit(70)
    _traces.clear()
    fit(90)
    reused = fit(70)  # fewer rows: the same trace (the rows' axis is not part of the signature)
    assert traces == {"traced": 2, "reused": 1}
    _assert_same(fresh, reused)


def test_gradient_hooks_are_never_served_a_trace_without_them(story):
    clipped, _, counted = story["clipped"]  # AutoClip's hook: its own trace, not the kept plain one
    assert counted == {"traced": 1} and story["reused"][2] == {"reused": 1}  # a plain trace of the graph was kept
    _assert_same(story["clipped_alone"][0], clipped)
    assert any(not np.array_equal(a, b) for a, b in zip(story["fresh"][0], clipped))


@keras.saving.register_keras_serializable("kerasrecipes_tests")
class Shift(keras.layers.Layer):
    """Adds a constant the layer keeps as a tensor (not a variable): a capture no run owns."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        import tensorflow as tf

        self.shift = tf.constant(np.linspace(0, 1, 4 * 200, dtype="float32").reshape(200, 4))

    def call(self, x):
        return x + keras.ops.mean(self.shift, axis=0)


def test_a_trace_that_captured_a_foreign_tensor_is_not_kept(traces):
    p = data.prepare(data.load_dataset("iris"), task="multiclass", seed=0)
    for _ in range(2):
        keras.backend.clear_session(free_memory=False)
        set_seed(0)
        model = keras.Sequential([keras.Input((4,)), Shift(), keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        engine.fast_fit(
            model, p.X_train, p.y_train, validation_data=(p.X_val, p.y_val), epochs=2, batch_size=16, seed=0
        )
    assert traces == {"traced": 2}
    assert list(_traces._TRACES.values()) == [None]


def test_a_regularizers_factor_is_part_of_the_graph_and_runs_with_the_same_factor_share_a_trace(story):
    # a Keras regularizer may keep its factor as a tensor the trace captures
    assert story["other_factor"][2] == {"traced": 1}
    assert story["seed_0"][2] == {"traced": 1}  # another factor than the kept trace's: another trace
    assert story["reused"][2] == {"reused": 1}  # the same factor: seed 0's trace
    _assert_same(story["fresh"][0], story["reused"][0])


@keras.saving.register_keras_serializable("kerasrecipes_tests")
class Weighted(keras.regularizers.Regularizer):
    """An L2 penalty with a tensor its configuration does not give: a capture no run owns."""

    def __init__(self, factor=0.01):
        import tensorflow as tf

        self.factor = factor
        self.weight = tf.constant(2.0)

    def __call__(self, x):
        return self.weight * self.factor * keras.ops.sum(keras.ops.square(x))

    def get_config(self):
        return {"factor": self.factor}


def test_a_trace_that_captured_a_regularizers_unconfigured_tensor_is_not_kept(traces):
    p = data.prepare(data.load_dataset("iris"), task="multiclass", seed=0)
    for _ in range(2):
        keras.backend.clear_session(free_memory=False)
        set_seed(0)
        model = keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(3, activation="softmax", kernel_regularizer=Weighted())]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        engine.fast_fit(
            model, p.X_train, p.y_train, validation_data=(p.X_val, p.y_val), epochs=2, batch_size=16, seed=0
        )
    assert traces == {"traced": 2}
    assert list(_traces._TRACES.values()) == [None]


def test_kept_traces_are_bounded(traces, monkeypatch):
    monkeypatch.setattr(_traces, "MAX_TRACES", 2)
    for units in (8, 16, 32):
        _weights(0, units=units, epochs=1)
    assert traces == {"traced": 3}  # another architecture: another key
    assert len(_traces._TRACES) == 2
    _weights(0, units=8, epochs=1)  # the oldest went out first
    assert traces == {"traced": 4}


def _custom_gradient_names():
    from tensorflow.python.framework import ops

    return {name for name in ops._gradient_registry._registry if name.startswith("CustomGradient")}


def _live_graphs():
    import gc

    from tensorflow.python.framework import func_graph

    gc.collect()
    return sum(isinstance(o, func_graph.FuncGraph) for o in gc.get_objects())


@pytest.mark.parametrize("execution", ["fast", "fit"])
def test_a_run_leaves_no_graph_behind_in_tensorflows_gradient_registry(traces, monkeypatch, execution):
    """tensorflow#97697: each trace's `tf.custom_gradient` (Keras' optimizer uses one) stays registered
    for the life of the process and holds the traced graph; a run removes its own."""
    monkeypatch.setattr(_traces, "MAX_TRACES", 0)  # no trace is kept: every run's graphs must go
    before = _custom_gradient_names()
    _weights(0, units=8, epochs=1, execution=execution)
    graphs = _live_graphs()
    _weights(0, units=9, epochs=1, execution=execution)  # another network: new graphs, new custom gradients
    assert _custom_gradient_names() == before
    assert _live_graphs() == graphs


def test_only_the_runs_own_custom_gradients_are_released(traces):
    """A user's function traced with a custom gradient still differentiates after a run, and
    `release_custom_gradients` removes exactly the names its argument's graphs use."""
    import tensorflow as tf

    @tf.custom_gradient
    def halve_gradient(x):
        return tf.identity(x), lambda dy: dy * 0.5

    @tf.function
    def user_function(x):
        return halve_gradient(x) * 3.0

    x = tf.constant(2.0)
    existing = _custom_gradient_names()
    user_function(x)  # traced outside any tape: differentiating it later needs its registry entry
    users = _custom_gradient_names() - existing
    assert len(users) == 1
    _weights(0, units=8, epochs=1)
    assert _custom_gradient_names() == existing | users
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = user_function(x)
    assert float(tape.gradient(y, x)) == 1.5
    assert _traces.release_custom_gradients(user_function) == 1
    assert _custom_gradient_names() == existing


# -- the key covers everything a trace bakes in: drawn variants, kept trace == fresh trace -------------------------
VARIANTS = {
    "loss": [
        lambda: keras.losses.Huber(delta=0.1),
        lambda: keras.losses.Huber(delta=10.0),
        lambda: keras.losses.MeanSquaredError(),
        lambda: keras.losses.LogCosh(),
        lambda: keras.losses.MeanAbsoluteError(reduction="sum"),
    ],
    "optimizer": [
        lambda: keras.optimizers.Adam(0.01, beta_1=0.5),
        lambda: keras.optimizers.Adam(0.01, epsilon=0.1),
        lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
        lambda: keras.optimizers.RMSprop(0.01, rho=0.5),
        lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    ],
    "metrics": [
        lambda: [],
        lambda: [keras.metrics.MeanAbsoluteError()],
        lambda: [keras.metrics.MeanSquaredError(name="mse")],
        lambda: [keras.metrics.LogCoshError()],
    ],
}


def _user_model_weights(choice: dict) -> list:
    x = np.random.default_rng(0).normal(size=(48, 3)).astype("float32")
    y = (x[:, :1] * 3 - x[:, 1:2] + 0.5).astype("float32")
    keras.backend.clear_session(free_memory=False)
    set_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(
        VARIANTS["optimizer"][choice["optimizer"]](),
        VARIANTS["loss"][choice["loss"]](),
        metrics=VARIANTS["metrics"][choice["metrics"]](),
    )
    engine.fast_fit(model, x, y, validation_data=(x, y), epochs=2, batch_size=8, seed=0)
    return model.get_weights()


def _draw_pair(rng, part: str) -> tuple[dict, dict]:
    """A drawn variant and its neighbour: the same but for its `part` ("loss" or "optimizer"), drawn again.

    Variants that differ in one choice only are the ones a key missing that choice would confuse; metrics are
    left alone in the pair, as they do not change the weights the test compares.
    """
    first = {k: int(rng.integers(len(v))) for k, v in VARIANTS.items()}
    other = int(rng.integers(len(VARIANTS[part]) - 1))
    return first, {**first, part: other + (other >= first[part])}


@pytest.mark.parametrize("seed", range(4))
def test_a_kept_trace_never_serves_another_computation(traces, seed):
    """After a run of another variant (the same graph with other loss or optimizer arguments, or another class),
    a run gives the weights of a fresh trace; Huber's delta, which Keras' get_config leaves out, included."""
    rng = np.random.default_rng(seed)
    pairs = (
        [({"loss": 0, "optimizer": 0, "metrics": 1}, {"loss": 1, "optimizer": 0, "metrics": 1})] if seed == 0 else []
    )
    pairs.append(_draw_pair(rng, ("loss", "optimizer")[seed % 2]))
    for first, second in pairs:
        _traces.clear()
        fresh = _user_model_weights(second)
        _traces.clear()
        _user_model_weights(first)
        after = _user_model_weights(second)
        _assert_same(fresh, after)


def test_the_same_variant_still_shares_its_trace(traces):
    choice = {"loss": 0, "optimizer": 2, "metrics": 1}
    fresh = _user_model_weights(choice)
    reused = _user_model_weights(choice)
    assert traces == {"traced": 1, "reused": 1}
    _assert_same(fresh, reused)
