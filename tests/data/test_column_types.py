"""Column typing (issue 14): raw CSV columns read as a careful user would, decided once, noted, recorded, and
applied again to new rows by `predict`; the in-memory and streaming roads read a file alike."""

import json
import logging
import re

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import cli, data, load_run, train
from kerasrecipes.data import _column_types, _feature_spec
from kerasrecipes.streaming import CsvStream


def messy(n=400, seed=0):
    """A `;`-separated file as users bring them: an id, junk markers, decimal commas, dates, yes/no,
    a text category with many values, free text, and a decimal-comma regression target."""
    rng = np.random.default_rng(seed)
    price = rng.integers(100, 999, n).astype(object)
    junk = rng.random(n) < 0.06
    price[junk] = np.where(np.arange(junk.sum()) % 2, "?", "-")
    member = rng.choice(["yes", "no"], n)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(7000, 7000 + n),
            "price": price,
            "weight": [f"{v:.2f}".replace(".", ",") for v in rng.normal(70, 8, n)],
            "joined": pd.date_range("2021-03-01", periods=n, freq="D").strftime("%d.%m.%Y"),
            "member": member,
            "city": np.array([f"city_{i:03d}" for i in range(150)])[rng.integers(0, 150, n)],
            "comment": [f"note number {i} about this customer" for i in range(n)],
        }
    )
    numbers = pd.to_numeric(frame["price"], errors="coerce").fillna(500)
    spend = numbers / 50 + 4 * (member == "yes") + rng.normal(0, 1, n)
    frame["spend"] = [f"{v:.2f}".replace(".", ",") for v in spend]
    return frame


@pytest.fixture(scope="module")
def messy_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("typing") / "customers.csv"
    messy().to_csv(path, sep=";", index=False)
    return path


def test_each_rule_of_the_typing(messy_csv):
    ds = data.load_csv(messy_csv, "spend")
    kinds = {t.name: (t.kind, t.note) for t in ds.column_types}
    assert kinds["customer_id"] == ("dropped", "id-like: 400 distinct whole numbers in 400 rows")
    assert kinds["price"][0] == "numeric" and kinds["price"][1].startswith("junk markers read as missing: ")
    assert kinds["weight"] == ("numeric", "decimal commas ('3,5' = 3.5)")
    assert kinds["joined"][0] == "date" and "'%d.%m.%Y'" in kinds["joined"][1]
    assert kinds["member"] == ("boolean", "yes/no -> 1/0")
    assert kinds["city"] == ("categorical", None)
    assert kinds["comment"] == ("text", "free text: 400 distinct texts, 6 words each (median)")
    assert ds.y.dtype == np.float64 and 5 < ds.y.mean() < 40  # "12,34" read as 12.34
    assert 60 < ds.X["weight"].mean() < 80 and set(ds.X["member"].unique()) == {0.0, 1.0}
    assert ds.X["joined"].iloc[0] == (pd.Timestamp("2021-03-01") - pd.Timestamp("1970-01-01")).days
    assert ds.feature_names == ("price", "weight", "joined", "member", "city", "comment")


def test_the_spec_keeps_features_narrow(messy_csv):
    ds = data.load_csv(messy_csv, "spend", drop=["comment"])  # its words are a block of their own
    prepared = data.prepare(ds, task="regression", seed=0)
    spec = prepared.preprocessing
    assert spec["numeric"]["columns"] == [
        "price",
        "weight",
        "joined_days",
        "joined_year",
        "joined_month",
        "joined_weekday",
        "member",
    ]
    city = spec["categorical"][0]
    assert len(city["vocabulary"]) <= _feature_spec.MAX_ONE_HOT and city["other"]  # not 150 one-hot columns
    assert "the 32 most frequent one-hot" in city["note"]
    assert prepared.input_shape[0] <= 7 + 1 + 1 + _feature_spec.MAX_ONE_HOT  # + price's missing indicator
    assert spec["dropped"] == ["customer_id", "comment"]


def test_dates_become_calendar_features_inside_the_model():
    days = np.array([0.0, 11016.0, 20088.75])  # 1970-01-01, 2000-02-29, 2024-12-31 18:00
    assert _feature_spec.derive(days, "year").tolist() == [1970, 2000, 2024]
    assert _feature_spec.derive(days, "month").tolist() == [1, 2, 12]
    assert _feature_spec.derive(days, "weekday").tolist() == [3, 1, 1]  # Thursday, Tuesday, Tuesday
    assert _feature_spec.derive(days, "hour").tolist() == [0, 0, 18]


