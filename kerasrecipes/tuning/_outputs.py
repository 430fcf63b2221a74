"""What a local sweep writes: results.csv (deterministic), timings.csv, best_recipe.yaml, sweep.png."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes._io import atomic_write_text

RESULTS = "results.csv"
TIMINGS = "timings.csv"
BEST_RECIPE = "best_recipe.yaml"
PLOT = "sweep.png"


def results_csv(trials: list) -> str:
    """The deterministic results table: no timings, floats written with `repr`.

    Cross-validated trials add, after `metric` (the folds' mean), `metric_std` (their spread) and `fold_<i>`
    (fold i's metric); `epochs_run` is then the longest fold's.
    """
    names = sorted({k for t in trials for k in t.params})
    folds = max((t.folds or 0 for t in trials), default=0)
    spread = ["metric_std", *(f"fold_{i}" for i in range(folds))] if folds else []
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["index", "seed", "state", "metric", *spread, "epochs_run", *names, "error"])
    for t in trials:
        metric = "" if t.metric is None else repr(t.metric)
        scores = [_cell(t.metric_std), *(_cell(m) for m in t.fold_metrics)] if folds else []
        scores += [""] * (len(spread) - len(scores))
        writer.writerow(
            [t.index, t.seed, t.state, metric, *scores, t.epochs, *(_cell(t.params.get(n)) for n in names), t.error]
        )
    return buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _write_outputs(out: Path, trials: list, best_recipe: dict | None, key: str, goal: str, plot: bool = True) -> None:
    import yaml

    atomic_write_text(out / RESULTS, results_csv(trials))
    atomic_write_text(out / TIMINGS, "index,seconds\n" + "".join(f"{t.index},{t.seconds:.3f}\n" for t in trials))
    if best_recipe is not None:
        atomic_write_text(out / BEST_RECIPE, yaml.safe_dump(best_recipe, sort_keys=False))
    if trials and plot:
        plot_sweep(trials, out / PLOT, key, goal)


def plot_sweep(trials: list, path: Path, key: str, goal: str) -> None:
    """Metric per trial (with the best so far) and per numeric or categorical parameter."""
    from matplotlib.figure import Figure

    from kerasrecipes._io import atomic_path

    ok = [t for t in trials if t.metric is not None]
    params = sorted({k for t in ok for k, v in t.params.items() if len({str(u.params.get(k)) for u in ok}) > 1})
    cols = 1 + len(params)
    fig = Figure(figsize=(4 * min(cols, 4), 3.2 * math.ceil(cols / 4)))
    ax = fig.add_subplot(math.ceil(cols / 4), min(cols, 4), 1)
    xs, ys = [t.index for t in ok], [t.metric for t in ok]
    ax.scatter(xs, ys, s=18)
    best = np.minimum.accumulate(ys) if goal == "minimize" else np.maximum.accumulate(ys)
    if ok:
        ax.step(xs, best, where="post", color="C1", label="best so far")
        ax.legend(fontsize=7)
    ax.set(title=f"{key} per trial", xlabel="trial")
    for i, name in enumerate(params, start=2):
        ax = fig.add_subplot(math.ceil(cols / 4), min(cols, 4), i)
        values = [t.params.get(name) for t in ok]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            ax.scatter(values, ys, s=18)
            if min(values) > 0 and max(values) / min(values) > 50:
                ax.set_xscale("log")
        else:
            labels = sorted({str(v) for v in values})
            ax.scatter([labels.index(str(v)) for v in values], ys, s=18)
            ax.set_xticks(range(len(labels)), labels, fontsize=7)
        ax.set(title=name, ylabel=key)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
