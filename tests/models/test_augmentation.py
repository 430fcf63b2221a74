"""Augmentation recipe fields: Keras' random layers inside the model, active only in training, seeded with the
run (the same seed: the same weights; a killed run resumes to them), refused where they do not apply."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
    ],
)
def test_augmenting_data_that_is_not_images_is_refused(scenario, field, value, match):
    shape = (5, 2) if scenario.startswith("rnn") else (4,)
    with pytest.raises(UserError, match=match):
        build_model(Recipe(scenario=scenario, **{field: value}), shape, 2)


@pytest.mark.slow
def test_an_augmented_run_is_bit_identical_again_and_after_a_kill(tmp_path):
    recipe = {**AUGMENT, "epochs": 4, "filters": 8, "units": 16}
    first = train("digits_images", recipe=recipe, out=tmp_path / "a", tracking="none", verbose=0)
    again = train("digits_images", recipe=recipe, out=tmp_path / "b", tracking="none", verbose=0)
    assert first.manifest["weights_sha256"] == again.manifest["weights_sha256"]

    args = ["train", "--dataset", "digits_images", "--tracking", "none", "--quiet", "--checkpoint-every", "0"]
    args += [a for k, v in recipe.items() for a in ("--set", f"{k}={v}")] + ["--out", str(tmp_path / "killed")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERASRECIPES_FAULT": "epoch:2"}
    killed = subprocess.run([sys.executable, "-m", "kerasrecipes", *args], env=env, capture_output=True, text=True)
    assert killed.returncode < 0, killed.stderr[-2000:]
    assert cli.main(args) == 0  # resumes from the checkpoint of epoch 2
    resumed = json.loads((tmp_path / "killed" / "manifest.json").read_text())
    assert resumed["weights_sha256"] == first.manifest["weights_sha256"]
