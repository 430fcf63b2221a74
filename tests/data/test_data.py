"""Tests of kerasrecipes.data: the dataset table, CSV loading and prepare()."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from kerasrecipes import data

SYNTHETIC_ROWS = 300  # small generated datasets keep the suite fast


def _load(name, seed=0):
    kwargs = {"n_samples": SYNTHETIC_ROWS} if data.DATASETS[name].kind == "synthetic" else {}
    return data.load_dataset(name, seed=seed, **kwargs)


def _channels(X):
    return X.reshape(-1, X.shape[-1])


# --- the dataset table -------------------------------------------------------------------


def test_list_datasets_has_required_names_sorted():
    names = data.list_datasets()
    required = {
        "iris",
        "wine",
        "breast_cancer",
        "digits",
        "digits_images",
        "digits_sequences",
        "diabetes",
        "linnerud",
        "friedman1",
        "classification",
        "sequences",
    }
    assert required <= set(names)
    assert names == sorted(names)
    assert data.list_datasets("digits_*") == ["digits_images", "digits_sequences"]


@pytest.mark.parametrize("name", data.list_datasets())
def test_load_dataset_matches_its_row(name):
    spec = data.DATASETS[name]
    ds = _load(name)
    assert ds.name == name and ds.task == spec.task and ds.layout == spec.layout
    assert len(ds.X) == len(ds.y) == ds.n_samples
    assert len(ds.feature_names) == ds.X.shape[-1]
    assert ds.numeric_columns == ds.feature_names and ds.categorical_columns == ()
    assert ds.source["kind"] == spec.kind and ds.source["name"] == name
    json.dumps(ds.source)
    if spec.kind == "synthetic":
        assert ds.source["n_samples"] == SYNTHETIC_ROWS and ds.source["seed"] == 0


def test_image_and_sequence_shapes():
    assert data.load_dataset("digits_images").X.shape == (1797, 8, 8, 1)
    assert data.load_dataset("digits_sequences").X.shape == (1797, 8, 8)
    seq = data.load_dataset("sequences", n_samples=50, timesteps=12, n_features=3)
    assert seq.X.shape == (50, 12, 3)


def test_synthetic_defaults_and_parameters():
    assert data.load_dataset("friedman1").X.shape == (2000, 10)
    ds = data.load_dataset("classification", n_samples=400, weights=[0.9], seed=3)
    assert ds.X.shape == (400, 20) and ds.task == "binary"
    assert np.mean(ds.y == 0) > 0.8
    assert data.load_dataset("classification", n_samples=200, n_classes=4).task == "multiclass"


def test_synthetic_is_seeded():
    a = data.load_dataset("friedman1", n_samples=100, seed=1)
    b = data.load_dataset("friedman1", n_samples=100, seed=1)
    c = data.load_dataset("friedman1", n_samples=100, seed=2)
    assert a.X.tobytes() == b.X.tobytes() and a.y.tobytes() == b.y.tobytes()
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (dict(name="irsi"), ValueError, r"Unknown dataset 'irsi'\. Did you mean 'iris'\?"),
        (dict(name="iris", n_samples=50), ValueError, r"`n_samples` must be None for the bundled"),
        (dict(name="friedman1", n_samples=5), ValueError, r"`n_samples` must be an integer >= 10"),
        (dict(name="friedman1", nosie=0.1), ValueError, r"Did you mean 'noise'"),
        (dict(name="friedman1", noise=-1.0), ValueError, r"`noise` must be a real number >= 0"),
        (dict(name="classification", weights=[1.5]), ValueError, r"`weights` must be a list"),
        (dict(name="iris", seed="0"), TypeError, r"`seed` must be an integer"),
    ],
)
def test_load_dataset_errors(call, error, match):
    name = call.pop("name")
    with pytest.raises(error, match=match):
        data.load_dataset(name, **call)


# --- prepare() on every registered dataset -------------------------------------------------


@pytest.mark.parametrize("name", data.list_datasets())
def test_prepare_every_dataset(name):
    ds = _load(name)
    prepared = data.prepare(ds, task=ds.task, seed=0)
    splits = ("train", "val", "test")
    Xs = [getattr(prepared, f"X_{s}") for s in splits]
    ys = [getattr(prepared, f"y_{s}") for s in splits]
    assert sum(len(y) for y in ys) == ds.n_samples
    for X, y in zip(Xs, ys):
        assert X.dtype == np.float32 and len(X) == len(y)
        assert X.shape[1:] == prepared.input_shape and not np.isnan(X).any()
        assert y.dtype == (np.float32 if ds.task in ("regression", "multilabel") else np.int64)
    assert sorted(np.concatenate([prepared.indices[s] for s in splits])) == list(range(len(ds.y)))
    # Scaling is fitted on train only: train is centred, test is not forced to be.
    assert np.allclose(_channels(Xs[0]).mean(axis=0), 0.0, atol=1e-4)
    assert np.abs(_channels(Xs[2]).mean(axis=0)).max() > 1e-3
    if ds.task == "regression":
        assert prepared.n_classes is None and prepared.classes is None
        assert abs(float(ys[0].mean())) < 1e-4 and abs(float(ys[0].std()) - 1.0) < 1e-3
    elif ds.task == "multilabel":  # one 0/1 column per label, not stratified
        assert prepared.classes.tolist() == ds.target_name.split(",") and prepared.n_classes == ds.y.shape[1]
        np.testing.assert_array_equal(np.concatenate(ys), ds.y[np.concatenate([prepared.indices[s] for s in splits])])
    else:
        overall = np.bincount(np.concatenate(ys)) / ds.n_samples
        for y in ys:  # stratified: every split keeps the class proportions
            assert np.all(np.abs(np.bincount(y, minlength=len(overall)) - overall * len(y)) <= 2)
        assert prepared.n_classes == len(np.unique(ds.y))
    described = json.loads(json.dumps(prepared.describe()))
    assert described["n_rows"] == {s: len(y) for s, y in zip(splits, ys)}
    assert described["source"] == ds.source and described["seed"] == 0


@pytest.mark.parametrize("name", ["iris", "classification", "digits_images", "sequences"])
def test_prepare_is_deterministic_and_seed_dependent(name):
    ds = _load(name)
    a = data.prepare(ds, task=ds.task, seed=7)
    b = data.prepare(_load(name), task=ds.task, seed=7)
    c = data.prepare(ds, task=ds.task, seed=8)
    for key, array in a.splits().items():
        assert array.tobytes() == b.splits()[key].tobytes()
    assert a.fingerprint() == b.fingerprint() and len(a.fingerprint()) == 64
    assert a.fingerprint() != c.fingerprint()
    assert not np.array_equal(a.indices["test"], c.indices["test"])


def test_regression_targets_round_trip_to_original_units():
    ds = data.load_dataset("diabetes")
    prepared = data.prepare(ds, task="regression", seed=0)
    original = ds.y[prepared.indices["test"]]
    assert np.allclose(prepared.inverse_transform_y(prepared.y_test), original, atol=1e-3)
    column = prepared.inverse_transform_y(prepared.y_test[:, None])  # Keras-shaped (n, 1)
    assert column.shape == (len(original), 1)
    assert np.allclose(column[:, 0], original, atol=1e-3)
    assert abs(float(original.mean()) - float(prepared.y_test.mean())) > 50


def test_classification_predictions_map_to_original_labels():
    ds = data.array_dataset("toy", np.arange(60.0)[:, None], np.array(["a", "b", "c"] * 20))
    prepared = data.prepare(ds, task="multiclass", seed=0)
    assert list(prepared.inverse_transform_y(np.array([2, 0]))) == ["c", "a"]
    probabilities = np.eye(3, dtype=np.float32)[[1, 2]]
    assert list(prepared.inverse_transform_y(probabilities)) == ["b", "c"]


def test_minmax_scaling_and_no_scaling():
    ds = data.load_dataset("wine")
    mm = data.prepare(ds, task="multiclass", seed=0, scaling="minmax")
    assert np.allclose(mm.X_train.min(axis=0), 0) and np.allclose(mm.X_train.max(axis=0), 1)
    raw = data.prepare(ds, task="multiclass", seed=0, scaling="none")
    assert np.allclose(raw.X_train, ds.X[raw.indices["train"]].astype(np.float32))
    images = data.prepare(data.load_dataset("digits_images"), task="multiclass", seed=0, scaling="none")
    assert images.preprocessing["center"] == [0.0] and images.preprocessing["scale"] == [1.0]
    assert images.X_train.max() == 16


def test_robust_scaling_is_median_and_iqr_then_smooth_clipping():
    """RealMLP's robust scaling: (x - median) / IQR (half the range where the IQR is 0), then x / sqrt(1 + (x/3)^2)."""
    from kerasrecipes.data import _feature_spec

    values = np.array([[0.0, 0.0, 5.0], [1.0, 0.0, 5.0], [2.0, 0.0, 5.0], [3.0, 0.0, 5.0], [100.0, 4.0, 5.0]])
    center, scale = _feature_spec.scaling_constants(values, "robust")
    assert center.tolist() == [2.0, 0.0, 5.0]
    assert scale.tolist() == [2.0, 2.0, 1.0]  # IQR 3 - 1; IQR 0 -> (4 - 0) / 2; constant -> 1
    x = np.array([-1e6, -3.0, 0.0, 3.0, 1e6])
    clipped = _feature_spec.smooth_clip(x)
    assert np.all(np.abs(clipped) < 3.0) and clipped[2] == 0.0 and np.all(np.diff(clipped) > 0)
    assert clipped[3] == pytest.approx(3.0 / np.sqrt(2.0))


