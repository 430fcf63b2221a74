"""Keras layers built from a preprocessing spec (`data._feature_spec`): raw rows in, features out.

`features_layer(spec)` computes, from the raw inputs (`raw_inputs(spec)`: one named scalar input per
table column, float32 with NaN for missing numbers, string with "" for missing text; or the raw image
or sequence array), the float32 features the network trains on; `models.end_to_end` puts it in front of
a trained network. Training transforms each split once with the same layers, so the saved end-to-end
model computes exactly what training saw.

Every layer here is registered with Keras serialization and configured by plain JSON, so `model.keras`
loads with `keras.saving.load_model(path, safe_mode=True)` once this module is imported, and exports to
SavedModel and LiteRT with built-in TensorFlow Lite ops only (numeric work in float32; text through
`StringLookup`'s hash table; free text through `TextVectorization`, whose string splitting SavedModel
serves and LiteRT runs only with TensorFlow's select ops).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from kerasrecipes.data._feature_spec import MISSING_TEXT, derive, smooth_clip

PACKAGE = "kerasrecipes"


@keras.saving.register_keras_serializable(package=PACKAGE)
class TabularFeatures(keras.layers.Layer):
    """Raw table columns (a dict by input name) -> float32 features, as a tabular spec says.

    Args:
        spec: a tabular preprocessing spec (`data._feature_spec.fit_tabular`).
    """

    def __init__(self, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        inputs = {c["name"]: c["input"] for c in spec["columns"]}
        numeric = spec["numeric"]
        parts = numeric.get("parts") or [[c, None] for c in numeric["columns"]]
        self._numeric = [(inputs[c], part) for c, part in parts]  # (input, date part or None)
        self._indicators = [numeric["columns"].index(c) for c in numeric["indicators"]]
        self._fill = np.asarray(numeric["fill"], "float32")
        self._center = np.asarray(numeric["center"], "float32")
        self._scale = np.asarray(numeric["scale"], "float32")
        self._clip = bool(numeric.get("clip", False))
        self._categorical = [
            (
                inputs[c["column"]],
                0 if c["other"] else 1,
                keras.layers.StringLookup(
                    vocabulary=list(c["vocabulary"]),
                    num_oov_indices=1,
                    output_mode="one_hot",
                    name=f"lookup_{inputs[c['column']]}",
                ),
            )
            for c in spec["categorical"]
        ]
        from kerasrecipes.data import _text

        self._text = [
            (inputs[entry["column"]], _text.text_layer(entry, f"text_{inputs[entry['column']]}"))
            for entry in spec.get("text", ())
        ]
        self._text_width = sum(_text.width(entry) for entry in spec.get("text", ()))

    def build(self, input_shape: Any) -> None:
        self.built = True

    def call(self, inputs: dict[str, Any]) -> Any:
        parts = []
        if self._numeric:
            x = ops.stack(
                [derive(ops.cast(inputs[name], "float32"), part, ops) for name, part in self._numeric], axis=1
            )
            missing = ops.isnan(x)
            x = ops.where(missing, self._fill, x)
            if self._indicators:
                indicators = ops.take(ops.cast(missing, "float32"), self._indicators, axis=1)
                x = ops.concatenate([x, indicators], axis=1)
            x = (x - self._center) / self._scale
            parts.append(smooth_clip(x, ops) if self._clip else x)
        for name, first, lookup in self._categorical:
            parts.append(ops.cast(lookup(inputs[name]), "float32")[:, first:])
        for name, vectorize in self._text:  # token ids (exact in float32 below 2**24) or multi-hot n-grams
            parts.append(ops.cast(vectorize(inputs[name]), "float32"))
        return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        width = len(self._numeric) + len(self._indicators)
        width += sum(lookup.vocabulary_size() - first for _, first, lookup in self._categorical)
        return (None, width + self._text_width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "spec": self.spec}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ChannelScaling(keras.layers.Layer):
    """(x - center) / scale per last-axis channel of images or sequences, in float32.

    Args:
        center: one value per channel.
        scale: one value per channel (never 0).
        clip: smoothly clip the result to (-3, 3) (`data._feature_spec.smooth_clip`). Defaults to `False`.
    """

    def __init__(self, center: list[float], scale: list[float], clip: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.center, self.scale, self.clip = list(center), list(scale), bool(clip)
        self._center, self._scale = np.asarray(center, "float32"), np.asarray(scale, "float32")

    def call(self, inputs: Any) -> Any:
        x = (ops.cast(inputs, "float32") - self._center) / self._scale
        return smooth_clip(x, ops) if self.clip else x

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "center": self.center,
            "scale": self.scale,
            **({"clip": True} if self.clip else {}),
        }


def raw_inputs(spec: dict[str, Any]) -> Any:
    """The `keras.Input`s of raw rows: a dict of named scalar inputs (tables) or one array input."""
    if spec["kind"] == "channels":
        return keras.Input(tuple(spec["shape"]), dtype="float32", name="inputs")
    return {
        c["input"]: keras.Input((), dtype="float32" if c["kind"] == "numeric" else "string", name=c["input"])
        for c in spec["columns"]
    }


def features_layer(spec: dict[str, Any]) -> keras.layers.Layer:
    """The layer that computes a spec's features from its raw inputs."""
    if spec["kind"] == "channels":
        return ChannelScaling(spec["center"], spec["scale"], clip=spec.get("clip", False), name="preprocessing")
    return TabularFeatures(spec, name="preprocessing")


def to_inputs(spec: dict[str, Any], rows: Any) -> Any:
    """Raw rows (a `pandas.DataFrame` with the spec's columns, a 2-D array, or images/sequences) as
    the model's inputs: a dict of float32 / text arrays by input name, or a float32 array."""
    if spec["kind"] == "channels":
        return np.asarray(rows, dtype=np.float32)
    import pandas as pd

    frame = (
        rows
        if isinstance(rows, pd.DataFrame)
        else pd.DataFrame(np.asarray(rows), columns=[c["name"] for c in spec["columns"]])
    )
    out = {}
    for column in spec["columns"]:
        values = frame[column["name"]]
        if column["kind"] == "numeric":
            out[column["input"]] = values.to_numpy(dtype=np.float64).astype(np.float32)
        else:
            out[column["input"]] = values.where(values.notna(), MISSING_TEXT).astype(str).to_numpy(dtype=object)
    return out


def apply(model: keras.Layer, inputs: Any, batch_size: int = 65_536) -> np.ndarray:
    """Run a model or layer on raw inputs in chunks by direct calls (no `predict`: it would cast and retrace)."""
    import tensorflow as tf

    n = len(next(iter(inputs.values()))) if isinstance(inputs, dict) else len(inputs)
    chunks = []
    for start in range(0, max(n, 1), batch_size):
        part = (
            {k: tf.constant(v[start : start + batch_size]) for k, v in inputs.items()}
            if isinstance(inputs, dict)
            else tf.constant(inputs[start : start + batch_size])
        )
        chunks.append(np.asarray(model(part, training=False)))
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
