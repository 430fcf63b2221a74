"""The CNN builder's top (`cnn_top`) and residual blocks (`residual`): the layers they add, the weights
global average pooling saves, and a residual run that trains, reruns bit-identically and loads back."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerasrecipes import Recipe, build_model, data, load_run, train
from kerasrecipes.runs import _evaluate, rundir


def _kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_global_average_replaces_flatten_with_far_fewer_weights():
    flat = build_model(Recipe(scenario="cnn-small-dataset"), (32, 32, 3), 4)
    pooled = build_model(Recipe(scenario="cnn-small-dataset", cnn_top="global_average"), (32, 32, 3), 4)
    assert "Flatten" in _kinds(flat) and "GlobalAveragePooling2D" not in _kinds(flat)  # the default
    assert "GlobalAveragePooling2D" in _kinds(pooled) and "Flatten" not in _kinds(pooled)
    assert isinstance(pooled, keras.Sequential)  # still the recipe's api
    assert pooled.count_params() * 4 < flat.count_params()  # 8x8x64 positions flattened vs 64 means


def test_residual_blocks_add_a_shortcut_and_build_functional():
    recipe = Recipe(scenario="cnn-small-dataset", residual=True, api="sequential", conv_blocks=3, filters=4)
    model = build_model(recipe, (8, 8, 4), 3)
    assert not isinstance(model, keras.Sequential) and isinstance(model, keras.Model)  # Functional anyway
    assert _kinds(model).count("Add") == 3 and model.recipe.residual is True
    names = [layer.name for layer in model.layers]
    assert "conv_1_projection" not in names  # 4 channels in, 4 filters: the identity shortcut
    assert model.get_layer("conv_2_projection").kernel.shape == (1, 1, 4, 8)  # filters double: a 1x1 projection
    assert model.get_layer("conv_2_add").input[1] is model.get_layer("conv_2_projection_batch_norm").output
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 4)).astype("float32")
    assert model.predict(x, verbose=0).shape == (2, 3)


@pytest.mark.slow
def test_a_residual_run_trains_reruns_bit_identically_and_loads_back(tmp_path):
    recipe = {"residual": True, "cnn_top": "global_average", "epochs": 2, "filters": 8, "units": 16}
    recipe.update(batch_norm=False, dropout=0.0, learning_rate=0.01)  # the row's batch norm needs more epochs
    first = train("digits_images", recipe=recipe, out=tmp_path / "a", tracking="none", verbose=0)
    again = train("digits_images", recipe=recipe, out=tmp_path / "b", tracking="none", verbose=0)
    assert first.manifest["weights_sha256"] == again.manifest["weights_sha256"]
    assert first.manifest["recipe"]["residual"] is True and first.test_metrics["accuracy"] > 0.3  # chance: 0.1
    loaded = rundir.load_saved_model(tmp_path / "a" / "model.keras")  # Keras' safe mode: no custom code
    assert _evaluate.saved_predictions(loaded, first.data)[0] == first.manifest["predictions_sha256"]
    predictions = load_run(tmp_path / "a").predict(data.load_dataset("digits_images").X[:7])
    assert len(predictions) == 7 and set(predictions) <= set(range(10))
