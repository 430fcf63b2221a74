"""The TensorFlow and Keras internals (`kerasrecipes._tf_internals`): still there, and not needed for the results.

- A canary per internal names the one an upgrade renamed or removed.
- With `KERASRECIPES_TF_INTERNALS=off` (public fallbacks only), the core training and resume tests
  pass as they are: the fast road gives the plain loop's weights, and a killed run resumes to the
  uninterrupted run's weights (a sweep's trials are such runs).
- The road-equivalence and determinism tests run under the oneDNN setting this process does not
  have (`TF_ENABLE_ONEDNN_OPTS`), so the CPU the suite runs on cannot hide the other case. The same
  process reproduces a run trained here: `reproduce` names the other setting as a different platform.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerasrecipes import _tf_internals

ROOT = Path(__file__).resolve().parent.parent
REPRODUCED = "reproduce exit code:"


def _road_and_determinism(onednn: bool) -> list[str]:
    """The road-equivalence and executor tests to run again with oneDNN `onednn` (this process runs all of them
    under its own setting).

    With oneDNN off: every single-threaded case (oneDNN changes which kernels that executor runs) and two cases on
    TensorFlow's default executor (gradient hooks, a schedule with clipping). With oneDNN on, the fast road keeps
    the default executor whatever a step's size (`engine.epoch_executor`), so a case's single-threaded run is its
    tensorflow-defaults run again, operation for operation: each case runs once, on the default executor.
    """
    cases = "tensorflow-defaults" if onednn else "(single-threaded or autoclip or sgd)"
    return ["tests/runs/test_engine.py", "-k", f"(bit_for_bit and {cases}) or refuses or single_threaded_executor"]


def test_every_internal_is_still_there():
    missing = [name for name, present in _tf_internals.canaries().items() if not present]
    assert not missing, (
        f"TensorFlow/Keras changed: {', '.join(missing)} no longer as kerasrecipes._tf_internals uses "
        "it; its public fallback now runs (slower, same results): update _tf_internals"
    )


def test_the_switch_turns_every_internal_off(monkeypatch):
    import tensorflow as tf

    monkeypatch.setenv(_tf_internals.ENV, "off")
    concrete = tf.function(lambda x: x * 2.0).get_concrete_function(tf.TensorSpec([], tf.float32))
    assert _tf_internals.call_with_captures(concrete) is None
    assert not _tf_internals.single_threaded_available()
    assert _tf_internals.gradient_registry() is None
    assert _tf_internals.metric_direction(__import__("keras").metrics.AUC()) is None
    assert _tf_internals.onednn_enabled() == _tf_internals.onednn_by_rule()


@pytest.mark.parametrize(
    "environ, flags, expected",
    [
        ({"TF_ENABLE_ONEDNN_OPTS": "1"}, [], True),
        ({"TF_ENABLE_ONEDNN_OPTS": "0"}, ["avx512_vnni"], False),
        ({}, ["avx2", "fma"], False),
        ({}, ["avx2", "avx_vnni"], True),
        ({}, ["amx_tile"], True),
    ],
)
def test_onednn_by_tensorflows_rule(environ, flags, expected):
    assert _tf_internals.onednn_by_rule(environ, flags) is expected


def test_onednn_as_tensorflow_answers_agrees_with_its_rule():
    assert _tf_internals.onednn_enabled() == _tf_internals.onednn_by_rule()


PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]

REPRODUCE_THEN_PYTEST = f"""
import sys

import pytest

from kerasrecipes import cli

code = cli.main(["reproduce", sys.argv[1], "--retrain"])
print({REPRODUCED!r}, code, flush=True)
sys.exit(pytest.main(sys.argv[2:]))
"""
"""A child's program: `kerasrecipes reproduce RUN --retrain` first (while the process is fresh), then pytest with
the remaining arguments; it ends with pytest's exit code."""


def _child(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`python *args` in a new process, with `env` added to this one's environment."""
    environ = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    environ.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_core_results_hold_with_the_internals_off():
    done = _child(
        *PYTEST,
        "tests/runs/test_engine.py",
        "tests/runs/test_resume.py",
        "-k",
        "(bit_for_bit and tensorflow-defaults and (autoclip or sgd)) or (kill_then_resume and checkpoint)",
        **{_tf_internals.ENV: "off"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


@pytest.fixture(scope="module")
def other_onednn(tmp_path_factory):
    """One process with the oneDNN setting this one does not have (`TF_ENABLE_ONEDNN_OPTS`): it reproduces a run
    trained here, then reruns the road and determinism tests. Both need the other setting and nothing else of a
    process of their own, so they share one. Returns (the other setting, the finished process)."""
    from kerasrecipes import runs

    other = "0" if _tf_internals.onednn_enabled() else "1"
    run = tmp_path_factory.mktemp("onednn") / "run"
    runs.train("iris", recipe={"epochs": 4}, out=run, tracking="none", verbose=0)
    done = _child(
        "-c",
        REPRODUCE_THEN_PYTEST,
        str(run),
        *PYTEST[2:],
        *_road_and_determinism(other == "1"),
        TF_ENABLE_ONEDNN_OPTS=other,
    )
    return other, done


@pytest.mark.slow
def test_road_and_determinism_hold_under_the_other_onednn_setting(other_onednn):
    other, done = other_onednn
    assert done.returncode == 0, f"TF_ENABLE_ONEDNN_OPTS={other}:\n" + done.stdout[-3000:] + done.stderr[-2000:]


@pytest.mark.slow
def test_another_onednn_setting_is_a_different_platform_checked_within_tolerance(other_onednn):
    """The case of a run trained with oneDNN on and checked with it off (or the other way round): the
    report names the difference and checks predictions and retrained weights within tolerance, and
    does not blame nondeterministic kernels."""
    other, done = other_onednn
    report = done.stdout.partition(REPRODUCED)[0]
    assert f"{REPRODUCED} 0\n" in done.stdout, report + done.stderr[-2000:]
    ran, here = ("on", "off") if other == "0" else ("off", "on")
    assert f"platform      different platform: oneDNN {ran} in the run, {here} here\n" in report  # nothing else
    assert "reproduces within float32 tolerance on this platform" in report
    assert "nondeterministic" not in report


def test_keras_optimizers_still_update_through_apply_which_gradient_hooks_override():
    """Gradient hooks (AutoClip, GradientMonitor) give an optimizer instance a subclass whose public `apply`
    runs them; that holds only while Keras' `apply_gradients` goes through `apply`."""
    import keras

    calls = []

    class Counted(keras.optimizers.SGD):
        def apply(self, grads, trainable_variables=None):
            calls.append(len(grads))
            return super().apply(grads, trainable_variables)

    variable = keras.Variable(1.0)
    Counted(0.1).apply_gradients([(keras.ops.convert_to_tensor(0.5), variable)])
    assert calls == [1] and float(variable.numpy()) == pytest.approx(0.95)