def test_robust_scaling_reaches_the_layers_and_the_saved_model(tmp_path):
    import keras

    from kerasrecipes.data import _feature_layers, _feature_spec

    ds = data.load_dataset("diabetes")
    prepared = data.prepare(ds, task="regression", seed=0, scaling="robust")
    train = ds.X[prepared.indices["train"]].astype(np.float64)
    center, scale = np.median(train, axis=0), np.subtract(*np.quantile(train, [0.75, 0.25], axis=0))
    expected = _feature_spec.smooth_clip((train - center) / scale)
    assert prepared.preprocessing["numeric"]["clip"] is True
    assert np.allclose(prepared.X_train, expected, atol=1e-5) and np.abs(prepared.X_train).max() < 3.0
    inputs = _feature_layers.raw_inputs(prepared.preprocessing)
    model = keras.Model(inputs, _feature_layers.features_layer(prepared.preprocessing)(inputs))
    model.save(tmp_path / "p.keras")
    loaded = keras.saving.load_model(tmp_path / "p.keras", safe_mode=True)
    raw = _feature_layers.to_inputs(prepared.preprocessing, ds.X[prepared.indices["test"]])
    assert np.array_equal(_feature_layers.apply(loaded, raw), prepared.X_test)
    standard = data.prepare(ds, task="regression", seed=0)
    assert "clip" not in standard.preprocessing["numeric"]  # specs saved before "robust" existed read the same
    images = _feature_spec.fit_channels(np.random.default_rng(0).standard_cauchy((20, 4, 3)), "robust")
    scaled = _feature_layers.apply(
        _feature_layers.features_layer(images), np.random.default_rng(1).standard_cauchy((5, 4, 3)) * 100
    )
    assert images["clip"] is True and np.abs(scaled).max() <= 3.0  # float32 rounds the far tails to 3


