"""Streaming a CSV through tf.data (issue 8): the same recipe API on files that are never loaded.

Small files (a few thousand rows) in tmp_path; memory boundedness is checked without big files
(nothing loads the file, and the pass's Python allocations do not grow with the rows).
"""

import doctest
import json
import tracemalloc

import numpy as np
import pytest

from kerasrecipes import reproduce, train
from kerasrecipes.runs import _evaluate, rundir
from kerasrecipes.streaming import (
    CsvStream,
    _csv_stream,
    _pipeline,
    _scan,
    _stream,
    make_dataset,
    scan_csv,
    split_codes,
)


def write_csv(path, n, *, kind="binary", seed=0, missing=0.05, row_id=False):
    """Numeric columns with missing cells, two categorical columns (one with missing cells), a target."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    color = np.array(["red", "green", "blue"])[rng.integers(0, 3, n)]
    shape = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, n)]
    signal = x[:, 0] + 0.5 * x[:, 1] + (color == "red") - 0.5 * (shape == "d")
    if kind == "binary":
        y = np.where(signal + 0.3 * rng.normal(size=n) > 0.3, "yes", "no")
    elif kind == "numeric-binary":
        y = (signal > 0.3).astype(int)
    else:
        y = np.round(3 * signal + 0.5 * rng.normal(size=n) + 10, 4)
    header = (["serial"] if row_id else []) + ["x0", "x1", "x2", "x3", "color", "shape", "target"]
    lines = [",".join(header)]
    for i in range(n):
        cells = ["" if rng.random() < missing else f"{v:.6g}" for v in x[i]]
        lines.append(
            ",".join(
                ([str(i)] if row_id else []) + cells + ["" if rng.random() < missing else color[i], shape[i], str(y[i])]
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def binary_csv(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("stream") / "binary.csv", 3000)


@pytest.fixture(scope="module")
def regression_csv(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("stream") / "regression.csv", 3000, kind="regression")


FAST = {"epochs": 3, "batch_size": 64, "early_stopping": False}


def _refuse(*args, **kwargs):
    raise AssertionError("the streaming road loaded the whole file")


@pytest.fixture(scope="module")
def binary_run(binary_csv, tmp_path_factory):
    """One streamed run on `binary_csv` (FAST, seed 0) into a run directory, trained while every way of loading
    the whole file raises. The tests that need a trained binary run read it: trained once, not three times."""
    import pandas as pd

    from kerasrecipes import data

    read_csv = pd.read_csv

    def bounded(*args, **kwargs):  # chunks and the first rows only
        if not kwargs.get("chunksize") and not kwargs.get("nrows"):
            _refuse()
        return read_csv(*args, **kwargs)

    out = tmp_path_factory.mktemp("binary-run") / "run"
    with pytest.MonkeyPatch.context() as patch:
        for owner, name in ((pd, "read_table"), (np, "loadtxt"), (np, "genfromtxt"), (data, "load_csv")):
            patch.setattr(owner, name, _refuse)
        patch.setattr(pd, "read_csv", bounded)
        return train(CsvStream(binary_csv, "target"), recipe=FAST, seed=0, verbose=0, out=out)


# --- the split ---------------------------------------------------------------------------------


def test_split_is_seeded_stable_and_the_same_in_numpy_and_tensorflow():
    rows = np.arange(50_000)
    codes = split_codes(rows, 7, 0.2, 0.1)
    assert np.array_equal(codes, _csv_stream.split_codes_tf(rows, 7, 0.2, 0.1).numpy())
    assert np.array_equal(codes[:1000], split_codes(rows[:1000], 7, 0.2, 0.1))  # a row's split ignores the others
    assert not np.array_equal(codes, split_codes(rows, 8, 0.2, 0.1))
    shares = np.bincount(codes, minlength=3) / len(rows)
    np.testing.assert_allclose(shares, [0.7, 0.2, 0.1], atol=0.01)


def test_splits_are_disjoint_cover_every_row_and_follow_split_codes(tmp_path):
    path = write_csv(tmp_path / "ids.csv", 1500, row_id=True, missing=0.0)
    stats = scan_csv(path, "target", seed=3, scaling="none")
    assert stats.feature_names_out[0] == "serial"  # unique whole numbers, but not named like an id: kept
    ids = {
        split: np.concatenate([x.numpy()[:, 0] for x, _ in make_dataset(stats, split, batch_size=256)]).astype(int)
        for split in ("train", "val", "test")
    }
    codes = split_codes(np.arange(1500), 3, 0.2, 0.2)
    for split, code in _csv_stream.SPLITS.items():
        assert np.array_equal(ids[split], np.flatnonzero(codes == code))  # file order without a shuffle
        assert stats.n_rows[split] == len(ids[split])
    shuffled = np.concatenate(
        [x.numpy()[:, 0] for x, _ in make_dataset(stats, "train", batch_size=256, shuffle_buffer=500)]
    ).astype(int)
    assert sorted(shuffled) == sorted(ids["train"]) and not np.array_equal(shuffled, ids["train"])


# --- the statistics pass -----------------------------------------------------------------------


@pytest.mark.parametrize("scaling", ["standard", "minmax"])
def test_statistics_and_features_equal_the_in_memory_preprocessing(binary_csv, scaling):
    """The pass's running totals give the spec the in-memory road fits on the same training rows."""
    import pandas as pd

    from kerasrecipes import data
    from kerasrecipes.data import _feature_layers, _feature_spec

    stats = scan_csv(binary_csv, "target", seed=5, scaling=scaling)
    frame = pd.read_csv(binary_csv)
    train = frame[split_codes(np.arange(len(frame)), 5, 0.2, 0.2) == 0]
    numeric = ["x0", "x1", "x2", "x3"]
    dataset = data.load_csv(binary_csv, "target")
    expected = _feature_spec.fit_tabular(
        dataset.X.iloc[train.index],
        dataset.numeric_columns,
        dataset.categorical_columns,
        scaling=scaling,
        imputation="mean",
    )
    spec = stats.preprocessing
    assert spec["columns"] == expected["columns"] and spec["categorical"] == expected["categorical"]
    for key in ("fill", "center", "scale"):
        np.testing.assert_allclose(spec["numeric"][key], expected["numeric"][key], rtol=1e-10)
    assert spec["numeric"]["indicators"] == expected["numeric"]["indicators"] == numeric
    np.testing.assert_allclose(spec["numeric"]["fill"], train[numeric].mean(), rtol=1e-12)
    assert [c["vocabulary"] for c in spec["categorical"]] == [["blue", "green", "red"], ["a", "b", "c", "d"]]
    assert [c["other"] for c in spec["categorical"]] == [True, False]  # color has missing cells, shape none
    assert stats.classes == ("no", "yes")
    assert stats.class_counts == tuple(train["target"].value_counts().sort_index())
    # the features the model sees: the in-memory road's layer on the same rows
    streamed = np.concatenate([x.numpy() for x, _ in make_dataset(stats, "train", batch_size=500)])
    in_memory = _feature_layers.apply(
        _feature_layers.features_layer(expected), _feature_layers.to_inputs(expected, dataset.X.iloc[train.index])
    )
    assert stats.feature_names_out == tuple(_feature_spec.feature_names(expected))
    np.testing.assert_allclose(streamed, in_memory, atol=1e-6)


