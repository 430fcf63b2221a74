"""Crash-safe best/last weight files with a JSON sidecar of hashes (pain points 3, 4, 6)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from kerasrecipes._io import atomic_path, atomic_write_json, sha256_file
from kerasrecipes._log import get_logger
from kerasrecipes._validation import Boolean, Interval, check, invalid
from kerasrecipes.callbacks._monitor import MonitorCallback
from kerasrecipes.errors import UserError

SUFFIX = ".weights.h5"
LEGACY_SUFFIXES = (".h5", ".hdf5")


def weights_path(filepath) -> Path:
    """Apply Keras 3's file-name rule: `save_weights` only writes names ending in `.weights.h5`.

    `x.weights.h5` is kept; `model_weights.h5` becomes `model_weights.weights.h5`
    with a warning; a name without a suffix gets `.weights.h5` appended.

    Raises:
        ValueError: for `.keras` (a whole-model file) or for other suffixes.

    Examples:
        >>> weights_path("run/model.weights.h5").name
        'model.weights.h5'
    """
    if not isinstance(filepath, (str, os.PathLike)) or not os.fspath(filepath):
        raise UserError(invalid("filepath", "a non-empty file path ending in '.weights.h5'", filepath))
    path = Path(filepath)
    name = path.name
    if name.endswith(SUFFIX):
        return path
    if name.endswith(".keras"):
        raise UserError(
            invalid(
                "filepath",
                "a path ending in '.weights.h5'",
                os.fspath(filepath),
                "A '.keras' file holds the whole model (architecture, weights, optimizer): use "
                "`model.save(path)` or `keras.callbacks.ModelCheckpoint(path)`. WeightSaver writes weights only",
            )
        )
    if name.endswith(LEGACY_SUFFIXES):
        fixed = path.with_name(name.rsplit(".", 1)[0] + SUFFIX)
        warnings.warn(
            f"Keras 3's `save_weights` requires file names ending in '{SUFFIX}' (a '.keras' file is "
            f"for the whole model), so '{name}' would fail. Saving to '{fixed.name}' instead; pass "
            f"filepath='{fixed}' to silence this warning.",
            stacklevel=3,
        )  # point at WeightSaver(...)
        return fixed
    if path.suffix:
        raise UserError(
            invalid(
                "filepath",
                "a path ending in '.weights.h5'",
                os.fspath(filepath),
                f"Rename it, e.g. '{path.with_suffix('').name}{SUFFIX}'",
            )
        )
    return path.with_name(name + SUFFIX)


class WeightSaver(MonitorCallback):
    """Save the best and the last weights atomically, with a JSON sidecar of sha256 hashes.

    Every write goes to a temporary file beside the target, is flushed and fsynced, then renamed
    over it, so a crash mid-save leaves the previous file intact. Files (1-based epochs, as in
    Keras's progress bar and ModelCheckpoint's `{epoch}`) for `filepath="run/model.weights.h5"`:

    - best, `keep_best=1`: `run/model.weights.h5`;
    - best, `keep_best=k>1`: the k best as `run/model.best-epoch003.weights.h5` (worse ones deleted);
    - last: `run/model.last.weights.h5`, overwritten every epoch;
    - sidecar: `run/model.weights.json`: monitor, mode, and for each kept file its name (relative to
      the sidecar), epoch, monitored value and sha256, best first.

    Args:
        filepath: where the best weights go; see `weights_path` for the suffix rule
            (`model_weights.h5` is fixed with a warning, `.keras` is rejected).
        monitor: logged quantity that ranks epochs. Defaults to `"val_loss"`.
        mode: `"min"`, `"max"` or `"auto"`. Defaults to `"auto"`.
        save_best: keep the best epoch(s). Defaults to `True`.
        save_last: keep the last epoch. Defaults to `True`.
        keep_best: how many best epochs to keep (>= 1). Defaults to `1`.
        min_delta: smallest change that counts as better. Defaults to `0.0`.
        verbose: 0 (silent) or 1 (log each save). Defaults to `0`.

    Attributes:
        filepath: the normalized path. best_checkpoints: kept best files as dicts (best first).
        last_checkpoint: the last file's dict. sidecar_path: the JSON file.

    Examples:
        >>> saver = WeightSaver("run/model.weights.h5", keep_best=3)  # no I/O until the first save
        >>> saver.sidecar_path.name
        'model.weights.json'
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        mode="auto",
        save_best=True,
        save_last=True,
        keep_best=1,
        min_delta=0.0,
        verbose=0,
    ):
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        self.filepath = weights_path(filepath)
        self.save_best = check("save_best", save_best, Boolean())
        self.save_last = check("save_last", save_last, Boolean())
        if not (save_best or save_last):
            raise UserError(invalid("save_best", "True when save_last=False (nothing would be saved)", save_best))
        self.keep_best = check("keep_best", keep_best, Interval("integer", 1))
        self.verbose = check("verbose", verbose, Interval("integer", 0, 2))
        self.stem = self.filepath.name[: -len(SUFFIX)]
        self.sidecar_path = self.filepath.with_name(self.stem + ".weights.json")
        self.best_checkpoints: list[dict] = []
        self.last_checkpoint: dict | None = None
        self._stale: list[str] = []
        self._resumed = False

    def on_train_begin(self, logs=None):
        # A new run ranks its own epochs (unless `set_state` resumed one); files that only the
        # previous run kept are removed at the first save.
        if not self._resumed:
            self._stale = [c["path"] for c in self.best_checkpoints]
            self.best_checkpoints, self.last_checkpoint = [], None
        self._resumed = False

    def _best_path(self, epoch: int) -> Path:
        if self.keep_best == 1:
            return self.filepath
        return self.filepath.with_name(f"{self.stem}.best-epoch{epoch:03d}{SUFFIX}")

    def _write(self, path: Path, epoch: int, value) -> dict:
        with atomic_path(path) as tmp:
            self.model.save_weights(tmp)
        if self.verbose:
            get_logger(__name__).info(f"Epoch {epoch}: saved weights to {path}")
        return {"path": path.name, "epoch": epoch, "monitor": self.monitor, "value": value, "sha256": sha256_file(path)}

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        number = epoch + 1
        value = self._get_monitor_value(logs) if self.save_best else logs.get(self.monitor)
        if self.save_best and value is not None and self._ranks(value):
            entry = self._write(self._best_path(number), number, value)
            kept = [c for c in self.best_checkpoints if c["path"] != entry["path"]] + [entry]
            kept.sort(key=lambda c: (self._sort_key(c["value"]), c["epoch"]))
            self.best_checkpoints = kept[: self.keep_best]
            self._remove(c["path"] for c in kept[self.keep_best :])
        if self.save_last:
            last = self.filepath.with_name(f"{self.stem}.last{SUFFIX}")
            self.last_checkpoint = self._write(last, number, None if value is None else float(value))
        self._remove(self._stale)
        self._stale = []
        self._write_sidecar()

    def _ranks(self, value) -> bool:
        """Does `value` enter the best-k (beating the worst kept one by more than min_delta)?"""
        if len(self.best_checkpoints) < self.keep_best:
            return self._is_improvement(value, None)
        return self._is_improvement(value, self.best_checkpoints[-1]["value"])

    def _remove(self, names) -> None:
        keep = {c["path"] for c in self.best_checkpoints}
        if self.last_checkpoint:
            keep.add(self.last_checkpoint["path"])
        for name in names:
            if name not in keep:
                (self.filepath.parent / name).unlink(missing_ok=True)

    def _write_sidecar(self) -> None:
        atomic_write_json(
            self.sidecar_path,
            {
                "monitor": self.monitor,
                "mode": self.direction,
                "epochs": "1-based",
                "best": self.best_checkpoints,
                "last": self.last_checkpoint,
            },
        )

    @property
    def best_path(self) -> Path | None:
        """Path of the best kept file, or None before any best save."""
        return self.filepath.parent / self.best_checkpoints[0]["path"] if self.best_checkpoints else None

    def get_state(self) -> dict:
        """JSON-serializable state (the kept files) for resuming without overwriting a better best."""
        return {"best": [dict(c) for c in self.best_checkpoints], "last": self.last_checkpoint}

    def set_state(self, state: dict) -> None:
        """Restore `get_state()`; called before `fit()`, the next run resumes from it."""
        self.best_checkpoints = [dict(c) for c in state.get("best", [])]
        self.last_checkpoint = state.get("last")
        self._resumed = True
