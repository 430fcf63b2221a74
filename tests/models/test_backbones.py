"""Keras applications as backbones (`backbone`, `backbone_weights`, `fine_tune_epochs`): the block that reads the
model's scaled images back as pixels, a weights file that round-trips into a run (left as it is while frozen,
batch normalization still frozen while fine-tuning), bit-identical reruns, a reproducible and resumable run,
and the one-line refusals."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from kerasrecipes import Recipe, build_model, cli, load_run, reproduce, train
from kerasrecipes.data import load_images
from kerasrecipes.errors import UserError
from kerasrecipes.models import backbones
from kerasrecipes.models.layers import pixel_rescaling
from kerasrecipes.recipes._recipe import BACKBONES

MINI = "mobilenet_v3_small_minimalistic"
RECIPE = {"backbone": MINI, "units": 8, "num_layers": 1, "batch_size": 8, "epochs": 1, "fine_tune_epochs": 1}


def _application(**kwargs) -> keras.Model:
    return keras.applications.MobileNetV3Small(
        input_shape=(32, 32, 3), include_top=False, weights=None, pooling="avg", **kwargs
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """2 classes x 8 PNG images of 32x32 pixels in `shapes/`, and `mini.weights.h5`: a minimalistic
    MobileNetV3Small's weights (random, standing in for the ImageNet file)."""
    import tensorflow as tf

    root = tmp_path_factory.mktemp("backbone")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:32, :32]
    for kind in ("disc", "square"):
        (root / "shapes" / kind).mkdir(parents=True)
        for i in range(8):
            image = rng.integers(0, 60, (32, 32, 3)).astype(np.uint8)
            square = (abs(yy - 16) < 8) & (abs(xx - 16) < 8)
            image[square if kind == "square" else (yy - 16) ** 2 + (xx - 16) ** 2 < 64] = 220
            tf.io.write_file(str(root / "shapes" / kind / f"{i}.png"), tf.io.encode_png(image))
    _application(minimalistic=True).save_weights(root / "mini.weights.h5")
    return root


def _saved(folder) -> list[np.ndarray]:
    application = _application(minimalistic=True)
    application.load_weights(folder / "mini.weights.h5")
    return application.get_weights()


def _application_of(model) -> keras.Model:
    return model.get_layer("backbone").layers[-1]


def test_the_choices_are_the_applications():
    assert set(BACKBONES) - {"none"} == set(backbones.APPLICATIONS)
    for constructor, _, _ in backbones.APPLICATIONS.values():
        assert hasattr(keras.applications, constructor)


def test_the_block_reads_pixels_back_and_gray_images_as_rgb():
    scaling = {"kind": "channels", "center": [100.0], "scale": [50.0]}
    model = build_model(Recipe(scenario="cnn-small-dataset", backbone=MINI), (32, 32, 1), 3, channel_scaling=scaling)
    block = model.get_layer("backbone")
    assert block.trainable  # random weights train from the start
    features = np.linspace(-2, 2, 32 * 32, dtype="float32").reshape(1, 32, 32, 1)
    pixels = np.asarray(block.get_layer("backbone_pixels")(features))
    np.testing.assert_allclose(pixels, features * 50 + 100, rtol=1e-6)
    assert block.get_layer("backbone_rgb").output.shape == (None, 32, 32, 3)
    assert _application_of(model).input_shape == (None, 32, 32, 3)
    assert model.output_shape == (None, 3)
    resnet = pixel_rescaling(None, 3, backbones.APPLICATIONS["resnet50_v2"][2], name="pixels")  # reads [-1, 1]
    np.testing.assert_allclose(np.asarray(resnet(np.array([[0.0, 127.5, 255.0]]))), [[-1.0, 0.0, 1.0]], atol=1e-6)


