"""`CsvStream`: a CSV file streamed from disk, as a `DataSource` that `train` and `reproduce` take.

`prepare` runs the one streaming pass (`scan_csv`) and returns a `StreamedData`: the pass's
statistics plus the `tf.data` pipelines every epoch, the evaluation and the saved model's check
stream through. The file is never loaded whole.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.data._sources import DataSource, _check_unchanged, refuse_folds
from kerasrecipes.errors import UserError
from kerasrecipes.streaming._statistics import StreamStatistics

EVAL_BATCH = 4096
"""Rows per batch when validating and testing."""

_UNSUPPORTED = {
    "imputation": ({"median", "most_frequent"}, "A median needs every value in memory; use imputation=mean or drop"),
    "imbalance": ({"downsample"}, "Use imbalance=class_weight (weights from the streamed class counts)"),
    "gradient_descent": ({"batch"}, "One batch of every training row is the whole file in memory; use minibatch"),
    "execution": ({"fast"}, "The fast road compiles epochs over in-memory arrays; streaming uses model.fit"),
    "distribute": ({"mirrored", "multi_worker"}, "Streaming trains on one device; use distribute=none"),
}


class CsvStream(DataSource):
    """A CSV file streamed through `tf.data`: one statistics pass, then every epoch streams it again.

    Args:
        path: the CSV file (header first; quoted fields may span lines).
        target: the column to predict.
        shuffle_buffer: rows held by the seeded shuffle buffer of each training epoch (memory:
            rows x features x 4 bytes); 0 trains in file order. Defaults to `10_000`.
        na_values: extra strings read as missing. Defaults to `None`.
        drop: columns to leave out. Defaults to `None`.
        categorical: numeric-looking columns to read as text categories. Defaults to `None`.
        delimiter: field separator. Defaults to `None` (detected from the header).

    Examples:
        >>> import pathlib, tempfile
        >>> csv_path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
        >>> _ = csv_path.write_text("a,b,y\\n" + "".join(f"{i % 7},{i % 5},{int(i % 7 > 3)}\\n" for i in range(200)))
        >>> from kerasrecipes import train
        >>> result = train(CsvStream(csv_path, "y"), recipe={"epochs": 2}, seed=0, tracking="none", verbose=0)
        >>> result.scenario.name, sorted(result.test_metrics)[:2]
        ('binary-small-dataset', ['accuracy', 'auc'])
    """

    defaults = {"imputation": "mean", "execution": "fit"}

    def __init__(
        self,
        path: str | os.PathLike,
        target: str,
        *,
        shuffle_buffer: int = 10_000,
        na_values: Sequence[str] | None = None,
        drop: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        delimiter: str | None = None,
    ) -> None:
        from kerasrecipes.data._csv import check_csv_arguments

        check_csv_arguments(path, target, delimiter)
        self.path, self.target = os.fspath(path), target
        self.shuffle_buffer = _validation.check("shuffle_buffer", shuffle_buffer, _validation.Interval("integer", 0))
        self.na_values, self.drop = list(na_values or ()), list(drop or ())
        self.categorical = list(categorical or ())
        self.delimiter = delimiter
        self.name = Path(self.path).stem
        self._sha256: str | None = None

    def check_recipe(self, recipe: Any) -> None:
        refuse_folds(recipe)
        for field, (refused, fix) in _UNSUPPORTED.items():
            value = getattr(recipe, field, None)
            if value in refused:
                raise UserError(_validation.invalid(field, "a value the streaming road supports", value, fix=fix))
        if recipe.task in ("cnn", "rnn"):
            raise UserError(
                _validation.invalid("task", "'auto', 'regression', 'binary' or 'multiclass' for CSV rows", recipe.task)
            )

    def prepare(self, recipe: Any, *, task: str, verbose: int = 0) -> StreamedData:
        from kerasrecipes.recipes import _table
        from kerasrecipes.streaming._scan import scan_csv

        def option(name: str) -> Any:
            value = getattr(recipe, name)
            return _table.BASE_DEFAULTS[name] if value is None else value

        stats = scan_csv(
            self.path,
            self.target,
            seed=option("seed"),
            task=task,
            validation_fraction=option("validation_fraction"),
            test_fraction=option("test_fraction"),
            scaling=option("scaling"),
            imputation=option("imputation"),
            categorical=self.categorical,
            drop=self.drop,
            na_values=self.na_values,
            delimiter=self.delimiter,
            progress=bool(verbose),
        )
        imbalance = option("imbalance")
        if imbalance == "class_weight" and stats.task == "regression":
            raise UserError(
                _validation.invalid("imbalance", "'none' for a regression target (it balances classes)", imbalance)
            )
        self._sha256 = stats.sha256
        return StreamedData(stats, self.shuffle_buffer, class_weighted=imbalance == "class_weight")

    def describe(self) -> dict[str, Any]:
        from kerasrecipes._io import sha256_file

        if self._sha256 is None:  # the scan hashes the file as it reads it; before one, hash it here
            self._sha256 = sha256_file(self.path)
        return {
            "kind": "csv-stream",
            "path": str(Path(self.path).resolve()),
            "sha256": self._sha256,
            "target": self.target,
            "delimiter": self.delimiter,
            "shuffle_buffer": self.shuffle_buffer,
            "na_values": self.na_values,
            "drop": self.drop,
            "categorical": self.categorical,
        }

    @classmethod
    def from_description(cls, source: Mapping[str, Any]) -> CsvStream:
        """The stream a manifest's `data.source` describes (the file must be unchanged)."""
        _check_unchanged(source)
        return cls(
            source["path"],
            source["target"],
            shuffle_buffer=source["shuffle_buffer"],
            na_values=source.get("na_values"),
            drop=source.get("drop"),
            categorical=source.get("categorical"),
            delimiter=source.get("delimiter"),
        )


