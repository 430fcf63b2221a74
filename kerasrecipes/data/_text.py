"""Free text: a table's text columns as token ids or n-grams, and folders of text files as a table.

A text column of a tabular spec (`data._feature_spec`) carries what Keras' `TextVectorization` learned on
the training rows only (`fit_text`), as plain JSON::

    {"column": "review", "mode": "sequence", "vocabulary": ["the", "a", ...],
     "length": 120, "ngrams": 1}

`text_layer(entry)` rebuilds the layer from it (no `adapt` again), so the saved model's first layers read
raw text. Text is lower-cased, stripped of punctuation and split on whitespace (Keras' defaults).

- mode "sequence": each text becomes `length` token ids (0 = padding or an empty cell, 1 = a word
  outside the vocabulary), which `models.text` embeds (masking the padding) and reads with the recipe's
  recurrent layers;
- mode "ngrams": each text becomes a multi-hot vector over its vocabulary of word n-grams (1 to `ngrams`
  words; index 0 counts the n-grams outside it), a bag of n-grams that the dense layers read directly;
- mode "auto" (the default) picks one of them per column from its training rows (`auto_mode`); the entry
  records the mode picked and the ratio it was picked by.

`load_text_folder(DIR)` reads one sub-folder per class of `.txt` files (as Keras'
`text_dataset_from_directory`) into a table with the column `text`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes import _validation
from kerasrecipes.errors import UserError

SEQUENCE_RATIO = 1500
"""Mode "auto" reads a text column as token ids ("sequence") when its training rows number at least this many
times the median words of a text, else as a bag of n-grams: the samples-to-words rule of Google's text
classification guide (developers.google.com/machine-learning/guides/text-classification, step 2.5), which
found n-gram models better below the ratio and sequence models above it."""
MAX_LENGTH = 400
"""Longest token sequence "auto" picks (`length=0`): the 95th percentile of the training texts' word
counts, at most this many (longer texts are cut at the end, shorter ones padded)."""
COLUMN = "text"
"""The text column of a table read from a text folder."""
SUFFIXES = (".txt",)


def vectorizer(mode: str, *, max_tokens: int | None, length: int, ngrams: int, vocabulary: Any = None) -> Any:
    """A `keras.layers.TextVectorization` for a mode (with a fitted vocabulary, or ready to `adapt`)."""
    import keras

    if mode == "sequence":
        return keras.layers.TextVectorization(
            max_tokens=max_tokens, output_mode="int", output_sequence_length=length, vocabulary=vocabulary
        )
    return keras.layers.TextVectorization(
        max_tokens=max_tokens, output_mode="multi_hot", ngrams=ngrams if ngrams > 1 else None, vocabulary=vocabulary
    )


def fit_text(column: str, texts: np.ndarray, *, mode: str, max_tokens: int, length: int, ngrams: int) -> dict:
    """A text column's spec entry, learned from its training texts ("" = missing).

    Args:
        column: the column's name.
        texts: the training rows' texts.
        mode: "sequence" (token ids), "ngrams" (multi-hot word n-grams) or "auto" (`auto_mode`).
        max_tokens: most entries of the vocabulary, the padding and out-of-vocabulary entries included.
        length: token ids per text in "sequence" mode; 0 picks it from the texts (`MAX_LENGTH`).
        ngrams: longest n-gram in "ngrams" mode (1 = single words).

    Raises:
        ValueError: every training text of the column is empty.

    Examples:
        >>> entry = fit_text("t", np.array(["good film", "bad film", ""], dtype=object), mode="sequence",
        ...                  max_tokens=100, length=0, ngrams=1)
        >>> entry["vocabulary"], entry["length"]
        (['film', 'good', 'bad'], 2)
    """
    texts = np.asarray(texts, dtype=object).astype(str)
    present = texts[texts != ""]
    if not len(present):
        raise UserError(
            f"The text column {column!r} is empty in every training row; fill it, or leave it out (--drop {column})."
        )
    words = np.array([len(t.split()) for t in present])
    picked = {}
    if mode == "auto":
        mode, ratio = auto_mode(len(texts), words)
        picked = {"picked_by": {"samples_per_word": round(ratio, 1), "sequence_from": SEQUENCE_RATIO}}
    if mode == "sequence" and length == 0:
        length = int(min(MAX_LENGTH, max(1, np.ceil(np.percentile(words, 95)))))
    layer = vectorizer(mode, max_tokens=max_tokens, length=length, ngrams=ngrams)
    layer.adapt(present, batch_size=4096)
    special = 2 if mode == "sequence" else 1  # padding and out-of-vocabulary ids, or the out-of-vocabulary count
    vocabulary = [str(t) for t in layer.get_vocabulary()[special:]]
    return {
        "column": column,
        "mode": mode,
        "vocabulary": vocabulary,
        "length": int(length),
        "ngrams": int(ngrams),
        **picked,
    }


def auto_mode(samples: int, words: np.ndarray) -> tuple[str, float]:
    """The mode "auto" picks for a text column, and the ratio it picked by: "sequence" when the training rows
    (`samples`, empty cells included) number at least `SEQUENCE_RATIO` times the median words of a non-empty
    text (`words`, one count per text), else "ngrams".

    Examples:
        >>> auto_mode(4000, np.array([40, 50, 60]))
        ('ngrams', 80.0)
        >>> auto_mode(200_000, np.array([8, 10, 12]))
        ('sequence', 20000.0)
    """
    ratio = samples / max(1.0, float(np.median(words)))
    return ("sequence" if ratio >= SEQUENCE_RATIO else "ngrams"), ratio


def text_layer(entry: dict, name: str) -> Any:
    """The `TextVectorization` a spec entry describes (its vocabulary given, not adapted)."""
    layer = vectorizer(
        entry["mode"], max_tokens=None, length=entry["length"], ngrams=entry["ngrams"], vocabulary=entry["vocabulary"]
    )
    layer.name = name
    return layer


def width(entry: dict) -> int:
    """How many features a text column gives: its token ids, or its vocabulary and the unknown n-grams."""
    return entry["length"] if entry["mode"] == "sequence" else len(entry["vocabulary"]) + 1


def layout(spec: dict) -> list[dict]:
    """The token-id blocks of a tabular spec's features, for the text model (`models.text`): per
    "sequence" text column its `start`, `length` and `vocabulary_size` (ids 0 .. size - 1); [] when none."""
    if spec.get("kind") != "tabular" or not spec.get("text"):
        return []
    start = spec_width_before_text(spec)
    blocks = []
    for entry in spec["text"]:
        if entry["mode"] == "sequence":
            blocks.append({"start": start, "length": entry["length"], "vocabulary_size": len(entry["vocabulary"]) + 2})
        start += width(entry)
    return blocks


def spec_width_before_text(spec: dict) -> int:
    """Features of a tabular spec before its text columns: numeric, missing indicators, one-hot."""
    numeric = spec["numeric"]
    one_hot = sum(len(c["vocabulary"]) + int(c["other"]) for c in spec["categorical"])
    return len(numeric["columns"]) + len(numeric["indicators"]) + one_hot


def text_files(path: Path) -> list[Path]:
    """The text files under a folder (recursively, sorted), or the one file given."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def read_text(path: Path) -> str:
    """A text file's content (UTF-8; undecodable bytes replaced), one line per text's line."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UserError(f"Cannot read the text file {path}: {exc.strerror or exc}. Check its permissions.") from None
    if b"\0" in content[:8192]:  # images and other binary files hold zero bytes; text does not
        raise UserError(
            f"{path} is not a text file (it holds binary data, e.g. an image); a text folder holds .txt files of "
            "text. Remove it, or train images with --images."
        )
    return content.decode("utf-8", errors="replace")


def load_text_folder(path: str | Path, name: str | None = None) -> Any:
    """A folder of class sub-folders of `.txt` files -> a `Dataset` with one text column.

    Args:
        path: the folder; each sub-folder's name is the label of the files in it (nested folders
            count toward their top sub-folder).
        name: the dataset's name. Defaults to the folder's name.

    Raises:
        ValueError: the folder does not exist, has fewer than 2 class folders, or a class folder has no
            `.txt` file.
    """
    import hashlib

    import pandas as pd

    from kerasrecipes.data import _column_types, _dataset

    root = Path(path)
    if not root.is_dir():
        raise UserError(
            _validation.invalid(
                "--texts",
                "a folder with one sub-folder of .txt files per class",
                str(path),
                fix="It does not exist or is not a folder",
            )
        )
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise UserError(
            f"{root} has {len(classes)} class folder(s); a text folder needs one sub-folder per class (at least 2), "
            "each holding that class's .txt files."
        )
    texts, labels, digest = [], [], hashlib.sha256()
    for label in classes:
        files = text_files(root / label)
        if not files:
            raise UserError(
                f"The class folder {root / label} holds no .txt file; put that class's texts in it, or remove it."
            )
        for file in files:
            content = read_text(file)
            digest.update(f"{file.relative_to(root).as_posix()}\0".encode())
            digest.update(content.encode())
            texts.append(content)
            labels.append(label)
    column = np.asarray(texts, dtype=object)
    return _dataset.Dataset(
        name=name or root.name,
        X=pd.DataFrame({COLUMN: column}),
        y=np.asarray(labels, dtype=object),
        feature_names=(COLUMN,),
        target_name="label",
        numeric_columns=(),
        source={"kind": "texts", "path": str(root), "sha256": digest.hexdigest(), "classes": classes},
        column_types=(_column_types.ColumnType(COLUMN, "text", "free text, one file per row"),),
    )
