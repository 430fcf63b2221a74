"""Runs on new data: `load_run(...).predict` and `kerasrecipes predict` take raw rows and answer in the
user's own labels and units, with the schema rules of the README."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import cli, data, load_run, train
from kerasrecipes.data import DataWarning
from kerasrecipes.runs import _predict
from kerasrecipes.streaming import CsvStream


def _people(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue", None], n)
    return pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.1, np.nan, x),
            "color": color,
            "label": np.where(x + (color == "red") > 0.3, "yes", "no"),
        }
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Runs that tests only read, each trained once on first use: "csv" (`_people()` read from a CSV file,
    3 epochs) and bundled datasets by name (1 epoch; diabetes 2, the weights on which the compiled-predict
    test's float tolerance holds). `trained(name)` gives (run directory, `RunResult`)."""
    runs = {}

    def get(name):
        if name not in runs:
            folder = tmp_path_factory.mktemp(name)
            source = name
            if name == "csv":
                _people().to_csv(folder / "people.csv", index=False)
                source = data.load_csv(folder / "people.csv", "label")
            recipe = {"epochs": {"csv": 3, "diabetes": 2}.get(name, 1)}
            result = train(source, recipe=recipe, out=folder / "run", tracking="none", verbose=0)
            runs[name] = (folder / "run", result)
        return runs[name]

    return get


@pytest.fixture(scope="module")
def csv_run(trained):
    """The folder of `people.csv` and its run (`run/`)."""
    return trained("csv")[0].parent


def test_predict_answers_in_the_users_labels_with_probabilities(csv_run):
    run = load_run(csv_run / "run")
    assert run.task == "binary" and run.classes == ["no", "yes"] and run.target == "label"
    rows = _people(50, seed=3).drop(columns="label")
    labels, proba = run.predict(rows), run.predict_proba(rows)
    assert set(labels) <= {"no", "yes"} and proba.shape == (50, 2)
    assert np.allclose(proba.sum(axis=1), 1, atol=1e-6)
    assert list(labels) == [run.classes[i] for i in proba.argmax(axis=1)]
    one = run.predict({"x": 0.5, "color": "red"})  # one row as a dict of scalars
    assert one.shape == (1,) and one[0] in ("no", "yes")
    as_array = run.predict(rows[["x", "color"]].to_numpy(dtype=object))  # columns in the run's order
    assert list(as_array) == list(labels)


@pytest.mark.parametrize("source", ["csv", "diabetes"])
def test_the_compiled_predict_equals_the_saved_model_up_to_graph_rounding(trained, source):
    """`load_run`'s compiled serving function on the run's test rows equals `model.keras` called as training
    called it (eager, which gives the manifest's predictions bit for bit) up to float rounding: TensorFlow's
    graph optimizer fuses and rewrites ops in a compiled function (e.g. matmul + bias + activation in one
    kernel), which can change the last bits of a float32."""
    from kerasrecipes.runs import _evaluate, rundir

    run_dir, result = trained(source)
    eager_model = rundir.load_saved_model(run_dir / "model.keras")
    assert _evaluate.saved_predictions(eager_model, result.data)[0] == result.manifest["predictions_sha256"]
    raw = next(iter(result.data.raw_test_batches(10_000)))
    eager = np.asarray(eager_model({k: np.asarray(v) for k, v in raw.items()}))
    compiled, _ = load_run(run_dir).outputs(result.data.raw_test)
    np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "rows, match",
    [
        (pd.DataFrame({"x": [1.0]}), r"missing column\(s\) 'color' that the run was trained on"),
        (
            pd.DataFrame({"x": ["1.5", "abc"], "color": ["red", "red"]}),
            r"Column 'x' of the rows holds 'abc' on row 1, "
            r"but that column is read as numbers",
        ),
        (np.zeros((2, 5)), r"must be a table with the run's 2 columns \(x, color\)"),
    ],
)
def test_bad_rows_get_one_line_errors(csv_run, rows, match):
    with pytest.raises(ValueError, match=match):
        load_run(csv_run / "run").predict(rows)


