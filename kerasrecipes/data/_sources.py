"""Data sources: the one small interface through which `train` and `reproduce` take every kind of data.

As Keras' data adapters put arrays, `tf.data` and generators behind one `fit`, a `DataSource` puts
data held in memory (bundled and synthetic datasets, CSV files read whole, a user's frames and arrays:
`InMemory`) and a CSV file streamed from disk (`kerasrecipes.streaming.CsvStream`) behind one `train`.
A source knows how to describe itself for the manifest (and so be loaded again by `reproduce`), which
recipe values it cannot follow, and how to prepare itself for a recipe: split, fit the preprocessing
spec on the training rows, encode the target. What `prepare` returns is a *prepared* object, in memory
a `PreparedData`, streamed a `StreamedData`; both offer the same few members (`Prepared`), and training,
evaluation and reproduction use only those.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from kerasrecipes import _validation
from kerasrecipes.data import _dataset
from kerasrecipes.errors import UserError


class Prepared(Protocol):
    """What training, evaluation and reproduction use of prepared data, whatever the source.

    Attributes: `task` ("regression" | "binary" | "multiclass"), `classes` (original labels in code
    order, or None), `preprocessing` and `target` (the specs of `data._feature_spec`), `n_rows`
    ({"train", "val", "test"} -> rows), `input_shape` (of the features), `class_weight`.
    """

    task: str
    classes: Any
    preprocessing: dict
    target: dict
    input_shape: tuple
    class_weight: dict | None

    @property
    def n_rows(self) -> dict[str, int]: ...

    def target_info(self) -> Any:
        """The `TargetInfo` `build_model` needs (sample count: every usable row)."""

    def arrays(self) -> dict[str, Any] | None:
        """Training and validation tensors for the in-memory roads (fast road, `fit`, distributed), or None."""

    def datasets(self, batch_size: int, seed: int) -> tuple[Any, Any]:
        """(training, validation) `tf.data.Dataset`s of (features, target) batches; where `arrays()` is None."""

    def test_batches(self, batch_size: int) -> Iterator[tuple[Any, Any]]:
        """The test split as (features, encoded target) batches, in a fixed order."""

    def raw_test_batches(self, batch_size: int) -> Iterator[Any]:
        """The same test rows as the saved model takes them (raw inputs), in the same batches."""

    def baseline_loss(self, loss: str) -> float | None:
        """A trivial predictor's training loss (for the fit diagnosis), or None when unknown."""

    def class_frequencies(self) -> Any:
        """Each class's (each label's) share of the training rows in code order, or None for a regression."""

    def fingerprint(self) -> str:
        """A sha256 that changes when the prepared data would."""

    def describe(self) -> dict[str, Any]:
        """JSON for the manifest's `data` (with `preprocessing` and `target_spec`)."""


class DataSource(abc.ABC):
    """Data behind `train` and `reproduce`.

    Attributes:
        name: short name for run directories and W&B runs.
        defaults: recipe fields this source sets when the recipe leaves them unset (before the
            scenario row's defaults), e.g. a stream imputes with the mean.
        n_rows: rows in the data when known without reading it, else None.
    """

    name: str = "data"
    defaults: Mapping[str, Any] = {}

    @property
    def n_rows(self) -> int | None:
        """Rows in the data when known without reading it (None for a stream before its pass)."""
        return None

    def check_recipe(self, recipe: Any) -> None:
        """Raise a one-line error for a recipe value this source cannot follow (none by default)."""
        return None

    @abc.abstractmethod
    def prepare(self, recipe: Any, *, task: str, verbose: int = 0) -> Prepared:
        """Split, fit the preprocessing on the training rows and encode the target for a recipe.

        Args:
            recipe: the `Recipe` (its data fields: fractions, scaling, imputation, imbalance, seed).
            task: "auto" or the task the caller asks for.
            verbose: 1 shows progress of a long read (a streamed file's scan). Defaults to 0.
        """

    @abc.abstractmethod
    def describe(self) -> dict[str, Any]:
        """JSON that says where the data came from and how to load it again (the manifest's `data.source`)."""


