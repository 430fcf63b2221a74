"""`tf.data` pipelines over a CSV file: one split's rows, preprocessed with Keras layers, batched.

Per `READ_BATCH` lines: keep the split's rows (by the seeded row hash, before decoding), decode
them, impute, scale (`keras.layers.Normalization` with the streamed mean and variance), one-hot
encode (`keras.layers.StringLookup` with the streamed vocabulary) and encode the target. Then
rows are re-batched to the training batch size, through a seeded shuffle buffer for training.
Memory: the shuffle buffer (`shuffle_buffer` rows of `n_features` float32) plus a few read
batches in flight, whatever the size of the file.
"""

from __future__ import annotations

from typing import Any

from kerasrecipes import _validation
from kerasrecipes.streaming import _source
from kerasrecipes.streaming._statistics import StreamStatistics

UNSEEN = "[unseen category]"
"""StringLookup's out-of-vocabulary token; its one-hot column is dropped, so categories not seen
in the training rows encode as all zeros (like `OneHotEncoder(handle_unknown="ignore")`)."""


class Preprocessor:
    """Decode and preprocess a batch of CSV lines into (features float32, target) with Keras layers.

    Args:
        stats: the `StreamStatistics` of the file (from `scan_csv`).
    """

    def __init__(self, stats: StreamStatistics):
        import keras
        import numpy as np

        self.stats = stats
        self.decoder = _source.Decoder(stats.layout)
        layout = stats.layout
        self._indicators = [layout.numeric.index(c) for c in stats.indicators]
        self._impute = np.asarray(stats.impute_values, np.float64)
        self.normalization = None
        if stats.scaling != "none" and stats.scale_mean:
            self.normalization = keras.layers.Normalization(mean=np.asarray(stats.scale_mean),
                                                            variance=np.asarray(stats.scale_variance), dtype="float64")
        self.lookups = [keras.layers.StringLookup(vocabulary=list(v), output_mode="one_hot", oov_token=UNSEEN)
                        for v in stats.vocabularies]
        self.target_lookup = None
        if stats.classes is not None and not layout.target_numeric:
            self.target_lookup = keras.layers.StringLookup(vocabulary=list(stats.classes), num_oov_indices=0)

    def features(self, d: dict[str, Any]):
        import tensorflow as tf

        x = d["numeric"]
        missing = tf.math.is_nan(x)
        parts = [tf.where(missing, self._impute, x)]
        if self._indicators:
            parts.append(tf.cast(tf.gather(missing, self._indicators, axis=1), tf.float64))
        x = tf.concat(parts, axis=1)
        if self.normalization is not None:
            x = self.normalization(x)
        parts = [tf.cast(x, tf.float32)]
        for j, (lookup, mode) in enumerate(zip(self.lookups, self.stats.modes)):
            values = tf.where(d["categorical_missing"][:, j], mode, d["categorical"][j])
            parts.append(tf.cast(lookup(values), tf.float32)[:, 1:])
        return tf.concat(parts, axis=1)

    def target(self, d: dict[str, Any]):
        import tensorflow as tf

        y = d["target"]
        if self.stats.task == "regression":
            return tf.cast((y - self.stats.target_mean) / self.stats.target_std, tf.float32)
        if self.target_lookup is not None:
            return tf.cast(self.target_lookup(y), tf.int32)
        return tf.cast(tf.searchsorted(tf.constant(self.stats.classes, tf.float64), y), tf.int32)

    def keep(self, d: dict[str, Any]):
        import tensorflow as tf

        keep = ~d["blank"] & ~d["target_missing"]
        if self.stats.imputation == "drop":
            keep &= ~tf.reduce_any(tf.math.is_nan(d["numeric"]), axis=1)
            keep &= ~tf.reduce_any(d["categorical_missing"], axis=1)
        return keep

    def __call__(self, lines):
        """(x, y) of the usable rows among `lines`."""
        import tensorflow as tf

        d = self.decoder(lines)
        keep = self.keep(d)
        return tf.boolean_mask(self.features(d), keep), tf.boolean_mask(self.target(d), keep)


def make_dataset(stats: StreamStatistics, split: str, *, batch_size: int, shuffle_buffer: int | None = None,
                 seed: int | None = None):
    """A `tf.data.Dataset` of (x, y) batches of one split, streamed from the CSV file.

    Args:
        stats: the `StreamStatistics` from `scan_csv` (fixes the split, scaling and vocabularies).
        split: "train", "val" or "test".
        batch_size: rows per batch (the last batch may be smaller).
        shuffle_buffer: rows in the shuffle buffer; None or 0 keeps file order. Defaults to `None`.
        seed: seed of the shuffle (each epoch reshuffles, the same way for the same seed).
            Defaults to `None` (then `stats.seed`).

    Returns:
        A `tf.data.Dataset` whose cardinality is asserted from the scan (a file that changed since
        the scan fails loudly instead of training on other rows).

    Example:
        >>> import pathlib, tempfile
        >>> from kerasrecipes.streaming import scan_csv
        >>> csv_path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
        >>> _ = csv_path.write_text("a,color,y\\n" + "".join(f"{i},{'rb'[i % 2]},{i % 2}\\n" for i in range(40)))
        >>> x, y = next(iter(make_dataset(scan_csv(csv_path, "y", seed=0), "train", batch_size=8)))
        >>> tuple(x.shape), y.dtype.name
        ((8, 3), 'int32')
    """
    import tensorflow as tf

    code = _source.SPLITS[_validation.check("split", split, _validation.options(*_source.SPLITS))]
    _validation.check("batch_size", batch_size, _validation.Interval("integer", 1))
    if shuffle_buffer is not None:
        _validation.check("shuffle_buffer", shuffle_buffer, _validation.Interval("integer", 0))
    pre = Preprocessor(stats)
    fractions = (stats.validation_fraction, stats.test_fraction)

    def rows_of_split(rows, lines):
        return pre(tf.boolean_mask(lines, tf.equal(_source.split_codes_tf(rows, stats.seed, *fractions), code)))

    ds = _source.line_batches(stats.layout).map(rows_of_split, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.unbatch()
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=stats.seed if seed is None else seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    ds = ds.apply(tf.data.experimental.assert_cardinality(_source.n_batches(stats.n_rows[split], batch_size)))
    return ds.prefetch(tf.data.AUTOTUNE)
