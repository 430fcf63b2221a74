"""One writer per output, and outputs replaced atomically.

Every command that writes a run directory, an export or a sweep folder holds `exclusive(out)` for
its whole life, the final swap included. Under it, the command may clean up what a killed command
left beside `out` (`recover`): nobody else can be writing there.

- `exclusive(out)`: an exclusive `flock` on a hidden lock file beside `out` (`.NAME.lock`). The
  holder writes its pid, command and start time into it, so a second process is told who holds
  it. The lock is released by the kernel when the holder dies (kill -9 included); the file is
  removed on release. `filelock`, the usual library, neither records the holder nor removes the
  file safely, which is why this is written with `fcntl` (POSIX; Linux and macOS).
- `swap_in(staged, out)`: the complete new thing replaces `out` in one step. Two folders are
  exchanged with Linux's `renameat2(RENAME_EXCHANGE)` where libc has it, so `out` is at every
  instant either the old complete folder or the new one; elsewhere the old folder is first renamed
  to `.NAME.replaced-PID` and `recover` puts it back if a kill comes before the new one is in.
- `recover(out, *prefixes)`: removes the temporary folders and files of killed commands (hidden
  names `.NAME<prefix>*` beside `out`) and restores a `.NAME.replaced-*` left by an interrupted swap.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from kerasrecipes._io import fsync_dir
from kerasrecipes.errors import UserError

REPLACED = ".replaced-"


def lock_path(out: str | os.PathLike) -> Path:
    """The lock file of `out`: `.NAME.lock` in `out`'s (resolved) folder, so two spellings of one path share it."""
    out = Path(out)
    return Path(os.path.realpath(out.parent)) / f".{out.name}.lock"


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another kerasrecipes process"
    return f"another kerasrecipes process (pid {info['pid']}, `{info.get('command', '?')}`, since {info.get('since', '?')})"


@contextlib.contextmanager
def exclusive(out: str | os.PathLike, what: str = "--out") -> Iterator[None]:
    """Hold the one-writer lock of `out` for the block; a held lock is a one-line `UserError` naming its holder.

    The folder that holds `out` is created if missing (and removed again if the block fails and it
    is still empty), since the lock file lives there.
    """
    import fcntl

    out = Path(out)
    created = _make_parents(out.parent, what)
    path = lock_path(out)
    ok = False
    try:
        while True:
            fd = _open_lock(path, out, what)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise UserError(
                    f"{what} {out} is being written by {holder}; wait for it to finish, or choose another {what}."
                ) from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:  # the previous holder removed it between our open and our lock
                same = False
            if same:
                break
            os.close(fd)
        since = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        info = {
            "pid": os.getpid(),
            "command": " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]])[:300],
            "since": since,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
            ok = True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # while still holding it: a waiter that opened it sees another inode and retries
            os.close(fd)
    finally:
        if not ok:
            for folder in reversed(created):
                with contextlib.suppress(OSError):
                    folder.rmdir()


def _open_lock(path: Path, out: Path, what: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a read-only or full file system, a folder of someone else's
        raise UserError(
            f"Cannot write {what} {out}: {exc.strerror or exc} in {path.parent}. Choose another {what}."
        ) from None


def _make_parents(folder: Path, what: str) -> list[Path]:
    """`mkdir -p folder`; the folders it created, outermost first. A folder that cannot be made is a UserError."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{what}: {folder} is a file, not a folder. Choose another {what}.")
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            pass
        except OSError as exc:
            raise UserError(
                f"Cannot create {what} folder {path}: {exc.strerror or exc}. Choose another {what}."
            ) from None
    return list(reversed(missing))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def recover(out: str | os.PathLike, *prefixes: str) -> None:
    """Clean up beside `out` after a killed command; call it holding `exclusive(out)`.

    Removes `.NAME<prefix>*` for every prefix (temporary folders and files, never a complete thing),
    and puts a `.NAME.replaced-*` back at `out` when `out` is missing (an interrupted swap), or
    removes it when `out` is in place.
    """
    out = Path(out)
    for prefix in prefixes:
        for path in out.parent.glob(f".{out.name}{prefix}*"):
            _remove(path)
    for path in sorted(out.parent.glob(f".{out.name}{REPLACED}*")):
        if not os.path.lexists(out):
            os.replace(path, out)
        else:
            _remove(path)


def _renameat2() -> object | None:
    """libc's renameat2, or None where libc lacks it (non-Linux, old glibc, musl without it)."""
    name = ctypes.util.find_library("c")
    try:
        function = ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def exchange(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Swap two existing paths in one atomic step; False where the system cannot (then nothing changed)."""
    function = _renameat2() if sys.platform.startswith("linux") else None
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    return False  # EINVAL/ENOSYS (a file system without it) and the like: the caller renames instead


def swap_in(staged: str | os.PathLike, out: str | os.PathLike, *, fault=None) -> None:
    """Put the complete `staged` file or folder at `out`, replacing what is there, in one step.

    A file is renamed over `out` (atomic on POSIX). A folder over a folder is exchanged atomically
    where the system can (Linux); elsewhere the old folder moves to `.NAME.replaced-PID` first,
    which `recover` restores after a kill. `fault(point)` is the tests' kill hook.
    """
    staged, out = Path(staged), Path(out)
    fsync_dir(staged.parent)
    if not os.path.lexists(out) or not (staged.is_dir() or out.is_dir()):
        os.replace(staged, out)
        fsync_dir(out.parent)
        return
    if exchange(staged, out):
        fsync_dir(out.parent)
        _remove(staged)  # now the old one
        return
    old = out.parent / f".{out.name}{REPLACED}{os.getpid()}"
    _remove(old)
    os.replace(out, old)
    if fault is not None:
        fault("swap")
    os.replace(staged, out)
    fsync_dir(out.parent)
    _remove(old)