# --- CSV files ----------------------------------------------------------------------------


def _write_csv(path, n=200, seed=0):
    """Imbalanced binary target ('no' 90%), NaN in `age`, a categorical `color`."""
    rng = np.random.default_rng(seed)
    lines = ["age,income,color,label"]
    for i in range(n):
        age = "" if i % 17 == 0 else f"{rng.integers(18, 80)}"
        color = "" if i % 23 == 0 else ["red", "green", "blue"][i % 3]
        label = "yes" if i % 10 == 0 else "no"
        lines.append(f"{age},{rng.normal(50, 10):.3f},{color},{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("imbalance", ["none", "class_weight", "downsample"])
def test_csv_end_to_end(tmp_path, imbalance):
    path = _write_csv(tmp_path / "people.csv")
    before = path.read_bytes()
    ds = data.load_csv(path, "label")
    assert ds.numeric_columns == ("age", "income") and ds.categorical_columns == ("color",)
    assert ds.source["kind"] == "csv" and len(ds.source["sha256"]) == 64
    prepared = data.prepare(ds, task="binary", seed=0, imbalance=imbalance)
    assert path.read_bytes() == before
    assert list(prepared.classes) == ["no", "yes"] and prepared.n_classes == 2
    assert "missingindicator_age" in prepared.feature_names_out
    assert {"color_blue", "color_green", "color_red"} <= set(prepared.feature_names_out)
    for X in (prepared.X_train, prepared.X_val, prepared.X_test):
        assert X.dtype == np.float32 and not np.isnan(X).any()
    baseline = data.prepare(ds, task="binary", seed=0)
    for split in ("val", "test"):  # only the training split is ever rebalanced
        assert np.array_equal(prepared.indices[split], baseline.indices[split])
    counts = np.bincount(baseline.y_train)
    if imbalance == "none":
        assert prepared.class_weight is None and prepared.sample_weight_train is None
    elif imbalance == "class_weight":
        assert prepared.sample_weight_train is None
        assert prepared.class_weight[1] > 1 > prepared.class_weight[0]
        assert np.isclose(prepared.class_weight[1], len(baseline.y_train) / (2 * counts[1]))
    else:
        assert prepared.class_weight is None
        kept = np.bincount(prepared.y_train)
        assert kept[0] == kept[1] == counts[1]
        weights = prepared.sample_weight_train
        assert weights.shape == prepared.y_train.shape and weights.dtype == np.float32
        for c in (0, 1):  # upweighting restores each class's original total weight
            assert np.isclose(weights[prepared.y_train == c].sum(), counts[c])
        assert set(prepared.indices["train"]) <= set(baseline.indices["train"])
        assert prepared.describe()["downsampling"]["factors"]["no"] == counts[0] / counts[1]
    json.dumps(prepared.describe())


def test_csv_regression_and_row_elimination(tmp_path):
    path = _write_csv(tmp_path / "people.csv")
    ds = data.load_csv(path, "income")
    prepared = data.prepare(ds, task="regression", seed=1, imputation="drop")
    expected = sum(1 for i in range(200) if i % 17 == 0 or i % 23 == 0)  # missing age or color
    assert prepared.describe()["dropped_rows"] == expected == 20
    assert not any(n.startswith("missingindicator") for n in prepared.feature_names_out)
    restored = prepared.inverse_transform_y(prepared.y_val)
    assert np.allclose(restored, ds.y[prepared.indices["val"]], atol=1e-3)


def test_csv_delimiter_detection_and_na_values(tmp_path):
    rows = "".join(f"{i};{'?' if i % 5 == 0 else i * 2};{i % 2}\n" for i in range(20))
    path = tmp_path / "semi.csv"
    path.write_text("a;b;y\n" + rows)
    ds = data.load_csv(path, "y")  # '?' is a junk marker: b stays numeric, the markers missing
    assert ds.source["delimiter"] == ";" and ds.numeric_columns == ("a", "b") and ds.X["b"].isna().sum() == 4
    assert "'?' x4" in dict((t.name, t.note) for t in ds.column_types)["b"]
    fixed = data.load_csv(path, "y", na_values=["?"])  # declared missing: no note needed
    assert fixed.numeric_columns == ("a", "b") and fixed.X["b"].isna().sum() == 4
    assert [t.note for t in fixed.column_types] == [None, None]


def test_csv_all_missing_feature_column_is_dropped(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("a,empty,y\n" + "".join(f"{i},,{i % 2}\n" for i in range(12)))
    ds = data.load_csv(path, "y")
    assert ds.feature_names == ("a",) and ds.source["dropped_columns"] == ["empty"]
    assert [(t.name, t.kind, t.note) for t in ds.column_types][1] == ("empty", "dropped", "no values")


CSV_ERRORS = {
    "empty file": ("", "y", {}, r"The file is empty"),
    "target missing": (
        "a,label\n" + "1,0\n" * 12,
        "labels",
        {},
        r"Unknown target column 'labels'\. Did you mean 'label'\? "
        r"Expected one of: a, label",
    ),
    "target case": ("a,Label\n" + "1,0\n" * 12, "label", {}, r"Did you mean 'Label'\?"),
    "target all missing": ("a,y\n" + "1,\n" * 12, "y", {}, r"Every value of that column is missing"),
    "one class": (
        "a,y\n" + "".join(f"{i},1\n" for i in range(12)),
        "y",
        {},
        r"at least 2 distinct values .* Every row has the value 1",
    ),
    "too few rows": (
        "a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(5)),
        "y",
        {},
        r"at least 10 rows that have a target value.* It has 5",
    ),
    "wrong delimiter": (
        "a;b;y\n" + "".join(f"{i};{i};{i % 2}\n" for i in range(12)),
        "y",
        {"delimiter": ","},
        r"`delimiter` must be .* pass delimiter=';'",
    ),
    "single column": ("y\n" + "".join(f"{i % 2}\n" for i in range(12)), "y", {}, r"at least 2 columns"),
    "malformed": (
        "a,y\n1,0\n2,1,3,4\n" + "3,0\n" * 12,
        "y",
        {},
        r"rows have the header's 2 fields.*Line 3 has 4, more than the header",
    ),
}


@pytest.mark.parametrize("case", sorted(CSV_ERRORS))
def test_csv_errors_leave_file_unchanged(tmp_path, case):
    text, target, kwargs, match = CSV_ERRORS[case]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=match):
        data.load_csv(path, target, **kwargs)
    assert path.read_bytes() == before


def test_csv_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"`path` must be an existing CSV file.*missing"):
        data.load_csv(tmp_path / "nope.csv", "y")
    with pytest.raises(TypeError, match=r"`target` must be a column name"):
        data.load_csv(tmp_path / "nope.csv", 3)


