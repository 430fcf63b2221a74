"""Augmentation recipe fields: Keras' random layers inside the model, active only in training, seeded with the
run (the same seed: the same weights; a killed run resumes to them), refused where they do not apply."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from kerasrecipes import Recipe, build_model, cli, train
from kerasrecipes.errors import UserError

AUGMENT = {
    "augment_flip": "horizontal",
    "augment_rotation": 0.05,
    "augment_zoom": 0.1,
    "augment_translation": 0.1,
    "augment_contrast": 0.2,
    "augment_noise": 0.05,
}


def test_the_layers_change_training_batches_only():
    model = build_model(Recipe(scenario="cnn-small-dataset", **AUGMENT), (8, 8, 1), 3)
    names = [layer.name for layer in model.layers[:6]]
    assert names == [f"augment_{k}" for k in ("flip", "rotation", "zoom", "translation", "contrast", "noise")]
    images = np.random.default_rng(0).normal(size=(4, 8, 8, 1)).astype("float32")
    augment = model.layers[:6]
    x = images
    for layer in augment:
        x = layer(x, training=False)
    np.testing.assert_array_equal(np.asarray(x), images)  # inference: the images as they are
    y = images
    for layer in augment:
        y = layer(y, training=True)
    assert not np.allclose(np.asarray(y), images)
    rnn = build_model(Recipe(scenario="rnn-small-dataset", augment_noise=0.1), (5, 2), 2)
    assert rnn.layers[0].name == "augment_noise"


@pytest.mark.parametrize("shape", [(8, 8, 1), (16, 16, 3)])
def test_randaugment_works_on_pixel_values_in_training_only(shape):
    channels = shape[-1]
    scaling = {"kind": "channels", "center": [100.0] * channels, "scale": [50.0] * channels}
    recipe = Recipe(scenario="cnn-small-dataset", augment_randaugment=0.5, filters=4, units=8)
    keras.utils.set_random_seed(1)
    model = build_model(recipe, shape, 3, channel_scaling=scaling)
    layer = model.layers[0]
    assert layer.name == "augment_randaugment"
    images = np.random.default_rng(0).normal(size=(4, *shape)).astype("float32")
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    changed = np.asarray(layer(images, training=True))
    assert changed.shape == images.shape and not np.allclose(changed, images)
    pixels = changed * 50 + 100  # RandAugment kept the pixel values in [0, 255]
    assert pixels.min() > -1e-3 and pixels.max() < 255 + 1e-3
    first = model.predict(images, verbose=0)
    np.testing.assert_array_equal(model.predict(images, verbose=0), first)
    plain = build_model(recipe.replace(augment_randaugment=0.0), shape, 3, channel_scaling=scaling)
    for other in plain.layers:
        other.set_weights(model.get_layer(other.name).get_weights())
    np.testing.assert_array_equal(plain.predict(images, verbose=0), first)  # as if the layer were not there


@pytest.mark.parametrize("value", [-0.1, 1.5, "strong"])
def test_a_bad_randaugment_strength_is_refused_in_one_line(value):
    with pytest.raises(UserError, match=r"augment_randaugment") as caught:
        Recipe(augment_randaugment=value)
    assert "\n" not in str(caught.value) and "[0.0, 1.0]" in str(caught.value)


@pytest.mark.parametrize(
    "scenario, field, value, match",
    [
        (
            "binary-small-dataset",
            "augment_flip",
            "horizontal",
            r"augment_flip augments images \(the CNN rows\).*a table",
        ),
        ("rnn-small-dataset", "augment_zoom", 0.1, r"augment_zoom augments images.*sequences \(the rnn builder\)"),
        ("binary-small-dataset", "augment_noise", 0.1, r"augment_noise augments images and sequences"),
        ("rnn-small-dataset", "augment_randaugment", 0.5, r"augment_randaugment augments images \(the CNN rows\)"),
    ],
)
def test_augmenting_data_that_is_not_images_is_refused(scenario, field, value, match):
    shape = (5, 2) if scenario.startswith("rnn") else (4,)
    with pytest.raises(UserError, match=match):
        build_model(Recipe(scenario=scenario, **{field: value}), shape, 2)


@pytest.mark.slow
def test_an_augmented_run_is_bit_identical_again_and_after_a_kill(tmp_path):
    recipe = {**AUGMENT, "augment_randaugment": 0.3, "epochs": 4, "filters": 8, "units": 16}
    first = train("digits_images", recipe=recipe, out=tmp_path / "a", tracking="none", verbose=0)
    # again, in another process until the kill and in this one after it: the same seed, the same weights
    args = ["train", "--dataset", "digits_images", "--tracking", "none", "--quiet", "--checkpoint-every", "0"]
    args += [a for k, v in recipe.items() for a in ("--set", f"{k}={v}")] + ["--out", str(tmp_path / "killed")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERASRECIPES_FAULT": "epoch:2"}
    killed = subprocess.run([sys.executable, "-m", "kerasrecipes", *args], env=env, capture_output=True, text=True)
    assert killed.returncode < 0, killed.stderr[-2000:]
    assert cli.main(args) == 0  # resumes from the checkpoint of epoch 2
    resumed = json.loads((tmp_path / "killed" / "manifest.json").read_text())
    assert resumed["weights_sha256"] == first.manifest["weights_sha256"]
