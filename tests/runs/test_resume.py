"""Crash-safe resume: a run killed with SIGKILL and resumed ends with the uninterrupted run's weights."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from kerasrecipes import cli
from kerasrecipes.runs import rundir

pytestmark = pytest.mark.slow  # each test kills and resumes training processes

# dropout (seed generators), early stopping (best weights, patience), AutoClip (its window), momentum slots
ARGS = [
    "train",
    "--dataset",
    "iris",
    "--tracking",
    "none",
    "--quiet",
    "--checkpoint-every",
    "0",
    "--set",
    "epochs=14",
    "--set",
    "patience=4",
    "--set",
    "dropout=0.2",
    "--set",
    "clipping=autoclip",
    "--set",
    "optimizer=momentum",
    "--set",
    "learning_rate=0.05",
    "--set",
    "units=16",
]


def _cli(out, fault=None, wait=True):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("KERASRECIPES_FAULT", None)
    if fault:
        env["KERASRECIPES_FAULT"] = fault
    proc = subprocess.Popen(
        [sys.executable, "-m", "kerasrecipes", *ARGS, "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if wait:
        proc.wait(timeout=300)
    return proc


def _sha(out):
    return json.loads((out / "manifest.json").read_text())["weights_sha256"]


def _in_process(out, *extra, capsys):
    """The CLI in this process (after a killed one; TensorFlow's import is paid once): (exit code, stderr)."""
    capsys.readouterr()
    code = cli.main([*ARGS, *extra, "--out", str(out)])
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def killed_at_final(tmp_path_factory):
    """The folder of a run killed with every file staged, not yet swapped in (`run.partial` and a
    `.run.staging-*` folder in it): tests resume copies of it."""
    root = tmp_path_factory.mktemp("final")
    proc = _cli(root / "run", fault="final")
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    return root


@pytest.fixture(scope="module")
def uninterrupted(killed_at_final):
    """The reference: the run that the process killed at "final" had staged. That process trained from start to
    end without a break and wrote the whole run (every hash checks); only the swap into place was cut off, so
    no process of its own is needed for an uninterrupted run."""
    (staged,) = killed_at_final.glob(f".run{rundir.STAGING}*")
    manifest = rundir.read_manifest(staged)
    return manifest["weights_sha256"], manifest


@pytest.fixture(scope="module")
def killed_at_checkpoint_5(tmp_path_factory):
    """The folder of a run killed between writing its fifth checkpoint and pointing to it (`run.partial` in it,
    its pointer naming the fourth): tests resume copies of it."""
    root = tmp_path_factory.mktemp("killed")
    assert _cli(root / "run", fault="checkpoint:5").returncode == -signal.SIGKILL
    return root


def _killed(fixture, request, tmp_path):
    """Copy the folder of a killed run (a module fixture: each kill runs once) into `tmp_path`."""
    shutil.copytree(request.getfixturevalue(fixture), tmp_path, dirs_exist_ok=True)


@pytest.mark.parametrize("fault", ["epoch:8", "checkpoint:5", "final"])
def test_kill_then_resume_gives_the_same_weights(fault, uninterrupted, request, tmp_path, capsys):
    """Killed after an epoch, between a checkpoint and its pointer, or with the run staged; then resumed in this
    process (TensorFlow's import paid once, after other runs). "epoch:8" is killed in a new process that resumed
    the run killed at "checkpoint:5", as a user's next command does: a resume in a new process, killed in its turn."""
    out = tmp_path / "run"
    _killed("killed_at_final" if fault == "final" else "killed_at_checkpoint_5", request, tmp_path)
    if fault == "epoch:8":
        resumed = _cli(out, fault=fault)
        assert resumed.returncode == -signal.SIGKILL, resumed.stderr.read()
    assert not (out / "manifest.json").exists()  # nothing half-written where the run goes
    partial = tmp_path / "run.partial"
    assert partial.is_dir()
    code, err = _in_process(out, capsys=capsys)
    assert code == 0, err
    assert _sha(out) == uninterrupted[0]
    assert not partial.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging leftovers
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["training"] == uninterrupted[1]["training"]
    assert manifest["test_metrics"] == uninterrupted[1]["test_metrics"]


def test_kill_at_a_random_moment_then_resume(uninterrupted, tmp_path, capsys):
    out = tmp_path / "run"
    partial = tmp_path / "run.partial"
    proc = _cli(out, wait=False)
    deadline = time.monotonic() + 120
    while not (partial / "checkpoint.json").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(random.Random(os.getpid()).uniform(0.0, 0.3))  # somewhere mid-epoch or mid-checkpoint
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    code, err = _in_process(out, capsys=capsys)
    assert code == 0, err
    assert _sha(out) == uninterrupted[0]


def test_resume_refuses_a_different_recipe_and_overwrite_discards(tmp_path, request, capsys):
    out = tmp_path / "run"
    _killed("killed_at_checkpoint_5", request, tmp_path)
    code, err = _in_process(out, "--set", "units=32", capsys=capsys)
    assert code == 2
    assert "interrupted run that cannot be resumed here: its recipe differs (units=16 there, 32 now)" in err
    assert (tmp_path / "run.partial" / "checkpoint.json").exists()  # kept for a later resume
    code, err = _in_process(out, "--set", "units=32", "--overwrite", capsys=capsys)
    assert code == 0, err
    assert json.loads((out / "manifest.json").read_text())["recipe"]["units"] == 32


def test_a_damaged_checkpoint_is_a_one_line_error_and_a_damaged_pointer_starts_over(
    tmp_path, uninterrupted, request, capsys
):
    out = tmp_path / "run"
    _killed("killed_at_checkpoint_5", request, tmp_path)
    partial = tmp_path / "run.partial"
    name = json.loads((partial / "checkpoint.json").read_text())["dir"]
    (partial / name / "state.weights.h5").write_bytes(b"not an h5 file")
    code, err = _in_process(out, capsys=capsys)
    assert code == 2
    assert len(err.splitlines()) == 1 and "is damaged" in err and "Pass --overwrite" in err, err
    assert (partial / name / "state.weights.h5").read_bytes() == b"not an h5 file"  # left for the user to decide
    (partial / "checkpoint.json").write_text("{not json")  # no checkpoint to resume from: the run starts over
    code, err = _in_process(out, capsys=capsys)
    assert code == 0, err
    assert _sha(out) == uninterrupted[0]  # this process's run has the subprocess' weights, bit for bit
