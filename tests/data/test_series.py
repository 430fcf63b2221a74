"""Series in a table (`--sequence`): each row's columns are one series, for the RNN rows, in training and in
`predict`, with channels by column-name prefix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import cli, load_run
from kerasrecipes.data import as_sequences, from_frame, load_csv
from kerasrecipes.errors import UserError

STEPS = 12


def _readings(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Two channels of STEPS readings per row; the label says whether `temp` rises (`hum` is noise)."""
    rng = np.random.default_rng(seed)
    rising = rng.random(n) < 0.5
    ramp = np.arange(STEPS) / STEPS
    temp = np.where(rising[:, None], ramp, 1 - ramp) * 3 + rng.normal(0, 0.4, (n, STEPS))
    hum = rng.normal(0, 1, (n, STEPS))
    frame = pd.DataFrame(
        {
            **{f"temp_{i}": temp[:, i].round(3) for i in range(STEPS)},
            **{f"hum_{i}": hum[:, i].round(3) for i in range(STEPS)},
        }
    )
    frame["trend"] = np.where(rising, "up", "down")
    return frame


def test_columns_become_timesteps_and_prefixes_become_channels():
    frame = _readings(20)
    one = as_sequences(from_frame(frame, "trend"))
    assert one.X.shape == (20, 2 * STEPS, 1) and one.layout == "sequence" and one.feature_names == ("value",)
    two = as_sequences(from_frame(frame, "trend"), ["temp", "hum"])
    assert two.X.shape == (20, STEPS, 2) and two.feature_names == ("temp", "hum")
    np.testing.assert_array_equal(two.X[:, :, 1], frame[[f"hum_{i}" for i in range(STEPS)]].to_numpy())
    assert two.source["sequence"]["columns"][0][:2] == ["temp_0", "temp_1"]


@pytest.mark.parametrize(
    "channels, change, match",
    [
        (["temp"], None, r"'hum_0' and 11 more belong\(s\) to no channel"),
        (["temp", "wind"], None, r"No column starts with 'wind'"),
        (["temp", "hum"], lambda f: f.drop(columns="hum_3"), r"same number of columns.*'temp': 12, 'hum': 11"),
        (["t", "temp"], None, r"each column matches once.*'temp_0' matches two"),
        (None, lambda f: f.assign(city="x" * 1), r"column 'city' is text. Leave it out with --drop city"),
    ],
)
def test_a_layout_that_is_not_a_series_is_refused_with_the_fix(channels, change, match):
    frame = _readings(20)
    if change is not None:
        frame = change(frame)
    with pytest.raises(UserError, match=match):
        as_sequences(from_frame(frame, "trend"), channels)


def test_a_csv_of_series_trains_the_rnn_row_predicts_csv_rows_and_reproduces(tmp_path, monkeypatch, capsys):
    frame = _readings(240)
    european = {"sep": ";", "decimal": ",", "index": False}  # new rows are read with the run's column types
    frame.iloc[:200].to_csv(tmp_path / "readings.csv", **european)
    frame.iloc[200:].drop(columns="trend").to_csv(tmp_path / "new.csv", **european)
    monkeypatch.chdir(tmp_path)
    common = ["--csv", "readings.csv", "--target", "trend", "--tracking", "none", "--quiet"]
    args = ["train", *common, "--sequence", "--channels", "temp,hum", "--out", "run", "--set", "epochs=8"]
    assert cli.main(args) == 0
    run = load_run(tmp_path / "run")
    assert run.manifest["scenario"] == "rnn-small-dataset" and run.spec["series_columns"][1][0] == "hum_0"
    assert cli.main(["predict", "run", "new.csv", "--out", "p.csv"]) == 0
    written = pd.read_csv(tmp_path / "p.csv")
    np.testing.assert_array_equal(written["trend"].to_numpy(), run.predict(frame.iloc[200:].drop(columns="trend")))
    assert (written["trend"].to_numpy() == frame["trend"].iloc[200:].to_numpy()).mean() > 0.9
    capsys.readouterr()
    assert cli.main(["reproduce", "run"]) == 0 and "reproduces exactly" in capsys.readouterr().out

    broken = frame.iloc[200:].drop(columns=["trend", "temp_5"])
    with pytest.raises(UserError, match=r"missing column\(s\) 'temp_5' of the run's series"):
        run.predict(broken)
    assert cli.main(["train", *common, "--channels", "temp", "--out", "x"]) == 2
    assert "--channels goes with --sequence" in capsys.readouterr().err
    assert cli.main(["train", *common, "--task", "rnn", "--out", "x"]) == 2
    assert "for a CSV whose rows are series: --sequence" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert load_csv(tmp_path / "readings.csv", "trend").layout == "tabular"  # without --sequence: a table


def _sales(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Daily sales with a trend and a weekly cycle, and a temperature channel."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "sales": (100 + 0.05 * t + 15 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, n)).round(2),
            "temp": (10 + rng.normal(0, 1, n)).round(1),
        }
    )


