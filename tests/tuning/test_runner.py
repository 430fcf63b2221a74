"""The embedded local sweep runner and the `wandb agent` path."""

import json
import os
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kerasrecipes import runs
from kerasrecipes.tuning import SWEEP_NAMES
from kerasrecipes.tuning.runner import run_sweep, trial_seed

TINY = {"epochs": 2, "units": 8}
CNN_TINY = {**TINY, "filters": 4}  # a convolution field on a table is refused


TRIALS = {"binary": 2, "cnn": 2, "regression": 2}
"""Trials of each bundled sweep's smoke run, 1 where not listed. Bayes (cnn, regression) needs a second trial to fit
its model to a finished one; binary's second trial is the byte-identity test's (a suggestion after a training). A
random or grid sweep's second trial is another draw from the engine binary's already makes."""


@pytest.fixture(scope="module")
def bundled_sweep(tmp_path_factory):
    """`bundled_sweep(name)`: the bundled sweep run once with the smoke-test settings (TRIALS, TINY, confirmed on 1
    seed), its `SweepResult`; the tests that read the same sweep share the run. Binary is run twice, back to back
    (`bundled_sweep("binary again")`, the byte-identity test's rerun), so the rerun finds the traces of the first
    run's graphs still kept (`runs.fast_road._traces`) and costs little more than the files it writes."""
    done = {}

    def sweep(name, folder):
        return run_sweep(
            name,
            trials=TRIALS.get(name, 1),
            seed=0,
            out=tmp_path_factory.mktemp(folder) / "sweep",
            tracking="none",
            verbose=0,
            overrides=CNN_TINY if name == "cnn" else TINY,
            cv=0,
            confirm=1,
            confirm_seeds=1,
        )

    def run(name):
        if name not in done:
            bundled = name.removesuffix(" again")
            done[bundled] = sweep(bundled, bundled)
            if bundled == "binary":
                done["binary again"] = sweep(bundled, "again")
        return done[name]

    return run


@pytest.mark.slow
@pytest.mark.parametrize("name", SWEEP_NAMES)
def test_every_bundled_sweep_runs_locally(name, bundled_sweep):
    result = bundled_sweep(name)
    trials = TRIALS.get(name, 1)
    assert [t.state for t in result.trials] == ["finished"] * trials or any(t.state == "stopped" for t in result.trials)
    assert result.best is not None and result.best.metric is not None
    for f in (
        "results.csv",
        "timings.csv",
        "best_recipe.yaml",
        "sweep.png",
        "confirmation.csv",
        "report.html",
    ):  # small data: confirmed
        assert (result.out / f).is_file()
    assert len((result.out / "results.csv").read_text().splitlines()) == 1 + trials
    assert "seconds" not in (result.out / "results.csv").read_text()


