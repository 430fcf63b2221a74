"""The embedded local sweep runner and the `wandb agent` path."""

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kerasrecipes import runs
from kerasrecipes.tuning import SWEEP_NAMES
from kerasrecipes.tuning.runner import run_sweep, trial_seed

TINY = {"epochs": 2, "units": 8, "filters": 4}


@pytest.mark.slow
@pytest.mark.parametrize("name", SWEEP_NAMES)
def test_every_bundled_sweep_runs_locally(name, tmp_path):
    result = run_sweep(
        name, trials=2, seed=0, out=tmp_path, tracking="none", verbose=0, overrides=TINY, confirm=1, confirm_seeds=1
    )
    assert [t.state for t in result.trials] == ["finished", "finished"] or any(
        t.state == "stopped" for t in result.trials
    )
    assert result.best is not None and result.best.metric is not None
    for f in (
        "results.csv",
        "timings.csv",
        "best_recipe.yaml",
        "sweep.png",
        "confirmation.csv",
    ):  # small data: confirmed
        assert (tmp_path / f).is_file()
    assert len((tmp_path / "results.csv").read_text().splitlines()) == 3
    assert "seconds" not in (tmp_path / "results.csv").read_text()


@pytest.mark.slow
def test_same_seed_gives_byte_identical_results(tmp_path):
    a = run_sweep(
        "binary",
        trials=3,
        seed=11,
        out=tmp_path / "a",
        tracking="none",
        verbose=0,
        overrides=TINY,
        confirm=2,
        confirm_seeds=1,
    )
    run_sweep(
        "binary",
        trials=3,
        seed=11,
        out=tmp_path / "b",
        tracking="none",
        verbose=0,
        overrides=TINY,
        confirm=2,
        confirm_seeds=1,
    )
    for name in ("best_recipe.yaml", "confirmation.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "results.csv").read_bytes() == (tmp_path / "b" / "results.csv").read_bytes()
    run_sweep("binary", trials=3, seed=12, out=tmp_path / "c", tracking="none", verbose=0, overrides=TINY, confirm=0)
    assert (tmp_path / "c" / "results.csv").read_bytes() != (tmp_path / "a" / "results.csv").read_bytes()
    assert [t.seed for t in a.trials] == [trial_seed(11, i) for i in range(3)]
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
    result = run_sweep(str(path), seed=0, out=tmp_path / "out", tracking="none", verbose=0, confirm=0)
    states = {t.params["learning_rate"]: (t.state, t.epochs) for t in result.trials}
    assert states[0.05] == ("finished", 8)
    stopped = [s for s in states.values() if s[0] == "stopped"]
    assert stopped and all(epochs < 8 for _, epochs in stopped)


@pytest.mark.slow
def test_best_recipe_retrains_to_the_trials_metric(tmp_path):
    result = run_sweep(
        "multiclass", trials=3, seed=1, out=tmp_path, tracking="none", verbose=0, overrides={"epochs": 4}, confirm=0
    )
    assert not (tmp_path / "confirmation.csv").exists()
    recipe = yaml.safe_load((tmp_path / "best_recipe.yaml").read_text())
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
        str(path), seed=0, out=tmp_path / "out", tracking="none", verbose=0, overrides={"epochs": 2}, confirm=0
    )
    assert [t.state for t in result.trials] == ["failed", "finished"]
    assert "regression loss" in result.trials[0].error
    assert repr(result) == (
        f"SweepResult(trials=2, states={{'finished': 1, 'stopped': 0, 'failed': 1}}, best=1 "
        f"(epoch/val_loss={result.best.metric:.4g}), out={str(tmp_path / 'out')!r})"
    )
    assert result.summary()["best"]["index"] == 1 and "<table>" in result._repr_html_()
    assert "failed" in (tmp_path / "out" / "results.csv").read_text()


