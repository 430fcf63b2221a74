"""EarlyStopping: scripted stop rows, best weights always restored, stop reasons, reuse, resume."""

import json
import math

import keras
import numpy as np
import pytest
from _scripted import tiny_model, weights_for  # noqa: E402

from kerasrecipes.callbacks import EarlyStopping, StopReason
from kerasrecipes.errors import UserError


def run_scripted(stopper, model, values, monitor="val_loss", initial_epoch=0):
    """Drive the hooks like fit() does; epoch e's weights are all equal to e. Returns epochs run."""
    stopper.set_model(model)
    model.stop_training = False
    stopper.on_train_begin()
    epochs_run = 0
    for epoch, value in enumerate(values, start=initial_epoch):
        model.set_weights(weights_for(epoch))
        stopper.on_epoch_end(epoch, logs={monitor: value, "loss": 1.0})
        epochs_run += 1
        if model.stop_training:
            break
    stopper.on_train_end()
    return epochs_run


# (values, kwargs, epochs run, stop reason, best epoch): epochs are 0-based as in Keras hooks.
ROWS = [
    ([1.0, 0.9, 0.8, 0.7], {"patience": 2}, 4, "max_epochs", 3),
    ([1.0, 0.9, 0.95, 0.96, 0.5], {"patience": 2}, 4, "patience_exhausted", 1),
    ([1.0, 1.0, 1.0], {"patience": 0}, 2, "patience_exhausted", 0),
    ([1.0, 0.99, 0.985, 0.98], {"patience": 2, "min_delta": 0.05}, 3, "patience_exhausted", 0),
    ([1.0, 0.9, 0.8, 0.7], {"patience": 3, "baseline": 0.5}, 3, "baseline_not_reached", 2),
    ([1.0, 0.4, 0.45, 0.46], {"patience": 2, "baseline": 0.5}, 4, "patience_exhausted", 1),
    ([1.0, 0.9], {"patience": 1, "baseline": 0.5}, 1, "baseline_not_reached", 0),
    ([1.0, 2.0, 3.0, 4.0, 0.1], {"patience": 1, "start_from_epoch": 2}, 4, "patience_exhausted", 2),
    ([1.0, 0.5, math.nan, 0.1], {"patience": 5}, 3, "nan", 1),
    ([1.0, 0.5, math.inf], {"patience": 5}, 3, "nan", 1),
    ([0.6, 0.8, 0.7, 0.65], {"patience": 2, "monitor": "val_accuracy"}, 4, "patience_exhausted", 1),
]


@pytest.mark.parametrize("values, kwargs, epochs_run, reason, best_epoch", ROWS)
def test_scripted_stop_rows(values, kwargs, epochs_run, reason, best_epoch):
    stopper = EarlyStopping(**kwargs)
    model = tiny_model()
    assert run_scripted(stopper, model, values, monitor=kwargs.get("monitor", "val_loss")) == epochs_run
    assert stopper.stop_reason == reason and isinstance(stopper.stop_reason, StopReason)
    assert stopper.best_epoch == best_epoch
    assert stopper.stopped_epoch == (0 if reason == "max_epochs" else epochs_run - 1)
    for restored, expected in zip(model.get_weights(), weights_for(best_epoch)):
        np.testing.assert_array_equal(restored, expected)  # best weights, whatever the reason
    assert f"at epoch {best_epoch + 1}; restored its weights." in stopper.stop_message


def test_restores_best_weights_in_a_real_fit_that_never_stops_early():
    """keras#12511: the best weights come back even when patience is never exhausted."""
    model = tiny_model()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    w = np.array([[1.0], [-2.0], [0.5]], "float32")
    snapshots = []
    keep = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model.get_weights()))
    stopper = EarlyStopping(patience=100)
    # Validation targets are the negated training targets: validation loss gets worse as training fits.
    model.fit(x, x @ w, validation_data=(x, -(x @ w)), epochs=4, batch_size=8, verbose=0, callbacks=[keep, stopper])
    assert stopper.stop_reason == "max_epochs" and stopper.stopped_epoch == 0
    assert stopper.best_epoch == 0
    for restored, best in zip(model.get_weights(), snapshots[0]):
        np.testing.assert_array_equal(restored, best)
    assert not all(np.array_equal(first, final) for first, final in zip(snapshots[0], snapshots[-1]))


def test_reuse_across_two_fits_resets_state():
    model = tiny_model()
    x = np.ones((16, 3), "float32")
    stopper = EarlyStopping(monitor="loss", patience=1)
    model.compile(keras.optimizers.SGD(0.0), "mse")  # the loss never improves: stop after 2 epochs
    for _ in range(2):
        history = model.fit(x, np.zeros(16), epochs=10, verbose=0, callbacks=[stopper])
        assert len(history.history["loss"]) == 2
        assert (stopper.stopped_epoch, stopper.best_epoch, stopper.wait) == (1, 0, 1)
        assert stopper.stop_reason == "patience_exhausted"


