"""One generic mechanism saves and restores every stateful callback and gradient hook of a run."""

import json

import keras
import numpy as np
import pytest

from kerasrecipes import runs
from kerasrecipes.errors import UserError
from kerasrecipes.runs import checkpoints


class Counter(keras.callbacks.Callback):
    """A user's callback with state: epochs seen and an array; optionally crashes after an epoch."""

    def __init__(self, crash_after=None):
        super().__init__()
        self.crash_after, self.count, self.trace, self.restored = crash_after, 0, np.zeros(3, "float32"), None

    def on_epoch_end(self, epoch, logs=None):
        self.count += 1
        self.trace = self.trace + float(logs["loss"])
        if self.crash_after is not None and epoch + 1 == self.crash_after:
            raise RuntimeError("simulated crash")

    def get_state(self):
        return {"count": self.count, "nested": {"trace": self.trace, "pair": [self.trace * 2, 1]}}

    def set_state(self, state):
        self.restored = state
        self.count, self.trace = state["count"], state["nested"]["trace"]


def test_split_and_join_arrays_round_trip():
    value = {"a": [np.arange(3), {"b": np.ones((2, 2))}], "c": None, "d": "text", "e": (1, 2.5)}
    arrays = {}
    plain = checkpoints.split_arrays(value, "x", arrays)
    json.dumps(plain)  # the rest is JSON
    back = checkpoints.join_arrays(plain, arrays)
    np.testing.assert_array_equal(back["a"][0], np.arange(3))
    np.testing.assert_array_equal(back["a"][1]["b"], np.ones((2, 2)))
    assert back["c"] is None and back["d"] == "text" and back["e"] == [1, 2.5]


RECIPE = {"epochs": 4, "patience": 10, "clipping": "autoclip", "units": 8}


def test_every_stateful_callback_and_hook_is_checkpointed_and_restored(tmp_path):
    out = tmp_path / "run"
    crashing = Counter(crash_after=3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        runs.train("iris", recipe=RECIPE, out=out, tracking="none", verbose=0, callbacks=[crashing], checkpoint_every=0)
    state = checkpoints.load(checkpoints.partial_dir(out))
    assert state["epochs_done"] == 2  # the crash came inside epoch 3's callbacks, before its checkpoint
    assert sorted(state["states"]) == ["callback-1-EarlyStopping", "callback-2-Counter", "hook-0-AutoClip"]

    resumed = Counter()
    result = runs.train(
        "iris", recipe=RECIPE, out=out, tracking="none", verbose=0, callbacks=[resumed], checkpoint_every=0
    )
    assert resumed.restored["count"] == 2
    np.testing.assert_array_equal(resumed.restored["nested"]["pair"][0], resumed.restored["nested"]["trace"] * 2)
    assert resumed.count == 4 and len(result.history["loss"]) == 4

    uninterrupted = Counter()
    reference = runs.train(
        "iris",
        recipe=RECIPE,
        out=tmp_path / "ref",
        tracking="none",
        verbose=0,
        callbacks=[uninterrupted],
        checkpoint_every=0,
    )
    np.testing.assert_array_equal(resumed.trace, uninterrupted.trace)  # its state carried over exactly
    assert result.manifest["weights_sha256"] == reference.manifest["weights_sha256"]


def test_a_checkpoint_of_another_format_is_refused(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError):
        runs.train(
            "iris",
            recipe=RECIPE,
            out=out,
            tracking="none",
            verbose=0,
            callbacks=[Counter(crash_after=2)],
            checkpoint_every=0,
        )
    partial = checkpoints.partial_dir(out)
    pointer = json.loads((partial / checkpoints.POINTER).read_text())
    state_file = partial / pointer["dir"] / "state.json"
    state = json.loads(state_file.read_text())
    state.pop("format")
    state_file.write_text(json.dumps(state))
    with pytest.raises(UserError, match=r"another version of kerasrecipes \(checkpoint format 1\)"):
        runs.train(
            "iris", recipe=RECIPE, out=out, tracking="none", verbose=0, callbacks=[Counter()], checkpoint_every=0
        )
