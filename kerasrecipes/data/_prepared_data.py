"""`PreparedData`: the split, preprocessed arrays that training consumes."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import numpy as np

from kerasrecipes._io import plain

SPLITS = ("train", "val", "test")


@dataclasses.dataclass(frozen=True, eq=False)
class PreparedData:
    """Train/validation/test arrays ready for `model.fit`, plus how they were made.

    Pass `class_weight` and `sample_weight_train` to `fit` unchanged: at most one of
    them is set (see `prepare(imbalance=...)`), so Keras never multiplies two weights::

        model.fit(data.X_train, data.y_train, sample_weight=data.sample_weight_train,
                  class_weight=data.class_weight, validation_data=(data.X_val, data.y_val))

    Args:
        X_train: Training features, `float32`, shape `(n_train, *input_shape)`.
        y_train: Training targets: class codes `0..n_classes-1` (`int64`), or scaled
            regression values (`float32`, zero mean and unit variance on train).
        X_val: Validation features, preprocessed with the train-fitted transformer.
        y_val: Validation targets, encoded like `y_train`.
        X_test: Test features.
        y_test: Test targets.
        task: `"regression"`, `"binary"`, `"multiclass"` or `"multilabel"` (`y_*` then hold one 0/1
            column per label, as float32 as the loss takes them, `classes` the label names and `class_counts` the rows with each label).
        n_classes: Number of classes, `None` for regression.
        classes: Original labels in code order (`classes[code]`), `None` for
            regression.
        class_weight: `{code: weight}` for `fit(class_weight=...)`, or `None`.
        sample_weight_train: Per-row weights (`float32`, one per `y_train` row) for
            `fit(sample_weight=...)`, or `None`.
        feature_names_out: Names of the columns after preprocessing (tabular), or of the
            last axis (images and sequences).
        input_shape: Shape of one sample, without the batch dimension.
        preprocessing: The preprocessing spec fitted on the training rows
            (`data._feature_spec`): plain JSON that `data._feature_layers` turns into the Keras
            layers which computed the features (and which lead the run's saved model).
        target: The target spec: the regression target's training mean and std, or the
            classes in code order.
        raw_test: The test split's raw rows (a `pandas.DataFrame` or an array), as a saved
            model takes them.
        target_note: How a whole-number target was read (`numeric_target_kind`), or None.
        indices: `{"train", "val", "test"}` -> `int64` positions of each split's rows in
            the `Dataset` (after downsampling, for train).
        metadata: JSON-serializable record of the dataset and `prepare()` options.

    Examples:
        >>> from kerasrecipes.data import load_dataset, prepare
        >>> data = prepare(load_dataset("iris"), task="multiclass", seed=0)
        >>> data.X_train.shape, data.y_train.dtype, data.n_classes
        ((90, 4), dtype('int64'), 3)
    """

    X_train: np.ndarray = dataclasses.field(repr=False)
    y_train: np.ndarray = dataclasses.field(repr=False)
    X_val: np.ndarray = dataclasses.field(repr=False)
    y_val: np.ndarray = dataclasses.field(repr=False)
    X_test: np.ndarray = dataclasses.field(repr=False)
    y_test: np.ndarray = dataclasses.field(repr=False)
    task: str
    n_classes: int | None
    classes: np.ndarray | None = dataclasses.field(repr=False)
    class_weight: dict[int, float] | None
    sample_weight_train: np.ndarray | None = dataclasses.field(repr=False)
    feature_names_out: tuple[str, ...] = dataclasses.field(repr=False)
    input_shape: tuple[int, ...]
    preprocessing: dict = dataclasses.field(repr=False)
    target: dict = dataclasses.field(repr=False)
    raw_test: Any = dataclasses.field(repr=False, default=None)
    target_note: str | None = dataclasses.field(repr=False, default=None)
    indices: dict = dataclasses.field(repr=False, default_factory=dict)
    metadata: dict = dataclasses.field(repr=False, default_factory=dict)

    def splits(self) -> dict[str, np.ndarray]:
        """The six arrays in fingerprint order: X_train, y_train, X_val, y_val, X_test, y_test."""
        return {name: getattr(self, name) for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")}

    # --- the `data._sources.Prepared` interface -------------------------------------------------

    @property
    def n_rows(self) -> dict[str, int]:
        return {s: int(len(getattr(self, f"y_{s}"))) for s in SPLITS}

    def with_note(self, note: str | None) -> PreparedData:
        """A copy that carries how the target was read (see `target_note`)."""
        return dataclasses.replace(self, target_note=note)

    def target_info(self) -> Any:
        from kerasrecipes.data._target import target_info_from_shape

        info = target_info_from_shape(
            self.input_shape,
            self.n_classes,
            n_samples=sum(self.n_rows.values()),
            multilabel=self.task == "multilabel",
        )
        from kerasrecipes.data import _text

        kind = "text" if _text.layout(self.preprocessing) else info.input_kind  # free text as token ids
        return dataclasses.replace(info, note=self.target_note, input_kind=kind)

    def arrays(self) -> dict[str, Any]:
        """Training and validation arrays, with the per-row training weights (class weights expanded)."""
        return {
            "x": self.X_train,
            "y": self.y_train,
            "x_val": self.X_val,
            "y_val": self.y_val,
            "class_weight": self.class_weight,
            "sample_weight": self.sample_weight_train,
        }

    def test_batches(self, batch_size: int):
        for start in range(0, len(self.y_test), batch_size):
            yield self.X_test[start : start + batch_size], self.y_test[start : start + batch_size]

    def raw_test_batches(self, batch_size: int):
        from kerasrecipes.data import _feature_layers

        inputs = _feature_layers.to_inputs(self.preprocessing, self.raw_test)
        for start in range(0, len(self.y_test), batch_size):
            yield (
                {k: v[start : start + batch_size] for k, v in inputs.items()}
                if isinstance(inputs, dict)
                else inputs[start : start + batch_size]
            )

    def baseline_loss(self, loss: str) -> float | None:
        """A trivial predictor's training loss (for the fit diagnosis), or None for a loss without one
        (huber, log_cosh, hinge, Barron's, the from-logits cross-entropies)."""
        from kerasrecipes.callbacks.fit_diagnosis import TRIVIAL_PREDICTORS, baseline_loss

        if getattr(loss, "name", loss) not in TRIVIAL_PREDICTORS:
            return None
        return baseline_loss(self.y_train, loss)

    def class_frequencies(self) -> np.ndarray | None:
        """Each class's share of the training rows in code order (multi-label: each label's), or None for a
        regression; a downsampled split counts each row with its factor (`sample_weight_train`), so the
        shares are those before downsampling."""
        if self.classes is None:
            return None
        weights = self.sample_weight_train if self.metadata.get("downsampling") else None
        if self.task == "multilabel":
            return np.average(self.y_train, axis=0, weights=weights)
        counts = np.bincount(self.y_train, weights=weights, minlength=len(self.classes))
        return counts / counts.sum()

    def fingerprint(self) -> str:
        """SHA-256 hex digest of the six arrays: name, dtype, shape and raw bytes of each.

        Identical data (same dataset, options and seed) gives the same digest on any
        machine with the same byte order; any changed value, dtype or shape changes it.
        """
        digest = hashlib.sha256()
        for name, array in self.splits().items():
            array = np.ascontiguousarray(array)
            digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
            digest.update(array.tobytes())
        return digest.hexdigest()

    def inverse_transform_y(self, pred: Any) -> np.ndarray:
        """Map model outputs (or encoded targets) back to the dataset's original units.

        Regression: undo the target scaling; the result has the shape of `pred`, e.g.
        `(n, 1)` model outputs give `(n, 1)` values in original units.
        Classification: integer codes map to the original labels (`classes[code]`);
        floating-point predictions are read as probabilities: a `(n,)` or `(n, 1)`
        sigmoid output is thresholded at 0.5, a `(n, n_classes)` softmax output is
        arg-maxed. The result has one label per row.

        Args:
            pred: Model predictions or encoded targets such as `y_test`.

        Returns:
            A `np.ndarray` in original units or labels.

        Examples:
            >>> from kerasrecipes.data import load_dataset, prepare
            >>> data = prepare(load_dataset("diabetes"), task="regression", seed=0)
            >>> bool(data.inverse_transform_y(data.y_train).mean() > 100)
            True
        """
        pred = np.asarray(pred)
        if self.task == "regression":
            n_out = len(np.atleast_1d(self.target["mean"]))
            values = pred.astype(np.float64).reshape(-1, n_out) * self.target["std"] + self.target["mean"]
            return values.reshape(pred.shape)
        if self.task == "multilabel":  # one 0/1 column per label; probabilities are thresholded at 0.5
            return (pred.reshape(-1, len(self.classes)) >= 0.5).astype(np.int64)
        if pred.dtype.kind == "f":
            if pred.ndim == 2 and pred.shape[1] > 1:
                pred = np.argmax(pred, axis=1)
            else:
                pred = (pred.reshape(-1) >= 0.5).astype(np.int64)
        return self.classes[pred.reshape(-1).astype(np.int64)]

    def describe(self) -> dict[str, Any]:
        """A JSON-serializable summary for run manifests and logs.

        Returns:
            A dict with the dataset name and source, `task`, `seed`, the split fractions,
            `scaling`, `imputation`, `imbalance`, `n_rows` per split, `n_features_in`,
            `n_features_out`, `input_shape`, `classes`, `class_counts` per split,
            `class_weight`, `downsampling`, `dropped_rows` and the `fingerprint`.
        """
        out = dict(self.metadata)
        out["task"] = self.task
        out["n_rows"] = {s: int(len(getattr(self, f"y_{s}"))) for s in SPLITS}
        out["n_features_out"] = int(np.prod(self.input_shape))
        out["input_shape"] = list(self.input_shape)
        out["classes"] = None
        out["class_counts"] = None
        if self.classes is not None:
            out["classes"] = [plain(c) for c in self.classes]
            out["class_counts"] = {
                s: {
                    str(plain(self.classes[c])): int(n)
                    for c, n in enumerate(
                        getattr(self, f"y_{s}").sum(axis=0).astype(np.int64)  # rows with each label
                        if self.task == "multilabel"
                        else np.bincount(getattr(self, f"y_{s}"), minlength=self.n_classes)
                    )
                }
                for s in SPLITS
            }
        out["class_weight"] = (
            None if self.class_weight is None else {str(k): float(v) for k, v in self.class_weight.items()}
        )
        out["fingerprint"] = self.fingerprint()
        out["preprocessing"] = self.preprocessing
        out["target_spec"] = self.target
        return out
