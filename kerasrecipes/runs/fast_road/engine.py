"""The fast road: whole epochs inside one compiled TensorFlow function.

On small tabular data almost all of `model.fit`'s time is framework overhead (data adapters,
per-step Python, a separate evaluation loop), not arithmetic. The fast road keeps the data on the
device as tensors and compiles one epoch (a seeded shuffle, every optimizer step, the validation
pass and the epoch's metrics) into a single `tf.function` call, then drives ordinary Keras
callbacks from Python once per epoch, so early stopping with best-weight restore, weight saving,
W&B logging and hyperband stopping keep working. The epoch takes its data as arguments, so a
process traces each graph once and the next run of the same graph reuses the trace (`_traces`).

Semantics are defined by the straightforward loop the tests keep as their oracle
(`tests/runs/_reference_loop.py`): a Python loop over epochs and over batches, one compiled step per call, with the same per-epoch shuffle
(`argsort(stateless_uniform(n, seed=(seed, epoch)))`) and the same step code. `fast_fit` gives the
same weights bit for bit (tested). Both differ from `model.fit`'s own shuffling, which is why a
recipe records its road (`execution`) and reproduction uses the same one.

Callbacks that need per-batch hooks cannot run inside a compiled epoch: `choose_road` sends those
runs to Keras' `model.fit` and says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasrecipes import _tf_internals
from kerasrecipes.errors import UserError
from kerasrecipes.runs.fast_road import _traces

_BATCH_HOOKS = (
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_batch_begin",
    "on_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
)


def batch_hook_user(callbacks: Sequence[Any]) -> str | None:
    """The name of the first callback that overrides a per-batch hook, or None."""
    import keras

    for cb in callbacks:
        if getattr(cb, "logging_batch_wise", None) is False:  # wandb's WandbMetricsLogger(log_freq="epoch")
            continue
        for hook in _BATCH_HOOKS:
            if getattr(type(cb), hook, None) is not getattr(keras.callbacks.Callback, hook):
                return type(cb).__name__
    return None


def choose_road(execution: str, callbacks: Sequence[Any]) -> tuple[str, str]:
    """("fast" | "fit", why) for the recipe's `execution` field and the run's callbacks."""
    if execution == "fit":
        return "fit", "the recipe asks for Keras model.fit (execution='fit')"
    user = batch_hook_user(callbacks)
    if user is not None:
        if execution == "fast":
            raise UserError(
                f"execution='fast' cannot run {user}: it needs per-batch hooks, which a compiled "
                "epoch does not call. Use execution='auto' or 'fit'."
            )
        return "fit", f"fast road off: {user} needs per-batch hooks, so Keras model.fit runs the epochs"
    return "fast", "whole epochs compiled into one TensorFlow call, callbacks once per epoch"


class Program:
    """Tensors and the epoch's code for one (model, data) pair.

    The epoch takes its data as arguments (`data`: training rows, labels, validation rows and labels,
    the shuffle seed, and row weights when there are any), so that one trace serves every run of the
    same graph (`_traces`).
    """

    def __init__(self, model, x, y, validation_data, batch_size, seed, sample_weight):
        import tensorflow as tf

        self.tf, self.model = tf, model
        self.x = tf.constant(x)
        self.y = tf.constant(y)
        self.w = None if sample_weight is None else tf.constant(np.asarray(sample_weight, "float32"))
        self.x_val = tf.constant(validation_data[0])
        self.y_val = tf.constant(validation_data[1])
        self.n = int(len(x))
        self.batch_size = int(min(batch_size, self.n))
        self.steps = math.ceil(self.n / self.batch_size)
        self.seed = tf.constant(int(seed), tf.int64)
        self.data = (self.x, self.y, self.x_val, self.y_val, self.seed) + (() if self.w is None else (self.w,))
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        self.metrics = compiled_metrics(model, x[:1], y[:1])

    def permutation(self, epoch, seed, n):
        tf = self.tf
        keys = tf.random.stateless_uniform([n], seed=tf.stack([seed, epoch]))
        return tf.argsort(keys, stable=True)  # a seeded permutation that XLA can compile too

    def batch(self, perm, step, x, y, w):
        tf = self.tf
        idx = perm[step * self.batch_size : (step + 1) * self.batch_size]
        w = None if w is None else tf.gather(w, idx)
        return tf.gather(x, idx), tf.gather(y, idx), w

    def step(self, xb, yb, wb):
        """One optimizer step; the compiled metrics see the step's predictions. Returns (batch loss, batch size)."""
        tf, model = self.tf, self.model
        with tf.GradientTape() as tape:
            pred = model(xb, training=True)
            loss = model.compute_loss(x=xb, y=yb, y_pred=pred, sample_weight=wb, training=True)
            scaled = model.optimizer.scale_loss(loss)  # as Keras' train step: a loss scale (mixed precision)
        grads = tape.gradient(scaled, model.trainable_variables)
        model.optimizer.apply(grads, model.trainable_variables)
        self.metrics.update_state(yb, pred)  # as model.fit does: the pre-update predictions, unweighted
        return tf.cast(loss, tf.float32), tf.cast(tf.shape(xb)[0], tf.float32)

    def validate(self, x_val, y_val):
        """(validation loss, the compiled metrics on the validation split); the metrics restart first."""
        model, tf = self.model, self.tf
        self.metrics.reset_state()
        pred = model(x_val, training=False)
        loss = model.compute_loss(x=x_val, y=y_val, y_pred=pred, training=False)
        self.metrics.update_state(y_val, pred)
        return tf.cast(loss, tf.float32), self.metrics.result()

    def epoch(self, epoch, data):
        """A whole epoch over `data` (see the class): shuffle, every step, validation. Compiled by
        `fast_fit` without AutoGraph (an explicit `tf.while_loop`), which saves most of the tracing
        time on small models.

        Returns (training loss, training metrics, validation loss, validation metrics): every metric the
        model was compiled with, accumulated over the epoch's steps as `model.fit` does."""
        tf = self.tf
        x, y, x_val, y_val, seed, *weights = data
        w = weights[0] if weights else None
        n = tf.shape(x)[0]
        steps = (n + self.batch_size - 1) // self.batch_size
        perm = self.permutation(epoch, seed, n)
        self.metrics.reset_state()

        def body(step, loss_sum):
            loss, size = self.step(*self.batch(perm, step, x, y, w))
            return step + 1, loss_sum + loss * size

        _, loss_sum = tf.while_loop(lambda step, *_: step < steps, body, (tf.constant(0), tf.constant(0.0)))
        train = {k: tf.identity(v) for k, v in self.metrics.result().items()}  # read before validation resets them
        val_loss, val = self.validate(x_val, y_val)
        return loss_sum / tf.cast(n, tf.float32), train, val_loss, val

    @staticmethod
    def logs(values) -> dict[str, float]:
        loss, train, val_loss, val = values
        return {
            "loss": float(loss),
            **{k: float(v) for k, v in train.items()},
            "val_loss": float(val_loss),
            **{f"val_{k}": float(v) for k, v in val.items()},
        }