@pytest.fixture(scope="module")
def binary_seed_1_on_two_workers(tmp_path_factory):
    """The bundled binary sweep with seed 1 (1 trial, TINY, unconfirmed), asked for 2 workers with verbose=1: its
    folder and what it logged. Read by the tests of another seed's results (its trial 0 against seed 0's) and of
    the one-worker fallback."""
    import io
    import logging

    out = tmp_path_factory.mktemp("seed1") / "sweep"
    logger, text = logging.getLogger("kerasrecipes"), io.StringIO()
    handler, level = logging.StreamHandler(text), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        run_sweep(
            "binary", trials=1, seed=1, out=out, tracking="none", verbose=1, workers=2, overrides=TINY, cv=0, confirm=0
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return out, text.getvalue()


@pytest.mark.slow
def test_same_seed_gives_byte_identical_results(bundled_sweep, binary_seed_1_on_two_workers):
    """The bundled binary sweep (hyperband, confirmed), run again with its seed: the same bytes; another seed
    gives trial 0 other results. Two trials show it as well as more: trial 1's suggestion follows trial 0's
    training."""
    a, b = bundled_sweep("binary"), bundled_sweep("binary again")
    for name in ("best_recipe.yaml", "confirmation.csv"):
        assert (a.out / name).read_bytes() == (b.out / name).read_bytes()
    assert (a.out / "results.csv").read_bytes() == (b.out / "results.csv").read_bytes()
    other_seed = binary_seed_1_on_two_workers[0] / "results.csv"
    other = other_seed.read_text().splitlines()  # the header and trial 0's row
    assert len(other) == 2 and other != (a.out / "results.csv").read_text().splitlines()[:2]
    assert [t.seed for t in a.trials] == [trial_seed(0, i) for i in range(2)]
    assert a.trials[0].params != a.trials[1].params  # the engine RNG is not reseeded by training


HYPERBAND = """
name: hyperband-test
method: grid
metric: {name: epoch/val_loss, goal: minimize}
early_terminate: {type: hyperband, min_iter: 2, eta: 2}
parameters:
  scenario: {value: multiclass-less-features}
  early_stopping: {value: false}
  epochs: {value: 8}
  learning_rate: {values: [0.05, 1.0e-6, 2.0e-6]}
command: [python, -m, kerasrecipes, train, --dataset, iris, "${args}"]
"""


@pytest.mark.slow
def test_hyperband_stops_bad_trials(tmp_path):
    path = tmp_path / "hb.yaml"
    path.write_text(HYPERBAND)
    result = run_sweep(str(path), seed=0, out=tmp_path / "out", tracking="none", verbose=0, cv=0, confirm=0)
    states = {t.params["learning_rate"]: (t.state, t.epochs) for t in result.trials}
    assert states[0.05] == ("finished", 8)
    stopped = [s for s in states.values() if s[0] == "stopped"]
    assert stopped and all(epochs < 8 for _, epochs in stopped)


@pytest.fixture(scope="module")
def offline_sweep(tmp_path_factory):
    """The multiclass grid's first 2 trials, each logged to an offline W&B run, unconfirmed: read by the tests
    of the W&B logging and of the best recipe."""
    out = tmp_path_factory.mktemp("offline") / "sweep"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("WANDB_MODE", raising=False)
        return run_sweep(
            "multiclass",
            trials=2,
            seed=1,
            out=out,
            tracking="offline",
            verbose=0,
            overrides={"epochs": 4},
            cv=0,
            confirm=0,
        )


@pytest.mark.slow
def test_best_recipe_retrains_to_the_trials_metric(offline_sweep):
    result = offline_sweep
    assert not (result.out / "confirmation.csv").exists()
    recipe = yaml.safe_load((result.out / "best_recipe.yaml").read_text())
    again = runs.train("wine", recipe=recipe, tracking="none", verbose=0)
    assert min(again.history["val_loss"]) == result.best.metric


def test_failing_trial_is_recorded_and_sweep_goes_on(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        HYPERBAND.replace("early_terminate: {type: hyperband, min_iter: 2, eta: 2}\n", "").replace(
            "learning_rate: {values: [0.05, 1.0e-6, 2.0e-6]}",
            "loss: {values: [mean_squared_error, sparse_categorical_crossentropy]}",
        )
    )
    result = run_sweep(
        str(path), seed=0, out=tmp_path / "out", tracking="none", verbose=0, overrides={"epochs": 2}, cv=0, confirm=0
    )
    assert [t.state for t in result.trials] == ["failed", "finished"]
    assert "regression loss" in result.trials[0].error
    assert repr(result) == (
        f"SweepResult(trials=2, states={{'finished': 1, 'stopped': 0, 'failed': 1}}, best=1 "
        f"(epoch/val_loss={result.best.metric:.4g}), out={str(tmp_path / 'out')!r})"
    )
    assert result.summary()["best"]["index"] == 1 and "<table>" in result._repr_html_()
    assert "failed" in (tmp_path / "out" / "results.csv").read_text()


def test_trials_log_offline_wandb_runs_grouped(offline_sweep):
    """Each trial logs an offline W&B run, which W&B's own reader shows without a server (the how-to's command)."""
    import csv
    import json
    import subprocess

    runs = sorted(offline_sweep.out.glob("trials/trial-*/wandb/offline-run-*"))
    assert len(runs) == 2
    command = [sys.executable, "-m", "wandb", "leet", "inspect", "--summary", "--json", str(runs[0])]
    shown = json.loads(subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout)
    history = list(csv.DictReader((runs[0].parent.parent / "history.csv").open()))
    assert shown["state"] == "finished" and shown["config"]["units"] == offline_sweep.trials[0].params["units"]
    assert shown["summary"]["epoch/val_loss"] == float(history[-1]["val_loss"])


def _agent_run(tmp_path, monkeypatch, sweep_name, args, run_id="run1"):
    """Expand a bundled YAML's command with wandb's own agent code (macros, config file) and run it."""
    from wandb import wandb_agent

    from kerasrecipes.tuning import resolve_sweep_path

    config = yaml.safe_load(resolve_sweep_path(sweep_name).read_text())

    class StubAgent:  # the attributes Agent._command_run reads
        _sweep_command = list(config["command"])
        _in_jupyter = False
        _function = None
        _forward_signals = False
        _run_processes = {}

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_SWEEP_ID", "local")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("WANDB_SWEEP_PARAM_PATH", "")  # the agent sets it in os.environ: undo that after the test
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])  # `python`
    agent = StubAgent()
    wandb_agent.Agent._command_run(agent, {"run_id": run_id, "program": config["program"], "args": args})
    return agent._run_processes[run_id]


