"""Nothing the user had is lost under kill -9 or two processes at once.

Each command that replaces something (`train`, `predict`, `export`, `sweep`, all with --overwrite) is
killed with SIGKILL, once at a named moment (everything staged, not yet swapped in; for a sweep, inside
its first trial) and once after a seeded random delay. After each kill the user's other files are
byte-identical and the output is a complete thing of its kind, the old one or the new one (a sweep: a
resumable sweep folder); the same command then completes, in this process, and leaves no temporary file behind. Two `train`s on one
--out: the second is refused at once, naming the first, and never resumes its live checkpoint. The first of those two
`train`s is also `train`'s kill at its named moment: one process serves both.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from kerasrecipes import cli
from kerasrecipes.runs import _export, rundir
from kerasrecipes.tuning import runner

pytestmark = pytest.mark.slow  # kills and reruns training processes

SEED = 2026
"""Draws the random kill moments: the same moments on every run of the suite."""
ROWS = 120
SWEEP = """\
name: faults
method: grid
metric: {name: epoch/val_loss, goal: minimize}
parameters:
  units: {values: [4, 8]}
  epochs: {value: 2}
command: [python, -m, kerasrecipes, train, '${args}']
"""
QUIET = ["--tracking", "none", "--quiet"]
COMMANDS = {
    "train": [
        "train",
        "--csv",
        "data.csv",
        "--target",
        "y",
        "--out",
        "run",
        "--overwrite",
        "--seed",
        "1",
        "--set",
        "epochs=3",  # a checkpoint after every epoch; the named kill ("final") comes after the last
        "--checkpoint-every",
        "0",
        *QUIET,
    ],
    "predict": ["predict", "run", "data.csv", "--out", "p.csv", "--overwrite"],
    "export": ["export", "run", "--format", "saved_model", "--out", "sm", "--overwrite"],
    "sweep": [
        "sweep",
        "s.yaml",
        "--csv",
        "data.csv",
        "--target",
        "y",
        "--out",
        "sw",
        "--overwrite",
        "--confirm",
        "0",
        "--cv",
        "0",
        *QUIET,
    ],
}
OUTPUT = {"train": "run", "predict": "p.csv", "export": "sm", "sweep": "sw"}
NAMED_FAULT = {"train": "final", "predict": "predict-written", "export": "export-staged", "sweep": "final"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A user's folder: data, a sweep YAML, a finished run, its predictions, an export and a finished sweep."""
    import numpy as np

    root = tmp_path_factory.mktemp("faults")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(ROWS, 3)).round(4)
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": (x[:, 0] + x[:, 1] > 0).astype(int)})
    frame.to_csv(root / "data.csv", index=False)
    (root / "s.yaml").write_text(SWEEP)
    here = os.getcwd()
    os.chdir(root)
    try:
        for args in COMMANDS.values():
            assert cli.main([*args[: args.index("--overwrite")], *args[args.index("--overwrite") + 1 :]]) == 0
    finally:
        os.chdir(here)
    return root


def snapshot(root: Path, skip: str) -> dict[str, bytes | None]:
    """Every file under `root` but the command's output `skip` and its own hidden or `.partial` temporaries."""

    def own(parts: tuple[str, ...]) -> bool:
        return parts[0] in (skip, f"{skip}.partial") or parts[0].startswith(".")

    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
        if not own(p.relative_to(root).parts)
    }


def complete(kind: str, path: Path) -> str | None:
    """None when `path` is a complete output of the command `kind`; else what is wrong."""
    if kind == "train":
        why = rundir.not_a_run(path)
        if why is None:
            rundir.read_manifest(path)  # every hash checks
        return why
    if kind == "predict":
        frame = pd.read_csv(path)
        return None if len(frame) == ROWS and list(frame.columns[:1]) == ["y"] else f"{len(frame)} rows"
    if kind == "export":
        return _export.not_an_export(path, "saved_model")
    if path.is_dir() and not any(path.iterdir()):
        return None  # started over: nothing recorded yet, and the rerun starts again
    return runner.not_a_sweep(path)


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".") or p.name.endswith(".partial"))