def test_extra_columns_and_unseen_categories_warn_once_each_and_missing_values_are_imputed(csv_run):
    rows = pd.DataFrame(
        {
            "x": [0.1, np.nan, 2.0, 0.0],
            "color": ["purple", None, "teal", "red"],
            "id": [1, 2, 3, 4],
            "note": list("abcd"),
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        labels = load_run(csv_run / "run").predict(rows)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert len(messages) == 2, messages
    assert "Ignoring 2 column(s)" in messages[0] and "'id', 'note'" in messages[0]
    assert messages[1].startswith("2 value(s)") and "'color': 2 (e.g. 'purple')" in messages[1]
    assert len(labels) == 4


@pytest.mark.parametrize("source", ["diabetes", "digits_images", "digits_sequences"])
def test_predict_on_bundled_regression_images_and_sequences(trained, source):
    run_dir, result = trained(source)
    run = load_run(run_dir)
    dataset = data.load_dataset(source)
    predictions = run.predict(dataset.X[:7])
    assert len(predictions) == 7
    if result.data.task == "regression":  # the disease score in its own units
        assert predictions.dtype == np.float32 and 25 < float(np.mean(predictions)) < 350
        with pytest.raises(ValueError, match="is a regression model: it predicts values"):
            run.predict_proba(dataset.X[:2])
    else:
        assert set(predictions) <= set(range(10)) and run.predict(dataset.X[0]).shape == (1,)
        with pytest.raises(ValueError, match=r"must be an array of shape \(n, 8, 8"):
            run.predict(dataset.X[:3, :4])


def test_cli_predict_writes_one_row_per_input_row_and_refuses_to_replace(csv_run, tmp_path, capsys):
    rows = _people(30, seed=5).drop(columns="label")
    rows.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "predictions.csv"
    assert cli.main(["predict", str(csv_run / "run"), str(tmp_path / "new.csv"), "--out", str(out)]) == 0
    written = pd.read_csv(out)
    assert list(written.columns) == ["label", "probability_no", "probability_yes"] and len(written) == 30
    assert list(written["label"]) == list(load_run(csv_run / "run").predict(rows))
    before = out.read_bytes()
    assert cli.main(["predict", str(csv_run / "run"), str(tmp_path / "new.csv"), "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before
    assert cli.main(["predict", str(csv_run / "run"), str(tmp_path / "new.csv"), "--out", str(out), "--overwrite"]) == 0


def test_cli_predict_bad_input_exits_2_and_writes_nothing(csv_run, tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("x,color\n1.0,red\nnot-a-number,blue\n")
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(csv_run / "run"), str(tmp_path / "bad.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Column 'x' of bad.csv holds 'not-a-number' on line 3, but that column is read as numbers" in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_a_large_csv_streams_in_chunks_with_the_same_predictions(tmp_path):
    """A streaming run predicts a file chunk by chunk; the chunks change nothing but memory."""
    frame = _people(600, seed=1)
    frame.to_csv(tmp_path / "people.csv", index=False)
    train(
        CsvStream(tmp_path / "people.csv", "label"),
        recipe={"epochs": 2},
        out=tmp_path / "run",
        tracking="none",
        verbose=0,
    )
    run = load_run(tmp_path / "run")
    new = frame.drop(columns="label").assign(color=frame["color"].fillna("purple"))
    new.to_csv(tmp_path / "new.csv", index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        notes = _predict.predict_file(run, tmp_path / "new.csv", tmp_path / "chunked.csv", chunk_rows=64)
    assert notes.rows == 600 and len([w for w in caught if issubclass(w.category, DataWarning)]) == 1
    _predict.predict_file(run, tmp_path / "new.csv", tmp_path / "whole.csv")
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_cli_predicts_images_from_a_npy_file(trained, tmp_path, capsys):
    run_dir, _ = trained("digits_images")
    np.save(tmp_path / "images.npy", data.load_dataset("digits_images").X[:9])
    assert cli.main(["predict", str(run_dir), str(tmp_path / "images.npy"), "--out", str(tmp_path / "p.csv")]) == 0
    written = pd.read_csv(tmp_path / "p.csv")
    assert len(written) == 9 and list(written.columns[:2]) == ["digit", "probability_0"]
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n")
    assert cli.main(["predict", str(run_dir), str(tmp_path / "rows.csv"), "--out", str(tmp_path / "q.csv")]) == 2
    assert "an image or sequence run predicts on a .npy array file of shape (n, 8, 8, 1)" in capsys.readouterr().err


# -- output paths and predict's outputs (issue 26, item 3) -------------------------------------------------------
def _cli_predict(csv_run, data, *args):
    return cli.main(["predict", str(csv_run / "run"), str(data), *args])


def _one_error(capsys) -> str:
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kerasrecipes: error: "), err
    assert "Traceback" not in err and not out.strip(), out
    return lines[0]


def _subprocess_env():
    import os

    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "WANDB_MODE": "disabled"}


def test_cli_predict_refuses_a_fifo_or_a_device_as_out_whatever_overwrite_says(csv_run, tmp_path, capsys):
    import os
    import stat

    _people(10, seed=5).drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "null.csv").symlink_to("/dev/null")
    for name, kind in [
        ("fifo.csv", r"a FIFO \(named pipe\)"),
        ("null.csv", r"a character device \(a link to /dev/null\)"),
    ]:
        for extra in ([], ["--overwrite"]):
            assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(tmp_path / name), *extra) == 2
            line = _one_error(capsys)
            assert re.search(
                rf"--out \S+{name} is {kind}, not a regular file, .*to write to standard output use "
                r"--out -\.$",
                line,
            ), line
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo.csv").st_mode)
    assert os.readlink(tmp_path / "null.csv") == "/dev/null" and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.csv", "new.csv", "null.csv"]


def test_check_output_file_passes_files_and_new_paths_and_names_what_else_it_finds(tmp_path):
    from kerasrecipes._io import check_output_file
    from kerasrecipes.errors import UserError

    (tmp_path / "f.csv").write_text("x\n")
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "gone.csv")
    for name in ("f.csv", "new.csv", "dangling.csv"):
        assert check_output_file(tmp_path / name) == tmp_path / name
    with pytest.raises(UserError, match=r"^--file \S+ is a directory; name a file to write\.$"):
        check_output_file(tmp_path, "--file")
    null = tmp_path / "null"
    null.symlink_to("/dev/null")
    with pytest.raises(
        UserError,
        match=r"null is a character device \(a link to /dev/null\), not a regular file, and "
        r"is never replaced; name a regular file\.$",
    ):
        check_output_file(null, "--file")
    for system in ("/dev/stdout", "/dev/new.csv", "/proc/self/fd/1"):  # whatever standard output is now
        with pytest.raises(
            UserError,
            match=rf"^--out {system} is in /(dev|proc), the system's folder of devices and "
            r"processes, .*; to write to standard output use --out -\.$",
        ):
            check_output_file(system, dash=True)


def test_cli_predict_to_a_directory_suggests_a_file_in_it_not_overwrite(csv_run, tmp_path, capsys):
    _people(10, seed=5).drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    (tmp_path / "adir").mkdir()
    for extra in ([], ["--overwrite"]):
        assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(tmp_path / "adir"), *extra) == 2
        line = _one_error(capsys)
        assert line.endswith(
            f"--out {tmp_path / 'adir'} is a directory; name a file, e.g. --out "
            f"{tmp_path / 'adir' / 'predictions.csv'}."
        ), line
        assert "--overwrite" not in line
    fixed = tmp_path / "adir" / "predictions.csv"
    assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(fixed)) == 0  # the suggested fix works
    assert len(pd.read_csv(tmp_path / "adir" / "predictions.csv")) == 10


def test_cli_predict_never_writes_into_the_run_directory(csv_run, tmp_path, capsys):
    _people(10, seed=5).drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    run = csv_run / "run"
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    for out, extra in [(run / "history.csv", ["--overwrite"]), (run / "new.csv", []), (run, ["--overwrite"])]:
        assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(out), *extra) == 2
        line = _one_error(capsys)
        assert f"--out {out} is inside the run directory {run}" in line, line
        assert line.endswith("choose a path outside it."), line
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before


