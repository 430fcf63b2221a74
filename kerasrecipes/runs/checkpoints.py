"""Crash-safe checkpoints of a training run, for bit-exact resume after a kill.

While `train(..., out=DIR)` runs, DIR itself is untouched: the run in progress lives in
`DIR.partial/`, which holds versioned checkpoint directories (`checkpoint-000012/`) and a pointer
file `checkpoint.json` naming the newest complete one. A checkpoint directory is written under a
temporary name, fsynced and renamed; only then is the pointer atomically replaced, so a kill at any
moment leaves a valid pointer to a complete checkpoint (or none yet). When the run finishes, the
final files are staged and renamed into DIR in one step and `DIR.partial/` is removed.

A checkpoint holds everything the fast road needs to continue exactly: model weights and optimizer
slots (`save_weights`), every layer's `SeedGenerator` state (dropout masks), the epochs done and
their history, the early-stopping state including its best weights, the AutoClip window, whether
training had already stopped, and the recipe and data fingerprint it belongs to. The shuffle needs
no state: epoch e is shuffled from (seed, e).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes._io import atomic_write_json, fsync_dir

POINTER = "checkpoint.json"
FAULT_ENV = "KERASRECIPES_FAULT"


def partial_dir(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".partial")


def fault(point: str, count: int | None = None) -> None:
    """Test hook: SIGKILL this process at `point` when KERASRECIPES_FAULT names it ("checkpoint:3")."""
    wanted = os.environ.get(FAULT_ENV)
    if wanted and wanted == (point if count is None else f"{point}:{count}"):
        os.kill(os.getpid(), signal.SIGKILL)


def seed_generators(model: Any) -> list[Any]:
    """Every `keras.random.SeedGenerator` the model's layers own, in a stable order."""
    import keras

    found = []
    for layer in model._flatten_layers(include_self=True, recursive=True):
        for name in sorted(vars(layer)):
            value = getattr(layer, name, None)
            if isinstance(value, keras.random.SeedGenerator) and all(value is not f for f in found):
                found.append(value)
    return found


def load(partial: Path) -> dict[str, Any] | None:
    """The newest complete checkpoint in `partial`, or None (missing, or killed before the first)."""
    pointer = partial / POINTER
    if not pointer.is_file():
        return None
    try:
        name = json.loads(pointer.read_text())["dir"]
        state = json.loads((partial / name / "state.json").read_text())
    except (OSError, ValueError, KeyError):
        return None
    state["path"] = partial / name
    return state


def mismatch(state: dict[str, Any], recipe: dict[str, Any], fingerprint: str) -> str | None:
    """Why an interrupted run cannot be resumed with this recipe and data, or None."""
    if state.get("fingerprint") != fingerprint:
        return "its data differ (fingerprint mismatch)"
    diffs = [k for k in sorted(set(recipe) | set(state.get("recipe", {}))) if recipe.get(k) != state["recipe"].get(k)]
    if diffs:
        k = diffs[0]
        return f"its recipe differs ({k}={state['recipe'].get(k)!r} there, {recipe.get(k)!r} now)"
    return None


class Checkpointer:
    """Writes checkpoints into `partial` at most every `every` seconds (0: after every epoch)."""

    def __init__(self, partial: Path, model: Any, stopper: Any, recipe: dict[str, Any], fingerprint: str,
                 every: float) -> None:
        self.partial, self.model, self.stopper = partial, model, stopper
        self.recipe, self.fingerprint, self.every = recipe, fingerprint, every
        self._last = time.monotonic()

    def _autoclips(self) -> list[Any]:
        from kerasrecipes.callbacks import _gradient_hook, gradient_clipping

        return [h for h in _gradient_hook.installed_hooks(self.model.optimizer)
                if isinstance(h, gradient_clipping.AutoClip)]

    def after_epoch(self, epoch: int, history: dict[str, list[float]], stopped: bool) -> None:
        if time.monotonic() - self._last >= self.every or stopped:
            self.save(epoch + 1, history, stopped)
            self._last = time.monotonic()
        fault("epoch", epoch + 1)

    def save(self, epochs_done: int, history: dict[str, list[float]], stopped: bool) -> None:
        name = f"checkpoint-{epochs_done:06d}"
        tmp = self.partial / f".{name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.model.save_weights(tmp / "state.weights.h5")
        arrays = {f"seed_{i}": np.asarray(g.state.numpy()) for i, g in enumerate(seed_generators(self.model))}
        stop_state = dict(self.stopper.get_state()) if self.stopper is not None else None
        if stop_state is not None:
            for i, w in enumerate(stop_state.pop("best_weights") or []):
                arrays[f"best_{i}"] = np.asarray(w)
        np.savez(tmp / "arrays.npz", **arrays)
        state = {"epochs_done": epochs_done, "history": history, "stopped": bool(stopped),
                 "early_stopping": stop_state, "autoclip": [a.get_state() for a in self._autoclips()],
                 "recipe": self.recipe, "fingerprint": self.fingerprint}
        (tmp / "state.json").write_text(json.dumps(state))
        for path in tmp.iterdir():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        fsync_dir(tmp)
        final = self.partial / name
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        fsync_dir(self.partial)
        fault("checkpoint", epochs_done)  # the new checkpoint exists, the pointer still names the old one
        atomic_write_json(self.partial / POINTER, {"dir": name, "epochs_done": epochs_done})
        for old in self.partial.glob("checkpoint-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    def restore(self, state: dict[str, Any]) -> None:
        """Load a checkpoint into the model, the early-stopping callback and AutoClip."""
        path = Path(state["path"])
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(path / "state.weights.h5")
        with np.load(path / "arrays.npz", allow_pickle=False) as arrays:
            for i, generator in enumerate(seed_generators(self.model)):
                generator.state.assign(arrays[f"seed_{i}"])
            if self.stopper is not None and state.get("early_stopping") is not None:
                best = [arrays[k] for k in sorted((k for k in arrays.files if k.startswith("best_")),
                                                  key=lambda k: int(k.split("_")[1]))]
                self.stopper.set_state({**state["early_stopping"], "best_weights": best or None})
        for clip, clip_state in zip(self._autoclips(), state.get("autoclip", [])):
            clip.set_state(clip_state)
