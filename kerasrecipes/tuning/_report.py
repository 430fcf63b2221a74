"""report.html: one self-contained page that shows a finished sweep, offline.

The page has no script and no reference to anything outside itself: its plots are PNG images embedded as
`data:` URIs and its style is inline, so it opens from a copied folder on a machine with no network. Every
string that came from the user (parameter names and values, errors, paths, the retrain command) is
HTML-escaped. It holds the sweep's summary, the winner against the default recipe (the confirmation's paired
comparison, `confirm.Comparison`, as `SweepResult.summary()` gives it), the command that retrains the winner,
the best trials with their confirmation scores, their learning curves (each trial's `history.csv`),
parallel coordinates of the parameters against the metric, and the parameters' permutation importance.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import os
import shlex
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes._io import atomic_write_text
from kerasrecipes.tuning._outputs import BEST_RECIPE
from kerasrecipes.tuning._trial import metric_key

REPORT = "report.html"
TOP = 5
"""How many of the best trials the table and the learning curves show."""
MIN_TRIALS = 8
"""Finished trials the parameter importance needs; with fewer, the page says so instead."""
_STYLE = (
    "body{font-family:sans-serif;max-width:72em;margin:1em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    "pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap;word-break:break-all}img{max-width:100%}"
    ".bar{background:#4c72b0;height:.8em}.verdict{font-size:1.1em;font-weight:bold}"
)


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.5g}"


def default_command(source: Any, target: str | None, out: Path) -> str:
    """The command that retrains a sweep's winner when the caller gave none: `kerasrecipes train` for a bundled
    dataset's name or a CSV path, else the Python call (other data exists only in the caller's process)."""
    recipe = shlex.quote(str(out / BEST_RECIPE))
    if isinstance(source, str) and target is None:
        return f"kerasrecipes train --dataset {shlex.quote(source)} --recipe {recipe}"
    if isinstance(source, (str, os.PathLike)) and target is not None:
        return f"kerasrecipes train --csv {shlex.quote(os.fspath(source))} --target {shlex.quote(target)} --recipe {recipe}"
    recipe = f"yaml.safe_load(open({str(out / BEST_RECIPE)!r}))"
    return f"kerasrecipes.train(data, recipe={recipe})  # data: what the sweep trained on"


def write_report(result: Any, command: str) -> Path:
    """Write `report.html` into the sweep's folder (atomically) and return its path.

    Args:
        result: the sweep's `SweepResult`.
        command: the shell command that retrains the winner, shown as it is.
    """
    goal_sign = 1.0 if result.goal == "minimize" else -1.0
    ok = sorted(
        (t for t in result.trials if t.metric is not None and math.isfinite(t.metric)),
        key=lambda t: (goal_sign * t.metric, t.index),
    )
    params = sorted({k for t in ok for k in t.params if len({repr(u.params.get(k)) for u in ok}) > 1})
    sections = [
        _summary(result, ok),
        _against_default(result),
        f"<h2>Retrain the winner</h2><pre><code>{_e(command)}</code></pre>",
        _top_trials(result, ok[:TOP], params),
        _learning_curves(result, ok[:TOP]),
        _parallel_section(result, ok, params),
        _importance(ok, params),
    ]
    title = f"Sweep report: {result.out.name}"
    page = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n<h1>{_e(title)}</h1>\n" + "\n".join(sections) + "\n</body></html>\n"
    )
    path = Path(result.out) / REPORT
    atomic_write_text(path, page)
    return path


def _summary(result: Any, ok: list) -> str:
    states = ", ".join(f"{n} {s}" for s, n in result.summary()["states"].items())
    best = "no trial produced the metric" if not ok else f"trial {ok[0].index}: {_num(ok[0].metric)}"
    rows = [
        ("trials", f"{len(result.trials)} ({states})"),
        ("metric", f"{result.metric} ({result.goal}; a trial's value is its best epoch's)"),
        ("best trial", best),
        ("folder", result.out),
    ]
    failed = next((t for t in result.trials if t.state == "failed"), None)
    if failed is not None:
        rows.append(("first failure", f"trial {failed.index}: {failed.error}"))
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<h2>Summary</h2><table>{body}</table>"


def _against_default(result: Any) -> str:
    head = "<h2>Winner against the default recipe</h2>"
    confirmation = result.confirmation
    if confirmation is None:
        note = "the best trial is the winner, not compared with the default recipe"
        return f"{head}<p>Not confirmed (<code>--confirm 0</code>, or a large dataset): {note}.</p>"
    against = result.summary()["against_default"]
    if against is None:
        errors = "; ".join(f"{c.label}: {c.error}" for c in confirmation.candidates if c.error)
        return head + f"<p>No comparison: the winner or the default did not finish its retrainings. {_e(errors)}</p>"
    by_label = {c.label: c for c in confirmation.candidates}
    winner, default = by_label[against["winner"]], by_label[against["default"]]
    se = "-" if against["standard_error"] is None else f"{against['standard_error']:.2g}"
    rows = "".join(
        f"<tr><td>{j}</td><td>{_num(w)}</td><td>{_num(d)}</td><td>{_num(diff)}</td></tr>"
        for j, (w, d, diff) in enumerate(zip(winner.metrics, default.metrics, against["differences"]))
    )
    if not confirmation.retrained:  # a cross-validated sweep: the best trial's folds against the default's
        how = (
            f"Not confirmed (on folds it did not pick better recipes in bench/bench_selection.py): the default recipe "
            f"was trained on "
            f"the sweep's {against['folds']} folds with {_e(winner.label)}'s seed, and the two are paired fold by fold"
        )
        unit, test = "fold", "<p>Test score: not measured (no trial meets the test rows; the retrain command does).</p>"
    else:
        how = "Both recipes were retrained with the same seeds on the sweep's split"
        unit = "seed"
        test = (
            "<p>Test score, mean over the same seeds (the test rows chose nothing): "
            f"{_e(winner.label)} {_num(against['test_score']['winner'])}, "
            f"default {_num(against['test_score']['default'])}.</p>"
        )
    return (
        f'{head}<p class="verdict">{_e(against["verdict"])}</p>'
        f"<p>{how}; a difference is how much better "
        f"the winner's {_e(result.metric)} is (positive: better). Mean {_num(against['mean'])}, standard error {se}.</p>"
        f"<table><tr><th>{unit}</th><th>{_e(winner.label)}</th><th>{_e(default.label if default.label == 'default' else default.label + ' (the default)')}</th><th>difference</th></tr>"
        f"{rows}</table>{test}"
    )


def _top_trials(result: Any, top: list, params: list[str]) -> str:
    confirmation = result.confirmation
    confirmed = (
        {} if confirmation is None or not confirmation.retrained else {c.index: c for c in confirmation.candidates}
    )
    seeds = max((len(c.metrics) for c in confirmed.values()), default=0)
    folds = max((len(t.fold_metrics) for t in top), default=0)
    head = ["rank", "trial", result.metric, *(["± std"] if folds else []), "state", "epochs", "seconds", *params]
    head += [f"fold {j}" for j in range(folds)]
    head += [f"seed {j}" for j in range(seeds)] + (["mean"] if seeds else [])
    rows = []
    for rank, t in enumerate(top, start=1):
        values = [_num(v) if isinstance(v, float) else v for v in map(t.params.get, params)]
        spread = [_num(t.metric_std) if t.metric_std is not None else "-"] if folds else []
        cells = [rank, t.index, _num(t.metric), *spread, t.state, t.epochs, f"{t.seconds:.1f}", *values]
        cells += [_num(m) for m in t.fold_metrics] + ["-"] * (folds - len(t.fold_metrics))
        cand = confirmed.get(t.index)
        if seeds:
            metrics = [] if cand is None else cand.metrics
            cells += [_num(m) for m in metrics] + ["-"] * (seeds - len(metrics))
            cells.append("-" if cand is None else _num(cand.mean))
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    note = f"<p>seed 0..{seeds - 1}: the confirmation's retrainings of each confirmed trial, and their mean.</p>"
    note = note if seeds else ""
    if folds:
        note += f"<p>{_e(result.metric)}: the mean over {folds} folds (± their standard deviation); fold 0..{folds - 1}: each fold's score.</p>"
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    table = f"<div style='overflow-x:auto'><table><tr>{header}</tr>{''.join(rows)}</table></div>"
    return f"<h2>Top trials</h2>{table}{note}"


def _img(fig: Any, alt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _history(folder: Path) -> dict[str, list[float]]:
    try:
        with open(folder / "history.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError:
        return {}
    return {k: [float(r[k]) for r in rows] for k in (rows[0] if rows else {}) if k != "epoch"}


def _learning_curves(result: Any, top: list) -> str:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    key = metric_key(result.metric)
    fig = Figure(figsize=(7, 3.6))
    ax, drawn = fig.add_subplot(), 0
    for i, t in enumerate(top):
        folder = Path(result.out) / "trials" / f"trial-{t.index:03d}"
        history = _history(folder / "fold-0" if t.fold_metrics else folder)  # cross-validated: fold 0's curves
        if key in history:
            ax.plot(history[key], color=f"C{i}", label=f"trial {t.index} {key}")
            drawn += 1
        if key.startswith("val_") and key[4:] in history:
            ax.plot(history[key[4:]], color=f"C{i}", linestyle="--", alpha=0.6)
    head = "<h2>Learning curves</h2>"
    if not drawn:
        return head + "<p>No learning curves: the best trials' <code>history.csv</code> files are missing.</p>"
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="epoch (from 0)", ylabel=key, title=f"{key} (solid) and its training value (dashed), per epoch")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return head + _img(fig, f"learning curves of the {drawn} best trials")


def _positions(values: list) -> tuple[list[float], list[float], list[str]]:
    """Values as positions in [0, 1] with tick positions and labels: numbers on a linear (or, spanning over 50x,
    log) scale, anything else as categories in sorted order, evenly spaced."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        log = min(values) > 0 and max(values) / min(values) > 50
        scale = np.log10 if log else (lambda x: x)
        low, high = float(scale(min(values))), float(scale(max(values)))
        spread = (high - low) or 1.0
        between = np.geomspace if log else np.linspace
        ticks = sorted(set(values)) if len(set(values)) <= 6 else list(between(min(values), max(values), 5))

        def at(v: float) -> float:
            return (float(scale(v)) - low) / spread if high > low else 0.5

        return [at(v) for v in values], [at(v) for v in ticks], [f"{v:.3g}" for v in ticks]
    labels = sorted({str(v) for v in values})
    step = 1 / (len(labels) - 1) if len(labels) > 1 else 0
    place = {s: (i * step if step else 0.5) for i, s in enumerate(labels)}
    return [place[str(v)] for v in values], list(place.values()), labels