def test_trials_log_offline_wandb_runs_grouped(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    run_sweep(
        "multiclass", trials=2, seed=0, out=tmp_path, tracking="offline", verbose=0, overrides={"epochs": 2}, confirm=0
    )
    runs = sorted(tmp_path.glob("trials/trial-*/wandb/offline-run-*"))
    assert len(runs) == 2


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


@pytest.mark.slow
def test_wandb_agent_command_runs_through_wandbs_own_expansion(tmp_path, monkeypatch):
    """Two trials of one YAML under the agent: each gets its own default run directory (named after the W&B
    run id the agent sets), so the second does not stop at the first one's."""
    args = {
        "units": {"value": 8},
        "epochs": {"value": 2},
        "learning_rate": {"value": 0.01},
        "optimizer": {"value": "sgd"},
        "scenario": {"value": "multiclass-less-features"},
    }
    proc = _agent_run(tmp_path, monkeypatch, "multiclass", args)
    assert proc.wait(timeout=300) == 0
    run = tmp_path / "runs" / "wine-seed42-run1"
    manifest = yaml.safe_load((run / "manifest.json").read_text())
    assert manifest["recipe"]["units"] == 8 and manifest["recipe"]["optimizer"] == "sgd"
    assert manifest["recipe"]["learning_rate"] == 0.01
    assert list(Path(run, "wandb").glob("offline-run-*"))
    proc = _agent_run(tmp_path, monkeypatch, "multiclass", dict(args, units={"value": 4}), run_id="run2")
    assert proc.wait(timeout=300) == 0
    assert (
        yaml.safe_load((tmp_path / "runs" / "wine-seed42-run2" / "manifest.json").read_text())["recipe"]["units"] == 4
    )


def test_a_bundled_yaml_trains_a_users_csv_under_wandb_agent(tmp_path, monkeypatch):
    """binary.yaml's command names breast_cancer; KERASRECIPES_CSV/TARGET in the agent's environment replace it."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    pd.DataFrame({"x": x, "plan": rng.choice(["a", "b"], 300), "churn": np.where(x > 0, "yes", "no")}).to_csv(
        tmp_path / "churn.csv", index=False
    )
    monkeypatch.setenv("KERASRECIPES_CSV", str(tmp_path / "churn.csv"))
    monkeypatch.setenv("KERASRECIPES_TARGET", "churn")
    proc = _agent_run(tmp_path, monkeypatch, "binary", {"units": {"value": 8}, "epochs": {"value": 2}})
    assert proc.wait(timeout=300) == 0
    manifest = yaml.safe_load((tmp_path / "runs" / "churn-seed42-run1" / "manifest.json").read_text())
    assert manifest["data"]["source"]["kind"] == "csv" and manifest["data"]["classes"] == ["no", "yes"]
    assert manifest["recipe"]["units"] == 8 and not list((tmp_path / "runs").glob("breast_cancer-*"))


RANDOM = """
name: random-parallel
method: random
metric: {name: epoch/val_loss, goal: minimize}
parameters:
  scenario: {value: multiclass-less-features}
  epochs: {value: 4}
  units: {values: [8, 16, 32]}
  learning_rate: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-1}
