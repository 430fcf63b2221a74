"""WeightSaver: Keras 3 suffix rule, best-k, atomic writes, sha256 sidecar."""

import json

import numpy as np
import pytest
from _scripted import tiny_model, weights_for  # noqa: E402

from kerasrecipes._io import sha256_file
from kerasrecipes.callbacks import WeightSaver, weights_path


def run_scripted(saver, model, values):
    saver.set_model(model)
    saver.on_train_begin()
    for epoch, value in enumerate(values):
        model.set_weights(weights_for(epoch))
        saver.on_epoch_end(epoch, logs={"val_loss": value, "loss": 1.0})
    saver.on_train_end()


def loaded_epoch(path):
    model = tiny_model()
    model.load_weights(path)
    return float(model.get_weights()[1][0])


PATHS = [
    ("model.weights.h5", "model.weights.h5", False),
    ("model_weights.h5", "model_weights.weights.h5", True),  # seed 001's name
    ("model.hdf5", "model.weights.h5", True),
    ("model", "model.weights.h5", False),
]


@pytest.mark.parametrize("given, expected, warns", PATHS)
def test_weights_path_applies_the_keras3_suffix_rule(given, expected, warns, recwarn):
    assert weights_path(given).name == expected
    messages = [str(w.message) for w in recwarn]
    assert bool(messages) is warns
    if warns:
        assert "requires file names ending in '.weights.h5'" in messages[0]


@pytest.mark.parametrize(
    "given, message",
    [
        (
            "model.keras",
            r"`filepath` must be a path ending in '.weights.h5'. Received: filepath='model.keras'. "
            r"A '.keras' file holds the whole model .* use `model.save\(path\)`",
        ),
        ("model.ckpt", r"Received: filepath='model.ckpt'. Rename it, e.g. 'model.weights.h5'"),
        ("", r"`filepath` must be a non-empty file path"),
    ],
)
def test_weights_path_rejects(given, message):
    with pytest.raises(ValueError, match=message):
        weights_path(given)


def test_keeps_the_best_k_and_the_last_with_a_sha256_sidecar(tmp_path):
    saver = WeightSaver(tmp_path / "run" / "model.weights.h5", keep_best=2)
    run_scripted(saver, tiny_model(), [0.5, 0.4, 0.6, 0.3, 0.45])
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == [
        "model.best-epoch002.weights.h5",
        "model.best-epoch004.weights.h5",
        "model.last.weights.h5",
        "model.weights.json",
    ]
    sidecar = json.loads((tmp_path / "run" / "model.weights.json").read_text())
    assert [(c["epoch"], c["value"]) for c in sidecar["best"]] == [(4, 0.3), (2, 0.4)]
    assert sidecar["last"]["epoch"] == 5 and sidecar["mode"] == "min"
    for entry in sidecar["best"] + [sidecar["last"]]:
        path = tmp_path / "run" / entry["path"]
        assert entry["sha256"] == sha256_file(path) and entry["monitor"] == "val_loss"
        assert loaded_epoch(path) == entry["epoch"] - 1  # 1-based epochs in names and sidecar
    assert saver.best_path.name == "model.best-epoch004.weights.h5"


def test_keep_best_one_writes_the_given_path_and_reuse_removes_stale_files(tmp_path):
    saver = WeightSaver(tmp_path / "m.weights.h5", keep_best=1, save_last=False)
    run_scripted(saver, tiny_model(), [0.5, 0.2, 0.6])
    assert loaded_epoch(tmp_path / "m.weights.h5") == 1
    ranked = WeightSaver(tmp_path / "k.weights.h5", keep_best=2, save_last=False)
    run_scripted(ranked, tiny_model(), [0.5, 0.4, 0.6])
    run_scripted(ranked, tiny_model(), [0.9, 0.8, 0.7, 0.6])  # second run: its own ranking
    names = sorted(p.name for p in tmp_path.glob("k.*.weights.h5"))
    assert names == ["k.best-epoch003.weights.h5", "k.best-epoch004.weights.h5"]


def test_a_crash_mid_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    model = tiny_model()
    saver = WeightSaver(tmp_path / "model.weights.h5", save_last=False)
    run_scripted(saver, model, [0.5])
    before = (tmp_path / "model.weights.h5").read_bytes()

    def crashing_save(path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(model, "save_weights", crashing_save)
    with pytest.raises(OSError, match="disk full"):
        saver.on_epoch_end(1, {"val_loss": 0.1})
    assert (tmp_path / "model.weights.h5").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.weights.h5", "model.weights.json"]


def test_real_fit_with_seed_001_file_name(tmp_path):
    model = tiny_model()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    with pytest.warns(UserWarning, match="Saving to 'model_weights.weights.h5' instead"):
        saver = WeightSaver(str(tmp_path / "model_weights.h5"), keep_best=1)
    history = model.fit(x, y, validation_split=0.25, epochs=3, batch_size=8, verbose=0, callbacks=[saver])
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1
    sidecar = json.loads(saver.sidecar_path.read_text())
    assert sidecar["best"][0]["epoch"] == best_epoch
    assert sidecar["best"][0]["value"] == pytest.approx(min(history.history["val_loss"]))
    fresh = tiny_model()
    fresh.load_weights(tmp_path / "model_weights.last.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_missing_metric_warns_but_still_saves_last(tmp_path):
    saver = WeightSaver(tmp_path / "m.weights.h5")
    saver.set_model(tiny_model())
    saver.on_train_begin()
    with pytest.warns(UserWarning, match="Available metrics are: loss"):
        saver.on_epoch_end(0, {"loss": 1.0})
    assert (tmp_path / "m.last.weights.h5").exists() and not (tmp_path / "m.weights.h5").exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"keep_best": 0}, r"`keep_best` must be an integer >= 1. Received: keep_best=0"),
        ({"save_best": False, "save_last": False}, r"`save_best` must be True when save_last=False"),
        ({"mode": "best"}, r"`mode` must be one of: 'auto', 'max', 'min'. Received: mode='best'"),
        ({"min_delta": -1.0}, r"`min_delta` must be a real number >= 0.0. Received: min_delta=-1.0"),
    ],
)
def test_invalid_arguments(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        WeightSaver(tmp_path / "m.weights.h5", **kwargs)
