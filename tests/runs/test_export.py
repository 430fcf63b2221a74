"""`kerasrecipes export`: each format loads back and answers like `predict` on raw rows."""

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import cli, data, export, load_run, train
from kerasrecipes.runs import _export, _writing


def _csv_run(folder, ensemble: int):
    """A CSV run with numbers, missing values and a text category (string inputs in every format)."""
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue", None], n)
    frame = pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.1, np.nan, x),
            "color": color,
            "label": np.where(x + (color == "red") > 0.3, "yes", "no"),
        }
    )
    frame.to_csv(folder / "people.csv", index=False)
    train(
        data.load_csv(folder / "people.csv", "label"),
        recipe={"epochs": 2, "ensemble": ensemble},
        out=folder / "run",
        tracking="none",
        verbose=0,
    )
    return folder / "run"


@pytest.fixture(scope="module")
def one_network(tmp_path_factory):
    """One network's run. The tests of what does not depend on the model (the converter's process, the CLI's
    refusals, `--overwrite`, the output checks) read only this run."""
    return _csv_run(tmp_path_factory.mktemp("export"), 1)


@pytest.fixture(scope="module")
def ensemble_of_3(tmp_path_factory):
    """A packed ensemble's run (its PackedDense einsums and EnsembleHead in every format)."""
    return _csv_run(tmp_path_factory.mktemp("export"), 3)


@pytest.fixture(scope="module", params=["one_network", "ensemble_of_3"], ids=["one-network", "ensemble-of-3"])
def run_dir(request):
    """Each run, for the tests of what the model decides: what each format answers."""
    return request.getfixturevalue(request.param)


ROWS = pd.DataFrame({"x": [0.3, np.nan, -1.2, 2.0], "color": ["red", "blue", None, "purple"]})


def _raw(run):
    """ROWS as the exported models take them: float32 numbers (NaN = missing), text ("" = missing)."""
    from kerasrecipes.data import _inputs

    return _inputs.model_inputs(run.spec, ROWS)[0]


def _saved_model(path, raw):
    import tensorflow as tf

    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    return next(iter(serve(**{k: tf.constant(v) for k, v in raw.items()}).values())).numpy()


def _litert(path, raw):
    import tensorflow as tf

    runner = tf.lite.Interpreter(model_path=str(path)).get_signature_runner("serving_default")
    feed = {k: (v.astype(bytes) if v.dtype == object else v) for k, v in raw.items()}
    return next(iter(runner(**feed).values()))


def _onnx(path, raw):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path))
    feed = {
        i.name: raw[i.name.split(":")[0]].astype(str if raw[i.name.split(":")[0]].dtype == object else np.float32)
        for i in session.get_inputs()
    }
    return session.run(None, feed)[0]


def _keras(path, raw):
    from kerasrecipes.runs import rundir

    return np.asarray(rundir.load_saved_model(path)({k: np.asarray(v) for k, v in raw.items()}))


# format -> (file name, loader, tolerance). The .keras model called eagerly is the run's own computation,
# and the SavedModel is the same TensorFlow graph as `predict`'s compiled function: both exact. LiteRT
# (XNNPACK kernels) and onnxruntime add in another order and tf2onnx rewrites x / s as x * (1 / s): a few
# float32 ulps, bounded here by rtol 1e-5.
FORMATS = {
    "keras": ("m.keras", _keras, 0.0),
    "saved_model": ("sm", _saved_model, 0.0),
    "litert": ("m.tflite", _litert, 1e-5),
    "onnx": ("m.onnx", _onnx, 1e-5),
}


class Exports:
    """`exported(fmt)`: the export of one run in that format, made on first use into a folder of its own. The
    tests that only read an export, or need one to replace, share it (copying it before they change anything).

    `keep(fmt, path)` offers an export another test made of this run (the killed ONNX export's rerun, which runs
    first): the first export of a format is the one kept, so every test reads the same file either way.
    """

    def __init__(self, run_dir, tmp_path_factory):
        self.run_dir, self.tmp_path_factory, self.made = run_dir, tmp_path_factory, {}

    def __call__(self, fmt):
        if fmt not in self.made:
            out = self.tmp_path_factory.mktemp(f"export-{fmt}") / FORMATS[fmt][0]
            assert export(self.run_dir, fmt, out) == out
            self.made[fmt] = out
        return self.made[fmt]

    def keep(self, fmt, path):
        self.made.setdefault(fmt, path)


@pytest.fixture(scope="module")
def exports_of(tmp_path_factory):
    """`exports_of(run)`: the one `Exports` of each run."""
    made = {}

    def of(run):
        if run not in made:
            made[run] = Exports(run, tmp_path_factory)
        return made[run]

    return of


