"""`tf.data` pipelines over a CSV file: one split's rows, preprocessed with Keras layers, batched.

Per `READ_BATCH` rows: read and type them (`_csv_stream.chunks`), keep the split's rows (by the seeded
row hash), hand them to TensorFlow (`tf.data.Dataset.from_generator`, in file order), compute the
features with the `TabularFeatures` layer of the streamed preprocessing spec (impute, scale, one-hot:
the layer the in-memory road and the saved model use) and encode the target. Then rows are
re-batched to the training batch size, through a seeded shuffle buffer for training. Memory: the
shuffle buffer (`shuffle_buffer` rows of `n_features` float32) plus a few chunks in flight, whatever
the size of the file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.streaming import _csv_stream
from kerasrecipes.streaming._statistics import StreamStatistics


class Preprocessor:
    """The rows of a decoded chunk as the model's raw inputs, and its target encoded for training.

    The features come from the same `TabularFeatures` layer (built from `stats.preprocessing`) that
    the in-memory road and the run's saved model use; this class only hands it the raw columns as
    `data._column_types` read them: numbers as float32 (NaN = missing), text with missing cells as "".

    Args:
        stats: the `StreamStatistics` of the file (from `scan_csv`).
    """

    def __init__(self, stats: StreamStatistics):
        from kerasrecipes.data import _feature_layers

        self.stats = stats
        inputs = {c["name"]: c["input"] for c in stats.preprocessing["columns"]}
        self._numeric = [(inputs[c], j) for j, c in enumerate(stats.layout.numeric)]  # the decoded columns' order
        self._categorical = [(inputs[c], j) for j, c in enumerate(stats.layout.categorical)]
        self.layer = _feature_layers.TabularFeatures(stats.preprocessing)
        classes = stats.classes or ()
        self._codes = {c: i for i, c in enumerate(classes)}

    def signature(self) -> dict[str, Any]:
        import tensorflow as tf

        spec = {name: tf.TensorSpec([None], tf.float32, name=name) for name, _ in self._numeric}
        spec.update({name: tf.TensorSpec([None], tf.string, name=name) for name, _ in self._categorical})
        return spec

    def raw(self, d: dict[str, Any], keep: np.ndarray) -> dict[str, np.ndarray]:
        """The model's raw inputs (by input name) of the kept rows of a decoded chunk."""
        out = {name: d["numeric"][keep, j].astype(np.float32) for name, j in self._numeric}
        out.update({name: d["categorical"][j][keep] for name, j in self._categorical})
        return out

    def target(self, d: dict[str, Any], keep: np.ndarray) -> np.ndarray:
        y, target = d["target"][keep], self.stats.target
        if self.stats.task == "regression":
            return ((y.astype(np.float64) - target["mean"]) / target["std"]).astype(np.float32)
        key = (lambda v: float(v)) if self.stats.layout.target_numeric else str
        return np.array([self._codes[key(v)] for v in y], dtype=np.int32)

    def keep(self, d: dict[str, Any]) -> np.ndarray:
        keep = ~d["target_missing"]
        if self.stats.imputation == "drop":
            keep &= ~np.isnan(d["numeric"]).any(axis=1) & ~d["categorical_missing"].any(axis=1)
        return keep


def make_dataset(
    stats: StreamStatistics,
    split: str,
    *,
    batch_size: int,
    shuffle_buffer: int | None = None,
    seed: int | None = None,
    raw: bool = False,
):
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

    Examples:
        >>> import pathlib, tempfile
        >>> from kerasrecipes.streaming import scan_csv
        >>> csv_path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
        >>> _ = csv_path.write_text("a,color,y\\n" + "".join(f"{i},{'rb'[i % 2]},{i % 2}\\n" for i in range(40)))
        >>> x, y = next(iter(make_dataset(scan_csv(csv_path, "y", seed=0), "train", batch_size=8)))
        >>> tuple(x.shape), y.dtype.name
        ((8, 3), 'int32')
    """
    import tensorflow as tf

    code = _csv_stream.SPLITS[_validation.check("split", split, _validation.options(*_csv_stream.SPLITS))]
    _validation.check("batch_size", batch_size, _validation.Interval("integer", 1))
    if shuffle_buffer is not None:
        _validation.check("shuffle_buffer", shuffle_buffer, _validation.Interval("integer", 0))
    pre = Preprocessor(stats)
    fractions = (stats.validation_fraction, stats.test_fraction)
    target_spec = tf.TensorSpec([None], tf.float32 if stats.task == "regression" else tf.int32)

    def rows_of_split():
        for rows, decoded in _csv_stream.chunks(stats.layout):
            keep = pre.keep(decoded) & (_csv_stream.split_codes(rows, stats.seed, *fractions) == code)
            yield pre.raw(decoded, keep) if raw else (pre.raw(decoded, keep), pre.target(decoded, keep))

    def features(x, y):  # in the graph: the preprocessing layer
        return pre.layer(x), y

    signature = pre.signature() if raw else (pre.signature(), target_spec)
    ds = tf.data.Dataset.from_generator(rows_of_split, output_signature=signature)
    ds = ds.unbatch() if raw else ds.map(features).unbatch()
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=stats.seed if seed is None else seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    ds = ds.apply(tf.data.experimental.assert_cardinality(_csv_stream.n_batches(stats.n_rows[split], batch_size)))
    return ds.prefetch(tf.data.AUTOTUNE)