class InMemory(DataSource):
    """A `Dataset` held in memory: bundled and synthetic datasets, CSV files read whole, frames, arrays.

    Args:
        dataset: the `kerasrecipes.data.Dataset`.

    Examples:
        >>> from kerasrecipes.data import load_dataset
        >>> InMemory(load_dataset("iris")).describe()["kind"]
        'sklearn'
    """

    def __init__(self, dataset: _dataset.Dataset) -> None:
        if not isinstance(dataset, _dataset.Dataset):
            raise UserError(_validation.invalid("dataset", "a kerasrecipes.data.Dataset", type(dataset).__name__))
        self.dataset = dataset
        self.name = dataset.name

    @property
    def n_rows(self) -> int:
        return len(self.dataset.y)

    def prepare(self, recipe: Any, *, task: str, verbose: int = 0, holdout: bool = True) -> Any:
        """As `DataSource.prepare`; `holdout=False` keeps no test split (every row trains or validates)."""
        from kerasrecipes.data import _target
        from kerasrecipes.data._prepare import DEFAULTS, prepare

        ds = self.dataset
        note = None
        if "forecast" in ds.source:  # a series' future values: numbers, even when they are whole
            label_kind = task if task in _dataset.TASKS else "regression"
        else:
            inferred = _target.infer_target(ds.X, ds.y, name=ds.target_name)
            label_kind = task if task in _dataset.TASKS else inferred.kind
            note = inferred.note if label_kind == inferred.kind else None
        options = {k: getattr(recipe, k) if getattr(recipe, k) is not None else v for k, v in DEFAULTS.items()}
        if not holdout:
            options["test_fraction"] = 0.0
        return prepare(ds, task=label_kind, **options, folds=recipe.folds, fold=recipe.fold).with_note(note)

    def describe(self) -> dict[str, Any]:
        return dict(self.dataset.source)

    @classmethod
    def from_description(cls, source: Mapping[str, Any]) -> InMemory:
        """Load the data a manifest's `data.source` describes again (a CSV file must be unchanged)."""
        from kerasrecipes import data
        from kerasrecipes.data import _images

        kind = source.get("kind")
        if kind == "sklearn":
            return cls(data.load_dataset(source["name"]))
        if kind == "synthetic":
            return cls(
                data.load_dataset(
                    source["name"], n_samples=source["n_samples"], seed=source["seed"], **source.get("params", {})
                )
            )
        if kind == "csv":
            _check_unchanged(source)
            table = data.load_csv(
                source["path"],
                source["target"],
                delimiter=source.get("delimiter"),
                na_values=source.get("na_values") or None,
                drop=source.get("drop") or None,
                categorical=source.get("categorical") or None,
                label_sep=source.get("label_sep"),
                text=source.get("text") or None,
                free_text=source.get("free_text", False),  # runs before text support read no column as text
            )
            if "sequence" in source:
                table = data.as_sequences(table, source["sequence"]["channels"])
            if "forecast" in source:
                shape = source["forecast"]
                table = data.as_forecast(table, time=shape["time"], window=shape["window"], horizon=shape["horizon"])
            return cls(table)
        if kind in ("images", "image-table"):
            options = {"image_size": source["image_size"], "color": source["color"]}
            images = (
                data.load_images(source["path"], **options)
                if kind == "images"
                else _images.load_image_table(source["path"], source["target"], source["image_column"], **options)
            )
            if images.source["sha256"] != source.get("sha256"):
                raise UserError(
                    f"The run's image folder {source['path']} has changed since training (its files' sha256 differs)."
                )
            return cls(images)
        if kind == "texts":
            from kerasrecipes.data import _text

            texts = _text.load_text_folder(source["path"])
            if texts.source["sha256"] != source.get("sha256"):
                raise UserError(
                    f"The run's text folder {source['path']} has changed since training (its files' sha256 differs)."
                )
            return cls(texts)
        if kind in ("array", "frame"):
            raise UserError(
                f"The run was trained on {'arrays' if kind == 'array' else 'a DataFrame'} in memory, of "
                "which it keeps no copy, so its data cannot be loaded again; to have runs reproduced, "
                "train from a CSV file (e.g. frame.to_csv('data.csv', index=False)) or a dataset name."
            )
        raise UserError(f"Data of kind {kind!r} cannot be loaded again; train from a dataset name or a CSV file.")


def refuse_folds(recipe: Any) -> None:
    """A streamed source's one-line error for a recipe with cross-validation `folds` (they need the rows in memory)."""
    if getattr(recipe, "folds", None):
        raise UserError(
            _validation.invalid(
                "folds",
                "unset when streaming (cross-validation folds rows held in memory)",
                recipe.folds,
                fix="Leave out --stream to cross-validate, or leave out --cv",
            )
        )


def _check_unchanged(source: Mapping[str, Any]) -> None:
    """A run's data file must still be there, byte for byte."""
    from kerasrecipes._io import sha256_file

    path = source["path"]
    if not os.path.isfile(path):
        raise UserError(f"The run's CSV file {path} is missing; restore it to reproduce the run.")
    if sha256_file(path) != source.get("sha256"):
        raise UserError(f"The run's CSV file {path} has changed since training (sha256 differs).")
