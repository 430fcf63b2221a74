"""The embedded local sweep runner: W&B's own `sweeps` engine, in process, seeded.

`run_sweep` drives `sweeps.next_run` / `sweeps.stop_runs` over a list of `SweepRun`s, trains each
suggestion with `runs.train` (so every trial is an ordinary, reproducible run directory), and
writes `results.csv` (byte-identical for the same YAML, seed, data and machine), `timings.csv`,
`best_recipe.yaml`, `sweep.png` and, when the sweep ends (a resumed one included), `report.html`.

Determinism: the engine samples from Python's `random` and NumPy's global RNG, which training
reseeds; `_EngineRNG` gives the engine its own saved stream (seeded from the sweep seed) and
restores the caller's state around every engine call. Trial i trains with seed
`trial_seed(sweep_seed, i)` (its initialization and shuffling) on the split of the sweep seed
(`split_seed`), the same rows for every trial, so their metrics compare like with like; with `cv=K`,
on the same K folds of those rows, judged by the folds' mean (`runs._cross_validate`). The files
written are described in `tuning._outputs`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes._io import atomic_write_text, make_dir, plain
from kerasrecipes._log import get_logger
from kerasrecipes._progress import Progress, eta, live
from kerasrecipes.errors import UserError
from kerasrecipes.runs import _writing
from kerasrecipes.runs.checkpoints import fault
from kerasrecipes.seeding import keeps_global_random_state
from kerasrecipes.tuning import _report
from kerasrecipes.tuning import ensemble as ensembling
from kerasrecipes.tuning._files import command_option
from kerasrecipes.tuning._outputs import _write_outputs
from kerasrecipes.tuning._trial import Trial, metric_key, train_trial, trial_seed

logger = get_logger(__name__)

STATE = "sweep_state.json"
SWEEP_FORMAT = "kerasrecipes-sweep"
"""The state file's format marker: what makes a folder a sweep folder that --overwrite may replace."""
DEFAULT_TRIALS = 10


class _EngineRNG:
    """A private `random` + NumPy global stream for the sweeps engine (see module docstring).

    `to_json`/`from_json` carry the stream across an interrupted sweep (plain JSON, no pickle).
    """

    def to_json(self) -> dict:
        py, nps = self._state
        return {"py": [py[0], list(py[1]), py[2]], "np": [nps[0], nps[1].tolist(), *[plain(v) for v in nps[2:]]]}

    def load_json(self, data: dict) -> None:
        py, nps = data["py"], data["np"]
        self._state = ((py[0], tuple(py[1]), py[2]), (nps[0], np.asarray(nps[1], dtype=np.uint32), *nps[2:]))

    def __init__(self, seed: int) -> None:
        saved = random.getstate(), np.random.get_state()
        random.seed(seed)
        np.random.seed(seed % 2**32)
        self._state = random.getstate(), np.random.get_state()
        random.setstate(saved[0])
        np.random.set_state(saved[1])

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        saved = random.getstate(), np.random.get_state()
        random.setstate(self._state[0])
        np.random.set_state(self._state[1])
        try:
            yield
        finally:
            self._state = random.getstate(), np.random.get_state()
            random.setstate(saved[0])
            np.random.set_state(saved[1])


def dataset_from_command(config: dict) -> str | None:
    """The `--dataset NAME` of the sweep's `command`, so local runs use what `wandb agent` would."""
    return command_option(config, "--dataset")


AUTO_FOLDS = 5
"""The folds of every trial of a sweep on a small dataset (the scenario table's `small_dataset`) when neither `cv`
nor the YAML's command names them: one validation split of a few dozen rows is a noisy judge of a trial."""


def sweep_folds(cv: int | None, config: dict) -> int | None:
    """The folds of a sweep's cross-validated trials: `cv`, else the `--cv K` of the YAML's command (what `train`
    does under `wandb agent`); 0 and 1 mean one validation split (returned as 0); None when neither names them
    (`auto_folds` decides).

    Examples:
        >>> sweep_folds(None, {"command": ["kerasrecipes", "train", "--cv=3", "${args}"]}), sweep_folds(1, {})
        (3, 0)
        >>> sweep_folds(None, {}) is None
        True
    """
    from kerasrecipes.tuning.validate import check_cv

    if cv is None:
        given = command_option(config, "--cv")
        if given is None:
            return None
        cv = check_cv(given, "--cv")
    cv = check_cv(cv, "cv")
    return cv if cv >= 2 else 0