AGENT_ARGS = {
    "units": {"value": 8},
    "epochs": {"value": 2},
    "learning_rate": {"value": 0.01},
    "optimizer": {"value": "sgd"},
}


@pytest.fixture(scope="module")
def agent_trial(tmp_path_factory):
    """A trial of binary.yaml under the agent (W&B run id run1, units 8), with a user's CSV in the agent's
    environment, run in `agent_trial.folder`: its exit code. The trial is a process that imports TensorFlow, run
    once, for both tests of the agent."""
    folder = tmp_path_factory.mktemp("agent")
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    pd.DataFrame({"x": x, "plan": rng.choice(["a", "b"], 300), "churn": np.where(x > 0, "yes", "no")}).to_csv(
        folder / "churn.csv", index=False
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERASRECIPES_CSV", str(folder / "churn.csv"))
        mp.setenv("KERASRECIPES_TARGET", "churn")
        code = _agent_run(folder, mp, "binary", AGENT_ARGS, run_id="run1").wait(timeout=300)
    return types.SimpleNamespace(code=code, folder=folder)


@pytest.mark.slow
def test_wandb_agent_command_runs_through_wandbs_own_expansion(agent_trial):
    """A trial of a YAML under the agent gets the agent's parameters and its own default run directory, named
    after the W&B run id the agent sets (`churn-seed42-run1`), so the YAML's next trial, the same command under
    another run id, does not stop at this one's."""
    assert agent_trial.code == 0
    run = agent_trial.folder / "runs" / "churn-seed42-run1"
    manifest = yaml.safe_load((run / "manifest.json").read_text())
    assert manifest["recipe"]["units"] == 8 and manifest["recipe"]["optimizer"] == "sgd"
    assert manifest["recipe"]["learning_rate"] == 0.01
    assert list(Path(run, "wandb").glob("offline-run-*"))


def test_a_bundled_yaml_trains_a_users_csv_under_wandb_agent(agent_trial):
    """binary.yaml's command names breast_cancer; KERASRECIPES_CSV/TARGET in the agent's environment replace it."""
    assert agent_trial.code == 0
    runs = agent_trial.folder / "runs"
    manifest = yaml.safe_load((runs / "churn-seed42-run1" / "manifest.json").read_text())
    assert manifest["data"]["source"]["kind"] == "csv" and manifest["data"]["classes"] == ["no", "yes"]
    assert manifest["recipe"]["units"] == 8 and not list(runs.glob("breast_cancer-*"))


RANDOM = """
name: random-parallel
method: random
metric: {name: epoch/val_loss, goal: minimize}
parameters:
  scenario: {value: multiclass-less-features}
  epochs: {value: 4}
  units: {value: 16}
  learning_rate: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-1}
command: [python, -m, kerasrecipes, train, --dataset, wine, "${args}"]
"""
"""Only the learning rate is searched: every trial, and the default, build one graph, traced once per process."""


@pytest.fixture(scope="module")
def random_sweep(tmp_path_factory):
    """RANDOM, 3 trials with seed 2, its 2 best trials and the default confirmed on 2 seeds, run sequentially in
    this process: the reference of the parallel workers, the confirmation the confirmation test checks, and the
    trainings the split test checks (`random_sweep.trained`: each `runs.train` call's seed, split seed and data
    fingerprint, in order; `random_sweep.scored`: whether each evaluation scored its rows, in order; recording them
    changes nothing the sweep computes)."""
    from kerasrecipes import runs as runs_module
    from kerasrecipes.runs import _evaluate

    folder = tmp_path_factory.mktemp("random")
    (folder / "random.yaml").write_text(RANDOM)
    trained, train, scored, evaluate = [], runs_module.train, [], _evaluate.evaluate

    def recording(*args, **kwargs):
        result = train(*args, **kwargs)
        trained.append((result.recipe.seed, result.recipe.split_seed, result.data.fingerprint()))
        return result

    def recording_evaluation(*args, **kwargs):
        scored.append(kwargs.get("score", True))
        return evaluate(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runs_module, "train", recording)
        mp.setattr(_evaluate, "evaluate", recording_evaluation)
        result = run_sweep(
            str(folder / "random.yaml"),
            trials=3,
            seed=2,
            out=folder / "one",
            tracking="none",
            verbose=0,
            cv=0,
            confirm=2,
            confirm_seeds=2,
        )
    result.trained, result.scored = trained, scored
    return result


@pytest.mark.slow
def test_parallel_workers_give_the_sequential_results_and_print_nothing_on_stderr_when_quiet(tmp_path, random_sweep):
    """`sweep --workers 2 --quiet` (the CLI, its workers importing TensorFlow with the C++ start-up chatter
    silenced) writes the same results as the sequential runner in process. 3 trials on 2 workers: a worker
    trains a second trial after its first. Unconfirmed, its best recipe is the one a worker returned for the best
    trial, which must be the sequential best trial's recipe (the confirmation after the trials is the same code
    on the same trials, which results.csv pins, and it would replace that recipe)."""
    import json
    import subprocess

    one = random_sweep
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "KERASRECIPES_TF_LOGS")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kerasrecipes",
            "sweep",
            str(one.out.parent / "random.yaml"),
            "--trials",
            "3",
            "--seed",
            "2",
            "--workers",
            "2",
            "--confirm",
            "0",
            "--cv",
            "0",
            "--tracking",
            "none",
            "--quiet",
            "--out",
            str(tmp_path / "two"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "best trial" in proc.stdout
    assert (one.out / "results.csv").read_bytes() == (tmp_path / "two" / "results.csv").read_bytes()
    best_trial = json.loads((one.out / "trials" / f"trial-{one.best.index:03d}" / "manifest.json").read_text())
    assert yaml.safe_load((tmp_path / "two" / "best_recipe.yaml").read_text()) == best_trial["recipe"]
    assert f"best trial {one.best.index}:" in proc.stdout


def _sweep_cli(*args):
    from kerasrecipes import cli

    common = ["--set", "epochs=1", "--confirm", "0", "--cv", "0", "--tracking", "none", "--quiet"]
    return cli.main(["sweep", *args, *common])


ACCURACY = (
    "method: random\nmetric: {name: epoch/val_accuracy, goal: maximize}\nparameters:\n  units: {values: [8, 16]}\n"
)


def test_a_metric_the_task_does_not_log_stops_the_sweep_before_any_trial(tmp_path, capsys):
    """A regression task logs no accuracy: one line naming what it logs, exit 2, nothing trained or written."""
    (tmp_path / "acc.yaml").write_text(ACCURACY)
    code = _sweep_cli(
        str(tmp_path / "acc.yaml"), "--dataset", "diabetes", "--trials", "5", "--out", str(tmp_path / "o")
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "metric.name: 'epoch/val_accuracy' is not logged by runs of a regression row on this data; they log" in err
    assert "epoch/val_loss" in err and "Set `metric.name`" in err
    assert not (tmp_path / "o").exists()


def test_a_metric_a_stream_never_logs_stops_the_sweep_after_its_first_trial(tmp_path):
    """A streamed CSV file's target is known only after a pass: its first trial finds the metric missing."""
    from kerasrecipes.errors import UserError
    from kerasrecipes.streaming import CsvStream

    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    pd.DataFrame({"x": x, "price": 3.5 * x + rng.normal(size=120)}).to_csv(tmp_path / "prices.csv", index=False)
    (tmp_path / "acc.yaml").write_text(ACCURACY)
    with pytest.raises(
        UserError, match=r"^The sweep metric 'epoch/val_accuracy' is not logged by these runs; they log"
    ):
        run_sweep(
            str(tmp_path / "acc.yaml"),
            dataset=CsvStream(tmp_path / "prices.csv", "price"),
            trials=5,
            out=tmp_path / "out",
            tracking="none",
            verbose=0,
            overrides={"epochs": 1},
            cv=0,
            confirm=0,
        )
    assert sorted(p.name for p in (tmp_path / "out" / "trials").iterdir()) == ["trial-000"]


def test_every_trial_failing_exits_2_with_the_first_error_in_a_folder_named_after_the_data(
    tmp_path, capsys, monkeypatch
):
    """Every trial fails at its data preparation (class weights on a regression target): one line with trial 0's
    error, exit 2, results.csv kept in runs/sweep-<sweep>-<the CSV file's name>-seed<seed>."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    pd.DataFrame({"x": x, "price": 3.5 * x + 1}).to_csv(tmp_path / "prices.csv", index=False)
    monkeypatch.chdir(tmp_path)
    code = _sweep_cli(
        "regression", "--csv", "prices.csv", "--target", "price", "--set", "imbalance=class_weight", "--trials", "2"
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "All 2 trials of the sweep failed; trial 0: `imbalance` must be 'none' for task='regression'" in err
    assert "run the sweep again with --overwrite" in err
    results = tmp_path / "runs" / "sweep-regression-prices-seed0" / "results.csv"
    assert results.read_text().count(",failed,") == 2 and sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "sweep-regression-prices-seed0"
    ]


def test_every_trial_failing_on_a_bug_is_not_a_user_error(tmp_path, monkeypatch):
    from kerasrecipes import runs as runs_module

    def broken(*args, **kwargs):
        raise TypeError("unsupported operand type(s)")

    monkeypatch.setattr(runs_module, "train", broken)
    with pytest.raises(RuntimeError, match=r"^All 1 trials of the sweep failed; trial 0: unsupported operand .* a bug"):
        run_sweep("multiclass", trials=1, out=tmp_path / "out", tracking="none", verbose=0, cv=0, confirm=0)


def test_every_trial_and_the_confirmation_train_on_the_sweeps_split(random_sweep):
    """The sweep seed draws the one split; a trial's seed (and a confirmation seed) only its initialization."""
    import json

    from kerasrecipes.tuning.confirm import confirmation_seeds

    result, trained = random_sweep, random_sweep.trained
    assert len(trained) == 9  # 3 trials, then the 2 best and the default on 2 more seeds each
    assert [seed for seed, _, _ in trained[:3]] == [t.seed for t in result.trials]
    assert {seed for seed, _, _ in trained[3:]} == set(confirmation_seeds(2, 2))
    assert len({seed for seed, _, _ in trained}) == 5 and {split for _, split, _ in trained} == {2}
    assert len({fingerprint for _, _, fingerprint in trained}) == 1
    manifests = [json.loads((result.out / "trials" / f"trial-00{i}" / "manifest.json").read_text()) for i in (0, 1)]
    assert [m["seed"] for m in manifests] == [t.seed for t in result.trials[:2]] and manifests[0]["seed"] != 2
    assert {m["data"]["fingerprint"] for m in manifests} == {trained[0][2]} and manifests[0]["data"]["seed"] == 2
    assert yaml.safe_load((result.out / "best_recipe.yaml").read_text())["split_seed"] == 2


def test_a_wandb_agent_sweep_that_searches_seeds_keeps_one_split(tmp_path, monkeypatch):
    import argparse

    from kerasrecipes import cli

    args = argparse.Namespace(recipe=None, set=[], extra=["--units=8"], seed=3)
    (tmp_path / "params.yaml").write_text("units: {value: 8}\n")
    monkeypatch.setenv("WANDB_SWEEP_PARAM_PATH", str(tmp_path / "params.yaml"))
    assert cli.recipe_from_args(args).split_seed is None  # the command's seed: the same for every trial
    (tmp_path / "params.yaml").write_text("units: {value: 8}\nseed: {value: 3}\n")
    assert (cli.recipe_from_args(args).seed, cli.recipe_from_args(args).split_seed) == (3, 42)


def test_hyperband_sweeps_fall_back_to_one_worker(binary_seed_1_on_two_workers):
    _, logged = binary_seed_1_on_two_workers
    assert "hyperband stops a trial by comparing it" in logged
    assert "trial 0 (1/1)  finished" in logged
    assert "elapsed" in logged and "eta 0:00" in logged


@pytest.mark.slow
def test_confirmation_retrains_the_best_trials_and_the_default_and_keeps_the_best_mean(random_sweep):
    import csv

    from kerasrecipes.tuning.confirm import confirmation_seeds

    result = random_sweep  # seed 2, 3 trials, confirm=2, confirm_seeds=2
    rows = list(csv.DictReader((result.out / "confirmation.csv").open()))
    ranked = sorted(result.trials, key=lambda t: t.metric)
    assert [r["candidate"] for r in rows] == [f"trial {ranked[0].index}", f"trial {ranked[1].index}", "default"]
    means = [float(r["mean_val_loss"]) for r in rows]
    assert [r["winner"] for r in rows] == ["yes" if m == min(means) else "" for m in means]
    winner = result.confirmation.winner
    best = yaml.safe_load((result.out / "best_recipe.yaml").read_text())
    assert best == {**winner.recipe, "seed": next((t.seed for t in result.trials if t.index == winner.index), 2)}
    again = runs.train("wine", recipe={**best, "seed": confirmation_seeds(2, 2)[1]}, tracking="none", verbose=0)
    assert min(again.history["val_loss"]) == winner.metrics[1]  # the confirmation's numbers are real runs
    # the winner against the default, paired by seed; test scores of these two only, the real runs' own
    default = next(c for c in result.confirmation.candidates if c.label == "default")
    against = result.summary()["against_default"]
    assert against["differences"] == [d - w for w, d in zip(winner.metrics, default.metrics)]  # val_loss: lower wins
    assert against["test_score"]["winner"] == pytest.approx(sum(winner.test_scores) / 2)
    assert again.test_metrics["score"] == winner.test_scores[1]
    tested = [r["mean_test_score"] != "" for r in rows]
    assert tested == [r["winner"] == "yes" or r["candidate"] == "default" for r in rows]


def test_the_test_rows_are_scored_for_the_winner_and_the_default_only_once_the_winner_is_chosen(random_sweep):
    """3 trials and 3 candidates x 2 seeds train with their test rows unscored (each trial's run directory says so,
    and reproduces); then the winner's and the default's 2 retrainings each are scored: 4 scorings, the last 4
    evaluations of the sweep."""
    result = random_sweep
    winner = result.confirmation.winner
    assert winner.label != "default" and len(result.trained) == 3 + 3 * 2
    assert result.scored == [False] * 9 + [True] * 4
    default = next(c for c in result.confirmation.candidates if c.label == "default")
    assert len(winner.test_scores) == len(default.test_scores) == 2
    assert all(c.test_scores == [] for c in result.confirmation.candidates if c not in (winner, default))
    trial = result.out / "trials" / "trial-000"
    manifest = json.loads((trial / "manifest.json").read_text())
    assert (manifest["test_metrics"], manifest["test_baseline"], manifest["test_scored"]) == ({}, None, False)
    assert "score='not scored'" in repr(runs.load_run(trial))
    report = runs.reproduce(trial, verbose=0)
    assert report.identical and report.test_metrics == {}, report.reasons


@pytest.mark.parametrize(
    "winner, default, goal, beats, words",
    [
        (
            [0.50, 0.52, 0.49],
            [0.60, 0.61, 0.62],
            "minimize",
            True,
            "trial 3 beats the default by 0.107 ± 0.012 in val_loss (paired over 3 seeds)",
        ),
        ([0.50, 0.70, 0.40], [0.55, 0.55, 0.55], "minimize", False, "does NOT beat the default beyond seed noise"),
        ([0.91, 0.92], [0.90, 0.90], "maximize", True, "beats the default by 0.015 ± 0.005"),
        ([0.5], [0.6], "minimize", None, "on 1 seed: too few seeds to judge"),
        (  # a cross-validated sweep's best trial against the default on its folds: it can lose
            [0.60, 0.61, 0.62],
            [0.50, 0.52, 0.49],
            "minimize",
            False,
            "trial 3 is WORSE than the default by 0.107 ± 0.012 in val_loss (paired over 3 seeds); the default recipe "
            "is better",
        ),
    ],
)
def test_the_winner_is_compared_with_the_default_paired_by_seed(winner, default, goal, beats, words):
    from kerasrecipes.tuning.confirm import Candidate, compare

    pool = [
        Candidate("trial 3", 3, {"units": 8}, 0.5, metrics=winner, test_scores=[0.8] * len(winner)),
        Candidate("default", None, {}, None, metrics=default, is_default=True, test_scores=[0.7] * len(default)),
    ]
    comparison = compare(pool[0], pool, goal)
    assert comparison.beats_default is beats and words in comparison.verdict("val_loss")
    assert comparison.test == {"winner": pytest.approx(0.8), "default": pytest.approx(0.7)}
    itself = compare(pool[1], pool, goal)
    assert itself.beats_default is False and "the default recipe itself won" in itself.verdict("val_loss")


def test_auto_confirms_small_datasets_only():
    from kerasrecipes.tuning.runner import _confirm_top

    class Data:
        def __init__(self, n):
            self.n_rows = n

    assert (_confirm_top("auto", Data(9_999)), _confirm_top("auto", Data(10_000))) == (3, 0)
    assert (_confirm_top(0, Data(10)), _confirm_top(5, Data(50_000))) == (0, 5)
    assert (_confirm_top("auto", Data(500), folds=5), _confirm_top(2, Data(500), folds=5)) == (0, 2)  # folds: none


def test_a_grid_sweeps_budget_is_its_number_of_combinations():
    from kerasrecipes.tuning.runner import _grid_size

    grid = {"method": "grid", "parameters": {"units": {"values": [4, 8]}, "lr": {"values": [0.1, 0.01, 0.001]}}}
    grid["parameters"]["epochs"] = {"value": 2}
    assert _grid_size(grid) == 6
    assert _grid_size({**grid, "method": "random"}) is None


@pytest.mark.parametrize("kind", ["csv", "images"])
def test_sweep_stream_trains_every_trial_streamed_on_one_split(tmp_path, monkeypatch, capsys, kind):
    """`sweep --stream` streams a CSV file or an image folder in every trial, on one split (folds need the rows in
    memory), and the printed retrain command streams too."""
    from PIL import Image

    from kerasrecipes import cli

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    if kind == "csv":
        x = rng.normal(size=200)
        pd.DataFrame({"x": x, "churn": np.where(x > 0, "yes", "no")}).to_csv("c.csv", index=False)
        args = ["binary", "--csv", "c.csv", "--target", "churn", "--set", "units=8"]
    else:
        for label in ("a", "b"):
            (tmp_path / "pics" / label).mkdir(parents=True)
            for i in range(10):
                pixels = rng.integers(0, 255, (12, 12, 3)).astype(np.uint8) // (1 if label == "a" else 4)
                Image.fromarray(pixels).save(tmp_path / "pics" / label / f"{i}.png")
        args = ["cnn", "--images", "pics", "--image-size", "12", "--set", "filters=4"]
    code = cli.main(["sweep", *args, "--stream", "--trials", "2", "--set", "epochs=1", "--tracking", "none", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "2 trials (2 finished" in out and "--stream --recipe" in out, out
    folder = next((tmp_path / "runs").iterdir())
    manifest = json.loads((folder / "trials" / "trial-000" / "manifest.json").read_text())
    assert manifest["data"]["source"]["kind"].endswith("stream") and manifest["recipe"]["folds"] is None
    # an image folder's stream knows its 20 files (small data, confirmed); a CSV stream's rows are unknown (not)
    assert (folder / "confirmation.csv").exists() == (kind == "images")
