"""Datasets by name or from CSV, and their preparation for Keras (pure NumPy/pandas/scikit-learn).

Load raw data as a `Dataset`, then `prepare()` it into a `PreparedData`:

- `load_dataset(name)` for a row of `DATASETS` (`list_datasets()`): scikit-learn's
  bundled datasets (`iris`, `wine`, `breast_cancer`, `digits` as a table, as
  `(n, 8, 8, 1)` images and as `(n, 8, 8)` sequences, `diabetes`, `linnerud`) and seeded
  generators with a size (`friedman1`, `classification`, `sequences`).
- `load_csv(path, target)` for any CSV file with a target column, and `from_frame(frame, target)`
  for a `pandas.DataFrame`: raw columns typed by `data._column_types` (junk markers, decimal commas,
  booleans, dates, identifiers dropped, free text read word by word by `data._text`).
- `load_images(folder)` and `load_text_folder(folder)`: one sub-folder per class of image or `.txt` files.
- `prepare(dataset, task=..., seed=...)`: seeded (stratified) train/validation/test
  split, imputation, scaling and one-hot encoding fitted on the training split (as Keras
  layers, `data._feature_layers`), label encoding or target scaling, and class weights or
  downsampling for imbalance.

Importing this package loads neither TensorFlow nor scikit-learn nor pandas; they are
imported when data is loaded or prepared.

Examples:
    >>> from kerasrecipes import data
    >>> prepared = data.prepare(data.load_dataset("wine"), task="multiclass", seed=0)
    >>> prepared.describe()["n_rows"]
    {'train': 106, 'val': 36, 'test': 36}
"""

from kerasrecipes.data._csv import DataWarning, from_frame, load_csv
from kerasrecipes.data._dataset import MIN_ROWS, TASKS, Dataset, array_dataset
from kerasrecipes.data._datasets import DATASETS, DatasetSpec, list_datasets, load_dataset
from kerasrecipes.data._images import load_images
from kerasrecipes.data._prepare import prepare
from kerasrecipes.data._prepared_data import PreparedData
from kerasrecipes.data._series import as_forecast, as_sequences
from kerasrecipes.data._text import load_text_folder

__all__ = [
    "DATASETS",
    "MIN_ROWS",
    "TASKS",
    "DataWarning",
    "Dataset",
    "DatasetSpec",
    "PreparedData",
    "array_dataset",
    "as_forecast",
    "as_sequences",
    "from_frame",
    "list_datasets",
    "load_csv",
    "load_dataset",
    "load_images",
    "load_text_folder",
    "prepare",
]
