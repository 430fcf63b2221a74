"""Seeding: `set_seed` resets everything; a run without user code keeps TensorFlow's kernel cache and
trains bit-identically all the same."""

import random
import subprocess
import sys
import threading
import types

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python import pywrap_tfe

from kerasrecipes import _tf_internals, runs, seeding
from kerasrecipes.callbacks import EarlyStopping
from kerasrecipes.data import load_dataset
from kerasrecipes.data._sources import InMemory
from kerasrecipes.recipes import Recipe
from kerasrecipes.runs import _fit


@pytest.fixture
def clears(monkeypatch):
    """Count TensorFlow's kernel-cache clears (the real clear still runs)."""
    calls = []
    original = pywrap_tfe.TFE_ContextClearCaches

    def counting(handle):
        calls.append(threading.get_ident())
        original(handle)

    monkeypatch.setattr(pywrap_tfe, "TFE_ContextClearCaches", counting)
    tf.zeros([1])  # TensorFlow's eager context exists (before its first op there is no cache to clear)
    seeding.set_seed(0)  # op determinism on, as after any run
    calls.clear()
    return calls


def test_fresh_run_clears_the_kernel_cache_unless_asked_to_keep_it(clears):
    seeding.fresh_run(3)
    assert len(clears) == 2  # clear_session and tf.random.set_seed
    clears.clear()
    assert seeding.fresh_run(3, keep_kernels=True) == 3
    assert clears == []
    assert pywrap_tfe.TFE_ContextClearCaches.__name__ == "counting"  # put back after the block
    assert random.random() == random.Random(3).random()  # everything else is seeded as before
    assert np.random.random() == np.random.RandomState(3).random_sample()


def test_kept_cache_is_why_user_code_gets_the_full_reset(clears):
    """A stateful TF random kernel continues its stream from a kept cache: runs with user code clear it."""

    def draw(keep):
        seeding.fresh_run(5, keep_kernels=keep)
        return tf.random.uniform([3]).numpy().tolist()

    first = draw(False)
    assert draw(False) == first
    assert draw(True) != first


def test_other_threads_still_clear_while_a_run_keeps_the_cache(clears):
    from tensorflow.python.eager import context

    handle = context.context()._handle
    with _tf_internals.kernel_cache_kept():
        pywrap_tfe.TFE_ContextClearCaches(handle)
        thread = threading.Thread(target=pywrap_tfe.TFE_ContextClearCaches, args=(handle,))
        thread.start()
        thread.join()
    assert clears == [thread.ident]


def test_seeding_for_determinism_the_first_time_clears_anyway(monkeypatch, clears):
    monkeypatch.setitem(seeding._STATE, "determinism_enabled", False)
    seeding.fresh_run(1, keep_kernels=True)  # kernels made before determinism was on may not be deterministic
    assert len(clears) == 2
    clears.clear()
    seeding.fresh_run(1, keep_kernels=True)
    assert clears == []


class Draw(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.draws = None

    def on_train_begin(self, logs=None):
        self.draws = tf.random.uniform([3]).numpy().tolist()


def test_a_run_keeps_the_cache_only_without_a_users_callbacks(clears):
    def train(callbacks=()):
        return runs.train(
            "iris", recipe={"epochs": 3, "seed": 2}, tracking="none", verbose=0, callbacks=list(callbacks)
        )

    kept = train()
    train([EarlyStopping(patience=2)])  # this package's callbacks draw from no such kernel
    assert clears == []
    first, second = Draw(), Draw()
    cleared = train([first])
    assert len(clears) == 2
    train([second])
    assert first.draws == second.draws  # the user's stateful random op restarts with the seed
    assert kept.manifest["weights_sha256"] == cleared.manifest["weights_sha256"]
    draws = []  # found by review: a Keras callback that runs a user's function is user code too
    for _ in range(2):
        train(
            [
                keras.callbacks.LambdaCallback(
                    on_train_begin=lambda logs: draws.append(tf.random.normal([2]).numpy().tolist())
                )
            ]
        )
    assert draws[0] == draws[1]


class MySource(InMemory):
    """A user's data source: its code runs during training (`arrays`, `datasets` of what it prepares)."""


def test_a_users_data_source_is_user_code():
    iris = InMemory(load_dataset("iris"))
    plan = types.SimpleNamespace(callbacks=(), source=iris, prepared=iris.prepare(Recipe(), task="auto"))
    assert _fit._own_code_only(plan)
    assert not _fit._own_code_only(
        types.SimpleNamespace(callbacks=(), source=MySource(load_dataset("iris")), prepared=plan.prepared)
    )
    assert not _fit._own_code_only(
        types.SimpleNamespace(callbacks=(keras.callbacks.TerminateOnNaN(),), source=iris, prepared=plan.prepared)
    )


@pytest.mark.slow
def test_a_run_after_others_in_a_process_equals_the_same_run_in_a_fresh_one():
    """The first run of a process resets everything; later ones keep the kernel cache: same weights."""
    probe = (
        "from kerasrecipes import runs; r = runs.train('breast_cancer', recipe={'epochs': 5, 'seed': 4}, "
        "tracking='none', verbose=0); print(r.manifest['weights_sha256'])"
    )
    fresh = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()[-1]
    runs.train("iris", recipe={"epochs": 3, "seed": 1}, tracking="none", verbose=0)
    later = runs.train("breast_cancer", recipe={"epochs": 5, "seed": 4}, tracking="none", verbose=0)
    assert later.manifest["weights_sha256"] == fresh


def _train_call(tmp_path):
    runs.train("iris", recipe={"epochs": 2}, tracking="none", verbose=0)


def _estimator_call(tmp_path):
    from kerasrecipes import RecipeClassifier

    dataset = load_dataset("iris")
    RecipeClassifier(epochs=2).fit(dataset.X, dataset.y)


def _sweep_call(tmp_path):
    from kerasrecipes.tuning.runner import run_sweep

    run_sweep(
        "binary",
        trials=1,
        seed=0,
        out=tmp_path / "sweep",
        dataset="breast_cancer",
        tracking="none",
        verbose=0,
        overrides={"epochs": 1},
        cv=0,
        confirm=0,
    )


@pytest.mark.parametrize("call", [_train_call, _estimator_call, _sweep_call], ids=["train", "estimator", "sweep"])
def test_library_calls_leave_the_global_random_generators_as_they_found_them(call, tmp_path):
    random.seed(123)
    np.random.seed(123)
    expected = (random.random(), float(np.random.rand()))
    random.seed(123)
    np.random.seed(123)
    call(tmp_path)
    assert (random.random(), float(np.random.rand())) == expected
