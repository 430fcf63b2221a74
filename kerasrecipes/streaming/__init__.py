"""Training on CSV files larger than memory, streamed through `tf.data`.

`train_stream(path, target, recipe)` is `training.train` for a CSV file that is never loaded:
one streaming pass (`scan_csv`) computes the split sizes, the task, the scaling statistics and
the categorical vocabularies on the training rows; then every epoch streams the file again
through `make_dataset` (seeded row split, Keras preprocessing layers, a bounded seeded shuffle
buffer). Memory does not grow with the number of rows. `reproduce_stream(run_dir)` checks a
streaming run directory like `kerasrecipes reproduce` checks an in-memory one.

Importing this package does not import TensorFlow.
"""

from kerasrecipes.streaming._pipeline import make_dataset
from kerasrecipes.streaming._reproduce import reproduce_stream
from kerasrecipes.streaming._scan import scan_csv
from kerasrecipes.streaming._statistics import StreamStatistics
from kerasrecipes.streaming._source import NA_VALUES, split_codes
from kerasrecipes.streaming._train import train_stream

__all__ = ["NA_VALUES", "StreamStatistics", "make_dataset", "reproduce_stream", "scan_csv", "split_codes",
           "train_stream"]