def test_task_inference(tmp_path, regression_csv):
    assert scan_csv(regression_csv, "target").task == "regression"
    numeric_labels = scan_csv(write_csv(tmp_path / "n.csv", 600, kind="numeric-binary"), "target", seed=1)
    assert (numeric_labels.task, numeric_labels.classes) == ("binary", (0, 1))
    assert all(type(c) is int for c in numeric_labels.classes)  # as the file writes them (and load_csv reads them)
    y = np.concatenate([y.numpy() for _, y in make_dataset(numeric_labels, "val", batch_size=100)])
    assert set(y.tolist()) == {0, 1}
    assert scan_csv(tmp_path / "n.csv", "target", task="regression").task == "regression"


def test_csv_details_crlf_blank_lines_quotes_spaces_and_na_tokens(tmp_path):
    rows = [
        f' {i % 10};"x, {"ab"[i % 2]}"; {"NA" if i % 7 == 0 else i % 3} ;{"yes" if i % 10 > 4 else "no"}'
        for i in range(300)
    ]
    path = tmp_path / "dialect.csv"
    path.write_bytes(("a;b;c;y\r\n" + "\r\n".join(rows[:100] + [""] + rows[100:]) + "\r\n").encode())
    stats = scan_csv(path, "y", seed=0)
    assert stats.layout.delimiter == ";" and stats.n_rows_read == 300
    spec = stats.preprocessing
    assert [c["vocabulary"] for c in spec["categorical"]] == [["x, a", "x, b"]]
    assert spec["numeric"]["indicators"] == ["c"]
    assert sum(stats.n_rows.values()) == 300 and stats.feature_names_out[-2:] == ("b_x, a", "b_x, b")