def test_cli_predict_to_standard_output_writes_the_csv_there_and_nothing_on_disk(csv_run, tmp_path, monkeypatch, capfd):
    """In this process, standard output and error captured at their file descriptors: where the CSV and the
    message go is the command's choice. A real process's standard output (the CSV from its first line, no
    traceback, its exit) is test_a_closed_pipe_ends_quietly's."""
    import io

    rows = _people(30, seed=5).drop(columns="label")
    rows.to_csv(tmp_path / "new.csv", index=False)
    monkeypatch.chdir(tmp_path)
    capfd.readouterr()
    assert cli.main(["predict", str(csv_run / "run"), "new.csv", "--out", "-"]) == 0
    out, err = capfd.readouterr()
    written = pd.read_csv(io.StringIO(out))
    assert list(written.columns) == ["label", "probability_no", "probability_yes"] and len(written) == 30
    assert list(written["label"]) == list(load_run(csv_run / "run").predict(rows))
    assert "predicted 30 row(s) of new.csv -> standard output" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv"]


def test_predict_file_writes_to_standard_output_or_a_file_object(csv_run, tmp_path, capsys):
    import io

    _people(12, seed=5).drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    run = load_run(csv_run / "run")
    capsys.readouterr()
    assert _predict.predict_file(run, tmp_path / "new.csv", "-").rows == 12
    streamed = capsys.readouterr().out
    buffer = io.StringIO()
    _predict.predict_file(run, tmp_path / "new.csv", buffer)
    _predict.predict_file(run, tmp_path / "new.csv", tmp_path / "p.csv")
    assert streamed == buffer.getvalue() == (tmp_path / "p.csv").read_text()


