"""The reference loop: the oracle the fast road (`kerasrecipes.runs.fast_road.engine.fast_fit`) must equal bit for bit.

Test-only code: it drives the engine's own `Program` (the same shuffle, step and metrics code) one
compiled optimizer step per call, as the plainest loop would.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasrecipes.runs.fast_road import _traces, engine


def reference_fit(
    model,
    x,
    y,
    *,
    validation_data,
    epochs: int,
    batch_size: int,
    seed: int,
    sample_weight=None,
    callbacks: Sequence[Any] = (),
) -> dict[str, list[float]]:
    """The straightforward per-epoch loop that defines the fast road's semantics (slow; the tests' oracle).

    A Python loop over epochs and batches; each optimizer step is its own compiled call; the
    validation pass is another. Same shuffle, same step code as `fast_fit`, optimized as there: where
    `fast_fit` keeps its loop a functional `While` (`epoch_executor`), whose body TensorFlow's graph
    optimizer (Grappler) leaves as it is, the steps run without Grappler too (the validation pass,
    outside the loop there, with it).
    """
    import tensorflow as tf

    plain = _traces.without_grappler if engine.epoch_executor(model, batch_size) else contextlib.nullcontext
    program = engine.Program(model, x, y, validation_data, batch_size, seed, sample_weight)
    step = tf.function(program.step, autograph=False)
    with plain():  # one trace serves every step, the last partial batch too: the batch axis left open
        step.get_concrete_function(*(None if t is None else _open_batch(t) for t in (program.x, program.y, program.w)))
    validate = tf.function(program.validate, autograph=False)

    def one_epoch(epoch):
        perm = program.permutation(tf.constant(epoch, tf.int64), program.seed, program.n)
        program.metrics.reset_state()
        f32 = np.float32  # accumulate exactly as the compiled epoch does
        loss_sum = f32(0.0)
        with plain():
            for s in range(program.steps):
                loss, size = step(*program.batch(perm, s, program.x, program.y, program.w))
                loss_sum += f32(loss) * f32(size)
        train = {k: np.asarray(v) for k, v in program.metrics.result().items()}
        val_loss, val = validate(program.x_val, program.y_val)
        return program.logs((loss_sum / f32(program.n), train, val_loss, val))

    history = engine._run(model, program, one_epoch, epochs, callbacks)
    _traces.release_custom_gradients(step)
    return history


def _open_batch(tensor):
    """`tensor`'s spec with its first (batch) axis of any length."""
    import tensorflow as tf

    return tf.TensorSpec([None, *tensor.shape[1:]], tensor.dtype)