# --- prepare() errors --------------------------------------------------------------------


def test_prepare_rejects_a_task_that_does_not_fit():
    iris = data.load_dataset("iris")
    with pytest.raises(ValueError, match=r"`task` must be 'multiclass' for a target with 3"):
        data.prepare(iris, task="binary", seed=0)
    with pytest.raises(ValueError, match=r"'regression' for a continuous target"):
        data.prepare(data.load_dataset("friedman1", n_samples=50), task="binary", seed=0)
    with pytest.raises(ValueError, match=r"'regression' for a numeric target .* 214 values"):
        data.prepare(data.load_dataset("diabetes"), task="multiclass", seed=0)
    text = data.array_dataset("t", np.zeros((20, 1)), np.array(["a", "b"] * 10))
    with pytest.raises(ValueError, match=r"'binary' or 'multiclass' for a text target"):
        data.prepare(text, task="regression", seed=0)
    with pytest.raises(ValueError, match=r"`imbalance` must be 'none' for task='regression'"):
        data.prepare(data.load_dataset("diabetes"), task="regression", seed=0, imbalance="downsample")


@pytest.mark.parametrize(
    "option, value, error",
    [
        ("task", "classify", ValueError),
        ("scaling", "zscore", ValueError),
        ("imputation", "zero", ValueError),
        ("imbalance", "oversample", ValueError),
        ("validation_fraction", 1.0, ValueError),
        ("test_fraction", "0.2", TypeError),
        ("seed", -1, ValueError),
    ],
)
def test_prepare_option_errors(option, value, error):
    kwargs = {"task": "multiclass", "seed": 0, option: value}
    with pytest.raises(error, match=rf"`{option}` must be .* Received: {option}="):
        data.prepare(data.load_dataset("iris"), **kwargs)