class _NoMetrics:
    """The compiled metrics of a model compiled without any: nothing to update, nothing to report."""

    def update_state(self, *args) -> None:
        pass

    def reset_state(self) -> None:
        pass

    def result(self) -> dict:
        return {}


def compiled_metrics(model, x, y):
    """The metrics `model` was compiled with (Keras' `CompileMetrics` container), built on a sample.

    Built before any compiled function runs, so that their variables exist outside it; their state is
    reset. Every road then updates the same Keras metric objects `model.fit` would. A model with a
    symbolic output is built from zeros of that output's shape (no eager forward pass and update,
    which cost more than the build); a metric that creates its variables only on its first update
    (Keras' `_built`), or a subclassed model, gets one eager update on a real prediction.
    """
    metrics = next((m for m in model.metrics if m.name != "loss"), None)
    if metrics is None:  # compiled without metrics: the loss alone is logged
        return _NoMetrics()
    if not metrics.built:
        outputs = getattr(model, "outputs", None) or []  # a subclassed model has none until called
        if len(outputs) == 1 and None not in tuple(outputs[0].shape[1:]):
            metrics.build(y, np.zeros((len(y), *outputs[0].shape[1:]), outputs[0].dtype))
        if not metrics.built or any(_tf_internals.builds_on_first_update(m) for m in metrics.metrics):
            metrics.update_state(y, model(x, training=False))
    metrics.reset_state()
    return metrics


