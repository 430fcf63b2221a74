"""GradientClipping / apply_clipping / AutoClip: clipping changes the update, on a second fit too."""

import json

import keras
import numpy as np
import pytest

from kerasrecipes.callbacks import AutoClip, GradientClipping, apply_clipping
from kerasrecipes.callbacks import _gradient_hook as hooks

LR = 0.1
CLIP = 0.5


def tiny_model(optimizer=None):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(1)])
    model.compile(optimizer or keras.optimizers.SGD(LR), "mse")
    return model


def batch(scale=1.0):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) * scale).astype("float32")  # large targets: large grads


def one_step(model, start, callbacks=()):
    """Weights change after one SGD step on the whole batch, from `start` weights."""
    model.set_weights(start)
    x, y = batch(scale=100.0)
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=list(callbacks))
    return [after - before for after, before in zip(model.get_weights(), start)]


def norm(deltas):
    return float(np.sqrt(sum(np.sum(d.astype("float64") ** 2) for d in deltas)))


@pytest.mark.parametrize("mode", ["norm", "value", "global_norm", "autoclip"])
def test_clipping_changes_the_update_on_a_second_fit(mode):
    model = tiny_model()
    start = model.get_weights()
    unclipped = one_step(model, start)  # first fit: traced and cached without clipping
    clip = GradientClipping(mode=mode, value=CLIP, percentile=50.0)
    if mode == "autoclip":
        clip.set_state({"norms": [1.0, 2.0, 3.0]})  # small past norms: this step gets clipped
    clipped = one_step(model, start, [clip])  # second fit of the same model
    assert not np.allclose(norm(clipped), norm(unclipped))
    if mode == "norm":
        assert max(np.linalg.norm(d) for d in clipped) == pytest.approx(LR * CLIP, rel=1e-4)
    elif mode == "value":
        assert max(np.abs(d).max() for d in clipped) == pytest.approx(LR * CLIP, rel=1e-4)
    elif mode == "global_norm":
        assert norm(clipped) == pytest.approx(LR * CLIP, rel=1e-4)
    else:
        history = clip.autoclip.history
        assert history[-1] == pytest.approx(norm(unclipped) / LR, rel=1e-4)  # raw norm recorded
        assert clip.threshold == pytest.approx(np.percentile(history, 50.0), rel=1e-5)
        assert norm(clipped) == pytest.approx(LR * clip.threshold, rel=1e-4)
    # The callback restores the optimizer: a third fit without it is unclipped again.
    again = one_step(model, start)
    assert norm(again) == pytest.approx(norm(unclipped), rel=1e-5)
    assert type(model.optimizer) is keras.optimizers.SGD
    assert model.optimizer.clipnorm is model.optimizer.clipvalue is model.optimizer.global_clipnorm is None


SCRIPTED_NORMS = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, float("nan"), 5.0]
MANY_TIES = np.random.default_rng(0).integers(1, 5, size=30).astype(float).tolist()  # evictions of ties


@pytest.mark.parametrize("window, norms", [(None, SCRIPTED_NORMS), (3, SCRIPTED_NORMS), (4, MANY_TIES)])
def test_autoclip_scripted_norms_match_numpy_percentile(window, norms):
    autoclip = AutoClip(percentile=25.0, window=window)
    seen = []
    for step, target in enumerate(norms):
        grads = [np.array([target * 0.6], "float32"), np.array([target * 0.8], "float32")]  # norm = target
        out = autoclip.transform(grads, [None, None], step)
        if np.isnan(target):
            assert len(autoclip.history) == len(seen[-window:] if window else seen)  # not recorded
            continue
        seen.append(target)
        window_norms = seen[-window:] if window else seen
        expected = np.percentile(window_norms, 25.0)
        np.testing.assert_allclose(autoclip.history, window_norms, rtol=1e-6)
        assert autoclip.threshold == pytest.approx(expected, rel=1e-6)
        assert norm([np.asarray(g) for g in out]) == pytest.approx(min(target, expected), rel=1e-5)


def test_autoclip_in_fit_threshold_equals_percentile_of_window():
    clip = GradientClipping(mode="autoclip", percentile=30.0, window=5)
    model = tiny_model()
    x, y = batch()
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[clip])  # 12 steps
    history = clip.autoclip.history
    assert len(history) == 5 and clip.get_state()["count"] == 12
    assert clip.threshold == pytest.approx(np.percentile(history, 30.0), rel=1e-5)


