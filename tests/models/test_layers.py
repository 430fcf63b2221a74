"""Tests for kerasrecipes.models.layers: Maxout, PeriodicEmbedding, PackedDense, EnsembleHead and EnsembleScaling
(TabM-mini)."""

import keras
import numpy as np
import pytest

from kerasrecipes.models import layers, regularizers


def maxout_by_hand(x, kernel, bias, units, num_pieces):
    """max_k (x @ W_k + b_k), with piece k in columns k*units:(k+1)*units."""
    pieces = []
    for k in range(num_pieces):
        cols = slice(k * units, (k + 1) * units)
        piece = x @ kernel[:, cols]
        if bias is not None:
            piece = piece + bias[cols]
        pieces.append(piece)
    return np.max(np.stack(pieces), axis=0)


# Cheap cases loop inside one test: the shared teardown (clear_session) dominates runtime.
def test_maxout_equals_max_of_pieces():
    units, input_dim = 4, 6
    for num_pieces, use_bias in [(2, True), (3, True), (5, True), (2, False), (3, False)]:
        rng = np.random.default_rng(num_pieces)
        layer = layers.Maxout(units, num_pieces=num_pieces, use_bias=use_bias)
        layer.build((None, input_dim))
        kernel = rng.normal(size=(input_dim, num_pieces * units)).astype("float32")
        bias = rng.normal(size=(num_pieces * units,)).astype("float32") if use_bias else None
        layer.set_weights([kernel, bias] if use_bias else [kernel])
        x = rng.normal(size=(10, input_dim)).astype("float32")
        expected = maxout_by_hand(x, kernel, bias, units, num_pieces)
        np.testing.assert_allclose(
            np.asarray(layer(x)),
            expected,
            rtol=1e-5,
            atol=1e-5,
            err_msg=f"num_pieces={num_pieces}, use_bias={use_bias}",
        )


