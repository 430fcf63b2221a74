"""One call for seeded, deterministic runs."""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Callable
from typing import Any, TypeVar

from kerasrecipes import _tf_internals
from kerasrecipes._validation import Interval, check

MAX_SEED = 2**32 - 1
T = TypeVar("T")


def set_seed(seed: int, *, deterministic: bool = True) -> int:
    """Seed Python, NumPy, TensorFlow and Keras, and turn on TensorFlow op determinism.

    `keras.utils.set_random_seed` seeds `random`, NumPy, the backend and Keras' global
    `SeedGenerator` state; `tf.config.experimental.enable_op_determinism` makes the kernels
    themselves deterministic (same seed, same machine -> bit-identical weights).

    Args:
        seed: an integer in [0, 2**32 - 1].
        deterministic: also enable TensorFlow op determinism. Defaults to `True`.

    Returns:
        The seed used.

    Raises:
        ValueError: if `seed` is out of range; TypeError if it is not an integer.

    Examples:
        >>> set_seed(7)
        7
    """
    seed = check("seed", seed, Interval("integer", 0, MAX_SEED))
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        _STATE["determinism_enabled"] = True
    return seed


def keeps_global_random_state(function: Callable[..., T]) -> Callable[..., T]:
    """`function`, leaving Python's and NumPy's global random generators as it found them.

    A run seeds them (`set_seed`, through `keras.utils.set_random_seed`) so that it is reproducible;
    the caller's own `random.random()` and `np.random.rand()` then go on from where they were, as
    scikit-learn's estimators leave global state alone. TensorFlow's op determinism, once on, stays
    on for the process (TensorFlow has no public switch back), and so does its global seed.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        import numpy as np

        python_state, numpy_state = random.getstate(), np.random.get_state()
        try:
            return function(*args, **kwargs)
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)

    return wrapper


def fresh_run(seed: int, *, deterministic: bool = True, keep_kernels: bool = False) -> int:
    """Start a run from a clean slate: `keras.backend.clear_session(free_memory=False)`, then `set_seed`.

    Both empty TensorFlow's eager kernel cache, which holds every op and compiled function the
    process has set up; the next call of each sets it up again (for a kept trace of the fast road's
    epoch, Grappler's optimization and a new executor). The clear is how TensorFlow restarts the
    streams of stateful random kernels (`tf.random.uniform` without a stateless seed) when the seed
    is set again. A run of this package's code keeps no random state there: Keras' layers draw
    from their `SeedGenerator`s and the fast road shuffles with `stateless_uniform`; the one stateful
    op, `tf.random.shuffle` in the `tf.data` pipeline of `model.fit` on arrays, runs in a function
    traced anew for each dataset, so it gets a new kernel anyway. For such a run the clear changes
    nothing but the time: with `keep_kernels=True` the cache is kept and everything else is done as
    above (tested bit-identical to the full reset). It still clears where the cache could hold
    kernels made before op determinism was on.

    Args:
        seed: an integer in [0, 2**32 - 1].
        deterministic: also enable TensorFlow op determinism. Defaults to `True`.
        keep_kernels: keep TensorFlow's kernel cache. Only for runs without user code (a callback,
            a data source) that could draw from stateful random kernels. Defaults to `False`.

    Returns:
        The seed used.
    """
    import keras

    seed = check("seed", seed, Interval("integer", 0, MAX_SEED))
    # TensorFlow can only turn determinism on (publicly): once `set_seed` has, kernels made since are deterministic
    keep = keep_kernels and (_STATE["determinism_enabled"] or not deterministic)
    with _tf_internals.kernel_cache_kept() if keep else contextlib.nullcontext():
        keras.backend.clear_session(free_memory=False)
        return set_seed(seed, deterministic=deterministic)


def op_determinism_enabled() -> bool:
    """Whether `set_seed` has turned TensorFlow's op determinism on in this process (it stays on)."""
    return _STATE["determinism_enabled"]


_STATE = {"determinism_enabled": False}  # set_seed has turned TensorFlow op determinism on in this process