command: [python, -m, kerasrecipes, train, --dataset, wine, "${args}"]
"""


@pytest.mark.slow
def test_parallel_workers_give_the_sequential_results_and_print_nothing_on_stderr_when_quiet(tmp_path):
    """`sweep --workers 2 --quiet` (the CLI, its workers importing TensorFlow with the C++ start-up chatter
    silenced) writes the same results as the sequential runner in process."""
    import subprocess

    path = tmp_path / "random.yaml"
    path.write_text(RANDOM)
    one = run_sweep(
        str(path), trials=4, seed=2, out=tmp_path / "one", tracking="none", verbose=0, confirm=2, confirm_seeds=1
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "KERASRECIPES_TF_LOGS")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kerasrecipes",
            "sweep",
            str(path),
            "--trials",
            "4",
            "--seed",
            "2",
            "--workers",
            "2",
            "--confirm",
            "2",
            "--confirm-seeds",
            "1",
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
    assert (tmp_path / "one" / "results.csv").read_bytes() == (tmp_path / "two" / "results.csv").read_bytes()
    assert (tmp_path / "one" / "best_recipe.yaml").read_bytes() == (tmp_path / "two" / "best_recipe.yaml").read_bytes()
    assert f"best trial {one.best.index}:" in proc.stdout


def test_a_metric_the_runs_never_log_stops_the_sweep_after_its_first_trial(tmp_path, capsys):
    """A regression task logs no accuracy: one line naming what it logs, exit 2, not a budget of wasted trials."""
    from kerasrecipes import cli

    path = tmp_path / "acc.yaml"
    path.write_text(
        "method: random\nmetric: {name: epoch/val_accuracy, goal: maximize}\nparameters:\n  units: {values: [8, 16]}\n"
    )
    code = cli.main(
        [
            "sweep",
            str(path),
            "--dataset",
            "diabetes",
            "--trials",
            "5",
            "--set",
            "epochs=1",
            "--confirm",
            "0",
            "--tracking",
            "none",
            "--quiet",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "The sweep metric 'epoch/val_accuracy' is not logged by these runs; they log epoch/loss" in err
    assert "epoch/val_loss" in err and "Set `metric.name`" in err
    assert sorted(p.name for p in (tmp_path / "out" / "trials").iterdir()) == ["trial-000"]


def test_hyperband_sweeps_fall_back_to_one_worker(tmp_path, caplog):
    caplog.set_level("INFO", logger="kerasrecipes")
    run_sweep(
        "binary", trials=1, seed=0, out=tmp_path, tracking="none", verbose=1, workers=2, overrides=TINY, confirm=0
    )
    assert "hyperband stops a trial by comparing it" in caplog.text
    assert "trial 0 (1/1)  finished" in caplog.text and "elapsed" in caplog.text and "eta 0:00" in caplog.text


@pytest.mark.slow
def test_confirmation_retrains_the_best_trials_and_the_default_and_keeps_the_best_mean(tmp_path):
    import csv

    from kerasrecipes.tuning.confirm import confirmation_seeds

    path = tmp_path / "random.yaml"
    path.write_text(RANDOM)
    result = run_sweep(
        str(path), trials=4, seed=3, out=tmp_path / "out", tracking="none", verbose=0, confirm=2, confirm_seeds=2
    )
    rows = list(csv.DictReader((tmp_path / "out" / "confirmation.csv").open()))
    ranked = sorted(result.trials, key=lambda t: t.metric)
    assert [r["candidate"] for r in rows] == [f"trial {ranked[0].index}", f"trial {ranked[1].index}", "default"]
    means = [float(r["mean_val_loss"]) for r in rows]
    assert [r["winner"] for r in rows] == ["yes" if m == min(means) else "" for m in means]
    winner = result.confirmation.winner
    best = yaml.safe_load((tmp_path / "out" / "best_recipe.yaml").read_text())
    assert best == {**winner.recipe, "seed": next((t.seed for t in result.trials if t.index == winner.index), 3)}
    again = runs.train("wine", recipe={**best, "seed": confirmation_seeds(3, 2)[1]}, tracking="none", verbose=0)
    assert min(again.history["val_loss"]) == winner.metrics[1]  # the confirmation's numbers are real runs


def test_auto_confirms_small_datasets_only():
    from kerasrecipes.tuning.runner import _confirm_top

    class Data:
        def __init__(self, n):
            self.n_rows = n

    assert (_confirm_top("auto", Data(9_999)), _confirm_top("auto", Data(10_000))) == (3, 0)
    assert (_confirm_top(0, Data(10)), _confirm_top(5, Data(50_000))) == (0, 5)


def test_a_grid_sweeps_budget_is_its_number_of_combinations():
    from kerasrecipes.tuning.runner import _grid_size

    grid = {"method": "grid", "parameters": {"units": {"values": [4, 8]}, "lr": {"values": [0.1, 0.01, 0.001]}}}
    grid["parameters"]["epochs"] = {"value": 2}
    assert _grid_size(grid) == 6
    assert _grid_size({**grid, "method": "random"}) is None