def test_the_decisions_are_printed_recorded_and_applied_to_new_rows(messy_csv, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="kerasrecipes"):
        result = train(
            data.load_csv(messy_csv, "spend"), recipe={"epochs": 2}, out=tmp_path / "run", tracking="none", verbose=1
        )
    table = "\n".join(r.getMessage() for r in caplog.records if r.getMessage().startswith("columns:"))
    assert "customer_id  dropped" in table and "member       boolean" in table and "city         categorical" in table
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["data"]["preprocessing"]["types"]["joined"]["date_format"] == "%d.%m.%Y"
    new = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "price": ["?", "250"],
            "weight": ["71,5", ""],
            "joined": ["01.02.2023", ""],
            "member": ["no", "yes"],
            "city": ["city_001", "nowhere"],
            "comment": ["x", "y"],
        }
    )
    values = load_run(tmp_path / "run").predict(new)  # the same reading: '?', decimal commas, dates, yes/no
    assert values.shape == (2,) and np.all(np.isfinite(values)) and result.data.task == "regression"
    with pytest.raises(
        ValueError,
        match=r"Column 'joined' of the rows holds '2023-02-01' on row 0, but that column "
        r"is read as dates like '%d\.%m\.%Y'",
    ):
        load_run(tmp_path / "run").predict(new.assign(joined=["2023-02-01", ""]))


def test_the_stream_reads_a_file_as_the_in_memory_road_does(messy_csv):
    """...but free text, which a stream drops: the in-memory road reads it only when asked not to."""
    assert {t.name: t.kind for t in data.load_csv(messy_csv, "spend").column_types}["comment"] == "text"
    in_memory = train(
        data.load_csv(messy_csv, "spend", free_text=False), recipe={"epochs": 1}, tracking="none", verbose=0
    )
    streamed = train(CsvStream(messy_csv, "spend"), recipe={"epochs": 1}, tracking="none", verbose=0)
    a, b = in_memory.data.preprocessing, streamed.data.preprocessing
    assert a["types"] == b["types"] and a["columns"] == b["columns"] and a["dropped"] == b["dropped"]
    assert a["numeric"]["columns"] == b["numeric"]["columns"]
    assert in_memory.data.task == streamed.data.task == "regression"


def test_user_options_override_the_typing(messy_csv):
    ds = data.load_csv(messy_csv, "spend", drop=["city"], categorical=["price"], na_values=["-"])
    kinds = {t.name: t.kind for t in ds.column_types}
    assert kinds["city"] == "dropped" and kinds["price"] == "categorical"
    with pytest.raises(ValueError, match=r"Unknown column to drop 'cty'\. Did you mean 'city'\?"):
        data.load_csv(messy_csv, "spend", drop=["cty"])
    with pytest.raises(TypeError, match=r"`categorical` must be a list of strings"):
        data.load_csv(messy_csv, "spend", categorical="price")


def test_a_frame_is_typed_as_a_file_is():
    frame = messy().astype(str)
    ds = data.from_frame(frame, "spend")
    assert [t.kind for t in ds.column_types] == [
        "dropped",
        "numeric",
        "numeric",
        "date",
        "boolean",
        "categorical",
        "text",
    ]
    assert _column_types.infer_type("when", ["2024-01-02 10:00:00", None]).has_time