def test_maxout_works_on_rank_3_inputs():
    rng = np.random.default_rng(0)
    layer = layers.Maxout(3, num_pieces=2)
    x = rng.normal(size=(2, 5, 4)).astype("float32")
    out = np.asarray(layer(x))
    assert out.shape == (2, 5, 3)
    assert layer.compute_output_shape((2, 5, 4)) == (2, 5, 3)
    kernel, bias = layer.get_weights()
    expected = maxout_by_hand(x.reshape(-1, 4), kernel, bias, 3, 2).reshape(2, 5, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_maxout_with_a_zero_piece_is_relu():
    rng = np.random.default_rng(0)
    layer = layers.Maxout(3, num_pieces=2)
    layer.build((None, 4))
    kernel = np.zeros((4, 6), dtype="float32")
    kernel[:, :3] = rng.normal(size=(4, 3))
    bias = np.zeros(6, dtype="float32")
    bias[:3] = rng.normal(size=3)
    layer.set_weights([kernel, bias])
    x = rng.normal(size=(8, 4)).astype("float32")
    relu = np.maximum(x @ kernel[:, :3] + bias[:3], 0.0)
    np.testing.assert_allclose(np.asarray(layer(x)), relu, rtol=1e-5, atol=1e-6)


def test_maxout_parameter_count():
    for input_dim, units, num_pieces in [(5, 4, 2), (3, 7, 3), (10, 1, 4)]:
        model = keras.Sequential([keras.Input((input_dim,)), layers.Maxout(units, num_pieces=num_pieces)])
        assert model.count_params() == num_pieces * (input_dim * units + units)
        dense = keras.Sequential([keras.Input((input_dim,)), keras.layers.Dense(units)])
        assert model.count_params() == num_pieces * dense.count_params()
    no_bias = layers.Maxout(4, num_pieces=3, use_bias=False)
    no_bias.build((None, 5))
    assert no_bias.count_params() == 3 * 5 * 4


def test_maxout_regularizers_are_applied():
    reg = regularizers.ElasticNet(rate=0.1, beta=0.5)
    layer = layers.Maxout(2, kernel_regularizer=reg, bias_regularizer="l2")
    layer.build((None, 3))
    assert len(layer.losses) == 2
    np.testing.assert_allclose(float(layer.losses[0]), float(reg(layer.kernel)), rtol=1e-6)


BAD_ARGUMENTS = [
    ({"units": 0}, ValueError, r"`units` must be an integer >= 1\. Received: units=0"),
    ({"units": 2.5}, TypeError, r"`units` must be an integer >= 1\. Received: units=2.5"),
    ({"units": "4"}, TypeError, r"`units` must be an integer >= 1\. Received: units='4'"),
    (
        {"units": 3, "num_pieces": 1},
        ValueError,
        r"`num_pieces` must be an integer >= 2\. Received: num_pieces=1",
    ),
    (
        {"units": 3, "use_bias": "yes"},
        TypeError,
        r"`use_bias` must be a boolean .*Received: use_bias='yes'",
    ),
]


def test_maxout_bad_arguments():
    for kwargs, error, message in BAD_ARGUMENTS:
        with pytest.raises(error, match=message):
            layers.Maxout(**kwargs)


def test_maxout_model_saves_and_reloads(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            layers.Maxout(
                5,
                num_pieces=3,
                kernel_initializer="he_normal",
                kernel_regularizer=regularizers.ElasticNet(0.01, 0.3),
                bias_regularizer="l2",
            ),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    y = np.random.default_rng(2).normal(size=(8, 1)).astype("float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "maxout.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    original_layer, loaded_layer = model.layers[0], loaded.layers[0]
    assert isinstance(loaded_layer, layers.Maxout)
    assert loaded_layer.get_config() == original_layer.get_config()
    assert isinstance(loaded_layer.kernel_regularizer, regularizers.ElasticNet)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_periodic_embedding_by_hand():
    """Output = [x, per feature j: cos(2 pi (w_j x_j + b_j)) @ K_j + c_j], features * (1 + dims) wide."""
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)  # the initial frequencies below
    layer = layers.PeriodicEmbedding(frequencies=3, dims=2, sigma=0.5)
    x = rng.normal(size=(5, 4)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(x))
    w, b, kernel, bias = (
        keras.ops.convert_to_numpy(v) for v in (layer.frequency, layer.phase, layer.kernel, layer.bias)
    )
    periodic = np.cos(2 * np.pi * (x[:, :, None] * w + b))
    embedded = np.einsum("bkf,kfd->bkd", periodic, kernel) + bias
    assert out.shape == (5, 4 * 3)
    assert np.allclose(out[:, :4], x) and np.allclose(out[:, 4:], embedded.reshape(5, 8), atol=1e-5)
    assert layer.count_params() == 4 * 3 * 2 + 4 * 3 * 2 + 4 * 2  # frequency, phase, kernel, bias
    assert np.std(w) == pytest.approx(0.5, rel=0.5)  # frequencies start at sigma's scale (seeded: not flaky)


def test_periodic_embedding_in_a_recipe_trains_saves_and_reloads(tmp_path):
    from kerasrecipes.recipes import build_model

    model = build_model({"embedding": "periodic", "embedding_sigma": 0.2, "units": 8}, (3,), n_classes=2)
    embedding = model.get_layer("periodic_embedding")
    assert embedding.sigma == 0.2 and model.get_layer("hidden_1").kernel.shape == (3 * 5, 8)
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    model.fit(x, (x[:, 0] > 0).astype("float32"), epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert "periodic_embedding" not in [layer.name for layer in build_model({"units": 8}, (3,), n_classes=2).layers]


def test_periodic_embedding_bad_arguments():
    for kwargs in ({"frequencies": 0}, {"dims": 0}, {"sigma": 0.0}, {"sigma": -1.0}):
        with pytest.raises(ValueError):
            layers.PeriodicEmbedding(**kwargs)


def test_periodic_embedding_of_the_leading_features_only():
    """`features=k` embeds the first k inputs (a table's numeric columns) and passes the rest on as they are."""
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    layer = layers.PeriodicEmbedding(dims=3, features=2)
    out = keras.ops.convert_to_numpy(layer(x))
    assert out.shape == (4, 5 + 2 * 3) and layer.frequency.shape == (2, 16) and np.allclose(out[:, :5], x)
    whole = layers.PeriodicEmbedding(dims=3)
    assert tuple(whole(x).shape) == (4, 5 + 5 * 3)
    assert np.array_equal(keras.ops.convert_to_numpy(layers.PeriodicEmbedding(features=0)(x)), x)
    assert layers.PeriodicEmbedding.from_config(layer.get_config()).features == 2


def test_a_run_embeds_the_numeric_columns_of_its_table_and_reproduces(tmp_path):
    import pandas as pd

    from kerasrecipes import runs

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.normal(size=120), "b": rng.normal(size=120), "color": rng.choice(["red", "green", "blue"], size=120)}
    )
    frame["y"] = frame["a"] * 2 + (frame["color"] == "red") + rng.normal(scale=0.1, size=120)
    frame.to_csv(tmp_path / "table.csv", index=False)
    result = runs.train(
        tmp_path / "table.csv",
        target="y",
        recipe={"embedding": "periodic", "epochs": 3, "seed": 1},
        tracking="none",
        verbose=0,
        out=tmp_path / "run",
    )
    embedding = result.model.get_layer("periodic_embedding")
    assert embedding.features == 2 and embedding.frequency.shape[0] == 2  # a, b; not the one-hot colours
    outcome = runs.reproduce(tmp_path / "run", retrain=True)
    assert outcome.identical, outcome.reasons


def test_packed_dense_is_independent_dense_layers():
    rng = np.random.default_rng(0)
    layer = layers.PackedDense(3, members=4)
    layer.build((None, 5))
    kernel = rng.normal(size=(4, 5, 3)).astype("float32")
    bias = rng.normal(size=(4, 3)).astype("float32")
    layer.set_weights([kernel, bias])
    x = rng.normal(size=(6, 5)).astype("float32")
    shared = keras.ops.convert_to_numpy(layer(x))  # one input row for every member
    own = keras.ops.convert_to_numpy(layer(np.stack([x, 2 * x, -x, x + 1], axis=1)))  # a row per member
    for m, xm in enumerate((x, 2 * x, -x, x + 1)):
        np.testing.assert_allclose(shared[:, m], x @ kernel[m] + bias[m], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(own[:, m], xm @ kernel[m] + bias[m], rtol=1e-5, atol=1e-5)
    assert layer.count_params() == 4 * (5 * 3 + 3)
    assert layers.PackedDense.from_config(layer.get_config()).members == 4
    with pytest.raises(ValueError, match="members=4 needs inputs of shape"):
        layers.PackedDense(3, members=4)(np.zeros((2, 3, 5), "float32"))
    for kwargs in ({"units": 0, "members": 2}, {"units": 2, "members": 0}):
        with pytest.raises(ValueError):
            layers.PackedDense(**kwargs)


def test_packed_dense_members_start_apart_each_like_a_dense_layer():
    """Each member's kernel is its own draw on (features, units): different members, Dense's scale."""
    keras.utils.set_random_seed(0)
    layer = layers.PackedDense(64, members=3, kernel_initializer="he_uniform")
    layer.build((None, 200))
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    assert not np.array_equal(kernel[0], kernel[1]) and not np.array_equal(kernel[1], kernel[2])
    limit = np.sqrt(6 / 200)  # He uniform with fan-in 200 (a (3, 200, 64) draw would use 600)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit


def _ensemble_and_members(k, units, activation, pool, loss, l2):
    """A packed ensemble of k two-layer networks and k single networks holding the same weights."""
    from kerasrecipes.models.regularizers import make_regularizer

    inputs = keras.Input((5,))
    hidden = layers.PackedDense(6, k, kernel_regularizer=make_regularizer(l2=l2))(inputs)
    z = layers.PackedDense(units, k)(keras.layers.Activation("tanh")(hidden))
    ensemble = keras.Model(inputs, layers.EnsembleHead(activation, pool)(z))
    ensemble.compile(loss=loss)
    rng = np.random.default_rng(1)
    ensemble.set_weights([rng.normal(size=w.shape).astype("float32") for w in ensemble.get_weights()])
    kernel1, bias1, kernel2, bias2 = ensemble.get_weights()
    members = []
    for m in range(k):
        single = keras.Sequential(
            [
                keras.Input((5,)),
                keras.layers.Dense(6, activation="tanh", kernel_regularizer=make_regularizer(l2=l2)),
                keras.layers.Dense(units, activation=activation),
            ]
        )
        single.compile(loss=loss)
        single.set_weights([kernel1[m], bias1[m], kernel2[m], bias2[m]])
        members.append(single)
    return ensemble, members


def _loss_and_gradients(model, x, y):
    import tensorflow as tf

    with tf.GradientTape() as tape:  # as the fast road's step computes them
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True), training=True)
    return float(loss), [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]


