"""Image folders: one sub-folder per class (as `keras.utils.image_dataset_from_directory` reads them).

`load_images(folder)` decodes every image (PNG, JPEG, BMP, GIF) with TensorFlow's `decode_image`, resizes it
to `image_size` with `tf.image.resize` (bilinear) and gives a `Dataset` of shape (images, height, width,
channels) in pixel values 0-255, for the CNN rows. The pixels are scaled inside the run's model (per channel,
on the training images), and the run keeps the size and colour, so `predict` reads new image files the same
way. Each problem is one line that names the file: an image that does not decode, an empty class folder, a
single class, images of mixed channel counts (pass `color`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.data import _dataset
from kerasrecipes.errors import UserError

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
"""The image files a folder's listing takes (by suffix, any case); other files are ignored."""
COLORS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _size(image_size: Any) -> tuple[int, int]:
    size = (image_size, image_size) if isinstance(image_size, int) and not isinstance(image_size, bool) else image_size
    try:
        height, width = (int(d) for d in size)
    except (TypeError, ValueError):
        raise UserError(_validation.invalid("image_size", "an integer or (height, width)", image_size)) from None
    if min(height, width) < 8 or max(height, width) > 1024:
        raise UserError(_validation.invalid("image_size", "between 8 and 1024 pixels a side", image_size))
    return height, width


def image_files(path: str | os.PathLike) -> list[Path]:
    """The image files under `path` (every level, sorted), or `path` itself when it is an image file."""
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() not in SUFFIXES:
            raise UserError(f"{path.name} is not an image file ({', '.join(SUFFIXES)}).")
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


_DECODERS: dict[int, Any] = {}
"""One compiled decode-and-resize per channel count (0: the image's own), traced once for any image and output
size, so a long folder is decoded without building each image's ops eagerly (the streaming pass's memory)."""


def _decoder(channels: int) -> Any:
    """The compiled decode-and-resize of `decode_one` for a channel count (traced once, for any size)."""
    import tensorflow as tf

    if channels not in _DECODERS:

        @tf.function(input_signature=[tf.TensorSpec([], tf.string), tf.TensorSpec([2], tf.int32)])
        def decode_and_resize(content, size):
            image = tf.io.decode_image(content, channels=channels, expand_animations=False)
            return tf.image.resize(tf.cast(image, tf.float32), size)

        _DECODERS[channels] = decode_and_resize
    return _DECODERS[channels]


def decode_one(
    file: Path, size: tuple[int, int], channels: int | None, where: str, content: bytes | None = None
) -> np.ndarray:
    """Decode and resize one image file -> float32 (height, width, its channels), pixel values 0-255.

    `content` is the file's bytes when the caller has read them already. The streamed road
    (`streaming.ImageFolderStream`) decodes with the same TensorFlow ops, so both roads see the same
    pixels. A file that does not decode is a one-line error naming it.
    """
    import tensorflow as tf

    try:
        data = tf.io.read_file(str(file)) if content is None else tf.constant(content)
        return _decoder(channels or 0)(data, tf.constant(size, tf.int32)).numpy()
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as exc:
        reason = re.sub(r"\{\{.*?\}\}\s*", "", str(exc)).strip().splitlines()[0][:120].rstrip(". ")
        raise UserError(
            f"{where}: {file.name} is not an image that decodes ({reason}); remove or replace it."
        ) from None


def mixed_channels(found: dict[int, Path], where: str) -> UserError:
    """The one-line error for images of different channel counts (`found`: channel count -> first such file)."""
    (a, first), (b, second) = sorted(found.items())[:2]
    return UserError(
        f"{where}: images of mixed channel counts ({first.name} has {a}, {second.name} has {b}); "
        "pass --color grayscale or --color rgb (color=...) to convert every image."
    )


def decode(files: Sequence[Path], size: tuple[int, int], channels: int | None, where: str) -> np.ndarray:
    """Decode and resize image files -> float32 (n, height, width, channels), pixel values 0-255."""
    out, found = [], {}
    for file in files:
        image = decode_one(file, size, channels, where)
        found.setdefault(int(image.shape[-1]), file)
        if len(found) > 1 and channels is None:
            raise mixed_channels(found, where)
        out.append(image)
    if not out:
        return np.zeros((0, *size, channels or 1), np.float32)
    return np.stack(out).astype(np.float32)


def files_sha256(files: Sequence[Path], root: Path) -> str:
    """One sha256 over every file's path (relative to `root`, with /) and bytes, in the given order."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(digest_entry(file, root, file.read_bytes()))
    return digest.hexdigest()


def digest_entry(file: Path, root: Path, content: bytes) -> bytes:
    """What `files_sha256` hashes of one file: its path relative to `root` (with /), a NUL, its bytes."""
    return os.path.relpath(file, root).replace(os.sep, "/").encode() + b"\0" + content


def channel_names(n: int) -> tuple[str, ...]:
    """The names of an image's `n` channels (gray; red, green, blue; and alpha)."""
    return {1: ("gray",), 3: ("red", "green", "blue"), 4: ("red", "green", "blue", "alpha")}.get(
        n, tuple(f"channel_{i}" for i in range(n))
    )


def _checked(size: Any, color: str | None) -> tuple[int, int]:
    if color is not None and color not in COLORS:
        raise UserError(_validation.invalid("color", f"one of {', '.join(COLORS)}, or None", color))
    return _size(size)


