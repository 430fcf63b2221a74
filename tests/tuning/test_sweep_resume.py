"""Sweeps under faults: a killed local sweep resumes and writes the same results.csv."""

import os
import shutil
import signal
import subprocess
import sys

import pytest

from kerasrecipes import cli

pytestmark = pytest.mark.slow  # a sweep process killed with SIGKILL, and sweeps trained in process

ONE_GRAPH = (
    "epochs=3 units=8 num_layers=1 dropout=0.1 optimizer=adam batch_size=32 clipping=none elastic_net=1e-4 "
    "elastic_net_beta=0.5"
)
"""binary.yaml's parameters that shape the trained graph, fixed: the trials differ in the learning rate the engine
draws, so every run of the sweep in this process trains one graph, traced once (`runs.fast_road._traces`)."""
ARGS = [
    "sweep",
    "binary",
    "--trials",
    "2",  # killed as trial 1 begins: trial 0 recorded before the kill, trial 1 trained by the resumed sweep
    "--seed",
    "5",
    "--tracking",
    "none",
    "--quiet",
    *(arg for setting in ONE_GRAPH.split() for arg in ("--set", setting)),
    "--confirm",
    "0",
    "--cv",
    "0",
]


def _killed_sweep(out, fault):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERASRECIPES_FAULT=fault)
    return subprocess.run(
        [sys.executable, "-m", "kerasrecipes", *ARGS, "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The sweep run through in this process; the killed and resumed ones are other processes."""
    out = tmp_path_factory.mktemp("sweep") / "ref"
    assert cli.main([*ARGS, "--out", str(out)]) == 0
    return (out / "results.csv").read_bytes()


@pytest.fixture(scope="module")
def killed_at_trial_1(tmp_path_factory):
    """A sweep folder whose process was killed as its second trial began; the tests work on copies of it."""
    out = tmp_path_factory.mktemp("killed") / "sweep"
    assert _killed_sweep(out, "trial:1").returncode == -signal.SIGKILL
    return out


def test_killed_sweep_resumes_to_the_same_results(tmp_path, uninterrupted, killed_at_trial_1):
    """The kill is a real SIGKILL of a real process; the resumed sweep reads only what that process left on disk,
    so it runs through the CLI in this process (TensorFlow's import is paid once)."""
    out = tmp_path / "sweep"
    shutil.copytree(killed_at_trial_1, out)
    assert len((out / "results.csv").read_text().splitlines()) == 2  # header + the finished trial 0
    assert not (out / "report.html").exists()  # written when the sweep ends
    assert cli.main([*ARGS, "--out", str(out)]) == 0
    assert (out / "results.csv").read_bytes() == uninterrupted
    page = (out / "report.html").read_text()  # the resumed sweep's page: both trials in its table
    assert page.count("<td>finished</td>") + page.count("<td>stopped</td>") == 2


def test_another_sweep_in_the_same_out_is_refused(tmp_path, uninterrupted, killed_at_trial_1, capsys):
    """After the kill, the CLI runs in this process (TensorFlow's import is paid once); overwriting gives the
    uninterrupted sweep's results."""
    out = tmp_path / "sweep"
    shutil.copytree(killed_at_trial_1, out)
    capsys.readouterr()
    assert cli.main([*ARGS[:5], "6", *ARGS[6:], "--out", str(out)]) == 2
    assert "holds another sweep's results" in capsys.readouterr().err
    assert cli.main([*ARGS, "--overwrite", "--out", str(out)]) == 0
    assert (out / "results.csv").read_bytes() == uninterrupted
