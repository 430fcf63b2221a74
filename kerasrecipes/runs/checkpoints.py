"""Crash-safe checkpoints of a training run, for bit-exact resume after a kill.

While `train(..., out=DIR)` runs, DIR itself is untouched: the run in progress lives in
`DIR.partial/`, which holds versioned checkpoint directories (`checkpoint-000012/`) and a pointer
file `checkpoint.json` naming the newest complete one. A checkpoint directory is written under a
temporary name, fsynced and renamed; only then is the pointer atomically replaced, so a kill at any
moment leaves a valid pointer to a complete checkpoint (or none yet). When the run finishes, the
final files are staged and renamed into DIR in one step and `DIR.partial/` is removed.

A checkpoint holds everything the fast road needs to continue exactly: model weights and optimizer
slots (`save_weights`), every layer's `SeedGenerator` state (dropout masks), the epochs done and
their history, whether training had already stopped, the recipe and data fingerprint it belongs
to, and the state of every stateful object of the run. The shuffle needs no state: epoch e is
shuffled from (seed, e).

Stateful objects, one generic mechanism (as Lightning's checkpoint connector does for callbacks
with `state_dict`): every callback of the run (the recipe's and the user's) and every gradient hook
installed on the optimizer (AutoClip) that has both `get_state()` and `set_state(state)` is saved
under a key made of its kind, position and class name (`callback-1-EarlyStopping`,
`hook-0-AutoClip`), and restored before training resumes. A state is a dict of JSON values in which
numpy arrays may appear anywhere (EarlyStopping's best weights); arrays go to `arrays.npz`, the rest
to `state.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes._io import atomic_write_json, fsync_dir
from kerasrecipes._log import get_logger
from kerasrecipes.errors import UserError

POINTER = "checkpoint.json"
FAULT_ENV = "KERASRECIPES_FAULT"
FORMAT = 2  # 2: stateful objects under "states" (1 had fixed "early_stopping" and "autoclip" keys)
ARRAY = "__array__"
SEED_STATE = "seed_generator_state"


def partial_dir(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".partial")


def fault(point: str, count: int | None = None) -> None:
    """Test hook: SIGKILL this process at `point` when KERASRECIPES_FAULT names it ("checkpoint:3")."""
    wanted = os.environ.get(FAULT_ENV)
    if wanted and wanted == (point if count is None else f"{point}:{count}"):
        os.kill(os.getpid(), signal.SIGKILL)


def seed_states(model: Any) -> list[Any]:
    """The state variable of every `keras.random.SeedGenerator` the model's layers own (dropout masks, noise),
    in `model.variables` order: Keras names each `seed_generator_state`."""
    return [v for v in model.variables if v.name == SEED_STATE]


def load(partial: Path) -> dict[str, Any] | None:
    """The newest complete checkpoint in `partial`, or None (missing, or killed before the first)."""
    pointer = partial / POINTER
    if not pointer.is_file():
        return None
    try:
        name = json.loads(pointer.read_text())["dir"]
        state = json.loads((partial / name / "state.json").read_text())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        get_logger(__name__).warning(
            "the checkpoint in %s cannot be read (%s: %s); the run starts over",
            partial,
            type(exc).__name__,
            " ".join(str(exc).split())[:120],
        )
        return None
    state["path"] = partial / name
    return state


def mismatch(state: dict[str, Any], recipe: dict[str, Any], fingerprint: str) -> str | None:
    """Why an interrupted run cannot be resumed with this recipe and data, or None."""
    if state.get("format", 1) != FORMAT:
        return f"it was written by another version of kerasrecipes (checkpoint format {state.get('format', 1)})"
    if state.get("fingerprint") != fingerprint:
        return "its data differ (fingerprint mismatch)"
    diffs = [k for k in sorted(set(recipe) | set(state.get("recipe", {}))) if recipe.get(k) != state["recipe"].get(k)]
    if diffs:
        k = diffs[0]
        return f"its recipe differs ({k}={state['recipe'].get(k)!r} there, {recipe.get(k)!r} now)"
    return None


class Checkpointer:
    """Writes checkpoints into `partial` at most every `every` seconds (0: after every epoch)."""

    def __init__(
        self, partial: Path, model: Any, callbacks: list, recipe: dict[str, Any], fingerprint: str, every: float
    ) -> None:
        self.partial, self.model, self.callbacks = partial, model, callbacks
        self.recipe, self.fingerprint, self.every = recipe, fingerprint, every
        self._last = time.monotonic()

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
        arrays = {f"seed_{i}": np.asarray(v.numpy()) for i, v in enumerate(seed_states(self.model))}
        states = {
            key: split_arrays(obj.get_state(), key, arrays)
            for key, obj in stateful_objects(self.model, self.callbacks).items()
        }
        np.savez(tmp / "arrays.npz", **arrays)
        state = {
            "format": FORMAT,
            "epochs_done": epochs_done,
            "history": history,
            "stopped": bool(stopped),
            "states": states,
            "recipe": self.recipe,
            "fingerprint": self.fingerprint,
        }
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
        """Load a checkpoint into the model and into every stateful callback and gradient hook."""
        path = Path(state["path"])
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        try:
            self.model.load_weights(path / "state.weights.h5")
            with np.load(path / "arrays.npz", allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            seeds = [arrays[f"seed_{i}"] for i in range(len(seed_states(self.model)))]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise UserError(
                f"The checkpoint {path} is damaged ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:100]}). Pass --overwrite (overwrite=True) to start the run "
                f"over, or delete {self.partial}."
            ) from None
        for variable, seed in zip(seed_states(self.model), seeds):
            variable.assign(seed)
        saved = state.get("states", {})
        for key, obj in stateful_objects(self.model, self.callbacks).items():
            if key in saved:
                obj.set_state(join_arrays(saved[key], arrays))
            else:
                get_logger(__name__).warning("the checkpoint has no state for %s; it resumes from a fresh state", key)


def stateful_objects(model: Any, callbacks) -> dict[str, Any]:
    """{key: object} for every callback, and every gradient hook on the model's optimizer, with both
    `get_state()` and `set_state()`; keys are kind, position and class name."""
    from kerasrecipes.callbacks import _gradient_hook

    found = {}
    hooks = _gradient_hook.installed_hooks(model.optimizer) if getattr(model, "optimizer", None) else ()
    for kind, objects in (("callback", callbacks), ("hook", hooks)):
        for i, obj in enumerate(objects):
            if callable(getattr(obj, "get_state", None)) and callable(getattr(obj, "set_state", None)):
                found[f"{kind}-{i}-{type(obj).__name__}"] = obj
    return found


def split_arrays(value: Any, name: str, arrays: dict[str, np.ndarray]) -> Any:
    """`value` with every numpy array moved into `arrays` (under a name derived from `name`) and
    replaced by {"__array__": that name}; dicts, lists and tuples are walked."""
    if isinstance(value, np.ndarray):
        arrays[name] = value
        return {ARRAY: name}
    if isinstance(value, dict):
        return {k: split_arrays(v, f"{name}.{k}", arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [split_arrays(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]
    return value


def join_arrays(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of `split_arrays`."""
    if isinstance(value, dict):
        if set(value) == {ARRAY}:
            return arrays[value[ARRAY]]
        return {k: join_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [join_arrays(v, arrays) for v in value]
    return value
