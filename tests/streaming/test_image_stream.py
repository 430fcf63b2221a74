"""Image folders streamed from disk (`ImageFolderStream`, `train --images DIR --stream`): the files are split by
a seeded rule on their paths, one pass fits the per-channel scaling, every epoch decodes batches through
`tf.data` with the in-memory road's ops; a run predicts, reproduces and reruns bit for bit, and the pass's
memory does not grow with the number of images."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import cli, load_run, reproduce, train
from kerasrecipes.data import _images
from kerasrecipes.errors import UserError
from kerasrecipes.streaming import ImageFolderStream, split_files
from kerasrecipes.streaming._image_stream import scan_images


def _picture(kind: str, rng, side: int = 16, channels: int = 3) -> np.ndarray:
    """A dark noisy picture with a bright square or a disc in the middle."""
    image = rng.integers(0, 60, (side, side, channels)).astype(np.uint8)
    (yy, xx), c = np.mgrid[:side, :side], side // 2
    square = (abs(yy - c) < c // 2) & (abs(xx - c) < c // 2)
    image[square if kind == "square" else (yy - c) ** 2 + (xx - c) ** 2 <= (c // 2) ** 2] = 220
    return image


def _write(path, image) -> None:
    import tensorflow as tf

    path.parent.mkdir(parents=True, exist_ok=True)
    tf.io.write_file(str(path), tf.io.encode_png(image))


def _folder(root, n_per_class: int, side: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    for kind in ("disc", "square"):
        for i in range(n_per_class):
            _write(root / kind / f"{i}.png", _picture(kind, rng, side))
    return root


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """A folder of 2 classes x 20 PNG images (a few of another size), and a folder of 4 new images."""
    root = tmp_path_factory.mktemp("streamed")
    _folder(root / "shapes", 20)
    rng = np.random.default_rng(5)
    _write(root / "shapes" / "disc" / "big.png", _picture("disc", rng, 30))
    for i in range(4):
        _write(root / "new" / f"n{i}.png", _picture(("square", "disc")[i % 2], rng))
    return root


def test_a_streamed_image_run_trains_predicts_reproduces_and_reruns_bit_for_bit(shapes, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(shapes)
    command = ["train", "--images", "shapes", "--stream", "--image-size", "12", "--set", "epochs=3", "--quiet"]
    out = str(tmp_path / "run")
    assert cli.main([*command, "--tracking", "none", "--out", out]) == 0
    run = load_run(out)
    manifest = run.manifest
    assert manifest["data"]["kind"] == "image-stream" and manifest["execution"]["road"] == "fit"
    assert manifest["data"]["source"]["sha256"] == _images.files_sha256(*_listing(shapes / "shapes"))
    assert run.spec["images"] == {"size": [12, 12], "color": None} and run.spec["shape"] == [12, 12, 3]
    assert run.classes == ["disc", "square"] and manifest["scenario"].startswith("cnn-")
    assert cli.main(["predict", out, "new", "--out", str(tmp_path / "p.csv")]) == 0
    written = pd.read_csv(tmp_path / "p.csv")
    assert list(written.columns) == ["file", "class", "probability_disc", "probability_square"] and len(written) == 4
    capsys.readouterr()
    assert cli.main(["reproduce", out]) == 0 and "reproduces exactly" in capsys.readouterr().out
    again = reproduce(out, retrain=True)  # a rerun of the same command: bit-identical weights
    assert again.identical and again.retrained_weights_sha256 == manifest["weights_sha256"]
    _write(shapes / "shapes" / "disc" / "extra.png", _picture("disc", np.random.default_rng(9)))
    try:
        assert cli.main(["reproduce", out]) == 2 and "has changed since training" in capsys.readouterr().err
    finally:
        (shapes / "shapes" / "disc" / "extra.png").unlink()


def _listing(root):
    files, _ = _images.class_files(root)
    return files, root


def test_the_split_and_the_scaling_are_what_the_code_promises(shapes):
    stream = ImageFolderStream(shapes / "shapes", image_size=12)
    data = stream.prepare(_Recipe(seed=3, scaling="standard"), task="auto")
    codes = split_files(stream.relative, stream.labels, 3, 0.2, 0.2)
    assert np.array_equal(data.codes, codes)
    labels = np.asarray(stream.labels)
    for label, n in (("disc", 21), ("square", 20)):  # per class: ceil(0.2 n) test, ceil(0.2 n) validation
        mine = codes[labels == label]
        assert [(mine == k).sum() for k in (2, 1, 0)] == [int(np.ceil(0.2 * n))] * 2 + [n - 2 * int(np.ceil(0.2 * n))]
    assert not np.array_equal(codes, split_files(stream.relative, stream.labels, 4, 0.2, 0.2))  # the seed decides
    train_files = [f for f, c in zip(stream.files, codes) if c == 0]
    pixels = _images.decode(train_files, (12, 12), None, "test").reshape(-1, 3).astype(np.float64)
    assert np.allclose(data.preprocessing["center"], pixels.mean(axis=0), rtol=1e-12, atol=0)
    assert np.allclose(data.preprocessing["scale"], pixels.std(axis=0), rtol=1e-12, atol=0)
    minmax = stream.prepare(_Recipe(seed=3, scaling="minmax"), task="auto").preprocessing
    assert minmax["center"] == pixels.min(axis=0).tolist()
    assert minmax["scale"] == (pixels.max(axis=0) - pixels.min(axis=0)).tolist()
    raw = np.concatenate(list(data.raw_test_batches(8)))  # the pipeline decodes as the in-memory road
    test_files = [f for f, c in zip(stream.files, codes) if c == 2]
    assert np.array_equal(raw, _images.decode(test_files, (12, 12), None, "test"))
    x, y = next(iter(data.dataset("test", 64)))
    assert np.allclose(
        np.asarray(x), (raw - data.preprocessing["center"]) / data.preprocessing["scale"], rtol=1e-6, atol=1e-6
    )
    assert np.asarray(y).tolist() == [["disc", "square"].index(p.parent.name) for p in test_files]


class _Recipe:
    """The data fields `prepare` reads (unset ones take the table's defaults)."""

    def __init__(self, **fields):
        self.__dict__.update(
            {k: None for k in ("seed", "validation_fraction", "test_fraction", "scaling", "imbalance")}, **fields
        )


def _peak_python_memory(root) -> int:
    files = _images.class_files(root)[0]
    codes = np.zeros(len(files), np.int8)
    tracemalloc.start()
    try:
        scan_images(root, files, codes, size=(8, 8), color=None, scaling="standard")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_pass_memory_does_not_grow_with_images(tmp_path):
    small, large = _folder(tmp_path / "small", 25, side=8), _folder(tmp_path / "large", 200, side=8, seed=1)
    _peak_python_memory(small)  # warm up TensorFlow's caches
    peak_small, peak_large = _peak_python_memory(small), _peak_python_memory(large)  # 50 and 400 images
    assert peak_large < 1.1 * peak_small + 64 * 1024, (peak_small, peak_large)


@pytest.mark.parametrize(
    "make, recipe, match",
    [
        (lambda r: (r / "disc" / "3.png").write_text("not an image"), {}, r"3.png is not an image that decodes"),
        (
            lambda r: _write(r / "square" / "gray.png", np.zeros((8, 8, 1), np.uint8)),
            {},
            r"mixed channel counts .*--color",
        ),
        (None, {"scaling": "robust"}, r"`scaling` must be a value the streamed image road supports"),
        (None, {"fine_tune_epochs": 2}, r"`fine_tune_epochs` must be 0 when streaming images"),
    ],
)
def test_bad_input_is_one_line_naming_the_file_or_the_value(tmp_path, make, recipe, match):
    root = _folder(tmp_path / "f", 6, side=8)
    if make is not None:
        make(root)
    with pytest.raises(UserError, match=match):
        train(ImageFolderStream(root, image_size=8), recipe={"epochs": 1, **recipe}, tracking="none", verbose=0)


def test_shuffle_buffer_goes_with_a_csv_stream(tmp_path, capsys):
    root = _folder(tmp_path / "f", 6, side=8)
    assert cli.main(["train", "--images", str(root), "--stream", "--shuffle-buffer", "10", "--quiet"]) == 2
    assert "--shuffle-buffer goes with --csv PATH --stream" in capsys.readouterr().err


def test_the_examples_run():
    import doctest

    from kerasrecipes.streaming import _image_stream

    assert doctest.testmod(_image_stream).failed == 0