@pytest.mark.slow
def test_a_weights_file_starts_a_run_that_fine_tunes_saves_predicts_reproduces_and_resumes_after_a_kill(
    folder, tmp_path
):
    """One test, so that the slow MobileNet runs are shared: built frozen from the file (nothing of it trains
    in the first phase), fine-tuned with batch normalization kept, saved, predicting raw pixels, reproduced
    without the file, and resumed after a kill."""
    images = load_images(folder / "shapes", image_size=32)
    saved = _saved(folder)
    recipe = {**RECIPE, "backbone_weights": str(folder / "mini.weights.h5"), "fine_tune_epochs": 2}
    first = build_model(Recipe(scenario="cnn-small-dataset", **recipe), (32, 32, 3), 2)  # the first phase's network
    assert not first.get_layer("backbone").trainable and not first.get_layer("backbone").trainable_weights
    assert all(np.array_equal(a, b) for a, b in zip(saved, _application_of(first).get_weights()))

    tuned = train(images, recipe=recipe, out=tmp_path / "run", checkpoint_every=0, tracking="none", verbose=0)
    assert len(tuned.history["loss"]) == 3 and tuned.manifest["training"]["fine_tune_from_epoch"] == 1
    digest = hashlib.sha256((folder / "mini.weights.h5").read_bytes()).hexdigest()
    assert tuned.manifest["backbone_weights"] == {"path": str(folder / "mini.weights.h5"), "sha256": digest}
    application = _application_of(tuned.model)
    changed = [not np.array_equal(a, b) for a, b in zip(saved, application.get_weights())]
    assert any(changed)
    norms = [
        w for layer in application.layers if isinstance(layer, keras.layers.BatchNormalization) for w in layer.weights
    ]
    assert norms and all(not w.trainable for w in norms)
    for weight, before in zip(application.weights, saved):
        if any(weight is w for w in norms):
            np.testing.assert_array_equal(np.asarray(weight), before)  # inference mode: statistics kept

    probabilities = load_run(tmp_path / "run").predict_proba(images.X)  # model.keras, loaded back: raw pixels in
    assert probabilities.shape == (16, 2) and np.allclose(probabilities.sum(axis=1), 1.0)
    report = reproduce(tmp_path / "run")  # the weights file is not read again
    assert report.identical, report.reasons

    args = ["train", "--images", str(folder / "shapes"), "--image-size", "32", "--tracking", "none", "--quiet"]
    args += ["--checkpoint-every", "0", "--out", str(tmp_path / "killed")]
    args += [a for k, v in recipe.items() for a in ("--set", f"{k}={v}")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERASRECIPES_FAULT": "epoch:2"}  # the first fine-tuning epoch
    killed = subprocess.run([sys.executable, "-m", "kerasrecipes", *args], env=env, capture_output=True, text=True)
    assert killed.returncode < 0, killed.stderr[-2000:]
    assert cli.main(args) == 0  # the first phase's checkpoint, then the fine-tuning again
    sha = [json.loads((tmp_path / d / "manifest.json").read_text())["weights_sha256"] for d in ("run", "killed")]
    assert sha[0] == sha[1]  # the same seed, the same weights: from Python and the CLI, and after a kill


@pytest.mark.parametrize(
    "fields, shape, scaling, match",
    [
        ({"backbone_weights": "w.h5"}, (32, 32, 3), None, r"backbone_weights='w\.h5' needs a backbone"),
        ({"backbone": MINI, "fine_tune_epochs": 2}, (32, 32, 3), None, r"fine-tunes pretrained weights"),
        (
            {"backbone": MINI, "backbone_weights": "w.h5", "fine_tune_epochs": 1, "distribute": "mirrored"},
            (32, 32, 3),
            None,
            r"cannot run distributed",
        ),
        ({"backbone": MINI}, (8, 8, 1), None, r"at least 32x32 pixels; these are 8x8\. .*--image-size 32"),
        ({"backbone": MINI}, (32, 32, 4), None, r"1 or 3 channels\); these have 4\. .*--color rgb"),
        ({"backbone": MINI, "backbone_weights": "missing.h5"}, (32, 32, 3), None, r"'missing\.h5': no such file"),
        (
            {"backbone": MINI, "backbone_weights": "MINI", "scaling": "robust"},
            (32, 32, 3),
            {"center": [0.0] * 3, "scale": [1.0] * 3, "clip": True},
            r"scaling='robust' clips them",
        ),
        ({"backbone": "mobilenet_v3_small", "backbone_weights": "MINI"}, (32, 32, 3), None, r"does not hold weights"),
        ({"backbone": MINI, "backbone_weights": "junk.h5"}, (32, 32, 3), None, r"junk\.h5' does not hold weights"),
        (
            {"backbone": MINI, "filters": 64},
            (32, 32, 3),
            None,
            r"filters=64 shapes the CNN's own .*set backbone='none'",
        ),
        ({"backbone": MINI, "cnn_top": "global_average"}, (32, 32, 3), None, r"cnn_top='global_average' shapes"),
    ],
)
def test_backbone_problems_are_one_line(fields, shape, scaling, match, folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "junk.h5").write_text("not an HDF5 file")
    if fields.get("backbone_weights") == "MINI":
        fields = {**fields, "backbone_weights": str(folder / "mini.weights.h5")}
    with pytest.raises(UserError, match=match) as info:
        build_model(Recipe(scenario="cnn-small-dataset", **fields), shape, 2, channel_scaling=scaling)
    assert "\n" not in str(info.value)


def test_convolution_fields_on_a_table_are_refused_and_at_their_defaults_are_not():
    with pytest.raises(UserError, match=r"conv_blocks=3 shapes the convolution blocks of images .*a table"):
        build_model(Recipe(scenario="binary-small-dataset", conv_blocks=3), (4,), 2)
    with pytest.raises(UserError, match=r"residual=True shapes the convolution blocks of images .*sequences"):
        build_model(Recipe(scenario="rnn-small-dataset", residual=True), (5, 2), 2)
    assert build_model(Recipe(scenario="binary-small-dataset", filters=32, units=4), (4,), 2).output_shape == (None, 1)
    assert build_model(Recipe(backbone=MINI, filters=32), (32, 32, 3), 2).output_shape == (None, 1)


def test_a_backbone_on_a_table_is_refused():
    with pytest.raises(UserError, match=r"backbone='resnet50_v2' reads images .*a table"):
        build_model(Recipe(scenario="binary-small-dataset", backbone="resnet50_v2"), (4,), 2)
    with pytest.raises(UserError, match=r"`backbone_weights` must be 'none' or the path of a file ending in \.h5"):
        Recipe(backbone_weights="weights.txt")