def test_imputation_drop_eliminates_incomplete_rows(binary_csv):
    import pandas as pd

    stats = scan_csv(binary_csv, "target", seed=5, imputation="drop")
    frame = pd.read_csv(binary_csv)
    codes = split_codes(np.arange(len(frame)), 5, 0.2, 0.2)
    complete = frame.notna().all(axis=1).to_numpy()
    assert stats.dropped_incomplete_rows == int((~complete).sum())
    assert stats.preprocessing["numeric"]["indicators"] == []
    assert stats.n_rows == {name: int((complete & (codes == code)).sum()) for name, code in _csv_stream.SPLITS.items()}
    np.testing.assert_allclose(
        stats.preprocessing["numeric"]["fill"],
        frame[complete & (codes == 0)][["x0", "x1", "x2", "x3"]].mean(),
        rtol=1e-12,
    )


def test_the_file_is_never_loaded_whole(binary_run):
    """`binary_run` trained, evaluated and wrote its run with pandas' and NumPy's whole-file readers and
    `data.load_csv` raising (pandas' reader allowed in chunks and for the first rows only)."""
    assert binary_run.manifest["data"]["kind"] == "csv-stream"
    assert rundir.read_manifest(binary_run.run_dir)["data"]["kind"] == "csv-stream"


def _peak_python_memory(path):
    tracemalloc.start()
    try:
        scan_csv(path, "target", seed=0)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_the_pass_memory_does_not_grow_with_rows(tmp_path, monkeypatch):
    from kerasrecipes import _io

    # many read chunks and hash chunks (1 MiB by default); files larger than pandas' own read buffer (~1 MiB)
    monkeypatch.setattr(_csv_stream, "READ_BATCH", 2048)
    monkeypatch.setattr(_csv_stream, "SNIFF_ROWS", 1000)
    sha256_file = _io.sha256_file
    monkeypatch.setattr(_io, "sha256_file", lambda path: sha256_file(path, chunk=1 << 14))
    small, large = write_csv(tmp_path / "s.csv", 25_000), write_csv(tmp_path / "l.csv", 100_000)
    scan_csv(small, "target", seed=0)  # warm up TensorFlow's caches (no need to trace allocations for that)
    peak_small, peak_large = _peak_python_memory(small), _peak_python_memory(large)
    assert peak_large < 1.1 * peak_small + 64 * 1024, (peak_small, peak_large)


# --- training ----------------------------------------------------------------------------------


