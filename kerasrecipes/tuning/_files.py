"""Sweep files: the YAMLs shipped in the package, found by name or path, read with a safe loader.

Nothing here imports keras or TensorFlow.
"""

from __future__ import annotations

import importlib.resources
import os
import pathlib
from typing import Any

import yaml

from kerasrecipes._validation import invalid, unknown_name
from kerasrecipes.errors import UserError

SWEEP_NAMES = ("binary", "cnn", "multiclass", "multilabel", "regression", "rnn")
"""The sweep files shipped in the wheel as `kerasrecipes/sweeps/<name>.yaml`, one per task."""
MAX_BYTES, MAX_NODES, MAX_MESSAGE = 1_000_000, 100_000, 400
"""Limits on a sweep file's size, its value count after YAML aliases expand, and one message's length."""
_SHAPE = "a mapping with method, metric and parameters"


def bundled_sweeps() -> dict[str, pathlib.Path]:
    """Name -> path of every sweep YAML shipped inside the package."""
    folder = importlib.resources.files("kerasrecipes").joinpath("sweeps")
    files = sorted(folder.iterdir(), key=lambda p: p.name) if folder.is_dir() else []
    return {p.name[:-5]: pathlib.Path(str(p)) for p in files if p.name.endswith(".yaml")}


def resolve_sweep_path(name_or_path: Any) -> pathlib.Path:
    """The packaged file for a bundled name ("binary"), else a path; a one-line ValueError if unusable."""
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise UserError(invalid("sweep", "a bundled sweep name or a path", name_or_path))
    text, bundled = os.fspath(name_or_path), bundled_sweeps()
    if text in bundled:
        return bundled[text]
    path = pathlib.Path(text).expanduser()
    if not path.exists() and ("/" in text or os.sep in text or "." in text):
        raise UserError(f"{text}: no such sweep file. Bundled sweeps: {', '.join(bundled)}")
    if not path.exists():
        raise UserError(unknown_name("sweep", text, bundled) + " (or give a path to a YAML file)")
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not a sweep YAML file")
    if not os.access(path, os.R_OK):
        raise UserError(f"{path}: cannot be read (permission denied)")
    return path


def _oneline(text: Any) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


class _UniqueKeyLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that rejects a key given twice in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *alias` merges may be overridden by explicit keys
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # unhashable: the base class reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r} (PyYAML would keep only the last value); keep one",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def load_sweep(path: Any) -> dict:
    """Read a sweep file with a safe loader (a key given twice is an error); any problem is a one-line ValueError
    naming the file."""
    path = pathlib.Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise UserError(f"{path}: is {len(data)} bytes; a sweep file is at most {MAX_BYTES}")
    try:
        config = yaml.load(data, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.reader.ReaderError as exc:
        raise UserError(f"{path}: is not a UTF-8 text YAML file (byte {exc.position}: {exc.reason})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        raise UserError(_oneline(f"{path}: invalid YAML{where}: {exc.problem or exc.context}{context}")) from None
    except RecursionError:
        raise UserError(f"{path}: invalid YAML: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - safe_load's constructors also raise ValueError & co.
        kind = "YAML" if isinstance(exc, (yaml.YAMLError, UnicodeError)) else "YAML value"
        raise UserError(_oneline(f"{path}: invalid {kind}: {exc}")) from None
    if not isinstance(config, dict):
        what = "is empty" if config is None else f"top level is a {type(config).__name__}"
        raise UserError(f"{path}: {what}; a sweep file is {_SHAPE}")
    stack, seen = [config], 0  # alias bombs and self-referencing aliases expand without bound
    while stack and seen <= MAX_NODES:
        item, seen = stack.pop(), seen + 1
        if isinstance(item, (dict, list)):
            stack.extend([*item.keys(), *item.values()] if isinstance(item, dict) else item)
    if seen > MAX_NODES:
        raise UserError(f"{path}: expands to more than {MAX_NODES} values (YAML aliases?)")
    return config


def command_option(config: dict, flag: str) -> str | None:
    """The value of `flag` (`--dataset NAME` or `--dataset=NAME`) in the sweep's `command`, else None.

    Examples:
        >>> command_option({"command": ["kerasrecipes", "train", "--dataset", "iris", "${args}"]}, "--dataset")
        'iris'
    """
    command = [str(c) for c in config.get("command") or []]
    for i, token in enumerate(command):
        if token == flag and i + 1 < len(command):
            return command[i + 1]
        if token.startswith(f"{flag}="):
            return token.split("=", 1)[1]
    return None
