"""`StreamStatistics`: what the streaming pass learned about a CSV file, fitted on its training rows."""

from __future__ import annotations

import dataclasses
from typing import Any

from kerasrecipes.data import _feature_spec, _target
from kerasrecipes.streaming import _csv_stream


@dataclasses.dataclass(frozen=True)
class StreamStatistics:
    """Everything the streaming pass learned; the input of `make_dataset` and the run manifest.

    `preprocessing` is the same tabular spec the in-memory road fits (`data._feature_spec`), built
    from the pass's running totals: numeric columns imputed with their training mean (plus a missing
    indicator where training values were missing), scaled; categorical columns one-hot over their
    training categories, missing values in an "other" column. `target` is the target spec (classes,
    or the regression target's training mean and standard deviation).
    """

    layout: _csv_stream.CsvLayout
    sha256: str
    size_bytes: int
    seed: int
    validation_fraction: float
    test_fraction: float
    scaling: str
    imputation: str
    task: str
    class_counts: tuple[int, ...] | None
    n_rows: dict
    n_rows_read: int
    dropped_rows: int
    dropped_incomplete_rows: int
    dropped_columns: tuple[str, ...]
    preprocessing: dict
    target: dict
    target_note: str | None = None

    @property
    def classes(self) -> tuple | None:
        return None if self.task == "regression" else tuple(self.target["classes"])

    @property
    def feature_names_out(self) -> tuple[str, ...]:
        return tuple(_feature_spec.feature_names(self.preprocessing))

    @property
    def input_shape(self) -> tuple[int]:
        return (len(self.feature_names_out),)

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    def target_info(self) -> _target.TargetInfo:
        """The `TargetInfo` `build_model` needs (n_samples: all rows with a target, as in memory)."""
        total = sum(self.n_rows.values())
        if self.task == "regression":
            return _target.TargetInfo(
                "regression",
                "continuous",
                None,
                "continuous",
                1,
                "tabular",
                total,
                self.input_shape,
                note=self.target_note,
            )
        k = len(self.classes)
        kind = "binary" if k == 2 else "multiclass"
        return _target.TargetInfo(
            kind, kind, k, "sparse", 1 if k == 2 else k, "tabular", total, self.input_shape, note=self.target_note
        )

    def describe(self) -> dict[str, Any]:
        """JSON-serializable description (the manifest's `data`, with the spec under `preprocessing`)."""
        return {
            "kind": "csv-stream",
            "path": self.layout.path,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "target": self.layout.target,
            "target_name": self.layout.target,
            "delimiter": self.layout.delimiter,
            "task": self.task,
            "n_rows_read": self.n_rows_read,
            "dropped_rows": self.dropped_rows,
            "dropped_incomplete_rows": self.dropped_incomplete_rows,
            "dropped_columns": list(self.dropped_columns),
            "n_rows": dict(self.n_rows),
            "seed": self.seed,
            "validation_fraction": self.validation_fraction,
            "test_fraction": self.test_fraction,
            "scaling": self.scaling,
            "imputation": self.imputation,
            "split": "row i: test if u(seed, i) < test_fraction, else val if u < test_fraction + validation_fraction, "
            "else train; u = SplitMix64 of (seed, i) in [0, 1)",
            "class_counts_train": None if self.class_counts is None else list(self.class_counts),
            "preprocessing": self.preprocessing,
            "target_spec": self.target,
        }