def test_interrupted_by_another_callback():
    stopper = EarlyStopping(patience=5)
    model = tiny_model()
    stopper.set_model(model)
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {"val_loss": 1.0})
    model.stop_training = True  # e.g. TerminateOnNaN
    stopper.on_train_end()
    assert stopper.stop_reason == "interrupted"


def test_missing_metric_warns_with_available_keys_or_raises_when_strict():
    model = tiny_model()
    stopper = EarlyStopping(monitor="val_loss")
    stopper.set_model(model)
    stopper.on_train_begin()
    expected = r"`val_loss`, which is not in the logs\. Available metrics are: accuracy, loss"
    with pytest.warns(UserWarning, match=expected):
        stopper.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    strict = EarlyStopping(monitor="val_loss", strict=True)
    strict.set_model(model)
    with pytest.raises(ValueError, match="Available metrics are: loss"):
        strict.on_epoch_end(0, {"loss": 1.0})


def test_unknown_direction_asks_for_mode():
    stopper = EarlyStopping(monitor="lr")
    stopper.set_model(tiny_model())
    stopper.on_train_begin()
    with pytest.raises(UserError, match=r"Pass `mode='max'` .* or pass `mode='min'`"):
        stopper.on_epoch_end(0, {"lr": 0.1})


def test_state_round_trip_resumes_patience():
    model = tiny_model()
    first = EarlyStopping(patience=3)
    first.set_model(model)
    first.on_train_begin()
    for epoch, value in enumerate([1.0, 0.5, 0.6, 0.7]):
        model.set_weights(weights_for(epoch))
        first.on_epoch_end(epoch, {"val_loss": value})
    state = first.get_state()
    json.dumps({k: v for k, v in state.items() if k != "best_weights"})
    resumed = EarlyStopping(patience=3)
    resumed.set_state(state)
    # the crash came after epoch 3; fit(initial_epoch=4) resumes: wait 2 -> 3
    assert run_scripted(resumed, model, [0.8], initial_epoch=4) == 1
    assert resumed.stop_reason == "patience_exhausted" and resumed.best_epoch == 1
    np.testing.assert_array_equal(model.get_weights()[0], weights_for(1)[0])
    with pytest.raises(ValueError, match=r"Unknown EarlyStopping state key\(s\) \['bogus'\]"):
        resumed.set_state({"bogus": 1})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"patience": -1}, r"`patience` must be an integer >= 0. Received: patience=-1"),
        ({"mode": "up"}, r"`mode` must be one of: 'auto', 'max', 'min'. Received: mode='up'"),
        ({"min_delta": -0.1}, r"`min_delta` must be a real number >= 0.0. Received: min_delta=-0.1"),
        ({"start_from_epoch": -2}, r"`start_from_epoch` must be an integer >= 0. Received: start_from_epoch=-2"),
        ({"baseline": math.nan}, r"`baseline` must be a real number. Received: baseline=nan"),
        ({"monitor": ""}, r"`monitor` must be a non-empty metric name"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**kwargs)


@pytest.mark.parametrize("kwargs", [{"restore_best_weights": "yes"}, {"patience": 1.5}, {"strict": 1}])
def test_invalid_types(kwargs):
    with pytest.raises(TypeError, match=f"`{next(iter(kwargs))}` must be"):
        EarlyStopping(**kwargs)


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("min_delta", [0.0, 1e-4, 0.3])
def test_improvement_test_agrees_with_keras_ops(mode, min_delta):
    """The NumPy comparison gives Keras' answer (a float32 tensor op), float32 rounding ties included."""
    ours = EarlyStopping(mode=mode, min_delta=min_delta)
    theirs = keras.callbacks.EarlyStopping(mode=mode, min_delta=min_delta)
    for callback in (ours, theirs):
        callback.set_model(tiny_model())
        callback._set_monitor_op()
    rng = np.random.default_rng(0)
    pairs = [(float(a), float(b)) for a, b in rng.normal(size=(200, 2))]
    pairs += [(1.0, 1.0 + 1e-9), (1.0 + 1e-9, 1.0), (0.5, 0.5), (0.30000001, 0.3), (np.float32(0.1), 0.1)]
    pairs += [(b + min_delta * s, b) for b in (0.1, 2.5) for s in (-1, 1)]  # on the min_delta edge
    for value, reference in pairs:
        assert ours._is_improvement(value, reference) == bool(theirs._is_improvement(value, reference)), (
            value,
            reference,
        )