@pytest.fixture
def exported(run_dir, exports_of):
    return exports_of(run_dir)


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux's /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# Before test_each_format_loads_back_and_answers_like_predict: the rerun's ONNX export is the one it then checks
# for this run (tf2onnx's converter, a TensorFlow process of its own, runs once less).
@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the converter through Linux's /proc")
def test_a_killed_onnx_export_leaves_no_converter_running(one_network, exports_of, tmp_path):
    """The converter's process does not depend on the model: one network's run."""
    import signal
    import subprocess
    import sys
    import time

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    exporter = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kerasrecipes",
            "export",
            str(one_network),
            "--format",
            "onnx",
            "--out",
            str(tmp_path / "m.onnx"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    converters: list[int] = []
    while not converters and exporter.poll() is None and time.monotonic() < deadline:
        converters = _children(exporter.pid)
        time.sleep(0.05)
    assert converters, "the export ended before its converter started"
    exporter.send_signal(signal.SIGKILL)
    exporter.wait()
    deadline = time.monotonic() + 30
    while any(map(_alive, converters)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, converters)), "the converter outlived the killed export"
    assert list(tmp_path.rglob("*.onnx")) == [], "the converter went on converting after the export was killed"
    assert cli.main(["export", str(one_network), "--format", "onnx", "--out", str(tmp_path / "m.onnx")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # the killed export's temporaries are gone
    # test_each_format_loads_back_and_answers_like_predict checks it
    exports_of(one_network).keep("onnx", tmp_path / "m.onnx")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_loads_back_and_answers_like_predict(run_dir, exported, fmt):
    name, load, rtol = FORMATS[fmt]
    path = exported(fmt)
    assert _export.not_an_export(path, fmt) is None  # what --overwrite recognizes as this format's export
    assert sorted(p.name for p in path.parent.iterdir()) == [name]  # no temporary or lock file left beside it
    run = load_run(run_dir)
    expected = run.predict_proba(ROWS)
    got = load(path, _raw(run))
    assert got.shape == expected.shape == (4, 2)
    if fmt == "keras":  # the eager model, exactly as the run computes its predictions
        expected = np.asarray(run.model({k: np.asarray(v) for k, v in _raw(run).items()}))
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-6 if rtol else 0)


def test_the_saved_models_signature_takes_the_raw_columns(exported):
    import tensorflow as tf

    path = exported("saved_model")
    inputs = tf.saved_model.load(str(path)).signatures["serving_default"].structured_input_signature[1]
    assert {k: v.dtype for k, v in inputs.items()} == {"x": tf.float32, "color": tf.string}


def test_cli_export_refuses_to_replace_and_checks_the_suffix(one_network, tmp_path, capsys):
    """What the CLI checks before it converts anything: the keras format (a copy of the run's model.keras)."""
    run_dir = one_network
    out = tmp_path / "m.keras"
    assert cli.main(["export", str(run_dir), "--format", "keras", "--out", str(out)]) == 0
    before = out.read_bytes()
    assert cli.main(["export", str(run_dir), "--format", "keras", "--out", str(out)]) == 2
    assert "exists; choose another path, or pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert cli.main(["export", str(run_dir), "--format", "onnx", "--out", str(tmp_path / "m.bin")]) == 2
    assert "must end in .onnx" in capsys.readouterr().err
    folder = tmp_path / "notes"  # --overwrite replaces an export, never a folder of the user's
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    assert cli.main(["export", str(run_dir), "--format", "saved_model", "--out", str(folder), "--overwrite"]) == 2
    assert (
        "is not a saved_model export (it has no saved_model.pb), and --overwrite only replaces an export of the "
        "same format" in capsys.readouterr().err
    )
    assert (folder / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("fmt", ["keras", "saved_model", "litert"])
def test_overwrite_replaces_an_export_of_the_same_format_in_one_step(
    one_network, exports_of, tmp_path, fmt, monkeypatch
):
    run_dir = one_network
    name = FORMATS[fmt][0]
    out = tmp_path / name  # an export of this format is there: a copy of the shared one
    (shutil.copytree if fmt == "saved_model" else shutil.copyfile)(exports_of(run_dir)(fmt), out)
    exchanged = []
    real = _writing.swap_in
    monkeypatch.setattr(
        _writing, "swap_in", lambda staged, target, **kw: (exchanged.append(target), real(staged, target, **kw))[1]
    )
    assert export(run_dir, fmt, out, overwrite=True) == out
    assert exchanged == [out] and _export.not_an_export(out, fmt) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize(
    "fmt, name, content, why",
    [
        ("keras", "notes.keras", b"my notes", "it is not a zip archive"),
        ("litert", "old.tflite", b"not a flatbuffer at all", "it lacks the LiteRT FlatBuffer identifier TFL3"),
        ("onnx", "old.onnx", b"\x08\x07 something else", "it is not an ONNX model written by tf2onnx"),
    ],
)
def test_overwrite_never_replaces_a_users_file_with_the_right_suffix(one_network, tmp_path, fmt, name, content, why):
    run_dir = one_network
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=rf"is not a {fmt} export \({why}\), and --overwrite only replaces"):
        export(run_dir, fmt, tmp_path / name, overwrite=True)
    assert (tmp_path / name).read_bytes() == content


def test_an_export_into_the_run_directory_or_onto_a_device_is_refused(one_network, tmp_path):
    run_dir = one_network
    before = sorted(p.name for p in run_dir.iterdir())
    with pytest.raises(ValueError, match=r"model\.keras is inside the run directory .*choose a path outside it"):
        export(run_dir, "keras", run_dir / "model.keras", overwrite=True)
    with pytest.raises(ValueError, match=r"--out /dev/null is in /dev, the system's folder of devices"):
        export(run_dir, "saved_model", "/dev/null", overwrite=True)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    os.symlink(fifo, tmp_path / "link.tflite")
    with pytest.raises(
        ValueError,
        match=r"link\.tflite is a FIFO \(named pipe\) \(a link to .*fifo\), not a regular "
        r"file, and is never replaced",
    ):
        export(run_dir, "litert", tmp_path / "link.tflite", overwrite=True)
    assert fifo.is_fifo() and (tmp_path / "link.tflite").is_symlink()
    assert sorted(p.name for p in run_dir.iterdir()) == before


def test_a_held_lock_names_its_holder_and_leaves_the_export_alone(one_network, tmp_path):
    run_dir = one_network
    out = tmp_path / "m.keras"
    with _writing.exclusive(out):
        with pytest.raises(
            ValueError,
            match=rf"--out {out} is being written by another kerasrecipes process "
            rf"\(pid {os.getpid()}, .*\); wait for it to finish",
        ):
            export(run_dir, "keras", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_onnx_without_its_packages_says_how_to_get_them(one_network, tmp_path, monkeypatch):
    run_dir = one_network
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tf2onnx" else real(name, *a))
    with pytest.raises(
        ValueError,
        match=r"tf2onnx is not installed\. Install the extra: pip install "
        r"'kerasrecipes\[onnx\]'",
    ):
        export(run_dir, "onnx", tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_a_serving_client_sends_booleans_and_dates_as_serving_inputs_says(tmp_path):
    """A yes/no column and a date column: the exported graph takes them as numbers (1/0, days since
    1970-01-01), and `Run.serving_inputs` converts raw rows into exactly what it takes."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    n = 200
    member = rng.choice(["Yes", "No"], n)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "member": member,
            "signup": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "label": np.where(member == "Yes", "stay", "churn"),
        }
    )
    train(frame, target="label", recipe={"epochs": 1}, out=tmp_path / "run", tracking="none", verbose=0)
    run = load_run(tmp_path / "run")
    rows = pd.DataFrame({"x": [0.1, -0.3], "member": ["yes", "No"], "signup": ["2024-03-01", None]})
    inputs = run.serving_inputs(rows)
    np.testing.assert_array_equal(inputs["member"], [1.0, 0.0])
    assert inputs["signup"][0] == (pd.Timestamp("2024-03-01") - pd.Timestamp("1970-01-01")).days
    assert np.isnan(inputs["signup"][1])
    path = export(tmp_path / "run", "saved_model", tmp_path / "sm")
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    assert serve.structured_input_signature[1]["signup"].dtype == tf.float32
    np.testing.assert_array_equal(_saved_model(path, inputs), run.predict_proba(rows))


def test_an_rnn_runs_litert_file_runs_on_the_stock_interpreter(tmp_path):
    """Keras' default LiteRT export of an LSTM needs the Flex delegate (FlexTensorListReserve), which the
    stock interpreter lacks; the export uses built-in ops only, one sequence per call. 120 short sequences: the
    export's ops do not depend on how many or how long (the loop is a WHILE)."""
    import tensorflow as tf

    x = np.random.default_rng(0).normal(size=(120, 6, 2))
    sequences = data.array_dataset("sequences", x, (x[:, :, 0].sum(axis=1) > 0).astype(int))
    result = train(sequences, recipe={"epochs": 1, "units": 8}, out=tmp_path / "run", tracking="none", verbose=0)
    assert result.scenario.name == "rnn-small-dataset"
    path = export(result.run_dir, "litert", tmp_path / "m.tflite")
    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()  # raises "Select TensorFlow op(s) ... not supported" with Flex ops
    x = np.asarray(result.data.X_test[:1], dtype=np.float32)
    got = interpreter.get_signature_runner("serving_default")(
        **{interpreter.get_input_details()[0]["name"].split(":")[0].removeprefix("serving_default_"): x}
    )
    np.testing.assert_allclose(
        next(iter(got.values())), load_run(result.run_dir).predict_proba(x), rtol=1e-5, atol=1e-6
    )