def test_autoclip_state_round_trips_and_resets():
    autoclip = AutoClip(percentile=50.0, window=4)
    autoclip.set_state({"norms": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "count": 6})
    assert autoclip.history.tolist() == [3.0, 4.0, 5.0, 6.0]
    state = json.loads(json.dumps(autoclip.get_state()))
    other = AutoClip(percentile=50.0, window=4)
    other.set_state(state)
    other.transform([np.array([7.0], "float32")], [None], 6)  # evicts 3.0 from the sorted window
    assert other.history.tolist() == [4.0, 5.0, 6.0, 7.0]
    assert other.threshold == pytest.approx(5.5)
    other.reset()
    assert other.history.size == 0 and np.isnan(other.threshold)


def test_gradient_clipping_reuse_resets_autoclip_history():
    clip = GradientClipping(mode="autoclip")
    model = tiny_model()
    x, y = batch()
    for _ in range(2):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[clip])
        assert len(clip.autoclip.history) == 2  # one run's steps, not both runs'


@pytest.mark.parametrize(
    "mode, argument", [("norm", "clipnorm"), ("value", "clipvalue"), ("global_norm", "global_clipnorm")]
)
def test_apply_clipping_fixed_modes_replace_previous_clipping(mode, argument):
    optimizer = keras.optimizers.SGD(LR, clipnorm=9.0)
    assert apply_clipping(optimizer, mode, value=2.0) is None
    values = {a: getattr(optimizer, a) for a in ("clipnorm", "clipvalue", "global_clipnorm")}
    assert values == {a: (2.0 if a == argument else None) for a in values}
    apply_clipping(optimizer, "none")
    assert set(values) and all(getattr(optimizer, a) is None for a in values)


def test_apply_clipping_autoclip_installs_hook_and_keras_file_round_trips(tmp_path):
    model = tiny_model()
    autoclip = apply_clipping(model.optimizer, "autoclip", percentile=10.0, window=100)
    assert isinstance(autoclip, AutoClip) and hooks.installed_hooks(model.optimizer) == (autoclip,)
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    x, y = batch()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert len(autoclip.history) == 2  # the hook ran inside the compiled step
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert type(loaded.optimizer) is keras.optimizers.SGD  # saved as the plain optimizer
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    apply_clipping(model.optimizer, "norm", value=1.0)  # replacing AutoClip uninstalls it
    assert hooks.installed_hooks(model.optimizer) == () and type(model.optimizer) is keras.optimizers.SGD


@pytest.mark.parametrize(
    "mode, argument",
    [("norm", "clipnorm"), ("value", "clipvalue"), ("global_norm", "global_clipnorm"), ("autoclip", None)],
)
def test_scripted_hooks_configure_then_restore_the_optimizer(mode, argument):
    model = tiny_model()
    model.make_train_function()
    traced = model.train_function
    clip = GradientClipping(mode=mode, value=0.25)
    clip.set_model(model)
    clip.on_train_begin()
    assert model.train_function is not traced  # retraced: the cached step would ignore the change
    if argument:
        assert getattr(model.optimizer, argument) == 0.25
    else:
        assert hooks.installed_hooks(model.optimizer) == (clip.autoclip,)
    clip.on_train_end()
    assert type(model.optimizer) is keras.optimizers.SGD and hooks.installed_hooks(model.optimizer) == ()
    assert model.optimizer.clipnorm is model.optimizer.clipvalue is model.optimizer.global_clipnorm is None


def test_callback_rejects_an_optimizer_that_already_clips():
    model = tiny_model(keras.optimizers.SGD(LR, clipnorm=1.0))
    clip = GradientClipping(mode="global_norm")
    clip.set_model(model)
    with pytest.raises(ValueError, match=r"Only one of .* can be set\. Received: clipnorm=1\.0"):
        clip.on_train_begin()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mode": "clip"}, r"`mode` must be one of: 'autoclip', 'global_norm', 'norm', 'value'. Received: mode='clip'"),
        ({"value": 0.0}, r"`value` must be a real number > 0.0. Received: value=0.0"),
        ({"value": -1}, r"`value` must be a real number > 0.0. Received: value=-1"),
        ({"percentile": 0}, r"`percentile` must be a real number in \(0.0, 100.0\]. Received: percentile=0"),
        ({"percentile": 101}, r"`percentile` must be .* Received: percentile=101"),
        ({"mode": "autoclip", "window": 0}, r"`window` must be an integer >= 1. Received: window=0"),
        (
            {"mode": "autoclip", "warmup_steps": -1},
            r"`warmup_steps` must be an integer >= 0. Received: warmup_steps=-1",
        ),
        ({"mode": "norm", "window": 10}, r"`window` must be unset unless mode='autoclip'. Received: window=10"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GradientClipping(**kwargs)


def test_apply_clipping_invalid_mode():
    with pytest.raises(ValueError, match=r"`mode` must be one of: 'autoclip', .*'none'.* Received: mode='max'"):
        apply_clipping(keras.optimizers.SGD(LR), "max")