def test_windows_hold_the_past_and_the_change_ahead_and_split_by_time_without_overlap():
    from kerasrecipes.data import as_forecast, prepare

    frame = _sales(60).sample(frac=1.0, random_state=0)  # rows out of order: the time column orders them
    ds = as_forecast(from_frame(frame, "sales"), time="date", window=7, horizon=3)
    ordered = _sales(60)
    assert ds.X.shape == (51, 7, 2) and ds.y.shape == (51, 3) and ds.feature_names == ("sales", "temp")
    np.testing.assert_array_equal(ds.X[4, :, 0], ordered["sales"].to_numpy()[4:11])
    np.testing.assert_allclose(ds.y[4], ordered["sales"].to_numpy()[11:14] - ordered["sales"].to_numpy()[10])
    prepared = prepare(ds, task="regression", seed=0)
    train, val, test = (prepared.indices[s] for s in ("train", "val", "test"))
    assert train.max() < val.min() and val.max() < test.min()  # in time order
    assert val.min() - train.max() == 3 and test.min() - val.max() == 3  # horizon - 1 windows left out between


@pytest.mark.parametrize(
    "change, kwargs, match",
    [
        (lambda f: f.drop(index=[20, 21]), {}, r"gap after date 2024-01-20: a step of 3 where the usual step is 1"),
        (lambda f: pd.concat([f, f.iloc[[5]]]), {}, r"repeats a time \(date 2024-01-06\)"),
        (lambda f: f.assign(temp=f["temp"].where(f.index != 9)), {}, r"empty 'temp' at date 2024-01-10"),
        (None, {"window": 40, "horizon": 15}, r"--window plus --horizon must be at most 51"),
        (None, {"horizon": 0}, r"`horizon` must be an integer >= 1"),
        (None, {"time": "when"}, r"Unknown time column 'when'"),
    ],
)
def test_a_series_that_cannot_be_windowed_is_refused_with_the_fix(change, kwargs, match):
    from kerasrecipes.data import as_forecast

    frame = _sales(60)
    if change is not None:
        frame = change(frame)
    with pytest.raises(UserError, match=match):
        as_forecast(from_frame(frame, "sales"), **{"time": "date", "window": 7, "horizon": 1, **kwargs})


def test_a_forecast_beats_the_naive_one_predicts_the_next_steps_and_reproduces(tmp_path, monkeypatch, capsys):
    _sales().to_csv(tmp_path / "sales.csv", index=False)
    _sales().iloc[-30:].to_csv(tmp_path / "recent.csv", index=False)
    monkeypatch.chdir(tmp_path)
    args = ["--csv", "sales.csv", "--target", "sales", "--forecast", "--time", "date", "--window", "14"]
    common = ["--tracking", "none", "--quiet", "--out", "run"]
    assert cli.main(["train", *args, "--horizon", "3", *common, "--set", "epochs=30"]) == 0
    run = load_run(tmp_path / "run")
    metrics = run.manifest["test_metrics"]
    assert metrics["mae_vs_naive"] == pytest.approx(metrics["mae"] / metrics["naive_mae"])
    assert metrics["mae_vs_naive"] < 1.0  # the weekly cycle is there to learn
    assert cli.main(["predict", "run", "recent.csv", "--out", "next.csv"]) == 0
    ahead = pd.read_csv(tmp_path / "next.csv")
    assert ahead["step"].tolist() == [1, 2, 3] and ahead["sales"].between(60, 160).all()
    last = pd.Timestamp(_sales()["date"].iloc[-1])  # each step ahead is dated as the time column writes dates
    assert ahead["date"].tolist() == [str((last + pd.Timedelta(days=k)).date()) for k in (1, 2, 3)]
    np.testing.assert_allclose(ahead["sales"].to_numpy(), run.predict(_sales().iloc[-30:])[0], rtol=1e-6)
    capsys.readouterr()
    assert cli.main(["reproduce", "run"]) == 0 and "reproduces exactly" in capsys.readouterr().out
    with pytest.raises(UserError, match=r"has 5 row\(s\); the run forecasts from the last 14 steps"):
        run.predict(_sales().iloc[-5:])
    assert cli.main(["train", *args[:4], "--window", "14", *common]) == 2  # --window without --forecast
    assert "--window goes with --forecast" in capsys.readouterr().err


def test_a_series_of_whole_numbers_is_forecast_as_numbers():
    """Passenger counts are whole numbers, but a forecast's targets are always a regression's."""
    from kerasrecipes.data import as_forecast
    from kerasrecipes.data._sources import InMemory
    from kerasrecipes.recipes import Recipe

    frame = pd.DataFrame({"month": range(60), "passengers": [100 + (i % 12) * 3 for i in range(60)]})
    ds = as_forecast(from_frame(frame, "passengers"), time="month", window=12, horizon=2)
    prepared = InMemory(ds).prepare(Recipe(), task="auto")
    assert prepared.task == "regression" and prepared.target_note is None
