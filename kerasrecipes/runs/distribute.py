"""Distributed training with TensorFlow's `tf.distribute`: several devices, or several hosts.

A recipe's `distribute` field picks the strategy:

- `"none"` (the default): one device; the fast road or Keras' `model.fit` (see `engine`).
- `"mirrored"`: `tf.distribute.MirroredStrategy` over this host's GPUs, or over its logical CPU
  devices when it has no GPU (one CPU device unless the process configured more).
- `"multi_worker"`: `tf.distribute.MultiWorkerMirroredStrategy` over the hosts named by the
  standard `TF_CONFIG` environment variable. Every host runs the same command with its own
  `TF_CONFIG`; CPU workers all-reduce by ring. Without `TF_CONFIG` it is one local worker.

**Batch size.** `batch_size` is the GLOBAL batch: one optimizer step consumes `batch_size` rows
in total, as on one device. Of a batch of m rows (m = `batch_size`, or fewer for an epoch's last
batch) replica r of R takes rows `[r*m//R, (r+1)*m//R)`: `batch_size / R` rows each when that
divides, otherwise the shares differ by one row. Each replica's loss is weighted by
`(its rows) * R / m`, so the summed gradient is that of the mean loss over the global batch even
when the split is uneven. No rounding of the batch size is needed, and none is done.

**The loop.** `fit` runs the fast road's loop (`engine`) under the strategy: epoch e is shuffled by
`argsort(stateless_uniform(n, seed=(seed, e)))`, a whole epoch compiles into one `tf.function`
whose steps call `strategy.run` on every replica, the optimizer sums the replicas' gradients
(all-reduce) and applies the same update everywhere, and the epoch's training loss and metric are
summed across replicas. Every worker validates on the whole validation split (its weights are the
same), so all workers get the same logs and their callbacks (early stopping) decide alike. As on
the fast road, callbacks get the epoch hooks only. Keras' `model.fit` is not used: in Keras 3.15
its TensorFlow trainer cannot run `MultiWorkerMirroredStrategy` (its symbolic build reduces a batch
tuple and its step logs reduce scalars along axis 0; keras-team/keras#20585,
tensorflow/tensorflow#72388), and one loop for both strategies keeps their semantics the same.
Evaluation, predictions and saving use a single-device copy of the trained weights and optimizer
state (`single_device_copy`), so run files and `reproduce` are those of any run. Distributed runs
are not checkpointed: run again, they restart from the first epoch and end with the same weights.

**Equal to one device up to rounding.** A distributed run ends with the single-device fast road's
weights of the same global batch, not bit for bit: the all-reduce adds the replicas' gradients in
another order than one device sums a batch's rows (tested with rtol 1e-5, atol 1e-6). With one replica there is nothing to split or add and the weights are
the fast road's bit for bit. Two runs with the same devices are bit-identical. Not equal: batch
normalization (statistics per replica), gradient clipping (Keras clips each replica's gradient
before the all-reduce) and dropout (each replica draws its own masks).

**Start-up order.** `MultiWorkerMirroredStrategy` configures TensorFlow's collective ops, which is
only possible before TensorFlow initializes its runtime (before the first tensor). `runs.train`
therefore creates the strategy first, before it loads data or builds anything, and one
multi-worker strategy serves the whole process; a process that already ran TensorFlow gets a
`ValueError` saying so.

**Only the chief writes.** Every worker trains (the collectives need all of them) and loads and
prepares the data itself, with the same seed; `check_same_data` refuses to train when their data
fingerprints differ. Only the chief (`is_chief`) writes the run directory, checkpoints and W&B run.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from kerasrecipes._validation import check, options
from kerasrecipes.errors import UserError

STRATEGIES = ("none", "mirrored", "multi_worker")
_multi_worker = None  # one MultiWorkerMirroredStrategy per process (collectives are configured once)


def strategy_for(name: str):
    """The `tf.distribute.Strategy` for a recipe's `distribute` value, or None for one device.

    Args:
        name: "none", "mirrored" or "multi_worker" (see the module docstring).

    Returns:
        None for "none"; a new `MirroredStrategy` for "mirrored"; this process's
        `MultiWorkerMirroredStrategy` for "multi_worker" (created on the first call).

    Raises:
        ValueError: for an unknown name, or for "multi_worker" once TensorFlow has started in this
            process (the strategy must configure TensorFlow's collective ops before it starts).

    Examples:
        >>> strategy_for("none") is None
        True
    """
    global _multi_worker
    check("distribute", name, options(*STRATEGIES))
    if name == "none":
        return None
    import tensorflow as tf

    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if _multi_worker is None:
        kinds = tf.distribute.experimental.CommunicationImplementation
        kind = kinds.AUTO if tf.config.list_physical_devices("GPU") else kinds.RING
        try:
            _multi_worker = tf.distribute.MultiWorkerMirroredStrategy(
                communication_options=tf.distribute.experimental.CommunicationOptions(implementation=kind)
            )
        except RuntimeError as exc:
            if "startup" not in str(exc):
                raise
            raise UserError(
                "distribute='multi_worker' must create its strategy before TensorFlow starts, but this process "
                "has already used TensorFlow. Run each worker as a fresh process (e.g. `kerasrecipes train "
                "... --set distribute=multi_worker`), or call runs.train before any other TensorFlow code."
            ) from None
    return _multi_worker


def replicas(strategy: Any) -> int:
    """The number of replicas that train in sync (1 for None).

    Examples:
        >>> replicas(None)
        1
    """
    return 1 if strategy is None else int(strategy.num_replicas_in_sync)


def is_chief(tf_config: str | None = None) -> bool:
    """Whether this process is the chief of a multi-worker run, the one that writes.

    Read from `TF_CONFIG` (the JSON TensorFlow's cluster resolver reads): the task of type
    "chief", or worker 0 when the cluster has no chief. Without a cluster it is True.

    Args:
        tf_config: the JSON text to read. Defaults to the `TF_CONFIG` environment variable.

    Raises:
        ValueError: if the text is not a JSON object.

    Examples:
        >>> is_chief('{"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 1}}')
        False
    """
    text = os.environ.get("TF_CONFIG", "") if tf_config is None else tf_config
    if not text.strip():
        return True
    try:
        config = json.loads(text)
    except ValueError:
        config = None
    if not isinstance(config, dict):
        raise UserError(
            f"`TF_CONFIG` must be a JSON object with 'cluster' and 'task'. Received: TF_CONFIG={text[:80]!r}"
        )
    cluster, task = config.get("cluster") or {}, config.get("task") or {}
    if not cluster or not task:
        return True
    kind, index = task.get("type"), int(task.get("index", 0))
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)


@contextlib.contextmanager
def scope(strategy: Any) -> Iterator[None]:
    """`strategy.scope()`, or nothing for None: build and compile the model inside it.

    Examples:
        >>> with scope(None):
        ...     pass
    """
    if strategy is None:
        yield
    else:
        with strategy.scope():
            yield


def workers(strategy: Any) -> int:
    """The number of worker processes training in sync (1 for None and for MirroredStrategy).

    Examples:
        >>> workers(None)
        1
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return 1
    cluster = resolver.cluster_spec().as_dict()
    return max(1, len(cluster.get("chief", [])) + len(cluster.get("worker", [])))


def describe(strategy: Any) -> str:
    """One line for the manifest: the strategy, its replicas and workers, how a batch is split."""
    import tensorflow as tf

    name = (
        "MultiWorkerMirroredStrategy"
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        else type(strategy).__name__
    )
    count, hosts = replicas(strategy), workers(strategy)
    return (
        f"tf.distribute {name}: {count} replica{'s' * (count != 1)} on {hosts} worker{'s' * (hosts != 1)}; "
        "each global batch is split across the replicas and their gradients are summed (all-reduce); epochs "
        "are shuffled and stepped as on the fast road"
    )


def check_usable(strategy: Any, execution: str, callbacks: Sequence[Any], recipe: Any) -> None:
    """Refuse what the distributed loop cannot run; warn where it differs from one device."""
    import warnings

    from kerasrecipes.runs.fast_road import engine

    if execution == "fit":
        raise UserError(
            "execution='fit' cannot be distributed: Keras 3's model.fit cannot run "
            "MultiWorkerMirroredStrategy, so distributed runs use the fast road's loop under "
            "tf.distribute. Use execution='auto' with distribute, or distribute='none' for model.fit."
        )
    user = engine.batch_hook_user(callbacks)
    if user is not None:
        raise UserError(
            f"distribute={recipe.distribute!r} cannot run {user}: it needs per-batch hooks, and the "
            "distributed loop calls epoch hooks only. Use distribute='none'."
        )
    differs = [
        what
        for what, used in (
            ("batch normalization (statistics per replica)", recipe.batch_norm),
            ("gradient clipping (of each replica's gradient)", recipe.clipping != "none"),
            ("dropout (masks drawn per replica)", recipe.dropout > 0),
        )
        if used and replicas(strategy) > 1
    ]
    if differs:  # stacklevel 4: check_usable <- training._fit <- runs.train <- the caller
        warnings.warn(
            f"With {replicas(strategy)} replicas this run differs from a single-device one beyond "
            f"rounding: {'; '.join(differs)}.",
            stacklevel=4,
        )


def check_same_data(strategy: Any, fingerprint: str) -> None:
    """Raise on every worker when the workers' prepared data differ (sha256 `fingerprint`s)."""
    if workers(strategy) < 2:
        return
    import tensorflow as tf

    mine = np.frombuffer(bytes.fromhex(fingerprint)[:16], dtype=np.uint16).astype("float32")  # exact in float32
    gathered = strategy.gather(strategy.run(lambda: tf.constant(mine)), axis=0).numpy().reshape(-1, len(mine))
    if not np.all(gathered == gathered[0]):
        raise UserError(
            "The workers of this multi-worker run prepared different data (their data fingerprints "
            "differ). Give every worker the same dataset or CSV file, seed and recipe."
        )


def single_device_copy(trained: Any, build: Any):
    """`build()` (outside any strategy scope) holding `trained`'s weights and optimizer state.

    A model built in a strategy's scope evaluates, predicts and saves through that strategy (in a
    multi-worker run, with collectives every worker must join). The copy is an ordinary
    single-device model: its `get_weights()`, predictions and weights file are those of the
    trained model.
    """
    from keras import ops

    model = build()
    model.set_weights(trained.get_weights())
    if trained.optimizer is not None and trained.optimizer.built:
        model.optimizer.build(model.trainable_variables)
        mine, theirs = model.optimizer.variables, trained.optimizer.variables
        if [tuple(v.shape) for v in mine] != [tuple(v.shape) for v in theirs]:
            raise RuntimeError("The single-device copy's optimizer does not match the trained one.")
        for target, value in zip(mine, theirs):
            target.assign(ops.convert_to_numpy(value))
    return model


def fit(
    model,
    strategy,
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
    """Train `model` (built and compiled in `strategy.scope()`) with `strategy`; returns the history.

    The fast road's epoch under `tf.distribute` (see the module docstring): same shuffle, same
    step code, `batch_size` the global batch.

    Args:
        model: a `keras.Model` built and compiled inside `strategy.scope()`.
        strategy: a `tf.distribute.Strategy` from `strategy_for`.
        x, y: the full training arrays (every worker holds all of them).
        validation_data: (x_val, y_val), evaluated on every worker after every epoch.
        epochs: maximum epochs.
        batch_size: the global mini-batch size, split across the replicas.
        seed: shuffle seed; epoch e uses `argsort(stateless_uniform(n, seed=(seed, e)))`.
        sample_weight: per-row weights (class weights already expanded), or None.
        callbacks: Keras callbacks; they get the train and epoch hooks, not per-batch hooks.

    Returns:
        `{"loss": [...], "<metric>": [...], "val_loss": [...], "val_<metric>": [...]}` for every metric
        the model was compiled with (each replica updates the same metric objects; they sum on read).

    Examples:
        ```python
        strategy = strategy_for("mirrored")
        with scope(strategy):
            model = kr.build_model(kr.Recipe(units=16), (6,), n_classes=3)
        history = fit(model, strategy, X, y, validation_data=(X_val, y_val), epochs=5, batch_size=64, seed=0)
        ```
    """
    import tensorflow as tf

    from kerasrecipes.runs.fast_road import _traces, engine

    with strategy.scope():  # the optimizer's slot variables (and the metrics') must be distributed too
        program = engine.Program(model, x, y, validation_data, batch_size, seed, sample_weight)
    total = tf.distribute.ReduceOp.SUM

    def replica_step(batch):
        context = tf.distribute.get_replica_context()
        count = context.num_replicas_in_sync
        replica = tf.cast(context.replica_id_in_sync_group, tf.int32)
        m = tf.shape(batch)[0]
        start, stop = replica * m // count, (replica + 1) * m // count
        rows = batch[start:stop]
        share = tf.cast((stop - start) * count, tf.float32) / tf.cast(m, tf.float32)  # 1.0 for an even split
        weights = tf.ones([stop - start]) if program.w is None else tf.gather(program.w, rows)
        loss, _ = program.step(tf.gather(program.x, rows), tf.gather(program.y, rows), weights * share)
        return loss  # this replica's part of the global-batch mean loss (its metrics are updated in place)

    def epoch(e):
        perm = program.permutation(e, program.seed, program.n)
        program.metrics.reset_state()
        loss_sum = tf.constant(0.0)
        for step in tf.range(program.steps):
            batch = perm[step * program.batch_size : (step + 1) * program.batch_size]
            loss = strategy.run(replica_step, args=(batch,))
            loss_sum += strategy.reduce(total, loss, axis=None) * tf.cast(tf.shape(batch)[0], tf.float32)
        train = {k: tf.identity(v) for k, v in program.metrics.result().items()}
        val_loss, val = program.validate(program.x_val, program.y_val)  # outside the scope: no per-replica loss scaling
        return loss_sum / program.n, train, val_loss, val

    compiled = tf.function(epoch, reduce_retracing=True)
    history = engine._run(model, program, lambda e: program.logs(compiled(tf.constant(e, tf.int64))), epochs, callbacks)
    _traces.release_custom_gradients(compiled)
    return history
