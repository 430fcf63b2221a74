"""CSV files larger than memory, streamed through `tf.data`: the mechanics behind `CsvStream`.

`CsvStream(path, target)` is the data source `kerasrecipes.train` and `reproduce` take for a file that
is never loaded: one streaming pass (`scan_csv`) computes the split sizes, the task and the
preprocessing spec on the training rows; then every epoch streams the file again through
`make_dataset` (seeded row split, the spec's Keras layers, a bounded seeded shuffle buffer). Memory
does not grow with the number of rows.

`ImageFolderStream(folder)` does the same for a folder of class sub-folders of images: the files are
split by a seeded rule on their paths, one pass fits the per-channel scaling, and every epoch decodes
batches from disk through `tf.data`.

Importing this package does not import TensorFlow.
"""

from kerasrecipes.streaming._csv_stream import split_codes
from kerasrecipes.streaming._image_stream import ImageFolderStream, split_files
from kerasrecipes.streaming._pipeline import make_dataset
from kerasrecipes.streaming._scan import scan_csv
from kerasrecipes.streaming._statistics import StreamStatistics
from kerasrecipes.streaming._stream import CsvStream, StreamedData

__all__ = [
    "CsvStream",
    "ImageFolderStream",
    "StreamStatistics",
    "StreamedData",
    "make_dataset",
    "scan_csv",
    "split_codes",
    "split_files",
]
