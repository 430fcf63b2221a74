"""Sweeps under faults: a killed local sweep resumes and writes the same results.csv."""

import os
import shutil
import signal
import subprocess
import sys

import pytest

from kerasrecipes import cli

pytestmark = pytest.mark.slow  # each test kills and resumes training processes

ARGS = [
    "sweep",
    "binary",
    "--trials",
    "2",  # killed as trial 1 begins: trial 0 recorded before the kill, trial 1 trained by the resumed process
    "--seed",
    "5",
    "--tracking",
    "none",
    "--quiet",
    "--set",
    "epochs=3",
    "--set",
    "units=8",
    "--confirm",
    "0",
]


def _sweep(out, fault=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("KERASRECIPES_FAULT", None)
    if fault:
        env["KERASRECIPES_FAULT"] = fault
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
    assert _sweep(out, fault="trial:1").returncode == -signal.SIGKILL
    return out


def test_killed_sweep_resumes_to_the_same_results(tmp_path, uninterrupted, killed_at_trial_1):
    out = tmp_path / "sweep"
    shutil.copytree(killed_at_trial_1, out)
    assert len((out / "results.csv").read_text().splitlines()) == 2  # header + the finished trial 0
    assert not (out / "report.html").exists()  # written when the sweep ends
    resumed = _sweep(out)
    assert resumed.returncode == 0, resumed.stderr
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