def start(args: list[str], cwd: Path, fault: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", WANDB_MODE="disabled")
    env.pop("KERASRECIPES_FAULT", None)
    if fault:
        env["KERASRECIPES_FAULT"] = fault
    return subprocess.Popen(
        [sys.executable, "-m", "kerasrecipes", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def moments() -> dict[str, list[tuple[str, str | float]]]:
    draw = random.Random(SEED)
    return {kind: [("named", NAMED_FAULT[kind]), ("after", round(draw.uniform(2.0, 7.0), 2))] for kind in COMMANDS}


def user_folder(workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "user"
    shutil.copytree(workspace, root)
    return root


def check_after_the_kill(kind: str, root: Path, before: dict[str, bytes | None], child: subprocess.Popen, monkeypatch):
    """What a kill of the command `kind` (the process `child`, ended) must leave, and its rerun in this process."""
    out = root / OUTPUT[kind]
    assert snapshot(root, skip=OUTPUT[kind]) == before, "a file the command does not write changed"
    assert complete(kind, out) is None, f"after the kill ({child.returncode}) {out.name}: {complete(kind, out)}"
    monkeypatch.chdir(root)
    assert cli.main(COMMANDS[kind]) == 0
    assert complete(kind, out) is None
    assert leftovers(root) == [], "the rerun left temporary files behind"
    assert snapshot(root, skip=OUTPUT[kind]) == before


@pytest.mark.parametrize(
    "kind, how, when",
    # train's named kill is the first train of test_two_trains_on_one_out_the_second_is_refused_naming_the_first
    [(k, h, w) for k, ms in moments().items() for h, w in ms if (k, h) != ("train", "named")],
    ids=lambda v: str(v),
)
def test_a_killed_command_loses_nothing_and_its_rerun_completes(workspace, tmp_path, monkeypatch, kind, how, when):
    root = user_folder(workspace, tmp_path)
    before = snapshot(root, skip=OUTPUT[kind])
    child = start(COMMANDS[kind], root, fault=when if how == "named" else None)
    if how == "after":
        try:
            child.wait(timeout=when)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
    stderr = child.communicate(timeout=600)[1]
    if how == "named":
        assert child.returncode == -signal.SIGKILL, stderr
    check_after_the_kill(kind, root, before, child, monkeypatch)


def test_two_trains_on_one_out_the_second_is_refused_naming_the_first(workspace, tmp_path, monkeypatch, capsys):
    """The first train (with --overwrite, over the user's finished run) is also `train`'s kill at its named moment:
    let go once the second is refused, it trains to the end and is killed there, everything staged and not yet
    swapped in; then test_a_killed_command_loses_nothing_and_its_rerun_completes' checks hold. The refusal needs a
    live first train and the kill a train that got to its end, so one process serves both."""
    root = user_folder(workspace, tmp_path)
    before = snapshot(root, skip=OUTPUT["train"])
    args = [a for a in COMMANDS["train"] if a != "--overwrite"]
    first = start(COMMANDS["train"], root, fault=NAMED_FAULT["train"])
    lock = rundir._writing.lock_path(root / "run")
    deadline = time.monotonic() + 120
    try:
        while str(first.pid) not in (lock.read_text() if lock.is_file() else "") and first.poll() is None:
            assert time.monotonic() < deadline, "the first train never took the lock"
            time.sleep(0.02)
        # Paused while it holds the lock (SIGSTOP): it is still live however long the second takes, and
        # however few epochs it trains; it goes on (SIGCONT) once the second has been refused.
        first.send_signal(signal.SIGSTOP)
        assert first.poll() is None, "the first train ended before the second started"
        monkeypatch.chdir(root)
        capsys.readouterr()
        assert cli.main(args) == 2  # the command again: refused at once, no resume of the live checkpoint
        err = capsys.readouterr().err
        assert f"--out run is being written by another kerasrecipes process (pid {first.pid}, " in err, err
        assert "wait for it to finish, or choose another --out." in err
    finally:
        first.send_signal(signal.SIGCONT)
        stderr = first.communicate(timeout=600)[1]
    assert first.returncode == -signal.SIGKILL, stderr  # it went on after the refusal, to the end of its run
    check_after_the_kill("train", root, before, first, monkeypatch)
    assert cli.main(args) == 2  # finished: replaced only with --overwrite
    assert "already exists and is not empty. Pass --overwrite" in capsys.readouterr().err