def auto_folds(data: Any, seed: int, overrides: dict | None) -> tuple[int, str]:
    """A sweep's folds when nothing names them, and why in words: `AUTO_FOLDS` on a small dataset whose rows can be
    cut into them (in memory, every class with a row in each fold), else 0 (one validation split)."""
    from kerasrecipes.recipes._table import dataset_size
    from kerasrecipes.tuning.validate import check_sweep_folds

    n_rows = data.n_rows  # None when unknown before a pass (a stream)
    if n_rows is None:
        return 0, "one validation split: streamed data cannot be cut into folds (they need the rows in memory)"
    if dataset_size(n_rows) != "small_dataset":
        return 0, "one validation split: the default on a large dataset"
    try:
        check_sweep_folds(data, AUTO_FOLDS, seed, overrides)
    except UserError as exc:
        return 0, f"one validation split, since {AUTO_FOLDS} folds do not fit: {str(exc).split(';')[0].rstrip('.')}"
    return AUTO_FOLDS, "the default on a small dataset; --cv 0 for one validation split"


def default_folder(sweep: str | os.PathLike, config: dict, data_name: str | None, seed: int) -> str:
    """The name of a sweep's default output folder: `sweep-<sweep>-<data>-seed<seed>`.

    <sweep> is the bundled sweep's name or the YAML file's name without its suffix; <data> is `data_name` (the
    dataset's name, or a CSV file's or an image folder's name without its suffix), else the `--dataset` of the
    YAML's command. Each part is kept to 100 bytes, so the name stays one file-system name.

    Examples:
        >>> default_folder("binary", {}, "churn", 0)
        'sweep-binary-churn-seed0'
    """
    parts = [Path(os.fspath(sweep)).stem, data_name or dataset_from_command(config) or "data"]
    parts = [p.replace("/", "-").replace(os.sep, "-").encode()[:100].decode(errors="ignore") for p in parts]
    return f"sweep-{parts[0]}-{parts[1]}-seed{seed}"


@dataclass
class Confirmation:
    """The confirmation of a sweep's best trials: each candidate retrained on more seeds, and the winner."""

    candidates: list[Any]  # `confirm.Candidate`s, the best trials and the recipe's default
    winner: Any  # the candidate with the best mean, or None when none finished
    comparison: Any = None  # `confirm.Comparison`: the winner against the default, paired by seed
    retrained: bool = True  # False: no confirmation, the best trial against the default on the sweep's folds


@dataclass
class SweepResult:
    """Outcome of `run_sweep`: the trials, the best one, and where the files are."""

    trials: list[Trial]
    best: Trial | None
    metric: str
    goal: str
    out: Path
    best_recipe: dict[str, Any] | None = None
    confirmation: Confirmation | None = field(default=None, repr=False)
    data_name: str | None = None  # the bundled dataset's or the data's name, for the command that retrains
    ensemble: Any = field(default=None, repr=False)  # `tuning.ensemble.Ensemble`, with `ensemble=K`
    folds: int = 0  # the folds of every cross-validated trial; 0: one validation split

    def summary(self) -> dict[str, Any]:
        """Trial counts, the best trial and the confirmed winner, and where the files are, as JSON values."""
        winner = None if self.confirmation is None or not self.confirmation.retrained else self.confirmation.winner
        return {
            "trials": len(self.trials),
            "states": {s: sum(t.state == s for t in self.trials) for s in ("finished", "stopped", "failed")},
            "metric": self.metric,
            "goal": self.goal,
            "folds": self.folds,
            "best": None
            if self.best is None
            else {
                "index": self.best.index,
                "value": self.best.metric,
                "params": dict(sorted(self.best.params.items())),
                **({"std": self.best.metric_std, "folds": self.best.fold_metrics} if self.folds else {}),
            },
            "confirmed": None if winner is None else {"label": winner.label, "mean": winner.mean},
            "against_default": None
            if self.confirmation is None or self.confirmation.comparison is None
            else self.confirmation.comparison.to_dict(self.metric),
            "out": str(self.out),
            "best_recipe": None if self.best is None else str(self.out / "best_recipe.yaml"),
            "ensemble": None if self.ensemble is None else self.ensemble.to_dict(),
        }

    def __repr__(self) -> str:
        s = self.summary()
        best = "None" if s["best"] is None else f"{s['best']['index']} ({self.metric}={s['best']['value']:.4g})"
        return f"SweepResult(trials={s['trials']}, states={s['states']}, best={best}, out={s['out']!r})"

    def _repr_html_(self) -> str:
        """A small table for notebooks."""
        from kerasrecipes._display import html_table

        s = self.summary()
        best = s.pop("best") or {}
        return html_table(
            "SweepResult",
            {
                **s,
                "best trial": best.get("index"),
                f"best {self.metric}": best.get("value"),
                "best params": best.get("params"),
            },
        )


