"""W&B tracking of a run: offline by default, online only when asked (or "auto" and logged in).

Cheap by design: `Tracker` imports wandb and calls `wandb.init` on a background thread, so W&B's
start-up (about 0.9 s here: the import and the `wandb-core` service) overlaps with training instead
of adding to it. Each epoch's metrics are logged as it ends, under WandbMetricsLogger's names
(`epoch/<metric>`, stepped by `epoch/epoch`, so sweep YAMLs name `epoch/val_loss`); epochs that end
before the run has started are logged the moment it has. A run killed after that keeps on disk what
was logged. At the end the test metrics go to the run's summary and the run directory's
`model.keras` and `manifest.json` to a W&B artifact of type "model" (offline: `wandb sync` uploads
it with the run; online: it can be linked to the model registry).
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any, Sequence

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


class Tracker:
    """One W&B run, started on a background thread; `callback()` logs each epoch, `finish` ends it.

    Args:
        mode: "offline" or "online" (already resolved by `tracking_mode`).
        directory: where the run's `wandb/` directory goes.
        config: the run's config (the resolved recipe).
        name: the run's name. group: its W&B group (a sweep's trials share one), or None.
    """

    def __init__(self, mode: str, directory: Path, config: dict[str, Any], name: str, group: str | None) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._run: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, args=(mode, directory, config, name, group),
                                        name="kerasrecipes-wandb", daemon=True)
        self._thread.start()

    def _start(self, mode, directory, config, name, group) -> None:
        try:
            import wandb

            run = wandb.init(project=os.environ.get("WANDB_PROJECT", "kerasrecipes"), dir=str(directory), mode=mode,
                             config=config, name=name, group=group, reinit="finish_previous",
                             settings=wandb.Settings(silent=True))
            run.define_metric("epoch/epoch")
            run.define_metric("epoch/*", step_metric="epoch/epoch")
            with self._lock:
                self._run = run
                self._flush()
        except BaseException as exc:  # raised again on the main thread, at the next log or at finish
            self._error = exc

    def _flush(self) -> None:
        """Log what is pending (the lock is held and the run has started)."""
        for values in self._pending:
            self._run.log(values)
        self._pending.clear()

    def _check(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def log(self, values: dict[str, Any]) -> None:
        """Log one step now, or as soon as the run has started."""
        self._check()
        with self._lock:
            self._pending.append(values)
            if self._run is not None:
                self._flush()

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

    def _wait(self) -> Any:
        self._thread.join()
        self._check()
        return self._run

    def finish(self, summary: dict[str, Any], files: Sequence[Path] = ()) -> None:
        """Wait for the start if needed, write `summary`, log `files` as a "model" artifact, end the run."""
        import wandb

        run = self._wait()
        run.summary.update(summary)
        if files:
            artifact = wandb.Artifact(artifact_name(self.name), type="model",
                                      metadata={k: v for k, v in summary.items() if isinstance(v, (int, float, str))})
            for path in files:
                artifact.add_file(str(path), name=Path(path).name)
            run.log_artifact(artifact)
        run.finish()

    def abort(self) -> None:
        """End the run as failed (training raised); never raises itself."""
        self._thread.join()
        if self._run is not None:
            try:
                self._run.finish(exit_code=1)
            except Exception:  # the training error is the one to report
                pass


def start(mode: str, directory: Path, recipe: Any, name: str, group: str | None) -> Tracker | None:
    """A started `Tracker` for `mode` ("auto" resolved), or None when tracking is off."""
    mode = tracking_mode(mode)
    if mode == "none":
        return None
    return Tracker(mode, directory, recipe.to_dict(), name, group)