def test_trains_binary_end_to_end_into_a_run_directory(binary_run):
    result, run = binary_run, binary_run.run_dir
    assert result.scenario.name == "binary-small-dataset"
    assert result.test_metrics["accuracy"] > 0.8 and result.test_metrics["auc"] > 0.85  # chance: ~0.5
    manifest = rundir.read_manifest(run)
    for key in ("recipe", "seed", "weights_sha256", "test_metrics", "versions", "platform"):
        assert key in manifest
    assert manifest["data"]["preprocessing"] == result.data.preprocessing
    assert manifest["data"]["sha256"] == result.data.stats.sha256 and manifest["data"]["kind"] == "csv-stream"
    assert manifest["recipe"]["imputation"] == "mean" and manifest["execution"]["road"] == "fit"
    assert {"model.keras", "model.weights.h5", "last.weights.h5", "history.csv", "recipe.yaml"} <= {
        p.name for p in run.iterdir()
    }
    assert json.loads((run / "manifest.json").read_text())["weights_sha256"] == manifest["weights_sha256"]


def test_a_streaming_run_reproduces_and_retrains_bit_for_bit_and_another_seed_differs(tmp_path):
    """The same seed gives identical weights (the retrain, dropout and a shuffle buffer included); another does not."""
    path = write_csv(tmp_path / "data.csv", 1000)
    recipe = {"epochs": 2, "batch_size": 64, "dropout": 0.2, "early_stopping": False}
    first = train(CsvStream(path, "target", shuffle_buffer=300), recipe=recipe, seed=4, verbose=0, out=tmp_path / "run")
    report = reproduce(tmp_path / "run", retrain=True)
    assert report.identical, report.reasons
    assert report.retrained_weights_sha256 == first.manifest["weights_sha256"]
    other = train(CsvStream(path, "target", shuffle_buffer=300), recipe=recipe, seed=5, verbose=0)
    assert other.manifest["weights_sha256"] != first.manifest["weights_sha256"]
    path.write_text(path.read_text() + "0,0,0,0,red,a,yes\n")
    with pytest.raises(ValueError, match="has changed since training"):
        reproduce(tmp_path / "run")


def test_streamed_test_metrics_equal_scikit_learns(binary_run, regression_csv):
    from sklearn import metrics as skm

    regression = train(CsvStream(regression_csv, "target"), recipe={**FAST, "epochs": 2}, seed=1, verbose=0)
    for result, task in ((binary_run, "binary"), (regression, "regression")):
        stats, model = result.data.stats, result.model
        batches = list(make_dataset(stats, "test", batch_size=512))
        y = np.concatenate([b[1].numpy() for b in batches])
        pred = model.predict(np.concatenate([b[0].numpy() for b in batches]), verbose=0)
        got = result.test_metrics
        if task == "binary":
            assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred[:, 0] > 0.5), abs=1e-12)
            assert got["f1"] == pytest.approx(skm.f1_score(y, pred[:, 0] > 0.5), abs=1e-12)
            assert got["auc"] == pytest.approx(skm.roc_auc_score(y, pred[:, 0]), abs=1e-6)  # exact below 1M rows
        else:
            y_true, y_pred = (
                v * stats.target["std"] + stats.target["mean"] for v in (y, pred[:, 0].astype(np.float64))
            )
            assert got["r2"] == pytest.approx(skm.r2_score(y_true, y_pred), abs=1e-6)
            assert got["mae"] == pytest.approx(skm.mean_absolute_error(y_true, y_pred), rel=1e-6)
            assert got["r2"] > 0.5


