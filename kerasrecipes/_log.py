"""The package's logger: everything that is not a command's result goes through `logging`.

Every module logs to a child of the `kerasrecipes` logger (`logging.getLogger(__name__)`), so an
application routes or silences all of it in one place, e.g.
`logging.getLogger("kerasrecipes").setLevel(logging.WARNING)`. Like Lightning's, the logger shows
INFO messages on stderr out of the box (one handler, added on first use, only when neither it nor
the root logger has a handler): notes such as how a target was read reach a user who configured
nothing. An application that configures logging itself gets no extra handler.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator

ROOT = "kerasrecipes"


class _StderrHandler(logging.StreamHandler):
    """A stream handler that looks `sys.stderr` up at each record (tests and notebooks replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def _handler() -> logging.Handler:
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("kerasrecipes: %(message)s"))
    return handler


def get_logger(name: str) -> logging.Logger:
    """The logger of module `name` (a child of `kerasrecipes`), with the default handler in place."""
    root = logging.getLogger(ROOT)
    if not root.handlers and not logging.getLogger().handlers:
        root.addHandler(_handler())
        root.setLevel(logging.INFO)
        root.propagate = False
    return logging.getLogger(name)


@contextlib.contextmanager
def command_line(quiet: bool) -> Iterator[logging.Logger]:
    """The command line owns its process's output: everything the package logs goes to stderr as
    "kerasrecipes: ...", INFO and up (ERROR and up with `quiet`), whatever else configured logging.
    The previous configuration comes back afterwards (the CLI also runs inside tests and notebooks)."""
    root = logging.getLogger(ROOT)
    saved = root.handlers[:], root.level, root.propagate
    root.handlers = [_handler()]
    root.setLevel(logging.ERROR if quiet else logging.INFO)
    root.propagate = False
    try:
        yield root
    finally:
        root.handlers, root.level, root.propagate = saved[0], saved[1], saved[2]


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up chatter (oneDNN, CUDA probes) sent to /dev/null.

    TF 2.21 prints these while loading its libraries, before it reads a TF_CPP_MIN_LOG_LEVEL set
    from Python, so the CLI and a sweep's worker processes silence file descriptor 2 for the import
    only. Set KERASRECIPES_TF_LOGS=1 to see them.
    """
    if "tensorflow" in sys.modules or os.environ.get("KERASRECIPES_TF_LOGS"):
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # e.g. retracing notes between runs
