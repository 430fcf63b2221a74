"""What `train` accepts as data, turned into one `DataSource`; and a manifest's source loaded again.

This module sits above `data` and `streaming` (it knows both kinds of source), so neither of them
imports the other's adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerasrecipes._validation import invalid
from kerasrecipes.errors import UserError


def as_source(
    data: Any, y: Any = None, *, target: str | None = None, n_samples: int | None = None, seed: int = 0
) -> Any:
    """A `DataSource` for what a user gives `train` or `run_sweep`.

    Args:
        data: a `DataSource` (returned as it is); a `kerasrecipes.data.Dataset`; a bundled or synthetic
            dataset name; a CSV file's path (with `target`); a `pandas.DataFrame` (with `target`);
            an array of features (with `y`); or a manifest's `data.source` mapping.
        y: the targets when `data` is an array of features. Defaults to `None`.
        target: the column to predict when `data` is a CSV path or a DataFrame. Defaults to `None`.
        n_samples: rows of a synthetic dataset given by name. Defaults to `None` (its default size).
        seed: generator seed of a synthetic dataset given by name. Defaults to `0`.

    Examples:
        >>> as_source("iris").name
        'iris'
    """
    import os

    from kerasrecipes import data as data_module
    from kerasrecipes.data._sources import DataSource, InMemory

    if y is not None and target is not None:
        raise UserError("Give `y` (with an array of features) or `target` (with a CSV file or a DataFrame), not both.")
    if isinstance(y, Mapping) or type(y).__name__ == "Recipe":
        raise UserError(invalid("y", "the targets of `data` (an array); pass a recipe as recipe=...", type(y).__name__))
    if hasattr(data, "columns") and hasattr(data, "iloc"):  # a pandas.DataFrame
        if target is None:
            raise UserError(
                invalid(
                    "target",
                    "the column of the DataFrame to predict",
                    None,
                    fix=f"Its columns are {', '.join(map(str, list(data.columns)[:10]))}",
                )
            )
        return InMemory(data_module.from_frame(data, target))
    if target is not None:
        if not isinstance(data, (str, os.PathLike)):
            raise UserError(
                invalid("data", "a CSV file's path or a pandas.DataFrame when `target` is given", type(data).__name__)
            )
        return InMemory(data_module.load_csv(data, target))
    if y is not None:
        return InMemory(data_module.array_dataset("arrays", data, y))
    if hasattr(data, "shape") and hasattr(data, "dtype"):  # features without their targets
        raise UserError(invalid("y", "the targets of the array `data` (train(X, y))", None))
    if isinstance(data, DataSource):
        return data
    if isinstance(data, data_module.Dataset):
        return InMemory(data)
    if isinstance(data, str):
        if n_samples is not None:
            return InMemory(data_module.load_dataset(data, n_samples=n_samples, seed=seed))
        return InMemory(data_module.load_dataset(data))
    if isinstance(data, Mapping):
        return from_description(data)
    raise UserError(
        invalid(
            "data",
            "a dataset name, a kerasrecipes.data.Dataset, a data source or a data-source mapping",
            type(data).__name__,
        )
    )


def from_description(source: Mapping[str, Any]) -> Any:
    """The source a manifest's `data.source` describes, loaded again (a CSV file must be unchanged)."""
    from kerasrecipes.data._sources import InMemory

    if source.get("kind") == "csv-stream":
        from kerasrecipes.streaming._stream import CsvStream

        return CsvStream.from_description(source)
    if source.get("kind") == "image-stream":
        from kerasrecipes.streaming._image_stream import ImageFolderStream

        return ImageFolderStream.from_description(source)
    return InMemory.from_description(source)
