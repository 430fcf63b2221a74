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
    frame.iloc[:200].to_csv(tmp_path / "readings.csv", index=False)
    frame.iloc[200:].drop(columns="trend").to_csv(tmp_path / "new.csv", index=False)
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