def _sweeps():
    import warnings

    with warnings.catch_warnings():  # sweeps' pydantic models warn once on import
        warnings.simplefilter("ignore")
        import sweeps
    return sweeps


def _feedback_callback(config: dict, key: str, run: Any, runs: list, rng: _EngineRNG):
    import keras

    sweeps = _sweeps()

    class SweepFeedback(keras.callbacks.Callback):
        """Feeds each epoch's metric to the engine and applies hyperband stopping between epochs."""

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if key not in logs:
                return
            run.history.append({config["metric"]["name"]: float(logs[key])})
            if "early_terminate" in config:
                with rng.active():
                    to_stop = sweeps.stop_runs(config, runs)
                if any(r.name == run.name for r in to_stop):
                    run.stopped = True
                    self.model.stop_training = True

    return SweepFeedback()


def _grid_size(config: dict[str, Any]) -> int | None:
    """How many trials a grid sweep has (the product of its parameters' value counts); None for other methods."""
    if config.get("method") != "grid":
        return None
    size = 1
    for spec in config.get("parameters", {}).values():
        if isinstance(spec, dict) and isinstance(spec.get("values"), list):
            size *= max(len(spec["values"]), 1)
    return size


@keeps_global_random_state
def run_sweep(
    sweep: str | Path | dict,
    *,
    trials: int | None = None,
    seed: int = 0,
    out: str | Path = "sweep",
    dataset: Any = None,
    target: str | None = None,
    n_samples: int | None = None,
    tracking: str = "offline",
    verbose: int = 1,
    overrides: dict[str, Any] | None = None,
    overwrite: bool = False,
    workers: int = 1,
    confirm: int | str = "auto",
    confirm_seeds: int = 3,
    retrain_command: str | None = None,
    ensemble: int | None = None,
    cv: int | None = None,
) -> SweepResult:
    """Run a W&B sweep YAML locally, seeded and offline.

    Args:
        sweep: a bundled sweep name ("binary"), a YAML path, or an already validated config dict.
        trials: number of trials. Defaults to the YAML's `run_cap`, else 10 (grids stop when exhausted).
        seed: the sweep seed: engine sampling and every trial's training seed derive from it, and it
            draws the one data split every trial and the confirmation train on (`split_seed`).
        out: directory for results.csv, timings.csv, best_recipe.yaml, sweep.png and trials/.
        dataset: the data, as `kerasrecipes.train` takes it: a dataset name, a `Dataset`, a data source
            (`CsvStream`), or a CSV path or `pandas.DataFrame` with `target`. Defaults to the `--dataset`
            of the YAML's command.
        target: the column to predict when `dataset` is a CSV path or a DataFrame. Defaults to None.
        n_samples: rows of a synthetic dataset.
        tracking: W&B mode of each trial ("offline" default, "online", "none").
        verbose: 1 prints one progress line per trial. Defaults to 1.
        overrides: recipe fields fixed for every trial, winning over the YAML (e.g. {"epochs": 5}
            for a smoke test).
        overwrite: start over even if `out` holds an interrupted run of this sweep (which is
            otherwise resumed: `sweep_state.json` keeps the trials, the engine's runs and its RNG
            stream, so the resumed sweep writes the same results.csv). Defaults to False.
        workers: train trials on this many processes (grid and random sweeps without hyperband;
            others run one at a time and say why); results are identical to `workers=1`.
            Defaults to 1.
        confirm: after the trials, retrain this many of the best trials and the row's default
            recipe with `confirm_seeds` more seeds each (other initializations, on the sweep's split)
            and make the best mean the best recipe (`tuning.confirm`); 0 keeps the best trial.
            "auto" confirms the 3 best on a small dataset (under the large-dataset threshold) trained on one
            split, where one training is a noisy judge, and none on a large one or on folds; a cross-validated
            sweep then trains the default recipe on its folds with the best trial's seed, pairs the two fold by
            fold (`confirm.against_default_on_folds`), and makes the default the best recipe when its folds' mean
            is better. Defaults to "auto".
        confirm_seeds: retrainings per confirmed candidate. Defaults to 3.
        retrain_command: the command that retrains the winner, shown in report.html (the CLI gives the one it
            prints, with every data option). Defaults to None: `kerasrecipes train` with the dataset's name or
            the CSV path and `target`, else the `kerasrecipes.train` call.
        ensemble: after the confirmation, train this many of the best trials again (each its recipe with its
            own seed) and save the mean of their answers as one run directory, `out/ensemble`
            (`tuning.ensemble`); None makes none. Defaults to None.
        cv: cross-validate every trial on this many folds (2 to 100) of the rows left after the test split,
            stratified by class and drawn by the sweep seed, the same folds for every trial: a trial trains
            once per fold, fold i validating, and its metric is the folds' mean (`runs._cross_validate`). The
            confirmation then retrains each candidate on every fold too and pairs the winner with the default
            fold by fold. 0 or 1: one validation split. Defaults to None: the `--cv K` of the YAML's command,
            else `AUTO_FOLDS` (5) on a small dataset (under the large-dataset threshold, 10,000 rows) whose rows
            can be cut into them, else 0.

    Returns:
        A `SweepResult` (`best`: the best trial by the sweep metric; `best_recipe`: the confirmed
        winner's recipe; `confirmation`: the candidates and the winner, when confirmed; `ensemble`: the
        ensemble against its best trial, with `ensemble`).

    Raises:
        UserError: before any trial, for a sweep that does not fit the data (`validate.check_sweep_data`);
            after the trials, when every trial failed (with the first trial's error); for `ensemble`, before
            any trial when the sweep runs fewer trials, after them when fewer produced the metric.
    """
    sweeps = _sweeps()

    from kerasrecipes._validation import Interval, check, invalid
    from kerasrecipes.runs import _data_adapter
    from kerasrecipes.tuning.validate import check_sweep, check_sweep_data, check_sweep_folds, check_sweep_name

    check("trials", trials, Interval("integer", 1), allow_none=True)
    check("seed", seed, Interval("integer", 0, 2**32 - 1))
    check("workers", workers, Interval("integer", 1, 64))
    if confirm != "auto" and (isinstance(confirm, bool) or not isinstance(confirm, int) or not 0 <= confirm <= 100):
        raise UserError(invalid("confirm", "'auto' or an integer in [0, 100]", confirm))
    check("confirm_seeds", confirm_seeds, Interval("integer", 1, 100))
    config = sweep if isinstance(sweep, dict) else check_sweep(sweep)
    check_sweep_name(config.get("name"))
    name = config.get("name") or (Path(str(sweep)).stem if not isinstance(sweep, dict) else "sweep")
    metric_name = config["metric"]["name"]
    goal = config["metric"].get("goal", "minimize")
    key = metric_key(metric_name)
    budget = trials if trials is not None else (config.get("run_cap") or DEFAULT_TRIALS)
    budget = min(budget, _grid_size(config) or budget)  # a grid ends when its combinations do
    ensembling.check_size(ensemble, budget, _grid_size(config))
    source = dataset if dataset is not None else dataset_from_command(config)
    if source is None:
        raise UserError("No dataset: pass --dataset or --csv, or put `--dataset NAME` in the sweep's command.")
    data = _data_adapter.as_source(source, target=target, n_samples=n_samples, seed=seed)
    check_sweep_data(config, data, overrides)  # before the folder is touched or any trial trains
    folds, why = sweep_folds(cv, config), ""
    if folds is None:
        folds, why = auto_folds(data, seed, overrides)
    elif folds:
        check_sweep_folds(data, folds, seed, overrides)
    out = Path(out)
    with _writing.exclusive(out):  # one writer per sweep folder
        _writing.recover(out)
        _check_out(out, overwrite)
        rng = _EngineRNG(seed)
        runs: list = []
        done: list[Trial] = []
        better = (lambda a, b: a < b) if goal == "minimize" else (lambda a, b: a > b)
        best: Trial | None = None
        best_recipe = None
        identity = {
            "config": config,
            "seed": seed,
            "overrides": overrides or {},
            "n_samples": n_samples,
            "data": source if isinstance(source, str) and target is None else data.describe(),
            **({"folds": folds} if folds else {}),
        }
        saved = _load_state(out, identity)
        make_dir(out)
        if saved is None:  # the folder is a sweep folder from now on: a kill in trial 0 leaves it resumable
            _save_state(out, identity, rng, runs, done, best, best_recipe)
        if saved is not None and saved["trials"]:  # an interrupted sweep: continue after its last recorded trial
            rng.load_json(saved["engine_rng"])
            runs = [sweeps.SweepRun(**r) for r in saved["runs"]]
            done = [Trial(**t) for t in saved["trials"]]
            best_recipe = saved["best_recipe"]
            best = next((t for t in done if t.index == saved["best_index"]), None)
            if verbose:
                logger.info(f"resuming sweep in {out} after {len(done)} trial(s)")
        from kerasrecipes.tuning import parallel

        reason = parallel.why_sequential(config) if workers > 1 else None
        if workers > 1 and reason and verbose:
            logger.info(f"running the trials one at a time: {reason}")
        if verbose and folds:
            because = f" ({why})" if why else ""
            logger.info(f"cross-validating each trial on {folds} folds{because}: {_folds_plan(data, folds)}")
        elif verbose and why and not done:
            logger.info(f"each trial trains on {why}")
        started, first = time.monotonic(), len(done)
        display = Progress(enabled=bool(verbose) and live())  # elsewhere the per-trial lines say it all
        bar = display.add("trials", total=budget, completed=len(done))
        if workers > 1 and not reason and not done:
            pending = []
            for index in range(budget):  # every suggestion up front, in the sequential order
                with rng.active():
                    suggestion = sweeps.next_run(config, runs)
                if suggestion is None:
                    break
                params = {k: plain(v["value"]) for k, v in suggestion.config.items()}
                params.update(overrides or {})
                runs.append(
                    sweeps.SweepRun(name=f"trial-{index:03d}", state=sweeps.RunState.running, config=suggestion.config)
                )
                pending.append(Trial(index, trial_seed(seed, index), params, split_seed=seed, folds=folds or None))
            for run, (trial, recipe_dict, history) in zip(
                runs,
                parallel.run_trials(
                    data,
                    pending,
                    out,
                    tracking,
                    f"{name}-seed{seed}",
                    metric_name,
                    goal,
                    key,
                    workers,
                    verbose,
                    on_done=lambda finished: display.update(bar, completed=finished),
                ),
            ):
                run.history = history
                run.state = sweeps.RunState.failed if trial.state == "failed" else sweeps.RunState.finished
                run.summary_metrics = {metric_name: trial.metric}
                if trial.metric is not None and (best is None or better(trial.metric, best.metric)):
                    best, best_recipe = trial, recipe_dict
                done.append(trial)
            _save_state(out, identity, rng, runs, done, best, best_recipe)
        for index in range(len(done), budget):
            fault("trial", index)  # test hook for kill-and-resume
            with rng.active():
                suggestion = sweeps.next_run(config, runs)
            if suggestion is None:
                break  # grid exhausted
            params = {k: plain(v["value"]) for k, v in suggestion.config.items()}
            params.update(overrides or {})  # what the trial really trains with
            run = sweeps.SweepRun(name=f"trial-{index:03d}", state=sweeps.RunState.running, config=suggestion.config)
            runs.append(run)
            trial = Trial(index, trial_seed(seed, index), params, split_seed=seed, folds=folds or None)
            recipe_dict = train_trial(
                data,
                trial,
                out / "trials" / run.name,
                tracking,
                f"{name}-seed{seed}",
                metric_name,
                goal,
                _feedback_callback(config, key, run, runs, rng),
                run,
            )
            if trial.state == "stopped" or trial.state == "finished":
                run.state = sweeps.RunState.finished  # stopped runs count as finished (not imputed as worst)
                run.summary_metrics = {metric_name: trial.metric}
            else:
                run.state = sweeps.RunState.failed
            if trial.metric is not None and (best is None or better(trial.metric, best.metric)):
                best, best_recipe = trial, recipe_dict
            done.append(trial)
            _save_state(out, identity, rng, runs, done, best, best_recipe)
            gc.collect()  # with training's clear_session: memory stays flat across trials
            if verbose:
                shown = "-" if trial.metric is None else f"{trial.metric:.5g}"
                best_shown = "-" if best is None else f"{best.metric:.5g} (trial {best.index})"
                logger.info(
                    f"trial {index} ({index + 1}/{budget})  {trial.state:<8}  {key} {shown}  best {best_shown}  "
                    f"{eta(index + 1 - first, budget - first, time.monotonic() - started)}"
                )
                display.update(bar, completed=index + 1, info=f"best {key} {best_shown}")
        display.close()
        data_name = source if isinstance(source, str) and target is None else data.name
        command = retrain_command or _report.default_command(source, target, out)
        _check_some_trial_ran(SweepResult(done, None, metric_name, goal, out, data_name=data_name), key, command)
        members = ensembling.choose(done, ensemble, goal, out) if ensemble else None  # before more training
        confirmation, top = None, _confirm_top(confirm, data, folds)
        if top and best is not None:
            from kerasrecipes.tuning import confirm as confirming

            winner, pool = confirming.confirm(
                data,
                done,
                config,
                key=key,
                goal=goal,
                sweep_seed=seed,
                top=top,
                seeds=confirm_seeds,
                overrides=overrides,
                verbose=verbose,
                folds=folds,
            )
            confirming.write_confirmation(out, pool, winner, key)
            comparison = None if winner is None else confirming.compare(winner, pool, goal, folds=folds)
            confirmation = Confirmation(pool, winner, comparison)
            if winner is not None:
                best_recipe = confirming.winner_recipe(winner, done, seed)
        elif folds and confirm == "auto" and best is not None and best.fold_metrics:
            from kerasrecipes.tuning import confirm as confirming

            if verbose:
                logger.info(f"comparing trial {best.index} with the default recipe on the same {folds} folds")
            winner, pool = confirming.against_default_on_folds(
                data, best, config, key=key, goal=goal, sweep_seed=seed, folds=folds, overrides=overrides
            )
            comparison = confirming.compare(pool[0], pool, goal, folds)  # the best trial against the default
            confirmation = Confirmation(pool, winner, comparison, retrained=False)
            if winner.index is None:  # the default did better on the same folds: it is the best recipe
                best_recipe = {**winner.recipe, "seed": best.seed}
        _write_outputs(out, done, best_recipe, key, goal)
        result = SweepResult(
            done, best, metric_name, goal, out, best_recipe, confirmation=confirmation, data_name=data_name, folds=folds
        )
        result.ensemble = ensembling.build(data, members, out, verbose) if members else None
        _report.write_report(result, command)
        return result


