"""Atomic file writes, hashing and plain JSON values: a crash mid-write never leaves a broken file behind."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kerasrecipes.errors import UserError


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python number or string it holds (for JSON and YAML); anything else as is."""
    return value.item() if hasattr(value, "item") else value


def fsync_dir(directory: str | os.PathLike) -> None:
    """Flush a directory entry so a rename inside it survives a power cut (no-op where unsupported)."""
    try:
        fd = os.open(os.fspath(directory), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None, *, make_parents: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success fsync it and rename it over `path`.

    The temporary name is `.<name>.tmp-<pid>-<random><suffix>`: it keeps the final suffix (Keras
    checks `.weights.h5`), so any writer that takes a file name can be made atomic, and it names its
    process, so that `remove_stale_temps(path)` (the next writer of `path`) removes what a killed
    process left once that process is gone::

        with atomic_path("run/model.weights.h5") as tmp:
            model.save_weights(tmp)

    Args:
        make_parents: create `path`'s missing folders first. Defaults to True.
    """
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    if suffix is None:
        suffix = "".join(path.suffixes) or ".tmp"
    for _ in range(100):
        tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}{suffix}"
        if not os.path.lexists(tmp):
            break
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(f"no free temporary name beside {path}")
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"the writer did not create {tmp}")
        with open(tmp, "rb+") as fh:
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    # numpy scalars and arrays, Paths
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise UserError(f"Object of type {type(obj).__name__} is not JSON serializable")


def new_dir(parent: Path, prefix: str) -> Path:
    """A new, empty folder `parent/<prefix><random>` with a plain `mkdir`'s mode (the umask's), where
    `tempfile.mkdtemp` gives 0700: a staged folder becomes the user's output as it is."""
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free name {prefix}* in {parent}")


def make_dir(path: str | os.PathLike, what: str = "--out") -> Path:
    """`mkdir -p`, with a folder the user cannot write to as a one-line `UserError` (not a traceback)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create {what} {path}: {exc.strerror or exc}. Choose another {what}.") from None
    return path


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


# -- output files a user names (predict's --out, export's --out) ------------------------------------------------
def check_output_file(
    path: str | os.PathLike, what: str = "--out", *, example: str | None = None, dash: bool = False
) -> Path:
    """Refuse an output path that exists and is not a regular file; return it as a `Path`.

    Writers here replace their output atomically (a temporary file renamed over it), which would turn a
    device (`/dev/stdout`, `/dev/null`), a FIFO or a socket into a plain file, and cannot write a file
    where a directory is. So anything that exists and is not a regular file, a symlink to one included
    (`os.stat` follows links), is a one-line `UserError` naming what it is and a fix that works, whatever
    an `overwrite` flag says; so is any path in /dev (but /dev/shm), /proc or /sys (`/dev/stdout` links to
    a plain file when standard output is redirected to one, and the link itself would be replaced). A
    path that does not exist (or a dangling link) passes: whether it may be created is the caller's
    question, as is whether an existing regular file may be replaced.

    Args:
        path: the output path the user gave.
        what: how messages name it, e.g. "--out".
        example: a file name to suggest inside a directory given by mistake, e.g. "predictions.csv".
        dash: the command writes to standard output with `what -`; say so for a device, FIFO or socket.

    Examples:
        >>> try:
        ...     check_output_file("/dev/stdout", dash=True)
        ... except UserError as exc:
        ...     print(str(exc).split(";")[-1])
         to write to standard output use --out -.
    """
    import stat

    path = Path(path)
    fix = f"; to write to standard output use {what} -" if dash else ""
    folder = Path(os.path.realpath(path.parent))
    shm = folder == Path("/dev/shm") or Path("/dev/shm") in folder.parents  # a plain folder (in memory)
    for system in ("/dev", "/proc", "/sys"):  # /dev/stdout is a link: to a plain file when stdout is redirected
        if not shm and (folder == Path(system) or Path(system) in folder.parents):
            raise UserError(
                f"{what} {path} is in {system}, the system's folder of devices and processes, where "
                f"nothing is written as a file; name a regular file elsewhere{fix}."
            )
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return path
    except OSError as exc:
        raise UserError(f"Cannot check {what} {path}: {exc.strerror or exc}. Choose another {what}.") from None
    if stat.S_ISREG(mode):
        return path
    link = f" (a link to {os.path.realpath(path)})" if os.path.islink(path) else ""
    if stat.S_ISDIR(mode):
        fix = f"name a file, e.g. {what} {path / example}" if example else "name a file to write"
        raise UserError(f"{what} {path} is a directory{link}; {fix}.")
    kind = (
        "a character device"
        if stat.S_ISCHR(mode)
        else "a block device"
        if stat.S_ISBLK(mode)
        else "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    raise UserError(
        f"{what} {path} is {kind}{link}, not a regular file, and is never replaced; name a regular file{fix}."
    )


def _owned_temp_pattern(path: Path, suffix: str) -> Any:
    """The names `atomic_path` gives temporary files of `path` (group 1: the process id)."""
    import re

    return re.compile(re.escape(f".{path.name}.tmp-") + r"(\d+)-[0-9a-f]{8}" + re.escape(suffix) + r"\Z")


def remove_stale_temps(path: str | os.PathLike, suffix: str | None = None) -> list[Path]:
    """Remove the temporary files `atomic_path(path, suffix)` left beside `path` in processes that are gone.

    Only names of exactly that pattern for this `path` are touched, and only when their process id is no
    longer alive on this machine (a live process, or one of another user, keeps its file). Returns what
    was removed.
    """
    path = Path(path)
    if suffix is None:
        suffix = "".join(path.suffixes) or ".tmp"
    pattern, removed = _owned_temp_pattern(path, suffix), []
    try:
        names = os.listdir(path.parent)
    except OSError:
        return removed
    for name in names:
        match = pattern.match(name)
        if match is None or _process_alive(int(match.group(1))):
            continue
        candidate = path.parent / name
        if candidate.is_symlink() or not candidate.is_file():
            continue
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process (or a pid this system cannot check): keep its file
    return True
