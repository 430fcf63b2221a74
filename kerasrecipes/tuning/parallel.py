"""Local sweeps on several worker processes, with results identical to the sequential runner.

Grid and random suggestions do not depend on earlier trials' results, so the engine can draw them
all up front (from the same isolated RNG stream, in the same order) and worker processes can train
them in any order; results are written in trial order, so `results.csv` is byte-identical to a
sequential run's (tested). Bayes suggestions depend on finished trials' metrics and hyperband
compares a trial with the others' histories, so those sweeps run sequentially (and say why).
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from kerasrecipes._log import get_logger, import_tensorflow_quietly
from kerasrecipes._progress import eta

logger = get_logger(__name__)


def why_sequential(config: dict) -> str | None:
    """Why a sweep cannot run on parallel workers with identical results, or None if it can."""
    if config.get("method") == "bayes":
        return "bayes suggestions depend on the finished trials' metrics"
    if config.get("early_terminate"):
        return "hyperband stops a trial by comparing it with the other trials' histories"
    return None


class _Run:
    """The part of a `sweeps.SweepRun` a worker fills in: the metric history."""

    def __init__(self) -> None:
        self.history: list[dict] = []
        self.stopped = False


def _recorder(run: _Run, metric_name: str, key: str):
    import keras

    class MetricRecorder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs and key in logs:
                run.history.append({metric_name: float(logs[key])})

    return MetricRecorder()


def _work(payload: tuple) -> tuple:
    """Runs in a worker process: train one trial, return it with its recipe and metric history."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from kerasrecipes.tuning import _trial

    data, trial, out, tracking, group, metric_name, goal, key = payload
    run = _Run()
    recipe = _trial.train_trial(
        data, trial, out, tracking, group, metric_name, goal, _recorder(run, metric_name, key), run
    )
    return trial, recipe, run.history


def run_trials(
    data: Any,
    trials: list,
    out: Path,
    tracking: str,
    group: str,
    metric_name: str,
    goal: str,
    key: str,
    workers: int,
    verbose: int,
    on_done=None,
) -> list[tuple]:
    """Train `trials` on `workers` processes; returns (trial, recipe, history) in trial order.

    `on_done(number finished)` is called as each trial ends (the progress display)."""
    context = multiprocessing.get_context("spawn")  # a fresh TensorFlow per worker, never a fork of one
    results: dict[int, tuple] = {}
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=import_tensorflow_quietly) as pool:
        futures = [
            pool.submit(
                _work, (data, t, out / "trials" / f"trial-{t.index:03d}", tracking, group, metric_name, goal, key)
            )
            for t in trials
        ]
        for future in as_completed(futures):
            trial, recipe, history = future.result()
            results[trial.index] = (trial, recipe, history)
            if verbose:
                shown = "-" if trial.metric is None else f"{trial.metric:.5g}"
                logger.info(
                    f"trial {trial.index}  {trial.state:<8}  {key} {shown}  "
                    f"({len(results)} of {len(trials)} done, {workers} workers, "
                    f"{eta(len(results), len(trials), time.monotonic() - started)})"
                )
            if on_done is not None:
                on_done(len(results))
    return [results[t.index] for t in trials]