def test_auc_histogram_agrees_with_scikit_learn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 20_000)
    p = 1 / (1 + np.exp(-(2.5 * y - 1.2 + rng.normal(size=y.size) * 2))).astype(np.float32)
    bins = _evaluate.score_bins(p)
    auc = _evaluate.auc_from_histograms(
        np.bincount(bins[y == 1], minlength=_evaluate.AUC_BINS), np.bincount(bins[y == 0], minlength=_evaluate.AUC_BINS)
    )
    assert auc == pytest.approx(roc_auc_score(y, p), abs=1e-4)


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, kwargs, match",
    [
        (lambda t: t + "1.0,2.0\n", {}, r"Line 3002 has 2, fewer than the header; fix that row"),
        (lambda t: t + "1,2,3,4,red,a,yes,extra\n", {}, r"Line 3002 has 8, more than the header"),
        (
            lambda t: t + "1,2,abc,4,red,a,yes\n",
            {},
            r"Column 'x2' of bad.csv holds 'abc' on line 3002, but that column is "
            r"read as numbers",
        ),
        (None, {"target": "targt"}, r"Unknown target column 'targt'. Did you mean 'target'\?"),
        (None, {"imputation": "median"}, r"`imputation` must be 'mean' or 'drop' when streaming"),
        (None, {"scaling": "robust"}, r"`scaling` must be 'standard', 'minmax' or 'none' when streaming.*no --stream"),
        (None, {"task": "regression"}, r"'binary' or 'multiclass' for a text target"),
        (None, {"validation_fraction": 0.6, "test_fraction": 0.5}, r"validation_fraction \+ test_fraction"),
        (None, {"task": "rnn"}, r"CSV rows are tabular"),
    ],
)
def test_bad_input_gets_one_line(binary_csv, tmp_path, monkeypatch, edit, kwargs, match):
    monkeypatch.setattr(_csv_stream, "SNIFF_ROWS", 1000)  # typing sees the first 1,000 rows: a later 'abc' is an error
    path = binary_csv
    if edit is not None:
        path = tmp_path / "bad.csv"
        path.write_text(edit(binary_csv.read_text()))
    kwargs = {"target": "target", **kwargs}
    with pytest.raises(ValueError, match=match):
        scan_csv(path, **kwargs)


def test_na_values_past_the_sniffed_rows_are_missing_in_features_and_target(binary_csv, tmp_path, monkeypatch):
    """The first rows decide the types; the user's markers are missing values wherever they appear (a '?' on
    line 3002 once failed as 'read as numbers', and a '?' target became a class)."""
    monkeypatch.setattr(_csv_stream, "SNIFF_ROWS", 1000)
    path = tmp_path / "late.csv"
    path.write_text(binary_csv.read_text() + "1,2,?,4,red,a,yes\n1,2,3,4,?,a,no\n1,2,3,4,red,a,?\n")
    with pytest.raises(ValueError, match=r"holds '\?' on line 3002"):
        scan_csv(path, "target")
    stats = scan_csv(path, "target", na_values=["?"])
    plain = scan_csv(binary_csv, "target")
    assert stats.classes == ("no", "yes") and stats.dropped_rows == plain.dropped_rows + 1
    assert stats.n_rows_read == plain.n_rows_read + 3
    assert "?" in stats.layout.type_of("x2").markers
    assert stats.preprocessing["categorical"][0]["vocabulary"] == ["blue", "green", "red"]  # no '?' category


@pytest.mark.parametrize(
    "recipe, match",
    [
        ({"imbalance": "downsample"}, "imbalance=class_weight"),
        ({"gradient_descent": "batch"}, "use minibatch"),
        ({"task": "cnn"}, "for CSV rows"),
    ],
)
def test_recipes_the_stream_cannot_follow_are_refused(binary_csv, recipe, match):
    with pytest.raises(ValueError, match=match):
        train(CsvStream(binary_csv, "target"), recipe=recipe, verbose=0)


