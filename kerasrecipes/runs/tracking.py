"""W&B tracking of a run: offline by default, online only when asked (or "auto" and logged in).

Cheap by design: W&B runs in a process of its own (`kerasrecipes._wandb_worker`), so its import and
`wandb.init` (most of a second of Python) use another core instead of the training process's
interpreter, and the CLI starts that process before it imports TensorFlow (`prestart`). A worker
whose run has finished waits for the process's next tracked run (a sweep's trials, a notebook's
reruns), which then only pays `wandb.init`; it ends with the process. Each epoch's
metrics are logged as it ends, under WandbMetricsLogger's names (`epoch/<metric>`, stepped by
`epoch/epoch`, so sweep YAMLs name `epoch/val_loss`). At the end the test metrics go to the run's
summary and the run directory's `model.keras` and `manifest.json` to a W&B artifact of type "model"
(offline: `wandb sync` uploads it with the run; online: it can be linked to the model registry). If
the training process dies, the worker ends the W&B run as failed and what was logged stays on disk.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kerasrecipes._io import plain
from kerasrecipes.errors import UserError

TRACKING = ("offline", "online", "auto", "none")


def logged_in_to_wandb() -> bool:
    """True when a W&B API key is available (WANDB_API_KEY, or `wandb login`'s netrc entry)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    import netrc
    from urllib.parse import urlparse

    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname or "api.wandb.ai"
    try:
        return netrc.netrc().authenticators(host) is not None
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False


def tracking_mode(mode: str) -> str:
    """Resolve "auto": WANDB_MODE if the user set it, else online when logged in, else offline."""
    if mode != "auto":
        return mode
    env = os.environ.get("WANDB_MODE")
    if env in ("online", "offline", "disabled"):
        return "none" if env == "disabled" else env
    return "online" if logged_in_to_wandb() else "offline"


def artifact_name(name: str) -> str:
    """A W&B artifact name for the run `name` (letters, digits, `-`, `_` and `.` only).

    >>> artifact_name("iris seed#42")
    'model-iris_seed_42'
    """
    return "model-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _plain(value: Any) -> Any:
    """A JSON value for what `json` cannot write: NumPy scalars as numbers, anything else as text."""
    number = plain(value)
    return str(value) if number is value else number


WORKER = [sys.executable, "-m", "kerasrecipes._wandb_worker"]
_spare: subprocess.Popen | None = None  # started by `prestart` or kept after a run; taken by the next Tracker


def _spawn() -> subprocess.Popen:
    errors = tempfile.TemporaryFile()  # the worker's stderr, for the message if it dies without a reply
    proc = subprocess.Popen(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True)
    proc.errors_file = errors  # type: ignore[attr-defined]
    proc.started_as = _started_as()  # type: ignore[attr-defined]
    return proc


def _started_as() -> tuple:
    """What a worker started now would inherit and W&B reads at its start: the command and `WANDB_*`."""
    return tuple(WORKER), tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("WANDB_")))


def _take_spare() -> subprocess.Popen:
    """The waiting worker if it was started as one started now would be (else it ends), or a new one."""
    global _spare
    proc, _spare = _spare, None
    if proc is not None and (proc.poll() is not None or proc.started_as != _started_as()):
        _close(proc, wait=False)
        proc = None
    return proc or _spawn()


def _keep_spare(proc: subprocess.Popen) -> None:
    """Keep a worker whose run has finished for this process's next tracked run (one is kept)."""
    global _spare
    if _spare is None:
        _spare = proc
    else:
        _close(proc, wait=False)


_ending: list[subprocess.Popen] = []  # workers whose run is finished, still shutting W&B down


def _close(proc: subprocess.Popen, wait: bool = True) -> None:
    """Let a worker end (stdin closed) and wait for it; or, when its run is already finished and on
    disk (`wait=False`), let it shut W&B down on its own, even after this process has exited."""
    for channel in (proc.stdin, proc.stdout, proc.errors_file):
        try:
            channel.close()
        except OSError:
            pass
    if not wait:
        _ending[:] = [p for p in _ending if p.poll() is None] + [proc]  # reap the ones that have ended
        return
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def prestart(mode: str) -> None:
    """Start the W&B worker now (the CLI calls this before importing TensorFlow) when `mode` tracks."""
    global _spare
    if _spare is None and tracking_mode(mode) != "none":
        _spare = _spawn()