def test_prepare_other_errors():
    iris = data.load_dataset("iris")
    with pytest.raises(ValueError, match=r"validation_fraction \+ test_fraction` must be < 1"):
        data.prepare(iris, task="multiclass", seed=0, validation_fraction=0.5, test_fraction=0.5)
    rare = data.array_dataset("rare", np.arange(20.0)[:, None], np.array([0] * 18 + [1] * 2))
    with pytest.raises(ValueError, match=r"at least 3 rows per class .*\{1: 2\}"):
        data.prepare(rare, task="binary", seed=0)
    images = np.ones((20, 4, 4, 1))
    images[3, 0, 0, 0] = np.nan
    ds = data.array_dataset("nan_images", images, np.arange(20) % 2)
    with pytest.raises(ValueError, match=r"`imputation` must be 'drop' for image"):
        data.prepare(ds, task="binary", seed=0)
    dropped = data.prepare(ds, task="binary", seed=0, imputation="drop")
    assert dropped.describe()["dropped_rows"] == 1 and len(dropped.indices["train"]) < 19
    with pytest.raises(TypeError, match=r"`dataset` must be a kerasrecipes.data.Dataset"):
        data.prepare(iris.X, task="multiclass", seed=0)


def test_channel_scaling_is_per_last_axis_channel():
    from kerasrecipes.data import _feature_layers, _feature_spec

    x = np.random.default_rng(0).normal(3.0, 2.0, size=(10, 5, 3))
    spec = _feature_spec.fit_channels(x, "minmax")
    scaled = _feature_layers.apply(_feature_layers.features_layer(spec), _feature_layers.to_inputs(spec, x))
    assert scaled.dtype == np.float32 and scaled.shape == x.shape
    assert np.allclose(_channels(scaled).min(axis=0), 0) and np.allclose(_channels(scaled).max(axis=0), 1)