def _folds_plan(data: Any, folds: int) -> str:
    """How a sweep's folds are cut, in words, for the plan it prints."""
    from kerasrecipes.tuning.validate import _data_target

    info = _data_target(data)
    how = "stratified by class" if info is not None and info.kind in ("binary", "multiclass") else "shuffled"
    return (
        f"the rows left after the test split, {how}, drawn by the sweep seed and the same for every trial; a "
        f"trial's metric is the folds' mean (results.csv: metric_std and fold_0..fold_{folds - 1})"
    )


def _check_some_trial_ran(result: SweepResult, key: str, command: str) -> None:
    """When every trial failed (results.csv and report.html written): the first trial's error, as a one-line
    `UserError` when it was one, else as a `RuntimeError` (a bug: the CLI's exit 1)."""
    done, out = result.trials, result.out
    if not done or any(t.state != "failed" for t in done):
        return
    _write_outputs(out, done, None, key, result.goal)
    _report.write_report(result, command)
    first = done[0]
    what = f"All {len(done)} trials of the sweep failed; trial {first.index}: {first.error.rstrip('.')}."
    if not first.user_error:
        raise RuntimeError(f"{what} This is a bug in kerasrecipes, not in your input; please report it.")
    raise UserError(
        f"{what} Fix that and run the sweep again with --overwrite ({out / 'results.csv'} lists each trial's error)."
    )