@atexit.register
def _close_spare() -> None:
    """The waiting worker (prestarted and not taken, or kept after a run) ends with this process: its
    stdin closes and it ends on its own (every run it served is already on disk)."""
    if _spare is not None:
        _close(_spare, wait=False)


class Tracker:
    """One W&B run in the worker process; `callback()` logs each epoch, `finish` ends it.

    Args:
        mode: "offline" or "online" (already resolved by `tracking_mode`).
        directory: where the run's `wandb/` directory goes.
        config: the run's config (the resolved recipe).
        name: the run's name. group: its W&B group (a sweep's trials share one), or None.
    """

    def __init__(self, mode: str, directory: Path, config: dict[str, Any], name: str, group: str | None) -> None:
        self.name = name
        self._proc = _take_spare()
        self._send(
            {
                "init": {
                    "project": os.environ.get("WANDB_PROJECT", "kerasrecipes"),
                    "dir": str(directory),
                    "mode": mode,
                    "config": config,
                    "name": name,
                    "group": group,
                }
            }
        )

    def _send(self, request: dict[str, Any]) -> None:
        try:
            self._proc.stdin.write(json.dumps(request, default=_plain) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError):  # the worker has ended: its reply says why
            self._reply()
            raise RuntimeError(f"the W&B worker ended early (exit code {self._proc.wait()})") from None

    def _reply(self) -> None:
        """Read one reply; raise W&B's error, or say how the worker died."""
        line = self._proc.stdout.readline()
        if not line:
            self._proc.errors_file.seek(0)
            tail = self._proc.errors_file.read().decode(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(
                f"the W&B worker ended without a reply (exit code {self._proc.wait()}): " + " | ".join(tail)
            )
        reply = json.loads(line)
        if reply.get("usage"):
            raise UserError(
                f"W&B refused to start: {reply['error']}. Fix the W&B settings (WANDB_* environment "
                "values, `wandb login`), or pass --tracking none (tracking='none')."
            )
        if "error" in reply:
            raise RuntimeError(f"W&B failed: {reply['error']}")

    def log(self, values: dict[str, Any]) -> None:
        """Log one step (the worker logs it as soon as its run has started)."""
        self._send({"log": values})

    def callback(self) -> Any:
        """A Keras callback logging each epoch's metrics and learning rate as WandbMetricsLogger does."""
        import keras

        tracker = self

        class EpochLogger(keras.callbacks.Callback):
            logging_batch_wise = False  # epoch hooks only: the fast road stays on (engine.batch_hook_user)

            def on_epoch_end(self, epoch, logs=None):
                values = {f"epoch/{k}": float(v) for k, v in (logs or {}).items()}
                values["epoch/epoch"] = epoch
                rate = getattr(self.model.optimizer, "learning_rate", None)
                if rate is not None:
                    values["epoch/learning_rate"] = float(keras.ops.convert_to_numpy(rate))
                tracker.log(values)

        return EpochLogger()

    def finish(self, summary: dict[str, Any], files: Sequence[Path] = ()) -> None:
        """Write `summary`, log `files` as a "model" artifact, end the run; raise if W&B failed."""
        try:
            metadata = {
                k: v
                for k, v in json.loads(json.dumps(summary, default=_plain)).items()
                if isinstance(v, (int, float, str))
            }
            self._send(
                {
                    "finish": {
                        "summary": metadata,
                        "artifact": artifact_name(self.name),
                        "files": [str(Path(p).resolve()) for p in files],
                    }
                }
            )
            self._reply()  # the start
            self._reply()  # the finish: the run is on disk
        except BaseException:
            _close(self._proc)
            raise
        _keep_spare(self._proc)  # the next tracked run in this process skips W&B's import and set-up

    def abort(self) -> None:
        """End the run as failed (training raised); never raises itself."""
        try:
            self._proc.stdin.write(json.dumps({"abort": True}) + "\n")
        except (OSError, ValueError):
            pass
        _close(self._proc)


def start(mode: str, directory: Path, recipe: Any, name: str, group: str | None) -> Tracker | None:
    """A started `Tracker` for `mode` ("auto" resolved), or None when tracking is off."""
    mode = tracking_mode(mode)
    if mode == "none":
        return None
    return Tracker(mode, directory, recipe.to_dict(), name, group)
