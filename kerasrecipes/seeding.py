"""One call for seeded, deterministic runs."""

from __future__ import annotations

from kerasrecipes._validation import Interval, check

MAX_SEED = 2**32 - 1


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

    Example:
        >>> set_seed(7)
        7
    """
    seed = check("seed", seed, Interval("integer", 0, MAX_SEED))
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed
