"""What `train` accepts as data, turned into one `DataSource`; and a manifest's source loaded again.

This module sits above `data` and `streaming` (it knows both kinds of source), so neither of them
imports the other's adapter.
"""

from __future__ import annotations

from typing import Any, Mapping

from kerasrecipes._validation import invalid


def as_source(data: Any, *, n_samples: int | None = None, seed: int = 0) -> Any:
    """A `DataSource` for `data`.

    Args:
        data: a `DataSource` (returned as it is), a `kerasrecipes.data.Dataset`, a bundled or
            synthetic dataset name, or a manifest's `data.source` mapping.
        n_samples: rows of a synthetic dataset given by name. Defaults to `None` (its default size).
        seed: generator seed of a synthetic dataset given by name. Defaults to `0`.

    Example:
        >>> as_source("iris").name
        'iris'
    """
    from kerasrecipes import data as data_module
    from kerasrecipes.data._sources import DataSource, InMemory

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
    raise TypeError(invalid("data", "a dataset name, a kerasrecipes.data.Dataset, a data source or a data-source "
                                    "mapping", type(data).__name__))


def from_description(source: Mapping[str, Any]) -> Any:
    """The source a manifest's `data.source` describes, loaded again (a CSV file must be unchanged)."""
    from kerasrecipes.data._sources import InMemory

    if source.get("kind") == "csv-stream":
        from kerasrecipes.streaming._stream import CsvStream

        return CsvStream.from_description(source)
    return InMemory.from_description(source)