def _run(model, program, epoch_fn, epochs, callbacks, resume=None, after_epoch=None) -> dict[str, list[float]]:
    """Drive the epochs: callbacks per epoch, `after_epoch(epoch, history, stopped)` after them.

    `resume` = (epochs already done, their history, whether training had stopped) continues a run.
    """
    import keras

    callback_list = keras.callbacks.CallbackList(list(callbacks), model=model, add_history=False, add_progbar=False)
    start, history, stopped = resume or (0, {}, False)
    history = {k: list(v) for k, v in history.items()}
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(start, epochs if not stopped else start):
        callback_list.on_epoch_begin(epoch)
        logs = epoch_fn(epoch)
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        callback_list.on_epoch_end(epoch, dict(logs))
        if after_epoch is not None:
            after_epoch(epoch, history, bool(model.stop_training))
        if model.stop_training:
            break
    callback_list.on_train_end()
    return history


SINGLE_THREADED_WORK = 1 << 20
"""A step's work (batch size x the model's parameters, about its multiply-adds forward) up to which a
CPU runs the compiled epoch on TensorFlow's single-threaded executor (`epoch_executor`)."""


def epoch_executor(model, batch_size: int) -> str | None:
    """Which TensorFlow executor runs the compiled epoch (`_traces.compile_epoch`'s `executor`).

    On a CPU, a small step's operations take microseconds each, and TensorFlow's default executor hands
    them to its inter-op threads; the single-threaded executor runs them in order on the calling
    thread (`bench/bench_fixed_cost.py --executors single,default` times both). Larger steps (above
    `SINGLE_THREADED_WORK`), and every step on a GPU, keep TensorFlow's defaults (None). Deterministic
    for a recipe on a machine: the batch size and the parameters decide, never timing.
    """
    import keras
    import tensorflow as tf

    if tf.config.list_logical_devices("GPU") or batch_size * model.count_params() > SINGLE_THREADED_WORK:
        return None
    if _tf_internals.onednn_enabled() or not _tf_internals.single_threaded_available():
        return None  # oneDNN's kernels run only where Grappler rewrites the graph, which a While body skips
    if isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer):
        return None  # its conditional update never returns on the single-threaded executor
    return _traces.SINGLE_THREADED


def fast_fit(
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
    jit_compile: bool = False,
    resume=None,
    after_epoch=None,
) -> dict[str, list[float]]:
    """Train `model` with whole epochs compiled into one call; returns the per-epoch history.

    Args:
        model: a compiled `keras.Model`.
        x, y: training arrays (float32 features; labels or scaled targets).
        validation_data: (x_val, y_val), evaluated after every epoch.
        epochs: maximum epochs.
        batch_size: mini-batch size (the last batch of an epoch may be smaller).
        seed: shuffle seed; epoch e uses `argsort(stateless_uniform(n, seed=(seed, e)))`.
        sample_weight: per-row weights (class weights already expanded), or None.
        callbacks: Keras callbacks; they get the train and epoch hooks, not per-batch hooks.
        jit_compile: compile the epoch with XLA. Defaults to False.
        resume: (epochs done, their history, stopped) to continue a checkpointed run.
        after_epoch: `f(epoch, history, stopped)` called after each epoch's callbacks (checkpoints).

    Returns:
        `{"loss": [...], "<metric>": [...], "val_loss": [...], "val_<metric>": [...]}`.
    """
    import tensorflow as tf

    program = Program(model, x, y, validation_data, batch_size, seed, sample_weight)
    compiled = []  # compiled at the first epoch, after the callbacks' on_train_begin (which may hook the optimizer)

    def epoch_fn(e):
        args = (tf.constant(e, tf.int64), program.data)
        if not compiled:
            compiled.append(
                _traces.compile_epoch(
                    program.epoch,
                    args,
                    model,
                    batch_size=program.batch_size,
                    jit_compile=jit_compile,
                    executor=epoch_executor(model, program.batch_size),
                )
            )
        return program.logs(compiled[0](*args))

    return _run(model, program, epoch_fn, epochs, callbacks, resume=resume, after_epoch=after_epoch)


def expand_sample_weight(y: np.ndarray, class_weight: dict | None, sample_weight: np.ndarray | None):
    """Class weights as per-row weights (what Keras does inside fit), combined with sample weights."""
    if class_weight is None:
        return sample_weight
    weights = np.asarray(
        [class_weight[int(c)] for c in np.asarray(y).reshape(len(y), -1).argmax(axis=1)]
        if np.asarray(y).ndim > 1 and np.asarray(y).shape[-1] > 1
        else [class_weight[int(c)] for c in np.asarray(y).reshape(-1)],
        "float32",
    )
    return weights if sample_weight is None else weights * np.asarray(sample_weight, "float32")
