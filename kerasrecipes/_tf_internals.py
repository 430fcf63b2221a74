"""Every private TensorFlow or Keras name the package uses, each behind a feature check with a public fallback.

Small data is dominated by framework overhead, and a few of TensorFlow's internals remove much of
it. They all live here, so that an upgrade that renames one breaks one function, not the package:

| internal | what it buys | fallback where it is missing or switched off |
|---|---|---|
| `ConcreteFunction._call_flat` with other captures | a kept trace serves the next run of the same graph | every run traces (slower first epoch, same weights) |
| `context.function_executor_type` | the single-threaded executor for small steps | TensorFlow's default executor |
| `_pywrap_util_port.IsMklEnabled` | whether oneDNN's kernels run, for the executor choice and the manifest | `TF_ENABLE_ONEDNN_OPTS`, else TensorFlow's CPU rule |
| `ops._gradient_registry` | traced graphs are freed after a run (tensorflow#97697) | nothing is released (memory grows per new graph) |
| `pywrap_tfe.TFE_ContextClearCaches` | seeding keeps the kernel cache | the cache is cleared (slower, same weights) |
| `Metric._direction`, `Metric._built` | a metric's direction; whether it builds on first update | the name decides; an eager update |

`KERASRECIPES_TF_INTERNALS=off` switches all of them off (`enabled()`); `tests/test_tf_internals.py`
runs the core training, resume and sweep tests that way and gets the same weights, and names the
internal that changed when an upgrade breaks one (`canaries()`). Keras' own private hooks that
`callbacks.EarlyStopping` overrides (`_set_monitor_op`, `_is_improvement`) are checked there too.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

ENV = "KERASRECIPES_TF_INTERNALS"
"""Set to "off" (or "0") to use the public fallbacks only."""
SINGLE_THREADED = "SINGLE_THREADED_EXECUTOR"
"""TensorFlow's executor that runs a function's operations one at a time, in order, on the calling thread."""
ONEDNN_CPU_FLAGS = ("avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16")
"""The CPU features on which TensorFlow (2.x on Linux x86-64) turns oneDNN on by default."""


def enabled() -> bool:
    """Whether the internals may be used (`KERASRECIPES_TF_INTERNALS` is not "off" or "0")."""
    return os.environ.get(ENV, "").strip().lower() not in ("off", "0", "false", "no")


# -- oneDNN -----------------------------------------------------------------------------------------------------
def onednn_enabled() -> bool:
    """Whether TensorFlow runs oneDNN's CPU kernels in this process (its own answer where it gives one)."""
    if enabled():
        try:
            from tensorflow.python.util import _pywrap_util_port

            return bool(_pywrap_util_port.IsMklEnabled())
        except (ImportError, AttributeError):
            pass
    return onednn_by_rule()


def onednn_by_rule(environ: Any = None, flags: Any = None) -> bool:
    """TensorFlow's documented rule: `TF_ENABLE_ONEDNN_OPTS` if set, else on for the CPU features above."""
    value = (os.environ if environ is None else environ).get("TF_ENABLE_ONEDNN_OPTS")
    if value is not None and value.strip() != "":
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(set(cpu_flags() if flags is None else flags) & set(ONEDNN_CPU_FLAGS))


def cpu_flags() -> list[str]:
    """The CPU's feature flags that decide TensorFlow's kernels (from /proc/cpuinfo; empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return sorted(set(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return []


# -- executors ----------------------------------------------------------------------------------------------------
def single_threaded_available() -> bool:
    """Whether `executor_scope(SINGLE_THREADED)` can pick TensorFlow's single-threaded executor."""
    if not enabled():
        return False
    try:
        from tensorflow.python.eager import context
    except ImportError:
        return False
    return hasattr(context, "function_executor_type")


def executor_scope(executor: str | None) -> Any:
    """Functions called (and `while_loop`s built) inside run on `executor`; None changes nothing.

    TensorFlow's own switch (`while_v2` reads it too); the context's call options are per thread.
    """
    if executor is None or not single_threaded_available():
        return contextlib.nullcontext()
    from tensorflow.python.eager import context

    return context.function_executor_type(executor)


def refused_by_executor(error: BaseException) -> bool:
    """Whether `error` is the single-threaded executor refusing a graph (then the default one runs it)."""
    return "Single-threaded executor" in str(error)


# -- kept traces ------------------------------------------------------------------------------------------------
def call_with_captures(function: Any) -> Callable[[list, list], Any] | None:
    """`call(flat_args, captures)`: `function` run with other captured inputs; None where it cannot be."""
    if not enabled() or not callable(getattr(function, "_call_flat", None)):
        return None
    return function._call_flat


# -- the gradient registry --------------------------------------------------------------------------------------
def gradient_registry() -> dict | None:
    """TensorFlow's process-wide registry of gradient functions (name -> function), or None."""
    if not enabled():
        return None
    try:
        from tensorflow.python.framework import ops
    except ImportError:
        return None
    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


