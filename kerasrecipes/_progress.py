"""Progress a person can follow, wherever it runs.

Where the display can update in place (a terminal, or Jupyter), progress is drawn by `rich` (a
dependency of Keras itself) on stderr: one line per task with a bar, count, elapsed time, ETA and
the latest metrics. Anywhere else (a log file, CI, a pipe), a live bar would print nothing useful,
so each task logs a plain line through the `kerasrecipes` logger: a counted task (epochs) at its
start, at every tenth of its total and at its end; a fine-grained one (`timed=True`: the batches of
an epoch, the megabytes of a scan) every `LOG_EVERY` seconds and when told it is `final`. Nothing is shown
when `enabled` is False (verbose=0, `--quiet`), and none of it is a command's result (stdout).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from kerasrecipes._log import get_logger

LOG_EVERY = 30.0  # seconds between log lines of a task without a known total

logger = get_logger(__name__)


def live() -> bool:
    """Can a progress display update in place here (stderr is a terminal, or this is Jupyter)?"""
    if getattr(sys.stderr, "isatty", None) and sys.stderr.isatty():
        return True
    return "ipykernel" in sys.modules


class Progress:
    """A set of progress tasks (epochs, batches, trials, bytes); a context manager.

    Examples:
        >>> with Progress(enabled=False) as progress:
        ...     task = progress.add("epochs", total=3)
        ...     for epoch in range(3):
        ...         progress.update(task, completed=epoch + 1, info="loss 0.1")
    """

    def __init__(self, enabled: bool = True, force_live: bool | None = None) -> None:
        self.enabled = enabled
        self._rich = None
        self._tasks: dict[int, dict[str, Any]] = {}
        if enabled and (live() if force_live is None else force_live):
            import rich.console
            import rich.progress as rp

            self._rich = rp.Progress(
                rp.TextColumn("{task.description}"),
                rp.BarColumn(bar_width=24),
                rp.MofNCompleteColumn(),
                rp.TimeElapsedColumn(),
                rp.TextColumn("eta"),
                rp.TimeRemainingColumn(),
                rp.TextColumn("{task.fields[info]}"),
                console=rich.console.Console(file=sys.stderr),
                transient=False,
            )
            self._rich.start()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def add(self, description: str, total: float | None = None, completed: float = 0, timed: bool = False) -> int:
        """A new task; returns its id. `timed`: log it by time, not by tenths (see the module doc)."""
        if not self.enabled:
            return -1
        if self._rich is not None:
            task = self._rich.add_task(description, total=total, completed=completed, info="")
        else:
            task = len(self._tasks)
        self._tasks[task] = {
            "description": description,
            "total": total,
            "completed": completed,
            "info": "",
            "logged": None,
            "at": time.monotonic(),
            "timed": timed,
        }
        return task

    def update(
        self,
        task: int,
        *,
        completed: float | None = None,
        advance: float | None = None,
        total: float | None = None,
        info: str | None = None,
        final: bool = False,
    ) -> None:
        """Move a task on (to `completed`, or by `advance`) and show `info` beside it; `final` logs it now."""
        if not self.enabled:
            return
        state = self._tasks[task]
        if total is not None:
            state["total"] = total
        state["completed"] = completed if completed is not None else state["completed"] + (advance or 0)
        if info is not None:
            state["info"] = info
        if self._rich is not None:
            self._rich.update(task, completed=state["completed"], total=state["total"], info=state["info"])
        else:
            self._maybe_log(state, final)

    def reset(self, task: int, total: float | None = None) -> None:
        """Start a task over (the batches of a new epoch)."""
        if not self.enabled:
            return
        state = self._tasks[task]
        state.update(
            completed=0, total=total if total is not None else state["total"], logged=None, at=time.monotonic()
        )
        if self._rich is not None:
            self._rich.reset(task, total=state["total"])

    def close(self) -> None:
        """Stop the display (a live one keeps its last state on screen)."""
        if self._rich is not None:
            self._rich.stop()
            self._rich = None

    def _maybe_log(self, state: dict[str, Any], final: bool) -> None:
        total, done, now = state["total"], state["completed"], time.monotonic()
        if state["timed"] or not total:
            due = final or now - state["at"] >= LOG_EVERY
        else:
            step = max(total / 10, 1)
            due = final or state["logged"] is None or done >= total or done // step > state["logged"] // step
        if due:
            shown = f"{_number(done)}/{_number(total)}" if total else _number(done)
            logger.info("%s %s%s", state["description"], shown, f"  {state['info']}" if state["info"] else "")
            state["logged"], state["at"] = done, now


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def eta(done: int, total: int, elapsed: float) -> str:
    """ "elapsed 0:42, eta 1:03" from the mean time per item so far (no eta before the first item).

    >>> eta(2, 6, 40.0)
    'elapsed 0:40, eta 1:20'
    """

    def clock(seconds: float) -> str:
        minutes, secs = divmod(int(round(seconds)), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

    left = "" if not done else f", eta {clock(elapsed / done * max(total - done, 0))}"
    return f"elapsed {clock(elapsed)}{left}"
