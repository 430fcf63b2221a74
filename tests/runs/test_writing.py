"""One writer per output and atomic replacement (`runs._writing`), without training."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kerasrecipes.errors import UserError
from kerasrecipes.runs import _writing


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_a_held_lock_refuses_a_second_writer_naming_the_holder(tmp_path):
    out = tmp_path / "run"
    with _writing.exclusive(out):
        assert _writing.lock_path(out).is_file()
        with pytest.raises(
            UserError,
            match=rf"^--out {out} is being written by another kerasrecipes process \(pid "
            rf"{os.getpid()}, `.*`, since \d{{4}}-.*\); wait for it to finish, or "
            r"choose another --out\.$",
        ):
            with _writing.exclusive(out):
                pass
    assert listing(tmp_path) == []  # the lock file goes with the lock
    with _writing.exclusive(tmp_path / "sub" / "run"):  # the folder is made for it
        pass
    assert listing(tmp_path) == ["sub"]


def test_two_spellings_of_one_path_share_the_lock(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    with _writing.exclusive(tmp_path / "a" / "run"):
        with pytest.raises(UserError, match="is being written by"):
            with _writing.exclusive(Path("a/../a/run")):
                pass


def test_a_failed_block_removes_the_folders_the_lock_made_and_nothing_else(tmp_path):
    with pytest.raises(RuntimeError):
        with _writing.exclusive(tmp_path / "x" / "y" / "run"):
            raise RuntimeError("boom")
    assert listing(tmp_path) == []


def test_a_killed_holder_releases_the_lock(tmp_path):
    out = tmp_path / "run"
    code = textwrap.dedent(f"""
        import sys, time
        from kerasrecipes.runs import _writing
        with _writing.exclusive({str(out)!r}):
            print("held", flush=True)
            time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(UserError, match=rf"pid {child.pid}, "):
            with _writing.exclusive(out):
                pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with _writing.exclusive(out):  # the kernel released it; the stale file is taken over
        pass
    assert listing(tmp_path) == []


def _old_and_staged(tmp_path: Path) -> tuple[Path, Path]:
    """`out/old.txt`, and the staged folder `.out.staging-1/new.txt` that is to replace it."""
    out, staged = tmp_path / "out", tmp_path / ".out.staging-1"
    for folder, name in ((out, "old"), (staged, "new")):
        folder.mkdir()
        (folder / f"{name}.txt").write_text(name)
    return out, staged


@pytest.mark.parametrize("atomic_exchange", [True, False], ids=["exchange", "two-renames"])
def test_swap_in_replaces_a_folder_and_a_file(tmp_path, monkeypatch, atomic_exchange):
    if not atomic_exchange:
        monkeypatch.setattr(_writing, "exchange", lambda a, b: False)
    out, staged = _old_and_staged(tmp_path)
    _writing.swap_in(staged, out)
    assert listing(tmp_path) == ["out", "out/new.txt"]
    (tmp_path / "f.csv").write_text("old")
    (tmp_path / ".f.csv.tmp").write_text("new")
    _writing.swap_in(tmp_path / ".f.csv.tmp", tmp_path / "f.csv")
    assert (tmp_path / "f.csv").read_text() == "new" and not (tmp_path / ".f.csv.tmp").exists()


def test_the_exchange_is_atomic_where_linux_has_it(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "1").touch()
    assert _writing.exchange(tmp_path / "a", tmp_path / "b")
    assert listing(tmp_path) == ["a", "b", "b/1"]


def test_a_kill_between_the_two_renames_is_undone_by_recover(tmp_path, monkeypatch):
    monkeypatch.setattr(_writing, "exchange", lambda a, b: False)
    out, staged = _old_and_staged(tmp_path)

    def killed(point):
        raise KeyboardInterrupt(point)

    with pytest.raises(KeyboardInterrupt, match="swap"):
        _writing.swap_in(staged, out, fault=killed)
    assert not out.exists()  # the old folder waits aside, the new one is still staged
    _writing.recover(out, ".staging-")
    assert listing(tmp_path) == ["out", "out/old.txt"]


def test_recover_removes_only_this_outputs_leftovers(tmp_path):
    for name in (".run.staging-ab12", ".run.replaced-99", ".other.staging-1", "run", ".runs.staging-2"):
        (tmp_path / name).mkdir()
    (tmp_path / "run" / "keep").touch()
    _writing.recover(tmp_path / "run", ".staging-")
    assert listing(tmp_path) == [".other.staging-1", ".runs.staging-2", "run", "run/keep"]


def test_a_folder_the_lock_cannot_be_written_in_is_one_line(tmp_path, monkeypatch):
    def refused(path, *args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_writing.os, "open", refused)
    with pytest.raises(
        UserError,
        match=rf"^Cannot write --out {tmp_path / 'run'}: Permission denied in {tmp_path}\. "
        r"Choose another --out\.$",
    ):
        with _writing.exclusive(tmp_path / "run"):
            pass
