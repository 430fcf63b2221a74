"""`tf.data` pipelines over a CSV file: one split's rows, preprocessed with Keras layers, batched.

Per `READ_BATCH` lines: keep the split's rows (by the seeded row hash, before decoding), decode
them, compute the features with the `TabularFeatures` layer of the streamed preprocessing spec
(impute, scale, one-hot: the layer the in-memory road and the saved model use) and encode the
target. Then
rows are re-batched to the training batch size, through a seeded shuffle buffer for training.
Memory: the shuffle buffer (`shuffle_buffer` rows of `n_features` float32) plus a few read
batches in flight, whatever the size of the file.
"""

from __future__ import annotations

from typing import Any

from kerasrecipes import _validation
from kerasrecipes.data._preprocessing import MISSING_TEXT
from kerasrecipes.streaming import _source
from kerasrecipes.streaming._statistics import StreamStatistics


class Preprocessor:
    """Decode and preprocess a batch of CSV lines into (features float32, target) with Keras layers.

    The features come from the same `TabularFeatures` layer (built from `stats.preprocessing`) that
    the in-memory road and the run's saved model use; the decoder only hands it the raw columns:
    numbers as float32 (NaN = missing), text with missing cells as "".

    Args:
        stats: the `StreamStatistics` of the file (from `scan_csv`).
    """

    def __init__(self, stats: StreamStatistics):
        import keras

        from kerasrecipes.data import _layers

        self.stats = stats
        self.decoder = _source.Decoder(stats.layout)
        inputs = {c["name"]: c["input"] for c in stats.preprocessing["columns"]}
        self._numeric = [inputs[c] for c in stats.layout.numeric]
        self._categorical = [inputs[c] for c in stats.layout.categorical]
        self.layer = _layers.TabularFeatures(stats.preprocessing)
        self.target_lookup = None
        if stats.classes is not None and not stats.layout.target_numeric:
            self.target_lookup = keras.layers.StringLookup(vocabulary=list(stats.classes), num_oov_indices=0)

    def raw(self, d: dict[str, Any]) -> dict[str, Any]:
        """The model's raw inputs (by input name) from a decoded batch."""
        import tensorflow as tf

        out = {name: tf.cast(d["numeric"][:, j], tf.float32) for j, name in enumerate(self._numeric)}
        for j, name in enumerate(self._categorical):
            out[name] = tf.where(d["categorical_missing"][:, j], MISSING_TEXT, d["categorical"][j])
        return out

    def features(self, d: dict[str, Any]):
        return self.layer(self.raw(d))

    def target(self, d: dict[str, Any]):
        import tensorflow as tf

        y, target = d["target"], self.stats.target
        if self.stats.task == "regression":
            return tf.cast((y - target["mean"]) / target["std"], tf.float32)
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

    def raw_rows(self, lines):
        """The saved model's raw inputs of the usable rows among `lines` (the rows `__call__` keeps)."""
        import tensorflow as tf

        d = self.decoder(lines)
        keep = self.keep(d)
        return {name: tf.boolean_mask(value, keep) for name, value in self.raw(d).items()}


def make_dataset(stats: StreamStatistics, split: str, *, batch_size: int, shuffle_buffer: int | None = None,
                 seed: int | None = None, raw: bool = False):
    """A `tf.data.Dataset` of (x, y) batches of one split, streamed from the CSV file.

    Args:
        stats: the `StreamStatistics` from `scan_csv` (fixes the split, scaling and vocabularies).
        split: "train", "val" or "test".
        batch_size: rows per batch (the last batch may be smaller).
        shuffle_buffer: rows in the shuffle buffer; None or 0 keeps file order. Defaults to `None`.
        seed: seed of the shuffle (each epoch reshuffles, the same way for the same seed).
            Defaults to `None` (then `stats.seed`).
        raw: yield the saved model's raw inputs (a dict by input name) instead of (x, y), for the
            same rows in the same batches. Defaults to `False`.

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

    convert = pre.raw_rows if raw else pre

    def rows_of_split(rows, lines):
        return convert(tf.boolean_mask(lines, tf.equal(_source.split_codes_tf(rows, stats.seed, *fractions), code)))

    ds = _source.line_batches(stats.layout).map(rows_of_split, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.unbatch()
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=stats.seed if seed is None else seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    ds = ds.apply(tf.data.experimental.assert_cardinality(_source.n_batches(stats.n_rows[split], batch_size)))
    return ds.prefetch(tf.data.AUTOTUNE)