def _confirm_top(confirm: int | str, data: Any, folds: int = 0) -> int:
    """How many trials to confirm: `confirm`, or for "auto" 3 on a small dataset trained on one validation split, 0
    on a large one and on folds (bench/bench_selection.py: on the folds' mean the confirmation did not pick better
    recipes; on one split it did)."""
    from kerasrecipes.recipes._table import dataset_size
    from kerasrecipes.tuning.confirm import AUTO_TOP

    if confirm != "auto":
        return int(confirm)
    n_rows = data.n_rows  # None when unknown before a pass (a stream): not small
    return AUTO_TOP if n_rows is not None and dataset_size(n_rows) == "small_dataset" and not folds else 0


def _check_out(out: Path, overwrite: bool) -> None:
    """`out` may hold this sweep: new, empty, or a sweep folder (`not_a_sweep`); with `overwrite`, the old sweep is
    moved aside and removed (a kill meanwhile puts it back: `_writing.recover`)."""
    if os.path.lexists(out) and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a directory. Choose another --out.")
    if not out.is_dir() or not any(out.iterdir()):
        return
    why = not_a_sweep(out)
    if why:
        raise UserError(
            f"--out {out} already holds files that are not a kerasrecipes sweep ({why}); "
            "choose another --out (--overwrite only replaces a sweep folder)."
        )
    if overwrite:
        aside = out.parent / f".{out.name}{_writing.REPLACED}{os.getpid()}"
        os.replace(out, aside)
        make_dir(out)
        shutil.rmtree(aside, ignore_errors=True)


