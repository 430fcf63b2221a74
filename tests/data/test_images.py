"""Image folders (`--images DIR`, `data.load_images`): one sub-folder per class, decoded and resized for the CNN
rows; `predict` on a folder or a file writes one row per image; every problem names the file."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import cli, export, load_run
from kerasrecipes.data import load_images
from kerasrecipes.errors import UserError


def _picture(kind: str, rng, channels: int = 3) -> np.ndarray:
    """A dark noisy 24x24 picture with a bright square or a disc in the middle."""
    image = rng.integers(0, 60, (24, 24, channels)).astype(np.uint8)
    yy, xx = np.mgrid[:24, :24]
    mask = (abs(yy - 12) < 6) & (abs(xx - 12) < 6) if kind == "square" else (yy - 12) ** 2 + (xx - 12) ** 2 < 36
    image[mask] = 220
    return image


def _write(path, image) -> None:
    import tensorflow as tf

    path.parent.mkdir(parents=True, exist_ok=True)
    tf.io.write_file(str(path), tf.io.encode_png(image))


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """A folder of 2 classes x 30 PNG images, and a folder of 4 new images."""
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for kind in ("disc", "square"):
        for i in range(30):
            _write(root / "shapes" / kind / f"{i}.png", _picture(kind, rng))
    for i in range(4):
        _write(root / "new" / f"n{i}.png", _picture(("square", "disc")[i % 2], rng))
    return root


def test_a_folder_of_class_folders_trains_the_cnn_row_predicts_files_exports_and_reproduces(
    shapes, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(shapes)
    out = str(tmp_path / "run")
    assert (
        cli.main(
            ["train", "--images", "shapes", "--image-size", "12", "--set", "epochs=12", "--quiet"]
            + ["--tracking", "none", "--out", out]
        )
        == 0
    )
    run = load_run(out)
    assert run.manifest["scenario"] == "cnn-small-dataset" and run.classes == ["disc", "square"]
    assert run.spec["images"] == {"size": [12, 12], "color": None} and run.spec["shape"] == [12, 12, 3]
    assert cli.main(["predict", out, "new", "--out", str(tmp_path / "p.csv")]) == 0
    written = pd.read_csv(tmp_path / "p.csv")
    assert list(written.columns) == ["file", "class", "probability_disc", "probability_square"]
    assert written["file"].tolist() == [f"n{i}.png" for i in range(4)]
    assert written["class"].tolist() == ["square", "disc", "square", "disc"]
    assert cli.main(["predict", out, "new/n1.png", "--out", str(tmp_path / "one.csv")]) == 0
    assert pd.read_csv(tmp_path / "one.csv")[["file", "class"]].values.tolist() == [["n1.png", "disc"]]
    export(run, "saved_model", tmp_path / "sm")
    capsys.readouterr()
    assert cli.main(["reproduce", out]) == 0 and "reproduces exactly" in capsys.readouterr().out
    _write(shapes / "shapes" / "disc" / "extra.png", _picture("disc", np.random.default_rng(9)))
    try:
        assert cli.main(["reproduce", out]) == 2
        assert "has changed since training" in capsys.readouterr().err
    finally:
        os.remove(shapes / "shapes" / "disc" / "extra.png")
    assert cli.main(["predict", out, "shapes.csv", "--out", str(tmp_path / "x.csv")]) == 2  # no such file


@pytest.mark.parametrize(
    "make, kwargs, match",
    [
        (lambda r: (r / "a" / "1.png").write_text("not an image"), {}, r"1.png is not an image that decodes"),
        (lambda r: (r / "c").mkdir(), {}, r"c holds no image .* add images or remove the folder"),
        (
            lambda r: _write(r / "a" / "gray.png", np.zeros((24, 24, 1), np.uint8)),
            {},
            r"mixed channel counts .*--color",
        ),
        (None, {"image_size": 2}, r"`image_size` must be between 8 and 1024"),
    ],
)
def test_a_folder_that_cannot_be_read_is_refused_naming_the_file(tmp_path, make, kwargs, match):
    rng = np.random.default_rng(0)
    for kind in ("a", "b"):
        for i in range(6):
            _write(tmp_path / kind / f"{kind}{i}.png", _picture("disc" if kind == "a" else "square", rng))
    if make is not None:
        make(tmp_path)
    with pytest.raises(UserError, match=match):
        load_images(tmp_path, **kwargs)


def test_grayscale_converts_mixed_images_and_one_class_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(6):
        _write(tmp_path / "a" / f"{i}.png", _picture("disc", rng))
        _write(tmp_path / "b" / f"{i}.png", _picture("square", rng, channels=1))
    ds = load_images(tmp_path, image_size=8, color="grayscale")
    assert ds.X.shape == (12, 8, 8, 1) and ds.feature_names == ("gray",) and sorted(set(ds.y)) == ["a", "b"]
    with pytest.raises(UserError, match=r"has 1 class folder\(s\) \(a\); it needs one sub-folder of images per class"):
        load_images(_only(tmp_path / "a"))


def _only(folder):
    """A folder holding `folder` as its single class."""
    parent = folder.parent / "single"
    parent.mkdir()
    folder.rename(parent / folder.name)
    return parent


def test_a_csv_of_image_paths_and_labels_trains_and_predicts_a_csv_of_paths(shapes, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(shapes)
    rows = [(f"shapes/{kind}/{i}.png", kind) for kind in ("disc", "square") for i in range(30)]
    pd.DataFrame(rows, columns=["path", "shape"]).to_csv("labels.csv", index=False)
    pd.DataFrame({"path": [f"new/n{i}.png" for i in range(4)]}).to_csv("to_predict.csv", index=False)
    out = str(tmp_path / "run")
    args = ["train", "--csv", "labels.csv", "--target", "shape", "--image-column", "path", "--image-size", "12"]
    assert cli.main([*args, "--set", "epochs=12", "--tracking", "none", "--quiet", "--out", out]) == 0
    run = load_run(out)
    assert run.spec["images"]["column"] == "path" and run.classes == ["disc", "square"]
    assert cli.main(["predict", out, "to_predict.csv", "--out", str(tmp_path / "p.csv")]) == 0
    written = pd.read_csv(tmp_path / "p.csv")
    assert written["file"].tolist() == [f"new/n{i}.png" for i in range(4)]
    assert written["shape"].tolist() == ["square", "disc", "square", "disc"]
    capsys.readouterr()
    assert cli.main(["reproduce", out]) == 0 and "reproduces exactly" in capsys.readouterr().out
    pd.DataFrame({"path": ["new/missing.png"]}).to_csv("gone.csv", index=False)
    assert cli.main(["predict", out, "gone.csv", "--out", str(tmp_path / "q.csv")]) == 2
    assert "the image new/missing.png does not exist" in capsys.readouterr().err
    assert not (tmp_path / "q.csv").exists()
