"""One trace of the fast road's compiled epoch for every run of the same graph in a process.

Tracing the compiled epoch (Python building the graph of the forward pass, the gradient, the
optimizer's update and the metrics, then TensorFlow instantiating it) is paid by every run
(`bench/bench_fixed_cost.py` measures it): on small data that is most of a run. Runs that differ only in
their seed, their data values and their variables' values build the same graph: the seeds of a
benchmark, the folds of a cross-validation, the repeated splits of a sweep's confirmation,
`reproduce --retrain`. TensorFlow binds a traced function to the variables it captured, which it
passes to the graph as extra inputs (their resource handles). `compile_epoch` keeps the first run's
traced `ConcreteFunction` and calls it with the next run's variables in their place.

Why this and not a public API: Keras' TensorFlow optimizer has no `stateless_apply`, so the
variables cannot be arguments of the compiled function, and TensorFlow takes replacement captures
only through `ConcreteFunction._call_flat` (`set_external_captures` would change the function for
every caller; `_tf_internals.call_with_captures`). Where that method is missing, or the internals are
off, every run traces: results never depend on the cache, only the time does.

What keeps it safe: the key is everything Python decides while tracing (the model's and the
compile configuration; the full state of the loss, metric and optimizer objects, read from their
attributes, since a configuration may leave a value out (`_state`); the optimizer as it is at the
first epoch, its class object and its configuration, less a plain-number learning rate, which is a
variable; Keras' global settings;
the batch size; the data's dtypes and feature shapes, so whether rows are weighted; XLA; whether
`while_loop`s are lowered, `compile_epoch`'s `executor`); the data
are arguments (rows may differ in number); and every captured input must be a variable the run
owns (its model's, optimizer's or metrics'), in the same position with the same shape and dtype,
or a constant of its model's Keras regularizers that their configuration gives (`_constants`:
Keras 3.14's `L1`, `L2` and `L1L2` keep their factors as tensors), the same value at the same
place in the next run's model. A capture that is neither (a tensor a custom layer keeps) makes
that trace private to its run, and so do gradient hooks (AutoClip): the next run traces again.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from kerasrecipes import _tf_internals

MAX_TRACES = 8  # traces kept per process (least recently used first out); each holds one graph

_TRACES: collections.OrderedDict[str, _Trace | None] = collections.OrderedDict()
counts: collections.Counter = collections.Counter()  # epochs "traced" and "reused" in this process (benchmarks, tests)


def clear() -> None:
    """Forget every kept trace (the next run of each graph traces again)."""
    _TRACES.clear()


def compile_epoch(
    fn: Callable, args: tuple, model: Any, *, batch_size: int, jit_compile: bool, executor: str | None = None
) -> Callable[..., Any]:
    """`fn` compiled for `args`' shapes; a kept trace of the same graph when there is one.

    Call it after the callbacks' `on_train_begin` (a callback may change the optimizer there).

    Args:
        fn: the epoch, `fn(*args)`; it reads and writes `model`'s, its optimizer's and its metrics'
            variables and nothing else outside its arguments.
        args: the epoch's tensor arguments (a nest of tensors); the first axis of each may vary.
        model: the compiled Keras model `fn` trains.
        batch_size: the mini-batch size `fn` slices with.
        jit_compile: compile with XLA.
        executor: None: TensorFlow's defaults (its `while_loop`s lowered to low-level control flow, which
            Grappler optimizes with the rest of the graph; its default executor). `SINGLE_THREADED`: the
            loops stay functional `While` ops, as TensorFlow builds them for its single-threaded
            executor (Grappler leaves their bodies as they are), and the graph runs on that executor, one
            operation after another on the calling thread. Where it refuses a graph (reference edges,
            send/receive, collectives, low-level control flow) the same graph runs on the default one.

    Returns:
        A callable taking `args`' structure, returning `fn`'s outputs.
    """
    import tensorflow as tf

    specs = tf.nest.map_structure(lambda t: tf.TensorSpec([None, *t.shape[1:]] if t.shape.rank else [], t.dtype), args)
    key = _key(model, specs, batch_size, jit_compile, executor is not None)
    variables, constants = _variables(model), _constants(model)
    kept = _TRACES.get(key) if key is not None else None
    if kept is not None:
        captures = kept.captures_for(variables, constants)
        if captures is not None:
            _TRACES.move_to_end(key)
            counts["reused"] += 1
            return _Call(lambda *a: kept.call(tf.nest.flatten(a, expand_composites=True), captures), executor)
    with _tf_internals.executor_scope(executor):  # read by tf.while_loop: not lowered for the single-threaded executor
        function = tf.function(fn, jit_compile=jit_compile, autograph=False).get_concrete_function(*specs)
    release_custom_gradients(function)
    counts["traced"] += 1
    if key is not None:
        _TRACES[key] = _Trace.of(function, variables, constants)  # None: this trace is its run's alone
        _TRACES.move_to_end(key)
        while len(_TRACES) > MAX_TRACES:
            _TRACES.popitem(last=False)
    return _Call(function, executor)


SINGLE_THREADED = _tf_internals.SINGLE_THREADED


@contextlib.contextmanager
def without_grappler() -> Iterator[None]:
    """Functions first called inside run without TensorFlow's graph optimizer (Grappler), as the body
    of a functional `While` runs: TensorFlow's public switch, restored on exit (process-wide while it
    lasts; for the reference loop of the tests and benchmarks)."""
    import tensorflow as tf

    before = tf.config.optimizer.get_experimental_options()
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options(
            {"disable_meta_optimizer": before.get("disable_meta_optimizer", False)}
        )


class _Call:
    """A compiled epoch called on its executor (see `compile_epoch`); on the default one from the
    first call the single-threaded executor refuses. It checks each graph before running it, so a
    refused epoch has run at most what precedes its loop (the seeded shuffle and the metrics' reset),
    which the call on the default executor runs again."""

    def __init__(self, function: Callable[..., Any], executor: str | None) -> None:
        self.function, self.executor = function, executor

    def __call__(self, *args: Any) -> Any:
        if self.executor == SINGLE_THREADED:
            import tensorflow as tf

            try:
                with _tf_internals.executor_scope(SINGLE_THREADED):
                    return self.function(*args)
            except (tf.errors.UnimplementedError, tf.errors.FailedPreconditionError) as error:
                if not _tf_internals.refused_by_executor(error):
                    raise
                self.executor = None
        return self.function(*args)


def release_custom_gradients(*traced: Any) -> int:
    """Remove the gradient functions that tracing `traced` left in TensorFlow's global registry; returns how many.

    In a graph, `tf.custom_gradient` registers each use's gradient function in a process-wide registry
    under a new name and never removes it, and that function holds the traced graph: every trace then
    stays in memory for the life of the process (tensorflow#97697, open on TensorFlow 2.21). Keras'
    optimizer goes through it on every trace (`all_reduce` of the gradients), so each new graph kept
    about 5 MB (`bench/bench_memory.py`). An entry is read only to differentiate its graph again
    symbolically, which nothing does to a training function once it is traced (the tape inside the
    trace holds its own reference to the gradient function). So a run removes its training graphs'
    entries, right after the trace on the fast road and after training on the others, matched by the
    names those graphs' ops carry: a function of the user's keeps its entry.

    Args:
        traced: FuncGraphs, ConcreteFunctions, `tf.function`s (every trace they hold), or Python functions
            whose closures hold those (Keras' `model.train_function`).
    """
    registry = _tf_internals.gradient_registry()
    if registry is None:  # another TensorFlow layout, or the internals off: nothing to release
        return 0
    names = {name for graph in _tf_internals.func_graphs(traced) for name in _custom_gradient_names(graph)}
    for name in names:
        registry.pop(name, None)
    return len(names)


def _custom_gradient_names(graph: Any) -> list[str]:
    """The registry names of the custom gradients used in `graph` (they sit on `IdentityN` ops)."""
    names = []
    for op in graph.get_operations():
        if op.type == "IdentityN":
            try:
                names.append(op.get_attr("_gradient_op_type").decode())
            except ValueError:  # an IdentityN without a custom gradient
                pass
    return names


def _key(model: Any, specs: Any, batch_size: int, jit_compile: bool, functional_loops: bool) -> str | None:
    """What decides the traced graph, hashed; None where it cannot be told (no reuse).

    The optimizer is read as it is now, not as it was compiled (a callback may have replaced it), by
    its class object (a gradient hook's subclass keeps the original's name) and its configuration,
    less a plain-number learning rate: that one lives in a variable the graph reads, so runs that
    differ only in it share a trace. A hooked optimizer is never shared (a hook's own state decides).
    """
    import keras

    from kerasrecipes.callbacks import _gradient_hook

    optimizer = model.optimizer
    if _gradient_hook.installed_hooks(optimizer):
        return None
    try:
        compiled = {k: v for k, v in model.get_compile_config().items() if k != "optimizer"}
        config = optimizer.get_config()
        if isinstance(config.get("learning_rate"), float):
            config = {k: v for k, v in config.items() if k != "learning_rate"}
        settings = (
            keras.config.floatx(),
            keras.config.epsilon(),
            keras.config.image_data_format(),
            keras.config.dtype_policy().name,
        )  # Keras' global settings, read while tracing
        objects = [getattr(model, "loss", None), *_metric_objects(model), optimizer]  # their full state, not
        parts = [
            _json(model.get_config()),
            _json(compiled),
            _json(config),
            settings,  # only their configs
            _json([_state(o, _STATE_DEPTH, set()) for o in objects]),
            f"{type(optimizer).__qualname__}@{id(type(optimizer))}",
            repr(specs),
            batch_size,
            jit_compile,
            functional_loops,
        ]
    except (TypeError, ValueError, NotImplementedError):  # a custom object without a config
        return None
    return hashlib.sha256(repr(parts).encode()).hexdigest()


_STATE_DEPTH = 4


def _metric_objects(model: Any) -> list:
    """Every metric object of the compiled model, inside Keras' compile containers."""
    found = []
    for metric in model.metrics:
        found.extend(getattr(metric, "metrics", None) or [metric])
    return found


def _state(obj: Any, depth: int, seen: set) -> Any:
    """Every plain value `obj` holds, read recursively from its attributes: what tracing it bakes into the graph.

    A configuration (`get_config()`) may leave out a value its computation reads (Keras 3.15's
    `Huber.get_config()` has no `delta`), so the key reads the objects themselves: numbers, strings,
    arrays (their bytes), functions (their qualified names) and nested objects. Variables and
    tensors are inputs the graph reads at run time (a kept trace binds the next run's), not part of
    the graph; the optimizer's plain-number learning rate is such a variable.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_state(v, depth, seen) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _state(v, depth, seen) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if hasattr(obj, "dtype") and hasattr(obj, "shape"):
        import numpy as np

        if isinstance(obj, (np.ndarray, np.generic)):
            return f"array {obj.dtype} {obj.shape} {hashlib.sha256(np.ascontiguousarray(obj).tobytes()).hexdigest()}"
        return "<variable or tensor>"
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if isinstance(obj, type) or callable(obj) and (hasattr(obj, "__code__") or not hasattr(obj, "__dict__")):
        name = getattr(obj, "__qualname__", None)  # a function, a class; a weak reference names its type only
        return kind if name is None else f"{kind} {getattr(obj, '__module__', '')}.{name}"
    if id(obj) in seen or depth <= 0 or not isinstance(getattr(obj, "__dict__", None), dict):
        return kind
    seen.add(id(obj))
    fields = {k: v for k, v in vars(obj).items() if not k.startswith(("_tracker", "_self_")) and k not in _UNREAD}
    return {
        "__type__": kind,
        **{
            k: f"{type(v).__module__}.{type(v).__qualname__}" if k in _BY_TYPE else _state(v, depth - 1, seen)
            for k, v in sorted(fields.items())
        },
    }


_UNREAD = (
    "_layers",
    "_variables",
    "_trainable_variables",
    "_non_trainable_variables",
    "_metrics",
    "_seed_generators",
    "_functional",
    "_inbound_nodes",
    "_outbound_nodes",
    "_parent_path",
    "_path",
    "_trainable_variables_indices",
)
"""Attributes that hold structure the model's own configuration already describes, or names of places."""
_BY_TYPE = ("_distribution_strategy",)
"""Attributes read by their type alone (a process-wide object whose kind decides the graph)."""


def _json(config: Any) -> str:
    return json.dumps(config, sort_keys=True, default=repr)


def _variables(model: Any) -> list:
    """The TensorFlow variables a compiled epoch may touch, in a fixed order, each once."""
    seen, out = set(), []
    for v in [*model.variables, *model.optimizer.variables, *(v for m in model.metrics for v in m.variables)]:
        tf_variable = getattr(v, "value", v)
        if id(tf_variable) not in seen:
            seen.add(id(tf_variable))
            out.append(tf_variable)
    return out


def _constants(model: Any) -> dict[str, Any]:
    """The scalar tensors the model's Keras regularizers hold whose value their configuration gives, by place.

    Keras 3.14's `L1`, `L2` and `L1L2` keep their factors as tensors (Keras 3.15 as floats), which a
    trace captures as inputs. Such a tensor's value is its regularizer's configuration, part of the
    model's configuration and so of the key; a kept trace takes the next run's tensor from the same
    place (`_Trace.captures_for` checks the value). Other tensors a layer keeps are not listed (a
    trace that captured one is not kept). The regularizers are the layers' attributes named
    `*regularizer` (`kernel_regularizer`, `activity_regularizer`, ...), and the layers those
    `model.layers` lists, recursively.
    """
    import keras

    found: dict[str, Any] = {}
    seen: set[int] = set()
    stack = [("", model)]
    while stack:
        place, layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        for name, regularizer in sorted(getattr(layer, "__dict__", {}).items()):
            if name.endswith("regularizer") and isinstance(regularizer, keras.regularizers.Regularizer):
                found.update(_configured_tensors(regularizer, f"{place}/{name}"))
        sublayers = getattr(layer, "layers", None)
        if isinstance(sublayers, (list, tuple)):
            stack.extend((f"{place}/{i}", sub) for i, sub in enumerate(sublayers))
    return found


def _configured_tensors(regularizer: Any, place: str) -> dict[str, Any]:
    """`regularizer`'s scalar tensor attributes that equal the entry of the same name in its configuration."""
    try:
        config = regularizer.get_config()
    except (NotImplementedError, TypeError, ValueError):
        return {}
    found = {}
    for name, value in sorted(getattr(regularizer, "__dict__", {}).items()):
        if not (hasattr(value, "numpy") and hasattr(value, "dtype") and getattr(value, "shape", None) == ()):
            continue
        if isinstance(config.get(name), (int, float)) and _value(value) == float(config[name]):
            found[f"{place}.{name}"] = value
    return found


def _value(tensor: Any) -> float | None:
    try:
        return float(tensor.numpy())
    except (TypeError, ValueError, AttributeError):  # a symbolic tensor, or not a number
        return None


class _Trace:
    """A traced epoch and where each of its captured inputs sits in its run: a position in its variable
    list, or the place of a regularizer's constant (`_constants`), with the constant's value."""

    def __init__(
        self,
        function: Any,
        call: Callable[[list, list], Any],
        positions: list[int | str],
        layout: list[tuple],
        constants: dict[str, tuple],
    ):
        self.function, self.call, self.positions, self.layout = function, call, positions, layout
        self.constants = constants

    @classmethod
    def of(cls, function: Any, variables: list, constants: dict[str, Any]) -> _Trace | None:
        """The reusable record of `function` traced over `variables` and `constants`; None if it captured
        anything else."""
        call = _tf_internals.call_with_captures(function)
        if call is None:  # a TensorFlow without it, or the internals off: every run traces
            return None
        index: dict[int, int | str] = {id(v.handle): i for i, v in enumerate(variables)}
        index.update({id(t): place for place, t in constants.items()})
        positions = [index.get(id(c)) for c in function.captured_inputs]
        if None in positions:
            return None
        used = {p: _constant_layout(constants[p]) for p in positions if isinstance(p, str)}
        return cls(function, call, positions, _layout(variables), used)

    def captures_for(self, variables: list, constants: dict[str, Any]) -> list | None:
        """The captured inputs that bind this trace to `variables` and `constants`; None if they are laid
        out otherwise, or a constant it captured is missing or has another value."""
        if _layout(variables) != self.layout:
            return None
        for place, layout in self.constants.items():
            if place not in constants or _constant_layout(constants[place]) != layout:
                return None
        return [constants[p] if isinstance(p, str) else variables[p].handle for p in self.positions]


def _constant_layout(tensor: Any) -> tuple:
    return (tensor.dtype, tuple(tensor.shape), _value(tensor))


def _layout(variables: list) -> list[tuple]:
    return [(v.name, tuple(v.shape), v.dtype) for v in variables]