def not_a_sweep(folder: str | os.PathLike) -> str | None:
    """None when `folder` is a sweep folder, recognized by the content of its state file; else why it is not."""
    import json

    path = Path(folder) / STATE
    if not path.is_file():
        return f"it has no {STATE}"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return f"its {STATE} is not JSON"
    if not isinstance(state, dict) or not (
        state.get("format") == SWEEP_FORMAT or {"identity", "engine_rng"} <= set(state)
    ):
        return f"its {STATE} is not a kerasrecipes sweep state"
    return None


def _load_state(out: Path, identity: dict) -> dict | None:
    import json

    path = out / STATE
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        raise UserError(f"{path} is unreadable; pass --overwrite to start the sweep again.") from None
    if saved.get("identity") != json.loads(json.dumps(identity, default=plain)):
        raise UserError(
            f"{out} holds another sweep's results (different YAML, seed, data, --set or --cv); choose "
            "another --out, or pass --overwrite to start over."
        )
    return saved


def _save_state(
    out: Path,
    identity: dict,
    rng: _EngineRNG,
    runs: list,
    trials: list[Trial],
    best: Trial | None,
    best_recipe: dict | None,
) -> None:
    import dataclasses
    import json

    state = {
        "format": SWEEP_FORMAT,
        "identity": identity,
        "engine_rng": rng.to_json(),
        "runs": [
            json.loads(r.model_dump_json(include={"name", "state", "config", "history", "summary_metrics", "stopped"}))
            for r in runs
        ],
        "trials": [dataclasses.asdict(t) for t in trials],
        "best_index": None if best is None else best.index,
        "best_recipe": best_recipe,
    }
    atomic_write_text(out / STATE, json.dumps(state, default=plain))
    _write_outputs(out, trials, best_recipe, "", "", plot=False)
