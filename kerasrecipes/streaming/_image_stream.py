"""`ImageFolderStream`: a folder of class sub-folders of images, streamed from disk through `tf.data`.

The files are listed (never decoded) and split by a seeded rule that reads only their paths
(`split_files`). One streaming pass (`scan_images`) decodes every image once, one at a time: it checks
that each decodes (a bad one is a one-line error naming it) and that all have one channel count,
hashes the files for the manifest, and sums the per-channel statistics of the training images into
the same channel spec the in-memory road fits (`data._feature_spec.fit_channels`). Every epoch then
reads the files again: `from_tensor_slices((paths, labels))`, a seeded shuffle of the file list,
decode and resize with the in-memory road's TensorFlow ops (`data._images.decode_one`), batch, scale
with the spec's Keras layer, prefetch. Memory holds a few batches of pixels, whatever the number of
images; the saved model takes pixels, so `predict` reads image files as for an in-memory run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.data import _feature_spec, _images
from kerasrecipes.data._sources import DataSource, refuse_folds
from kerasrecipes.errors import UserError

EVAL_BATCH = 256
"""Images per batch when validating and testing (memory: this many decoded images)."""
SPLITS = ("train", "val", "test")
SCALINGS = ("standard", "minmax", "none")
"""Channel scalings one pass can fit (robust scaling needs every pixel's quartiles)."""

_UNSUPPORTED = {
    "imbalance": ({"downsample"}, "Use imbalance=class_weight (weights from the streamed class counts)"),
    "gradient_descent": ({"batch"}, "One batch of every training image is the whole folder in memory; use minibatch"),
    "execution": ({"fast"}, "The fast road compiles epochs over in-memory arrays; streaming uses model.fit"),
    "distribute": ({"mirrored", "multi_worker"}, "Streaming trains on one device; use distribute=none"),
    "scaling": ({"robust"}, "Robust scaling needs every pixel's quartiles in memory; use 'standard'"),
    "task": ({"regression", "multilabel", "rnn"}, "An image folder's sub-folders are classes; use task=auto"),
}


def split_files(
    relative: Sequence[str], labels: Sequence[Any], seed: int, validation_fraction: float, test_fraction: float
) -> np.ndarray:
    """Each file's split (0 train, 1 validation, 2 test) from its path and the seed alone, per class.

    Within each class the files are ordered by sha256(f"{seed}/{path}") (ties: by path); the first
    ceil(test_fraction * n) are test, the next ceil(validation_fraction * n) validation, the rest
    training. So the split is stratified and needs no pixels; a file's place in its class's order depends
    on its path and the seed alone (adding a file can move only files at the boundaries, whose counts
    it changes).

    Examples:
        >>> split_files([f"a/{i}.png" for i in range(5)] + [f"b/{i}.png" for i in range(5)],
        ...             ["a"] * 5 + ["b"] * 5, 0, 0.2, 0.2).tolist().count(0)
        6
    """
    codes = np.zeros(len(relative), np.int8)
    labels = np.asarray(labels, dtype=object)
    for label in sorted(set(labels.tolist()), key=str):
        mine = np.flatnonzero(labels == label)
        order = sorted(mine, key=lambda i: (hashlib.sha256(f"{seed}/{relative[i]}".encode()).digest(), relative[i]))
        n_test, n_val = math.ceil(test_fraction * len(mine)), math.ceil(validation_fraction * len(mine))
        if len(mine) - n_test - n_val < 1:
            raise UserError(
                f"The class folder {label!r} has {len(mine)} images: too few for a training, validation and "
                "test image each; add images to it or lower validation_fraction and test_fraction."
            )
        codes[order[:n_test]] = 2
        codes[order[n_test : n_test + n_val]] = 1
    return codes


class _ChannelMoments:
    """Per-channel count, mean, sum of squared deviations (Chan et al.'s pairwise update), min and max."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2, self.low, self.high = 0, 0.0, 0.0, np.inf, -np.inf

    def add(self, image: np.ndarray) -> None:
        x = image.reshape(-1, image.shape[-1]).astype(np.float64)
        n, mean = len(x), x.mean(axis=0)
        m2, total = ((x - mean) ** 2).sum(axis=0), self.n + len(x)
        delta = mean - self.mean
        self.mean = self.mean + delta * n / total
        self.m2 = self.m2 + m2 + delta**2 * self.n * n / total
        self.low, self.high, self.n = np.minimum(self.low, x.min(axis=0)), np.maximum(self.high, x.max(axis=0)), total

    def constants(self, scaling: str, channels: int) -> tuple[np.ndarray, np.ndarray]:
        """(center, scale) as `_feature_spec.scaling_constants` computes them on every training pixel."""
        if scaling == "standard":
            center, scale = self.mean, np.sqrt(self.m2 / self.n)
        elif scaling == "minmax":
            center, scale = self.low, self.high - self.low
        else:
            center, scale = np.zeros(channels), np.ones(channels)
        return np.asarray(center, np.float64), np.where(np.asarray(scale) > 0, scale, 1.0)


def scan_images(
    root: Path,
    files: Sequence[Path],
    codes: np.ndarray,
    *,
    size: tuple[int, int],
    color: str | None,
    scaling: str,
    progress: bool = False,
) -> dict[str, Any]:
    """The one streaming pass: decode every file once, one at a time; hash all; fit the channel spec on training.

    Returns:
        {"sha256": of every file (as `data._images.files_sha256`), "channels": the images' channel
        count, "preprocessing": the channel spec (with the `images` key `predict` reads)}.

    Raises:
        ValueError: an image that does not decode, or mixed channel counts without `color` (naming the files).
    """
    digest, moments, found = hashlib.sha256(), _ChannelMoments(), {}
    channels = _images.COLORS.get(color)
    for k, file in enumerate(files):
        content = file.read_bytes()
        digest.update(_images.digest_entry(file, root, content))
        image = _images.decode_one(file, size, channels, root.name, content)
        found.setdefault(int(image.shape[-1]), file)
        if len(found) > 1:
            raise _images.mixed_channels(found, root.name)
        if codes[k] == 0:
            moments.add(image)
        if progress and (k + 1) % 1000 == 0:
            print(f"scanned {k + 1}/{len(files)} images", flush=True)
    n_channels = next(iter(found))
    center, scale = moments.constants(scaling, n_channels)
    spec = {
        "kind": "channels",
        "shape": [*size, n_channels],
        "center": center.tolist(),
        "scale": scale.tolist(),
        "images": {"size": list(size), "color": color},
    }
    return {"sha256": digest.hexdigest(), "channels": n_channels, "preprocessing": spec}


class ImageFolderStream(DataSource):
    """A folder of class sub-folders of images, streamed from disk through `tf.data`.

    For folders larger than memory: where `load_images` decodes every image into one array, this
    source lists the files, splits them by a seeded rule on their paths (`split_files`), fits the
    per-channel scaling in one pass over the files, and decodes each batch from disk every epoch.
    The run's saved model, `predict` and `reproduce` work as for an in-memory image run.

    Args:
        folder: a folder with one sub-folder per class (its name is the label), each holding images.
        image_size: the side, or (height, width), every image is resized to. Defaults to `64`.
        color: "grayscale", "rgb" or "rgba" to convert every image; None: the images' own channel
            count, which must be the same for all. Defaults to `None`.

    Examples:
        >>> import pathlib, tempfile
        >>> import numpy as np, tensorflow as tf
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> for i in range(20):
        ...     (folder / "ab"[i % 2]).mkdir(exist_ok=True)
        ...     pixels = np.full((8, 8, 1), 40 + 150 * (i % 2), np.uint8)
        ...     _ = (folder / "ab"[i % 2] / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
        >>> from kerasrecipes import train
        >>> result = train(ImageFolderStream(folder, image_size=8), recipe={"epochs": 1}, seed=0,
        ...                tracking="none", verbose=0)
        >>> result.data.task, result.data.n_rows
        ('binary', {'train': 12, 'val': 4, 'test': 4})
    """

    defaults = {"execution": "fit"}

    def __init__(self, folder: str | os.PathLike, *, image_size: Any = 64, color: str | None = None) -> None:
        self.root = Path(folder)
        self.image_size = _images._checked(image_size, color)
        self.color = color
        self.files, self.labels = _images.class_files(self.root)
        self.relative = [os.path.relpath(f, self.root).replace(os.sep, "/") for f in self.files]
        self.name = self.root.name
        self._sha256: str | None = None

    @property
    def n_rows(self) -> int:
        return len(self.files)

    def check_recipe(self, recipe: Any) -> None:
        refuse_folds(recipe)
        for field, (refused, fix) in _UNSUPPORTED.items():
            value = getattr(recipe, field, None)
            if value in refused:
                raise UserError(_validation.invalid(field, "a value the streamed image road supports", value, fix=fix))
        if getattr(recipe, "fine_tune_epochs", None):
            raise UserError(
                _validation.invalid(
                    "fine_tune_epochs",
                    "0 when streaming images",
                    recipe.fine_tune_epochs,
                    fix="Fine-tuning a backbone runs on in-memory images; leave out --stream or set fine_tune_epochs=0",
                )
            )

    def prepare(self, recipe: Any, *, task: str, verbose: int = 0) -> ImageStreamData:
        from kerasrecipes.recipes import _table

        def option(name: str) -> Any:
            value = getattr(recipe, name)
            return _table.BASE_DEFAULTS[name] if value is None else value

        classes = sorted(set(self.labels))
        kind = "binary" if len(classes) == 2 else "multiclass"
        if task in ("binary", "multiclass") and task != kind:
            raise UserError(
                _validation.invalid("task", f"{kind!r} for {len(classes)} class folders", task, fix="Use task=auto")
            )
        if task in ("regression", "multilabel"):
            raise UserError(_validation.invalid("task", "'auto', 'binary' or 'multiclass' for an image folder", task))
        scaling = option("scaling")
        if scaling not in SCALINGS:
            raise UserError(_validation.invalid("scaling", "'standard', 'minmax' or 'none' when streaming", scaling))
        seed, fractions = option("seed"), (option("validation_fraction"), option("test_fraction"))
        codes = split_files(self.relative, self.labels, seed, *fractions)
        scan = scan_images(
            self.root,
            self.files,
            codes,
            size=self.image_size,
            color=self.color,
            scaling=scaling,
            progress=bool(verbose),
        )
        self._sha256 = scan["sha256"]
        class_codes = np.array([classes.index(label) for label in self.labels], np.int32)
        options = {"seed": seed, "validation_fraction": fractions[0], "test_fraction": fractions[1], "scaling": scaling}
        return ImageStreamData(
            self,
            codes,
            class_codes,
            classes,
            scan,
            options,
            class_weighted=option("imbalance") == "class_weight",
        )

    def describe(self) -> dict[str, Any]:
        if self._sha256 is None:  # the pass hashes the files as it reads them; before one, hash them here
            self._sha256 = _images.files_sha256(self.files, self.root)
        return {
            "kind": "image-stream",
            "path": str(self.root.resolve()),
            "image_size": list(self.image_size),
            "color": self.color,
            "files": len(self.files),
            "sha256": self._sha256,
        }

    @classmethod
    def from_description(cls, source: Mapping[str, Any]) -> ImageFolderStream:
        """The stream a manifest's `data.source` describes (its files must be unchanged)."""
        stream = cls(source["path"], image_size=source["image_size"], color=source["color"])
        if stream.describe()["sha256"] != source.get("sha256"):
            raise UserError(
                f"The run's image folder {source['path']} has changed since training (its files' sha256 differs)."
            )
        return stream


class ImageStreamData:
    """An image folder prepared for streaming (the `data._sources.Prepared` interface).

    Attributes: those of `Prepared`, and `codes` (each file's split: 0 train, 1 validation, 2 test).
    """

    def __init__(
        self,
        stream: ImageFolderStream,
        codes: np.ndarray,
        class_codes: np.ndarray,
        classes: list[str],
        scan: dict[str, Any],
        options: dict[str, Any],
        *,
        class_weighted: bool = False,
    ) -> None:
        self.stream, self.codes, self.class_codes, self.options = stream, codes, class_codes, options
        self.sha256, self.preprocessing = scan["sha256"], scan["preprocessing"]
        self.classes = tuple(classes)
        self.task = "binary" if len(classes) == 2 else "multiclass"
        self.target = _feature_spec.fit_target(np.zeros(0), self.task, classes)
        self.input_shape = tuple(self.preprocessing["shape"])
        self.feature_names_out = tuple(_images.channel_names(scan["channels"]))
        self.class_counts = np.bincount(class_codes[codes == 0], minlength=len(classes))
        self.class_weight = None
        if class_weighted:
            n_train = int(self.class_counts.sum())
            self.class_weight = {
                i: float(n_train / (len(classes) * c)) if c else 0.0 for i, c in enumerate(self.class_counts)
            }

    @property
    def n_rows(self) -> dict[str, int]:
        return {split: int((self.codes == k).sum()) for k, split in enumerate(SPLITS)}

    def target_info(self) -> Any:
        from kerasrecipes.data._target import target_info_from_shape

        return target_info_from_shape(self.input_shape, len(self.classes), n_samples=len(self.codes))

    def arrays(self) -> None:
        return None  # never in memory

    def dataset(self, split: str, batch_size: int, *, seed: int | None = None, raw: bool = False):
        """A `tf.data.Dataset` of one split's (scaled pixels, class code) batches, read from disk in file
        order, or shuffled per epoch by `seed` (the file list, reshuffled each epoch the same way for the
        same seed); `raw=True` yields the unscaled pixels only (the saved model's input)."""
        import tensorflow as tf

        from kerasrecipes.data import _feature_layers

        keep = np.flatnonzero(self.codes == SPLITS.index(split))
        paths = [str(self.stream.files[i]) for i in keep]
        ds = tf.data.Dataset.from_tensor_slices((tf.constant(paths, tf.string), self.class_codes[keep]))
        if seed is not None:
            ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
        size, channels = self.stream.image_size, self.input_shape[-1]

        def load(path, label):  # the ops of data._images.decode_one, in the graph
            image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
            return tf.image.resize(tf.cast(image, tf.float32), size), label

        ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(batch_size)
        if raw:
            ds = ds.map(lambda x, y: x)
        else:
            layer = _feature_layers.features_layer(self.preprocessing)
            ds = ds.map(lambda x, y: (layer(x), y))
        ds = ds.apply(tf.data.experimental.assert_cardinality(math.ceil(len(paths) / batch_size)))
        return ds.prefetch(tf.data.AUTOTUNE)

    def datasets(self, batch_size: int, seed: int) -> tuple[Any, Any]:
        return self.dataset("train", batch_size, seed=seed), self.dataset("val", EVAL_BATCH)

    def test_batches(self, batch_size: int):
        return iter(self.dataset("test", min(batch_size, EVAL_BATCH)))

    def raw_test_batches(self, batch_size: int):
        return (np.asarray(x) for x in self.dataset("test", min(batch_size, EVAL_BATCH), raw=True))

    def baseline_loss(self, loss: str) -> float | None:
        """The trivial predictor's training loss from the class counts."""
        from kerasrecipes.callbacks.fit_diagnosis import EPSILON

        if loss not in ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"):
            return None
        p = np.clip(self.class_frequencies(), EPSILON, 1 - EPSILON)
        if loss == "binary_crossentropy":
            return float(-(p[1] * np.log(p[1]) + (1 - p[1]) * np.log(1 - p[1])))
        return float(-np.sum(p * np.log(p)))

    def class_frequencies(self) -> np.ndarray:
        """Each class's share of the training images."""
        counts = self.class_counts.astype(np.float64)
        return counts / counts.sum()

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "image-stream",
            "dataset": self.stream.name,
            "path": str(self.stream.root.resolve()),
            "sha256": self.sha256,
            "target_name": "class",
            "task": self.task,
            **self.options,
            "n_rows": self.n_rows,
            "input_shape": list(self.input_shape),
            "classes": list(self.classes),
            "class_counts_train": self.class_counts.tolist(),
            "class_weight": (None if self.class_weight is None else {str(k): v for k, v in self.class_weight.items()}),
            "split": "per class, files ordered by sha256(f'{seed}/{relative path}'): the first "
            "ceil(test_fraction * n) test, the next ceil(validation_fraction * n) validation, the rest train",
            "eval_batch_size": EVAL_BATCH,
            "preprocessing": self.preprocessing,
            "target_spec": self.target,
        }

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()