def test_cli_predict_keeps_id_columns_in_input_order(csv_run, tmp_path, capsys):
    rows = _people(20, seed=5).drop(columns="label")
    rows.insert(0, "id", [f"c{i:03d}" for i in range(20)])
    rows["note"] = list("abcdefghijklmnopqrst")
    rows.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "p.csv"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert (
            _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(out), "--keep", "note", "--keep", "id,note") == 0
        )
    assert not [w for w in caught if "Ignoring" in str(w.message)]  # kept columns are not "ignored"
    written = pd.read_csv(out, dtype=str)
    assert list(written.columns) == ["id", "note", "label", "probability_no", "probability_yes"]
    assert list(written["id"]) == list(rows["id"]) and list(written["note"]) == list(rows["note"])
    capsys.readouterr()
    assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(tmp_path / "q.csv"), "--keep", "id,customer") == 2
    assert re.search(
        r"--keep customer: new\.csv has no column 'customer'; its columns are 'id', 'x', 'color', "
        r"'note'\.$",
        _one_error(capsys),
    )
    rows.assign(label="yes").to_csv(tmp_path / "labelled.csv", index=False)
    assert _cli_predict(csv_run, tmp_path / "labelled.csv", "--out", str(tmp_path / "q.csv"), "--keep", "label") == 2
    assert "the predictions already have a column 'label'; rename that column in labelled.csv" in _one_error(capsys)
    assert not (tmp_path / "q.csv").exists()


def _with_bad_rows(tmp_path):
    """40 rows (lines 2-41) with an unreadable cell on lines 5 (infinite) and 30 (text in a number column)."""
    rows = _people(40, seed=7).drop(columns="label")
    rows.insert(0, "id", [f"r{i}" for i in range(40)])
    text = rows.astype(object)
    text.loc[3, "x"], text.loc[28, "x"] = "inf", "abc"
    text.to_csv(tmp_path / "new.csv", index=False)
    return rows.drop(index=[3, 28])