def _parallel_section(result: Any, ok: list, params: list[str]) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    head = "<h2>Parameters against the metric</h2>"
    if not ok or not params:
        return head + "<p>Nothing to draw: no finished trial, or no parameter varied.</p>"
    names = [*params, result.metric]
    columns = [_positions([t.params.get(p) for t in ok]) for p in params]
    columns.append(_positions([t.metric for t in ok]))
    fig = Figure(figsize=(max(6.0, 1.6 * len(names)), 4.2))
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["viridis" if result.goal == "maximize" else "viridis_r"]
    scores = columns[-1][0]
    for i in reversed(range(len(ok))):  # the best trial (first) drawn last, on top
        ys = [col[0][i] for col in columns]
        best = i == 0
        ax.plot(range(len(names)), ys, color="crimson" if best else cmap(scores[i]), lw=2.5 if best else 1, alpha=0.9)
    for x, (_, ticks, labels) in enumerate(columns):
        ax.axvline(x, color="#555", lw=0.8)
        for y, label in zip(ticks, labels):
            ax.text(x + 0.03, y, label.replace("$", r"\$"), fontsize=7, va="center")
    ax.set_xticks(range(len(names)), [n.replace("$", r"\$") for n in names], fontsize=8, rotation=20)
    ax.set_yticks([])
    ax.set(xlim=(-0.2, len(names) - 0.5), ylim=(-0.05, 1.05))
    fig.tight_layout()
    failed = len(result.trials) - len(ok)
    return (
        head + f"<p>One line per finished trial ({len(ok)}; {failed} without a metric left out), coloured by "
        f"{_e(result.metric)} (brighter is better); the best trial in red. Categorical values are spread evenly "
        "in sorted order; numbers spanning over 50x are on a log scale.</p>" + _img(fig, "parallel coordinates")
    )