def test_cli_trains_and_predicts_a_messy_file(messy_csv, tmp_path, capsys):
    assert (
        cli.main(
            [
                "train",
                "--csv",
                str(messy_csv),
                "--target",
                "spend",
                "--out",
                str(tmp_path / "run"),
                "--tracking",
                "none",
                "--set",
                "epochs=1",
                "--quiet",
            ]
        )
        == 0
    )
    messy(20, seed=3).drop(columns="spend").to_csv(tmp_path / "new.csv", sep=";", index=False)
    assert (
        cli.main(["predict", str(tmp_path / "run"), str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    )
    assert list(pd.read_csv(tmp_path / "p.csv").columns) == ["spend"] and len(pd.read_csv(tmp_path / "p.csv")) == 20


def test_new_rows_read_a_boolean_in_any_case():
    """A yes/no column trained on "Yes"/"No" reads tomorrow's "yes", "NO" or "true" the same way."""
    column = _column_types.infer_type("member", pd.Series(["Yes", "No", "Yes", None]))
    assert (column.kind, column.true, column.false) == ("boolean", "Yes", "No")
    out = _column_types.convert(column, pd.Series(["yes", "NO", "Yes", "true", "0", None]))
    np.testing.assert_array_equal(out, [1.0, 0.0, 1.0, 1.0, 0.0, np.nan])
    with pytest.raises(ValueError, match="holds 'maybe' on row 0, but that column is read as 'Yes' or 'No'"):
        _column_types.convert(column, pd.Series(["maybe"]))


def test_a_column_named_twice_in_the_header_is_noted(tmp_path):
    import warnings

    path = tmp_path / "twice.csv"
    path.write_text("x,x,y\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(20)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = data.load_csv(path, "y")
    assert ds.feature_names == ("x", "x.1")
    assert any("names 'x' more than once; the copies are read as 'x.1'" in str(w.message) for w in caught)


# --- missing-value markers in text columns, and numbers beyond float32 (issue 26, item 6) --------------------


def _text_frame(n=40):
    """A number, a text column with '?' and 'NA' cells, a yes/no column with '?', a 0/1 target."""
    color = np.array(["red", "blue", "green"])[np.arange(n) % 3].astype(object)
    color[[1, 8, 15]] = "?"
    color[[4, 22]] = "NA"
    member = np.array(["yes", "no"])[np.arange(n) % 2].astype(object)
    member[[3, 9]] = "?"
    return pd.DataFrame({"a": np.arange(n) / 10, "color": color, "member": member, "y": np.arange(n) % 2})


def test_junk_markers_are_missing_in_text_columns_as_in_numeric_ones():
    """'?' in a text column once became a category, while a numeric column read it as missing."""
    ds = data.from_frame(_text_frame(), "y")
    types = {t.name: t for t in ds.column_types}
    assert types["color"].kind == "categorical" and "?" in types["color"].markers
    assert types["color"].note == "junk markers read as missing: '?' x3"
    assert (ds.X["color"] == "").sum() == 5 and "?" not in set(ds.X["color"])  # 3 '?' + 2 'NA': missing
    assert types["member"].kind == "boolean"  # yes, no and '?': two values, not three
    assert types["member"].note == "yes/no -> 1/0; junk markers read as missing: '?' x2"
    assert ds.X["member"].isna().sum() == 2
    declared = data.from_frame(_text_frame().replace("green", "unknown"), "y", na_values=["unknown"])
    assert (declared.X["color"] == "").sum() == 5 + 12  # the user's markers too: the 12 'unknown' cells
    forced = {t.name: t for t in data.from_frame(_text_frame(), "y", categorical=["member"]).column_types}["member"]
    assert forced.note == "categorical, as asked; junk markers read as missing: '?' x2" and "?" in forced.markers
    # a text column reads '?' as missing on any row, also one its training rows never held (predict, --stream)
    clean = _column_types.infer_type("c", pd.Series(["x", "y"] * 10))
    assert clean.note is None and list(_column_types.convert(clean, pd.Series(["x", "?", "NA", "z"]))) == [
        "x",
        "",
        "",
        "z",
    ]


def test_the_typing_table_counts_the_junk_markers_of_text_columns():
    prepared = data.prepare(data.from_frame(_text_frame(), "y"), task="binary", seed=0)
    table = _feature_spec.typing_table(prepared.preprocessing)
    assert "color   categorical  junk markers read as missing: '?' x3" in table
    assert "member  boolean      yes/no -> 1/0; junk markers read as missing: '?' x2" in table
    many = _text_frame(400).assign(color=[f"c{i % 60}" if i % 9 else "?" for i in range(400)])
    table = _feature_spec.typing_table(data.prepare(data.from_frame(many, "y"), task="binary", seed=0).preprocessing)
    assert re.search(r"color +categorical +60 categories: .*; junk markers read as missing: '\?' x45", table), table


def test_new_rows_read_junk_markers_and_refuse_numbers_beyond_float32():
    from kerasrecipes.data import _inputs

    spec = data.prepare(data.from_frame(_text_frame(), "y"), task="binary", seed=0).preprocessing
    rows = pd.DataFrame({"a": ["0.5", "0.7"], "color": ["?", "red"], "member": ["no", "?"]})
    inputs, notes = _inputs.model_inputs(spec, rows, where="new.csv", first_line=2)
    assert notes.unseen == {} and notes.missing == {"a": 0, "color": 1, "member": 1}
    for value, said in [
        ("1e300", r"is beyond float32's range \(\|x\| > 3\.4e\+38\) on line 3 \(1e\+300\)"),
        ("-inf", r"is infinite on line 3"),
    ]:
        with pytest.raises(
            ValueError,
            match=rf"^Column 'a' of new\.csv {said}; the run was trained on finite "
            r"numbers\. (Rescale the column \(e\.g\. to other units\) or replace|"
            r"Replace) those values, or leave the cell empty \(it is then "
            r"imputed\)\.$",
        ):
            _inputs.model_inputs(spec, rows.assign(a=["0.5", value]), where="new.csv", first_line=2)
    with pytest.raises(ValueError, match=r"Column 'a' of the rows is beyond float32's range .* on row 0 \(-4e\+38\)"):
        _inputs.model_inputs(spec, {"a": [-4e38], "color": ["red"], "member": ["yes"]})
