"""`StreamStatistics`: what the streaming pass learned about a CSV file, fitted on its training rows."""

from __future__ import annotations

import dataclasses
from typing import Any

from kerasrecipes.recipes import _inference
from kerasrecipes.streaming import _source


@dataclasses.dataclass(frozen=True)
class StreamStatistics:
    """Everything the streaming pass learned; the input of `make_dataset` and the run manifest.

    Feature order: the kept numeric columns, then a missing-value indicator per numeric column
    with missing training values (`imputation="mean"`), then the one-hot block of each categorical
    column (categories in sorted order), the same order as the in-memory `ColumnTransformer`.
    `scale_mean`/`scale_variance` are what `keras.layers.Normalization` gets for the numeric and
    indicator columns.
    """

    layout: _source.CsvLayout
    sha256: str
    size_bytes: int
    seed: int
    validation_fraction: float
    test_fraction: float
    scaling: str
    imputation: str
    task: str
    classes: tuple | None
    class_counts: tuple[int, ...] | None
    n_rows: dict
    n_rows_read: int
    dropped_rows: int
    dropped_incomplete_rows: int
    dropped_columns: tuple[str, ...]
    impute_values: tuple[float, ...]
    indicators: tuple[str, ...]
    scale_mean: tuple[float, ...]
    scale_variance: tuple[float, ...]
    vocabularies: tuple[tuple[str, ...], ...]
    modes: tuple[str, ...]
    target_mean: float | None
    target_std: float | None
    target_note: str | None = None

    @property
    def feature_names_out(self) -> tuple[str, ...]:
        names = [*self.layout.numeric, *(f"missingindicator_{c}" for c in self.indicators)]
        for column, vocabulary in zip(self.layout.categorical, self.vocabularies):
            names.extend(f"{column}_{v}" for v in vocabulary)
        return tuple(names)

    @property
    def input_shape(self) -> tuple[int]:
        return (len(self.feature_names_out),)

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    def target_info(self) -> _inference.TargetInfo:
        """The `TargetInfo` `build_model` needs (n_samples: all rows with a target, as in memory)."""
        total = sum(self.n_rows.values())
        if self.task == "regression":
            return _inference.TargetInfo("regression", "continuous", None, "continuous", 1, "tabular", total,
                                         self.input_shape, note=self.target_note)
        k = len(self.classes)
        kind = "binary" if k == 2 else "multiclass"
        return _inference.TargetInfo(kind, kind, k, "sparse", 1 if k == 2 else k, "tabular", total, self.input_shape,
                                     note=self.target_note)

    def describe(self) -> dict[str, Any]:
        """JSON-serializable description (the manifest's `data` and `preprocessing`)."""
        return {
            "kind": "csv-stream", "path": self.layout.path, "sha256": self.sha256, "size_bytes": self.size_bytes,
            "target": self.layout.target, "delimiter": self.layout.delimiter, "task": self.task,
            "n_rows_read": self.n_rows_read, "dropped_rows": self.dropped_rows,
            "dropped_incomplete_rows": self.dropped_incomplete_rows, "dropped_columns": list(self.dropped_columns),
            "n_rows": dict(self.n_rows), "seed": self.seed, "validation_fraction": self.validation_fraction,
            "test_fraction": self.test_fraction,
            "split": "row i: test if u(seed, i) < test_fraction, else val if u < test_fraction + validation_fraction, "
                     "else train; u = SplitMix64 of (seed, i) in [0, 1)",
            "preprocessing": {
                "scaling": self.scaling, "imputation": self.imputation,
                "numeric_columns": list(self.layout.numeric), "impute_values": list(self.impute_values),
                "indicators": list(self.indicators), "scale_mean": list(self.scale_mean),
                "scale_variance": list(self.scale_variance),
                "categorical_columns": list(self.layout.categorical),
                "vocabularies": {c: list(v) for c, v in zip(self.layout.categorical, self.vocabularies)},
                "modes": dict(zip(self.layout.categorical, self.modes)),
                "classes": None if self.classes is None else list(self.classes),
                "class_counts_train": None if self.class_counts is None else list(self.class_counts),
                "target_mean": self.target_mean, "target_std": self.target_std,
                "feature_names_out": list(self.feature_names_out),
            },
        }