def _importance(ok: list, params: list[str]) -> str:
    head = "<h2>Parameter importance</h2>"
    if len(ok) < MIN_TRIALS or not params:
        why = f"too few trials ({len(ok)} finished; it needs {MIN_TRIALS})" if params else "no parameter varied"
        return head + f"<p>Not computed: {_e(why)}.</p>"
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    x = np.column_stack([_positions([t.params.get(p) for t in ok])[0] for p in params])
    y = np.array([t.metric for t in ok])
    forest = RandomForestRegressor(n_estimators=100, random_state=0).fit(x, y)
    found = permutation_importance(forest, x, y, n_repeats=10, random_state=0)
    order = np.argsort(-found.importances_mean)
    top = max(float(found.importances_mean.max()), 1e-12)
    rows = "".join(
        f"<tr><td>{_e(params[i])}</td><td>{found.importances_mean[i]:.3f} ± {found.importances_std[i]:.3f}</td>"
        f'<td style="width:12em"><div class="bar" style="width:{max(0.0, found.importances_mean[i]) / top * 100:.0f}%"></div></td></tr>'
        for i in order
    )
    return (
        f"{head}<p>Permutation importance of a random forest (scikit-learn, 100 trees) fitted to the {len(ok)} "
        "finished trials' metric: how much its R² drops when one parameter's values are shuffled (10 times, mean "
        "± standard deviation). It describes this sweep's trials, not the parameters' effect elsewhere.</p>"
        f"<table><tr><th>parameter</th><th>importance</th><th></th></tr>{rows}</table>"
    )
