"""Runs on new data: `load_run(...).predict` and `kerasrecipes predict` take raw rows and answer in the
user's own labels and units, with the schema rules of the README."""

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
    return pd.DataFrame({"x": np.where(rng.random(n) < 0.1, np.nan, x), "color": color,
                         "label": np.where(x + (color == "red") > 0.3, "yes", "no")})


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict")
    _people().to_csv(folder / "people.csv", index=False)
    train(data.load_csv(folder / "people.csv", "label"), recipe={"epochs": 3}, out=folder / "run", tracking="none",
          verbose=0)
    return folder


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
def test_the_compiled_predict_equals_the_saved_model_up_to_graph_rounding(tmp_path, source):
    """`load_run`'s compiled serving function on the run's test rows equals `model.keras` called as training
    called it (eager, which gives the manifest's predictions bit for bit) up to float rounding: TensorFlow's
    graph optimizer fuses and rewrites ops in a compiled function (e.g. matmul + bias + activation in one
    kernel), which can change the last bits of a float32."""
    from kerasrecipes.runs import _evaluate, rundir

    if source == "csv":
        _people().to_csv(tmp_path / "people.csv", index=False)
        source = data.load_csv(tmp_path / "people.csv", "label")
    result = train(source, recipe={"epochs": 2}, out=tmp_path / "run", tracking="none", verbose=0)
    eager_model = rundir.load_saved_model(tmp_path / "run" / "model.keras")
    assert _evaluate.saved_predictions_sha256(eager_model, result.data) == result.manifest["predictions_sha256"]
    raw = next(iter(result.data.raw_test_batches(10_000)))
    eager = np.asarray(eager_model({k: np.asarray(v) for k, v in raw.items()}))
    compiled, _ = load_run(tmp_path / "run").outputs(result.data.raw_test)
    np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rows, match", [
    (pd.DataFrame({"x": [1.0]}), r"missing column\(s\) 'color' that the run was trained on"),
    (pd.DataFrame({"x": ["1.5", "abc"], "color": ["red", "red"]}), r"Column 'x' of the rows holds 'abc' on row 1, "
                                                                   r"but that column is read as numbers"),
    (np.zeros((2, 5)), r"must be a table with the run's 2 columns \(x, color\)"),
])
def test_bad_rows_get_one_line_errors(csv_run, rows, match):
    with pytest.raises(ValueError, match=match):
        load_run(csv_run / "run").predict(rows)


def test_extra_columns_and_unseen_categories_warn_once_each_and_missing_values_are_imputed(csv_run):
    rows = pd.DataFrame({"x": [0.1, np.nan, 2.0, 0.0], "color": ["purple", None, "teal", "red"], "id": [1, 2, 3, 4],
                         "note": list("abcd")})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        labels = load_run(csv_run / "run").predict(rows)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert len(messages) == 2, messages
    assert "Ignoring 2 column(s)" in messages[0] and "'id', 'note'" in messages[0]
    assert messages[1].startswith("2 value(s)") and "'color': 2 (e.g. 'purple')" in messages[1]
    assert len(labels) == 4


@pytest.mark.parametrize("source", ["diabetes", "digits_images", "digits_sequences"])
def test_predict_on_bundled_regression_images_and_sequences(tmp_path, source):
    result = train(source, recipe={"epochs": 1}, out=tmp_path / "run", tracking="none", verbose=0)
    run = load_run(tmp_path / "run")
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
    train(CsvStream(tmp_path / "people.csv", "label"), recipe={"epochs": 2}, out=tmp_path / "run", tracking="none",
          verbose=0)
    run = load_run(tmp_path / "run")
    new = frame.drop(columns="label").assign(color=frame["color"].fillna("purple"))
    new.to_csv(tmp_path / "new.csv", index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        notes = _predict.predict_file(run, tmp_path / "new.csv", tmp_path / "chunked.csv", chunk_rows=64)
    assert notes.rows == 600 and len([w for w in caught if issubclass(w.category, DataWarning)]) == 1
    _predict.predict_file(run, tmp_path / "new.csv", tmp_path / "whole.csv")
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_cli_predicts_images_from_a_npy_file(tmp_path, capsys):
    train("digits_images", recipe={"epochs": 1}, out=tmp_path / "run", tracking="none", verbose=0)
    np.save(tmp_path / "images.npy", data.load_dataset("digits_images").X[:9])
    assert cli.main(["predict", str(tmp_path / "run"), str(tmp_path / "images.npy"), "--out",
                     str(tmp_path / "p.csv")]) == 0
    written = pd.read_csv(tmp_path / "p.csv")
    assert len(written) == 9 and list(written.columns[:2]) == ["digit", "probability_0"]
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n")
    assert cli.main(["predict", str(tmp_path / "run"), str(tmp_path / "rows.csv"), "--out",
                     str(tmp_path / "q.csv")]) == 2
    assert "an image or sequence run predicts on a .npy array file of shape (n, 8, 8, 1)" in capsys.readouterr().err