class StreamedData:
    """A streamed CSV file prepared for a recipe (the `data._sources.Prepared` interface).

    Attributes: those of `Prepared`, and `stats`, the `StreamStatistics` of the pass.
    """

    def __init__(self, stats: StreamStatistics, shuffle_buffer: int, *, class_weighted: bool = False) -> None:
        self.stats, self.shuffle_buffer = stats, shuffle_buffer
        self.task, self.classes = stats.task, stats.classes
        self.preprocessing, self.target = stats.preprocessing, stats.target
        self.input_shape, self.feature_names_out = stats.input_shape, stats.feature_names_out
        self.class_weight = None
        if class_weighted:
            counts, n_train = np.asarray(stats.class_counts, np.float64), stats.n_rows["train"]
            self.class_weight = {i: float(n_train / (len(counts) * c)) if c else 0.0 for i, c in enumerate(counts)}

    @property
    def n_rows(self) -> dict[str, int]:
        return dict(self.stats.n_rows)

    def target_info(self) -> Any:
        return self.stats.target_info()

    def arrays(self) -> None:
        return None  # never in memory

    def datasets(self, batch_size: int, seed: int) -> tuple[Any, Any]:
        from kerasrecipes.streaming._pipeline import make_dataset

        return (
            make_dataset(self.stats, "train", batch_size=batch_size, shuffle_buffer=self.shuffle_buffer, seed=seed),
            make_dataset(self.stats, "val", batch_size=EVAL_BATCH),
        )

    def test_batches(self, batch_size: int):
        from kerasrecipes.streaming._pipeline import make_dataset

        return iter(make_dataset(self.stats, "test", batch_size=batch_size))

    def raw_test_batches(self, batch_size: int):
        from kerasrecipes.streaming._pipeline import make_dataset

        return iter(make_dataset(self.stats, "test", batch_size=batch_size, raw=True))

    def baseline_loss(self, loss: str) -> float | None:
        """The trivial predictor's training loss from the streamed counts (None when it needs a median)."""
        from kerasrecipes.callbacks.fit_diagnosis import EPSILON

        if self.task == "regression":
            return 1.0 if loss in ("mean_squared_error", "mse") else None  # standardized target: variance 1
        if loss not in ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"):
            return None
        counts = np.asarray(self.stats.class_counts, np.float64)
        p = np.clip(counts / counts.sum(), EPSILON, 1 - EPSILON)
        if loss == "binary_crossentropy":
            return float(-(p[1] * np.log(p[1]) + (1 - p[1]) * np.log(1 - p[1])))
        return float(-np.sum(p * np.log(p)))

    def class_frequencies(self) -> np.ndarray | None:
        """Each class's share of the training rows, from the streamed counts (None for a regression)."""
        if self.stats.class_counts is None:
            return None
        counts = np.asarray(self.stats.class_counts, np.float64)
        return counts / counts.sum()

    def describe(self) -> dict[str, Any]:
        return {**self.stats.describe(), "shuffle_buffer": self.shuffle_buffer, "eval_batch_size": EVAL_BATCH}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()