def test_docstring_examples_run(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the examples' mkdtemp() lands in tmp_path
    for module in (_csv_stream, _scan, _pipeline, _stream, _evaluate):
        assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0, module.__name__


def test_tiny_files_and_missing_targets_are_told_as_in_memory(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("a,b,y\n1,2,yes\n")
    with pytest.raises(
        ValueError, match=r"at least 10 rows that have a target value.*It has 1 \(1 rows read, 0 without"
    ):
        scan_csv(one, "y")
    some = tmp_path / "some.csv"
    some.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{'' if i % 10 == 0 else 'yn'[i % 2]}\n" for i in range(200)))
    with pytest.warns(UserWarning, match=r"Dropping 20 row\(s\) of some.csv whose target 'y' is missing"):
        stats = scan_csv(some, "y")
    assert stats.dropped_rows == 20


def test_rare_classes_are_refused_as_in_memory_and_an_untrained_class_is_warned(tmp_path):
    labels = ["yn"[i % 2] for i in range(200)]
    rare = tmp_path / "rare.csv"
    rare.write_text("a,y\n" + "".join(f"{i},{'z' if i in (5, 9) else y}\n" for i, y in enumerate(labels)))
    with pytest.raises(ValueError, match=r"at least 3 rows per class\. Received: target='y'\. Class counts \{'z': 2\}"):
        scan_csv(rare, "y")
    numbers = tmp_path / "numbers.csv"  # whole-number labels are shown as the run shows them
    numbers.write_text("a,y\n" + "".join(f"{i},{7 if i == 3 else i % 3}\n" for i in range(200)))
    with pytest.raises(ValueError, match=r"Class counts \{7: 1\}"):
        scan_csv(numbers, "y", task="multiclass")
    held_out = [int(i) for i in np.flatnonzero(split_codes(range(200), 42, 0.2, 0.2) != 0)[:3]]
    untrained = tmp_path / "untrained.csv"
    untrained.write_text("a,y\n" + "".join(f"{i},{'z' if i in held_out else y}\n" for i, y in enumerate(labels)))
    with pytest.warns(UserWarning, match=r"1 class\(es\) of 'y' have no row in the training split.*\['z'\]"):
        stats = scan_csv(untrained, "y")
    assert list(stats.classes) == ["n", "y", "z"]


# --- data values and CSV reading (issue 26, item 6): the stream reads a file as load_csv does ------------------
def _small_csv(path, sep=",", cell=None, n=200, labels="yn"):
    """`n` rows: numbers a, b, a text column c and a target of `labels`; `cell` = (row, column, text) replaces a
    value."""
    rows = [[f"{i / 10}", f"{(i * 7) % 13}", "pqr"[i % 3], labels[i % 2]] for i in range(n)]
    if cell is not None:
        rows[cell[0]]["abcy".index(cell[1])] = cell[2]
    path.write_text(sep.join("abcy") + "\n" + "".join(sep.join(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("sep", [":", " ", "#"])
def test_the_stream_reads_any_single_character_delimiter(tmp_path, sep):
    stats = scan_csv(_small_csv(tmp_path / "sep.csv", sep=sep), "y", delimiter=sep)
    assert stats.layout.delimiter == sep and stats.layout.numeric == ("a", "b") and stats.task == "binary"
    with pytest.raises(ValueError, match=r"^`delimiter` must be None or a single character .*Received: delimiter='::'"):
        scan_csv(tmp_path / "sep.csv", "y", delimiter="::")


def test_the_stream_reads_cells_of_any_length(tmp_path):
    stats = scan_csv(_small_csv(tmp_path / "long.csv", cell=(7, "c", "z" * 300_000)), "y")
    assert stats.layout.categorical == ("c",) and stats.n_rows_read == 200


@pytest.mark.parametrize("column, cure", [("a", "empty those cells so they are imputed"), ("y", "remove those rows")])
def test_the_stream_refuses_numbers_beyond_float32(tmp_path, column, cure):
    path = _small_csv(tmp_path / "big.csv", cell=(120, column, "-1e300"), labels="01")
    with pytest.raises(
        ValueError,
        match=rf"`path` must be a CSV file with finite numbers\. .*Column '{column}' is "
        rf"beyond float32's range \(\|x\| > 3\.4e\+38\) on line 122 \(-1e\+300\); "
        rf".*, or {cure}$",
    ):
        scan_csv(path, "y")


def test_the_stream_reads_junk_markers_in_text_columns_as_missing_past_the_sniffed_rows(tmp_path, monkeypatch):
    """A text column reads '?' as missing on any row, as the in-memory road reads the whole file."""
    monkeypatch.setattr(_csv_stream, "SNIFF_ROWS", 50)
    path = _small_csv(tmp_path / "late.csv", cell=(150, "c", "?"))
    stats = scan_csv(path, "y")
    assert "?" in stats.layout.type_of("c").markers
    assert stats.preprocessing["categorical"][0]["vocabulary"] == ["p", "q", "r"]  # no '?' category