def test_on_error_raise_names_the_first_bad_row_and_skip_leaves_bad_rows_out_listing_them(csv_run, tmp_path, capsys):
    good = _with_bad_rows(tmp_path)
    out = tmp_path / "p.csv"
    assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(out)) == 2  # --on-error raise (the default)
    assert "Column 'x' of new.csv is infinite on line 5" in _one_error(capsys)  # line 5, not the text on line 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv"]
    assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(out), "--on-error", "skip", "--keep", "id") == 0
    assert capsys.readouterr().out.strip() == (
        f"predicted 38 row(s) of {tmp_path / 'new.csv'} -> {out}, skipped 2 (see {tmp_path / 'p.errors.csv'})"
    )
    written = pd.read_csv(out)
    assert list(written["id"]) == list(good["id"])
    assert list(written["label"]) == list(load_run(csv_run / "run").predict(good.drop(columns="id")))
    errors = pd.read_csv(tmp_path / "p.errors.csv")
    assert list(errors.columns) == ["line", "reason"] and list(errors["line"]) == [5, 30]
    assert "is infinite on line 5" in errors["reason"][0] and "holds 'abc' on line 30" in errors["reason"][1]
    # chunked through the Python API: the same rows and files (probabilities up to a batch size's rounding)
    run = load_run(csv_run / "run")
    notes = _predict.predict_file(
        run,
        tmp_path / "new.csv",
        tmp_path / "chunked.csv",
        chunk_rows=4,
        keep=["id"],
        on_error="skip",
        errors=tmp_path / "skipped.csv",
    )
    assert (notes.rows, notes.skipped, notes.errors_path) == (38, 2, tmp_path / "skipped.csv")
    chunked = pd.read_csv(tmp_path / "chunked.csv")
    assert list(chunked.columns) == list(written.columns) and list(chunked["id"]) == list(written["id"])
    np.testing.assert_allclose(chunked["probability_yes"], written["probability_yes"], rtol=1e-5, atol=1e-6)
    assert (tmp_path / "skipped.csv").read_bytes() == (tmp_path / "p.errors.csv").read_bytes()


def test_on_error_skip_with_standard_output_needs_an_errors_file(csv_run, tmp_path, capsys):
    _with_bad_rows(tmp_path)
    assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", "-", "--on-error", "skip") == 2
    assert "add --errors PATH" in _one_error(capsys)
    assert (
        _cli_predict(
            csv_run, tmp_path / "new.csv", "--out", "-", "--on-error", "skip", "--errors", str(tmp_path / "skipped.csv")
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert len(out.strip().splitlines()) == 39 and "skipped 2 (see" in err
    assert list(pd.read_csv(tmp_path / "skipped.csv")["line"]) == [5, 30]


def test_a_header_only_csv_writes_the_header_once(csv_run, tmp_path, capsys):
    (tmp_path / "new.csv").write_text("x,color\n")
    assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(tmp_path / "p.csv")) == 0
    assert (tmp_path / "p.csv").read_text().splitlines() == ["label,probability_no,probability_yes"]
    assert "predicted 0 row(s)" in capsys.readouterr().out


def test_temporary_files_of_a_killed_predict_are_removed_by_the_next(csv_run, tmp_path):
    import os
    import subprocess
    import sys

    _people(10, seed=5).drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale = [f".p.csv.tmp-{dead}-0123abcd.csv", f".p.errors.csv.tmp-{dead}-89abcdef.errors.csv"]
    kept = [
        f".p.csv.tmp-{os.getpid()}-0123abcd.csv",  # a live process's
        f".q.csv.tmp-{dead}-0123abcd.csv",  # another output's
        ".p-k3j2h1.csv",
        f".p.csv.tmp-{dead}-0123abcd.csv.bak",
    ]  # not this pattern (atomic_path's, other)
    for name in stale + kept:
        (tmp_path / name).write_text("half a file")
    assert _cli_predict(csv_run, tmp_path / "new.csv", "--out", str(tmp_path / "p.csv"), "--on-error", "skip") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept + ["new.csv", "p.csv", "p.errors.csv"])


def test_a_closed_pipe_ends_quietly(csv_run, tmp_path):
    """`kerasrecipes ... | head -1`: the reader leaves early; no traceback, exit 141 (as SIGPIPE) or 0."""
    import subprocess
    import sys

    _people(20_000, seed=5).drop(columns="label").to_csv(tmp_path / "big.csv", index=False)  # > a pipe's buffer
    command = f"{sys.executable} -m kerasrecipes"
    for line, first in [
        (f"predict {csv_run / 'run'} big.csv --out -", "label,probability_no,probability_yes"),
        ("recipes --fields", "task"),
    ]:
        proc = subprocess.run(
            ["bash", "-c", f"{command} {line} | head -1; echo status=${{PIPESTATUS[0]}} >&2"],
            cwd=tmp_path,
            env=_subprocess_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.stdout.startswith(first), proc.stdout
        assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
        assert proc.stderr.strip().splitlines()[-1] in ("status=141", "status=0"), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]