def func_graphs(roots: tuple, depth: int = 4) -> list:
    """The FuncGraphs of `roots` (FuncGraphs, ConcreteFunctions, `tf.function`s, or Python functions whose
    closures hold those), each with the functions nested in it."""
    out, seen, stack = [], set(), [(r, depth) for r in roots]
    while stack:
        obj, left = stack.pop()
        if obj is None or id(obj) in seen or left < 0:
            continue
        seen.add(id(obj))
        if hasattr(obj, "get_operations") and hasattr(obj, "_functions"):  # a FuncGraph
            out.append(obj)
            stack.extend((getattr(f, "_cached_graph", None), left) for f in obj._functions.values())
        elif hasattr(obj, "_list_all_concrete_functions"):  # a tf.function, and the Python function it wraps
            stack.extend((c, left) for c in obj._list_all_concrete_functions())
            stack.append((getattr(obj, "python_function", None), left - 1))
        elif hasattr(obj, "graph") and hasattr(obj, "_call_flat"):  # a ConcreteFunction
            stack.append((obj.graph, left))
        elif callable(obj):
            cells = getattr(obj, "__closure__", None) or ()
            stack.extend((c.cell_contents, left - 1) for c in cells if _filled(c) and callable(c.cell_contents))
            stack.append((getattr(obj, "__wrapped__", None), left - 1))
    return out


def _filled(cell: Any) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:  # an empty cell
        return False
    return True


# -- the kernel cache -------------------------------------------------------------------------------------------
@contextlib.contextmanager
def kernel_cache_kept() -> Iterator[None]:
    """For this thread, make TensorFlow's `TFE_ContextClearCaches` do nothing until the block ends.

    No public TensorFlow API seeds without clearing the cache: `tf.random.set_seed` and
    `clear_session` both reach `pywrap_tfe.TFE_ContextClearCaches`. Where that name is missing, or
    the internals are off, nothing is patched and the cache is cleared: only the time differs.
    Other threads still clear.
    """
    if not enabled():
        yield
        return
    try:
        from tensorflow.python import pywrap_tfe
        from tensorflow.python.eager import context
    except ImportError:
        yield
        return
    original = getattr(pywrap_tfe, "TFE_ContextClearCaches", None)
    if original is None or getattr(context, "pywrap_tfe", None) is not pywrap_tfe:
        yield
        return
    me = threading.get_ident()

    def clear_unless_mine(handle: object) -> None:
        if threading.get_ident() != me:
            original(handle)

    with _PATCH_LOCK:
        pywrap_tfe.TFE_ContextClearCaches = clear_unless_mine
        try:
            yield
        finally:
            pywrap_tfe.TFE_ContextClearCaches = original


_PATCH_LOCK = threading.Lock()


# -- Keras layers and metrics -----------------------------------------------------------------------------------
def metric_direction(metric: Any) -> str | None:
    """ "up" or "down" as Keras' metric says (its private `_direction`), or None."""
    direction = getattr(metric, "_direction", None) if enabled() else None
    return direction if direction in ("up", "down") else None


def builds_on_first_update(metric: Any) -> bool:
    """Whether a metric creates its variables on its first update (Keras' `_built` is False); True when unknown."""
    if not enabled():
        return True
    return not getattr(metric, "_built", True)


# -- canaries -----------------------------------------------------------------------------------------------------
def canaries() -> dict[str, bool]:
    """Each internal by name: True where this TensorFlow and Keras still have it as this module uses it."""
    import keras
    import tensorflow as tf

    found: dict[str, bool] = {}
    try:
        from tensorflow.python.util import _pywrap_util_port

        found["_pywrap_util_port.IsMklEnabled"] = callable(getattr(_pywrap_util_port, "IsMklEnabled", None))
    except ImportError:
        found["_pywrap_util_port.IsMklEnabled"] = False
    try:
        from tensorflow.python.eager import context

        found["context.function_executor_type"] = hasattr(context, "function_executor_type")
    except ImportError:
        found["context.function_executor_type"] = False
    concrete = tf.function(lambda x: x + 1.0).get_concrete_function(tf.TensorSpec([], tf.float32))
    found["ConcreteFunction._call_flat"] = callable(getattr(concrete, "_call_flat", None))
    try:
        from tensorflow.python.framework import ops

        found["ops._gradient_registry._registry"] = isinstance(
            getattr(getattr(ops, "_gradient_registry", None), "_registry", None), dict
        )
    except ImportError:
        found["ops._gradient_registry._registry"] = False
    try:
        from tensorflow.python import pywrap_tfe
        from tensorflow.python.eager import context as eager_context

        found["pywrap_tfe.TFE_ContextClearCaches"] = (
            callable(getattr(pywrap_tfe, "TFE_ContextClearCaches", None))
            and getattr(eager_context, "pywrap_tfe", None) is pywrap_tfe
        )
    except ImportError:
        found["pywrap_tfe.TFE_ContextClearCaches"] = False
    found["Metric._direction"] = getattr(keras.metrics.AUC(), "_direction", None) == "up"
    found["Metric._built"] = hasattr(keras.metrics.R2Score(), "_built")
    for name in ("_set_monitor_op", "_is_improvement"):
        found[f"keras.callbacks.EarlyStopping.{name}"] = callable(getattr(keras.callbacks.EarlyStopping, name, None))
    return found