def _dataset_of(name: str, files: list[Path], labels: list[Any], root: Path, size, color, source: dict):
    """Decode `files` into a `Dataset` whose source hashes every file (name and bytes)."""
    X = decode(files, size, COLORS.get(color), name)
    channels = channel_names(X.shape[-1])
    return _dataset.Dataset(
        name=name,
        X=X,
        y=np.asarray(labels, dtype=object) if source.get("kind") == "images" else np.asarray(labels),
        feature_names=channels,
        target_name=source.get("target", "class"),
        numeric_columns=channels,
        source={
            **source,
            "image_size": list(size),
            "color": color,
            "files": len(files),
            "sha256": files_sha256(files, root),
        },
    )


def read_table(csv: Path) -> Any:
    """A CSV file of image paths as text cells (empty cells stay empty strings)."""
    import pandas as pd

    return pd.read_csv(csv, dtype=str, skipinitialspace=True, encoding="utf-8-sig", keep_default_na=False)


def table_files(csv: Path, paths: Any, column: str) -> list[Path]:
    """A CSV file's image paths (relative to its folder, or absolute) as files; a missing one names its cell."""
    files = [Path(p) if os.path.isabs(p) else csv.parent / p for p in paths.str.strip()]
    missing = next((f for f in files if not f.is_file()), None)
    if missing is not None:
        raise UserError(f"{csv.name}: the image {missing} does not exist; fix its {column!r} cell or the file.")
    return files


def load_image_table(
    path: str | os.PathLike, target: str, image_column: str, *, image_size: Any = 64, color: str | None = None
) -> _dataset.Dataset:
    """Read a CSV file of image paths and labels: `image_column` names each row's image file (relative to the
    CSV file's folder, or absolute), `target` its label. As `load_images` otherwise.

    Raises:
        ValueError: a missing column or file, an image that does not decode, or fewer than 10 rows.
    """
    import pandas as pd

    csv = Path(path)
    size = _checked(image_size, color)
    if not csv.is_file():
        raise UserError(f"{csv} is not a file; give the CSV file of image paths and labels.")
    frame = read_table(csv)
    for column, what in ((image_column, "--image-column"), (target, "--target")):
        if column not in frame.columns:
            raise UserError(
                _validation.unknown_name(f"{what} column", column, list(frame.columns))
                + f" (the columns of {csv.name})."
            )
    rows = frame[(frame[image_column].str.strip() != "") & (frame[target].str.strip() != "")]
    if len(rows) < _dataset.MIN_ROWS:
        raise UserError(
            f"{csv.name} has {len(rows)} rows with an image and a label; train, validation and test need 10."
        )
    files = table_files(csv, rows[image_column], image_column)
    labels = rows[target].str.strip().tolist()
    numbers = pd.to_numeric(pd.Series(labels), errors="coerce")
    if numbers.notna().all() and (numbers == numbers.round()).all():
        labels = numbers.astype(np.int64).tolist()  # whole-number labels stay numbers, as a CSV target's do
    source = {"kind": "image-table", "path": str(csv.resolve()), "target": target, "image_column": image_column}
    return _dataset_of(csv.stem, files, labels, csv.parent, size, color, source)


def load_images(folder: str | os.PathLike, *, image_size: Any = 64, color: str | None = None) -> _dataset.Dataset:
    """Read a folder of class sub-folders of images into a `Dataset` for the CNN rows.

    Args:
        folder: a folder with one sub-folder per class (its name is the label), each holding images.
        image_size: the side, or (height, width), every image is resized to. Defaults to 64.
        color: "grayscale", "rgb" or "rgba" to convert every image; None: the images' own channel
            count, which must be the same for all. Defaults to None.

    Returns:
        A `Dataset` of shape (images, height, width, channels), pixel values 0-255, labels the class
        folders' names, `source={"kind": "images", "path", "image_size", "color", "files", "sha256"}`.

    Raises:
        ValueError: a missing folder, fewer than 2 class folders, an empty class folder, an image that
            does not decode, mixed channel counts without `color`, or fewer than 10 images.
    """
    root = Path(folder)
    size = _checked(image_size, color)
    files, labels = class_files(root)
    return _dataset_of(root.name, files, labels, root, size, color, {"kind": "images", "path": str(root.resolve())})


def class_files(root: Path) -> tuple[list[Path], list[str]]:
    """The image files of a folder of class sub-folders, sorted by class then path, and their labels.

    Raises:
        ValueError: a missing folder, fewer than 2 class folders, an empty class folder, or fewer than 10 images.
    """
    if not root.is_dir():
        raise UserError(f"{root} is not a folder; give a folder with one sub-folder of images per class.")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise UserError(
            f"{root} has {len(classes)} class folder(s) ({', '.join(classes) or 'none'}); it needs one sub-folder "
            "of images per class, at least 2."
        )
    files, labels = [], []
    for name in classes:
        mine = image_files(root / name)
        if not mine:
            raise UserError(f"{root / name} holds no image ({', '.join(SUFFIXES)}); add images or remove the folder.")
        files += mine
        labels += [name] * len(mine)
    if len(files) < _dataset.MIN_ROWS:
        raise UserError(f"{root} holds {len(files)} images; train, validation and test need at least 10.")
    return files, labels