def test_import_has_no_heavy_side_effects():
    heavy = ("tensorflow", "keras", "sklearn", "pandas")
    code = f"import sys, kerasrecipes.data; print(sorted(set({heavy!r}) & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- data values and CSV reading (issue 26, item 6) ---------------------------------------------------------


def _rows_csv(path, sep=",", cell=None, header=("a", "b", "y")):
    """40 rows of two numbers and a 0/1 target; `cell` = (row, column, text) replaces one value."""
    rows = [[f"{0.1 * i:.2f}", f"{1 - 0.05 * i:.3f}", str(i % 2)] for i in range(40)]
    if cell is not None:
        rows[cell[0]][header.index(cell[1])] = cell[2]
    path.write_text(sep.join(header) + "\n" + "".join(sep.join(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("column", ["a", "y"])
@pytest.mark.parametrize(
    "value, said",
    [
        ("1e300", r"is beyond float32's range \(\|x\| > 3\.4e\+38\) in 1 row\(s\) \(first on line 4: 1e\+300\)"),
        ("-1e39", r"is beyond float32's range \(\|x\| > 3\.4e\+38\) in 1 row\(s\) \(first on line 4: -1e\+39\)"),
        ("inf", r"is infinite in 1 row\(s\) \(first on line 4\)"),
    ],
    ids=["huge", "huge-negative", "inf"],
)
def test_csv_numbers_beyond_float32_are_refused_like_inf(tmp_path, column, value, said):
    """float32 reads 1e300 as inf: a regression once trained to loss=inf and said "completed"."""
    path = _rows_csv(tmp_path / "big.csv", cell=(2, column, value))
    first = (
        r"`path` must be a CSV file with finite numbers"
        if column == "a"
        else r"`target` must be a column of finite values"
    )
    with pytest.raises(ValueError, match=rf"{first}.*Column '{column}'.*{said}; "):
        data.load_csv(path, "y")
    with warnings.catch_warnings(record=True) as caught:  # the user's fix: read it as missing (a target: the row goes)
        warnings.simplefilter("always")
        ds = data.load_csv(path, "y", na_values=[value])
    assert len(ds.X) == (40 if column == "a" else 39) and len(caught) == (column == "y")


def test_a_frame_with_numbers_beyond_float32_is_refused():
    import pandas as pd

    frame = pd.DataFrame({"a": np.r_[np.arange(19.0), 3e38 * 10], "y": np.arange(20) % 2})
    with pytest.raises(ValueError, match=r"Column 'a' is beyond float32's range .* \(first on line 21: 3e\+39\)"):
        data.from_frame(frame, "y")
    assert data.from_frame(frame.assign(a=np.r_[np.arange(19.0), 3e38]), "y").X["a"].max() == 3e38  # still finite


@pytest.mark.parametrize("sep", [":", " ", "#", "\t", ";"])
def test_csv_any_single_character_delimiter_is_read(tmp_path, sep):
    """`--delimiter :` or `' '` once raised a KeyError (the field counts knew only `DELIMITERS`)."""
    path = _rows_csv(tmp_path / "sep.csv", sep=sep)
    ds = data.load_csv(path, "y", delimiter=sep)
    assert ds.numeric_columns == ("a", "b") and ds.source["delimiter"] == sep and ds.X["b"].iloc[1] == 0.95


def test_the_delimiter_of_a_header_is_detected_among_the_usual_and_a_given_one():
    from kerasrecipes.data._csv import detect_delimiter

    assert detect_delimiter("a;b;y\n1;2;3\n") == ";" and detect_delimiter("a\tb\n") == "\t"
    assert detect_delimiter("a:b:y") == "," and detect_delimiter("a:b:y", also=":") == ":"  # the run's delimiter
    assert detect_delimiter("a,b,y", also=":") == ","


@pytest.mark.parametrize(
    "delimiter, fix",
    [
        ("::", r"Pass the one character that separates the fields, e\.g\. ';' or ':'"),
        ("", r"Pass the one character"),
        ("\\t", r"For a tab, leave it out \(a tab is detected\)"),
        ('"', r"Pass the character that separates the fields"),
        ("\n", r"Pass the character that separates the fields"),
    ],
)
def test_csv_delimiter_must_be_one_usable_character(tmp_path, delimiter, fix):
    path = _rows_csv(tmp_path / "data.csv")
    with pytest.raises(
        ValueError,
        match=r"^`delimiter` must be None or a single character other than a quote or a "
        rf"line break\. Received: delimiter=.*\. {fix}",
    ):
        data.load_csv(path, "y", delimiter=delimiter)


def test_csv_cells_of_any_length_are_read(tmp_path):
    """A cell over 131,072 characters once hit the csv module's field limit (`_csv.Error`)."""
    import csv

    path = tmp_path / "long.csv"
    long = "x" * 300_000
    path.write_text("a,note,y\n" + "".join(f"{i / 10},{long if i == 3 else 'ab'[i % 2]},{i % 2}\n" for i in range(40)))
    ds = data.load_csv(path, "y")
    assert ds.categorical_columns == ("note",) and ds.X["note"].iloc[3] == long
    assert csv.field_size_limit() >= 300_000  # raised (never lowered): documented in data._csv


@pytest.mark.parametrize("option", ["drop", "categorical"])
def test_options_naming_the_target_say_it_is_the_target(tmp_path, option):
    path = _rows_csv(tmp_path / "data.csv")
    with pytest.raises(
        ValueError,
        match=rf"^--{option} y names the target column; the target is never a feature, so "
        rf"leave it out of --{option} \(`{option}`\)",
    ):
        data.load_csv(path, "y", **{option: ["y"]})


@pytest.mark.parametrize("case", ["colon-delimiter", "long-cell"])
def test_cli_trains_on_a_colon_delimited_file_and_on_a_long_cell(tmp_path, case):
    from kerasrecipes import cli

    if case == "colon-delimiter":
        path, extra = _rows_csv(tmp_path / "data.csv", sep=":"), ["--delimiter", ":"]
    else:
        path, extra = tmp_path / "data.csv", []
        path.write_text(
            "a,note,y\n" + "".join(f"{i / 10},{'n' * 200_000 if i == 5 else 'pq'[i % 2]},{i % 2}\n" for i in range(40))
        )
    code = cli.main(
        [
            "train",
            "--csv",
            str(path),
            "--target",
            "y",
            *extra,
            "--tracking",
            "none",
            "--quiet",
            "--set",
            "epochs=1",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    assert code == 0 and (tmp_path / "run" / "manifest.json").is_file()
    # predict reads the same file, in the run's delimiter, long cell included
    assert cli.main(["predict", str(tmp_path / "run"), str(path), "--out", str(tmp_path / "p.csv")]) == 0
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 41