def test_ensemble_head_trains_each_member_on_its_own_loss():
    """Loss = the mean of the members' own losses (+ their penalties); each member's gradient = its own alone."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 5)).astype("float32")
    labels = rng.integers(0, 3, size=16)
    cases = [  # pool, head activation, loss, targets, head units
        ("mean", "linear", keras.losses.MeanSquaredError(), rng.normal(size=(16, 2)).astype("float32"), 2),
        ("mean", "relu", keras.losses.MeanSquaredError(), rng.normal(size=(16, 1)).astype("float32"), 1),
        ("sigmoid", "sigmoid", keras.losses.BinaryCrossentropy(), (labels[:, None] > 0).astype("float32"), 1),
        (
            "sigmoid",
            "linear",
            keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
            (labels[:, None] > 0).astype("float32"),
            1,
        ),
        ("softmax", "softmax", keras.losses.SparseCategoricalCrossentropy(), labels, 3),
        (
            "softmax",
            "softmax",
            keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
            np.eye(3, dtype="float32")[labels],
            3,
        ),
    ]
    for pool, activation, loss, y, units in cases:
        k = 3
        ensemble, members = _ensemble_and_members(k, units, activation, pool, loss, l2=0.01)
        total, grads = _loss_and_gradients(ensemble, x, y)
        own = [_loss_and_gradients(single, x, y) for single in members]
        penalties = [float(sum(single.losses)) for single in members]
        data_losses = [value - penalty for (value, _), penalty in zip(own, penalties)]
        where = f"pool={pool}, activation={activation}, loss={type(loss).__name__}"
        assert total == pytest.approx(np.mean(data_losses) + sum(penalties), rel=1e-4), where
        for m, (_, member_grads) in enumerate(own):
            for ensemble_grad, member_grad in zip(grads, member_grads):
                np.testing.assert_allclose(ensemble_grad[m], member_grad, rtol=1e-3, atol=1e-5, err_msg=where)
        pred = keras.ops.convert_to_numpy(ensemble(x))  # prediction: no training term, the members averaged
        outs = [keras.ops.convert_to_numpy(single(x)) for single in members]
        if pool == "mean":
            np.testing.assert_allclose(pred, np.mean(outs, axis=0), rtol=1e-5, atol=1e-6, err_msg=where)


def test_ensemble_recipe_builds_trains_saves_and_reloads(tmp_path):
    from kerasrecipes.recipes import build_model

    single = build_model({"units": 8}, (4,), n_classes=3)
    model = build_model({"units": 8, "ensemble": 3}, (4,), n_classes=3)
    assert model.count_params() == 3 * single.count_params()
    assert type(model.get_layer("hidden_1")).__name__ == "PackedDense" and model.get_layer("head").pool == "softmax"
    assert model.output_shape == single.output_shape == (None, 3)
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(x, (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0), epochs=2, verbose=0)
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert np.array_equal(loaded.predict(x, verbose=0), probabilities)
    assert build_model({"ensemble": 2}, (4,)).get_layer("head").pool == "mean"  # regression
    assert build_model({"ensemble": 2}, (4,), n_classes=2).get_layer("head").pool == "sigmoid"


def test_ensemble_refuses_what_it_cannot_build_exactly():
    from kerasrecipes.recipes import build_model

    refused = [
        ({"ensemble": 2, "task": "cnn"}, (8, 8, 1), "builds dense networks only, and this run's scenario builds a cnn"),
        ({"ensemble": 2, "activation": "maxout"}, (4,), "cannot use activation='maxout'"),
        ({"ensemble": 2, "batch_norm": True}, (4,), "cannot use batch_norm=true"),
        ({"ensemble": 2, "loss": "huber"}, (4,), "needs loss mean_squared_error or a cross-entropy"),
    ]
    for recipe, shape, message in refused:
        with pytest.raises(ValueError, match=message):
            build_model(recipe, shape, n_classes=None if recipe.get("loss") else 3)
    with pytest.raises(ValueError, match="takes one input, not a wide-and-deep second one"):
        build_model({"ensemble": 2, "api": "functional"}, (4,), n_classes=3, wide_input_shape=(2,))


@pytest.mark.parametrize("kind", ["packed", "tabm_mini"])
def test_a_run_with_an_ensemble_saves_one_model_and_reproduces(tmp_path, kind):
    import pandas as pd

    from kerasrecipes import runs

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.normal(size=150), "b": rng.normal(size=150), "color": rng.choice(["red", "green", "blue"], size=150)}
    )
    frame["y"] = np.where(frame["a"] + (frame["color"] == "red") > 0.5, "yes", "no")
    frame.to_csv(tmp_path / "table.csv", index=False)
    result = runs.train(
        tmp_path / "table.csv",
        target="y",
        recipe={"ensemble": 3, "ensemble_kind": kind, "epochs": 4, "seed": 2},
        tracking="none",
        verbose=0,
        out=tmp_path / "run",
    )
    assert result.model.get_layer("head").pool == "sigmoid" and result.recipe.ensemble == 3
    loaded = runs.load_run(tmp_path / "run")
    assert result.recipe.ensemble_kind == kind and loaded.recipe.ensemble_kind == kind
    assert set(loaded.predict(frame.drop(columns="y").head(5))) <= {"yes", "no"}
    outcome = runs.reproduce(tmp_path / "run", retrain=True)
    assert outcome.identical, outcome.reasons


def test_ensemble_scaling_gives_each_member_its_own_signs_of_the_input():
    keras.utils.set_random_seed(0)
    layer = layers.EnsembleScaling(8)
    x = np.random.default_rng(0).normal(size=(3, 50)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(x))
    scaling = keras.ops.convert_to_numpy(layer.scaling)
    assert out.shape == (3, 8, 50) and scaling.shape == (8, 50)
    assert set(np.unique(scaling)) == {-1.0, 1.0} and 0.3 < (scaling > 0).mean() < 0.7  # random signs
    assert len({row.tobytes() for row in scaling}) == 8  # every member its own signs
    np.testing.assert_array_equal(out, x[:, None, :] * scaling)
    ones = layers.EnsembleScaling(2, scaling_init="ones")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(ones(x)), np.stack([x, x], axis=1))
    assert layers.EnsembleScaling.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="scaling_init"):
        layers.EnsembleScaling(2, scaling_init="normal")


def _tabm(n_classes, **fields):
    """A compiled TabM-mini model of 4 members on 5 inputs, its weights drawn at random, and its members by hand."""
    from kerasrecipes.recipes import build_model

    recipe = {"units": 6, "num_layers": 2, "dropout": 0.0, "l2": 0.0, "ensemble": 4, "ensemble_kind": "tabm_mini"}
    model = build_model({**recipe, **fields}, (5,), n_classes=n_classes)
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    scaling, k1, b1, k2, b2, heads, head_bias = model.get_weights()

    def member(x, m):  # member m: the shared network on the inputs times its scaling, then its own head
        hidden = np.maximum(np.maximum((x * scaling[m]) @ k1 + b1, 0) @ k2 + b2, 0)
        return hidden @ heads[m] + head_bias[m]

    return model, member


def test_tabm_mini_members_share_the_network_and_differ_by_their_scaling_and_head_only():
    x = np.random.default_rng(0).normal(size=(16, 5)).astype("float32")
    regression, member = _tabm(None)
    per_member = {layer.name for layer in regression.layers for w in layer.weights if w.shape[0] == 4}
    assert per_member == {"member_scaling", "head_members"}  # R and the heads; hidden widths are 6 and 3
    assert type(regression.get_layer("hidden_1")).__name__ == "Dense"  # shared, not packed
    logits = np.stack([member(x, m) for m in range(4)], axis=1)
    np.testing.assert_allclose(regression.predict(x, verbose=0), logits.mean(axis=1), rtol=1e-4, atol=1e-4)
    for loss in ("sparse_categorical_crossentropy", "softmax_crossentropy"):
        classifier, member = _tabm(3, loss=loss)
        z = np.stack([member(x, m) for m in range(4)], axis=1)
        probabilities = np.exp(z - z.max(-1, keepdims=True))
        probabilities = (probabilities / probabilities.sum(-1, keepdims=True)).mean(axis=1)  # members' mean
        out = classifier.predict(x, verbose=0)
        if loss == "softmax_crossentropy":  # a linear head: the logits of that mean
            out = keras.ops.convert_to_numpy(keras.ops.softmax(out))
        np.testing.assert_allclose(out, probabilities, rtol=1e-4, atol=1e-5, err_msg=loss)
    for loss in ("binary_crossentropy", "sigmoid_crossentropy"):
        binary, member = _tabm(2, loss=loss)
        mean = (1 / (1 + np.exp(-np.stack([member(x, m) for m in range(4)], axis=1)))).mean(axis=1)
        out = binary.predict(x, verbose=0)
        out = 1 / (1 + np.exp(-out)) if loss == "sigmoid_crossentropy" else out
        np.testing.assert_allclose(out, mean, rtol=1e-4, atol=1e-5, err_msg=loss)


def test_tabm_mini_trains_on_the_mean_of_the_members_losses():
    """Loss = the mean of the members' own losses; its gradient is that mean's (the members share weights)."""
    import tensorflow as tf

    x = np.random.default_rng(0).normal(size=(16, 5)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, size=16)
    model, _ = _tabm(3)
    members = keras.Model(model.inputs[0], model.get_layer("head_members").output)
    total, grads = _loss_and_gradients(model, x, y)
    with tf.GradientTape() as tape:
        z = members(x, training=True)
        each = [keras.losses.sparse_categorical_crossentropy(y, z[:, m], from_logits=True) for m in range(4)]
        mean = tf.reduce_mean(tf.stack([tf.reduce_mean(loss) for loss in each]))
    expected = [g.numpy() for g in tape.gradient(mean, members.trainable_variables)]
    assert total == pytest.approx(float(mean), rel=1e-5)
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-6)


def test_tabm_mini_refuses_what_makes_no_sense_and_takes_maxout():
    from kerasrecipes.recipes import build_model

    tabm = {"ensemble_kind": "tabm_mini"}
    with pytest.raises(ValueError, match=r"^ensemble_kind='tabm_mini' builds an ensemble .* and ensemble=1 asks"):
        build_model(tabm, (4,), n_classes=3)
    with pytest.raises(ValueError, match=r"builds dense networks only, .* cnn network\. Set ensemble=1 and ensemble_k"):
        build_model({**tabm, "ensemble": 4, "task": "cnn"}, (8, 8, 1), n_classes=3)
    with pytest.raises(ValueError, match=r"Set batch_norm=false or ensemble=1 and ensemble_kind='packed'\.$"):
        build_model({**tabm, "ensemble": 4, "batch_norm": True}, (4,), n_classes=3)
    maxout = build_model({**tabm, "ensemble": 4, "activation": "maxout", "units": 4}, (4,), n_classes=3)
    assert type(maxout.get_layer("hidden_1")).__name__ == "Maxout" and maxout.output_shape == (None, 3)


def test_the_layers_docstring_examples_run():
    import doctest

    assert doctest.testmod(layers).failed == 0
