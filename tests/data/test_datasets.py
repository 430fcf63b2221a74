"""Registry-driven tests: every scenario row builds, with the right head, through both APIs."""

import numpy as np
import pytest

import kerasrecipes as kr
from kerasrecipes.recipes import _table

N = 24


def _data_for(row, n_classes):
    rng = np.random.default_rng(0)
    shape = {"dense": (8,), "cnn": (8, 8, 1), "rnn": (6, 3)}[row.builder]
    X = rng.normal(size=(N, *shape)).astype("float32")
    if row.task == "regression":
        y = rng.normal(size=N).astype("float32")
    elif row.task == "multilabel":  # one 0/1 column per label
        y = (rng.random((N, n_classes)) < 0.4).astype("float32")
    else:
        y = np.arange(N) % n_classes
    return X, y


def _cases():
    for name in kr.list_scenarios():
        row = kr.get_scenario(name)
        if row.task in ("cnn", "rnn"):
            yield name, 2
            yield name, 4
        else:
            yield name, {"regression": None, "binary": 2, "multiclass": 3, "multilabel": 4}[row.task]


@pytest.mark.parametrize("name,n_classes", list(_cases()))
@pytest.mark.parametrize("api", ["sequential", "functional"])
def test_every_row_builds_compiles_and_fits(name, n_classes, api):
    """Each row builds with the head the table implies and compiles with both APIs, and fits one epoch (with the
    Sequential API: the Functional model has the same layers, `test_sequential_and_functional_have_same_structure`).
    The epoch runs eagerly, in one batch: the compiled loss, metrics and optimizer are what it checks, and tracing a
    graph for one epoch would double its time (every run's graph-mode training is the run tests' subject)."""
    row = kr.get_scenario(name)
    X, y = _data_for(row, n_classes or 2)
    recipe = kr.Recipe(scenario=name, api=api, units=8, epochs=1)
    model = kr.build_model(recipe, X.shape[1:], n_classes)
    head = model.get_layer("head")
    labels = row.task == "multilabel"  # n_classes sigmoid units, one per label
    expected_units = 1 if n_classes in (None, 2) and not labels else n_classes
    expected_act = "sigmoid" if labels else {None: "linear", 2: "sigmoid"}.get(n_classes, "softmax")
    assert head.units == expected_units
    assert head.activation.__name__ == expected_act
    assert (
        model.head.loss == "binary_crossentropy"
        if labels
        else {
            None: "mean_squared_error",
            2: "binary_crossentropy",
        }.get(n_classes, "sparse_categorical_crossentropy")
    )
    assert model.recipe.optimizer == row.optimizers[0]
    assert type(model.optimizer).__name__ == "Adam"
    if api == "functional":
        return
    model.run_eagerly = True
    history = model.fit(X, y, epochs=1, batch_size=N, verbose=0)  # one step: the loss, metrics and update, once
    assert np.isfinite(history.history["loss"][0])
    for metric in model.head.metrics:
        assert metric in history.history


@pytest.mark.parametrize("name", kr.list_scenarios())
def test_sequential_and_functional_have_same_structure(name):
    row = kr.get_scenario(name)
    shape, n_classes = _shape_and_classes(row)
    models = [
        kr.build_model(kr.Recipe(scenario=name, api=api, units=8, batch_norm=True, dropout=0.1), shape, n_classes)
        for api in ("sequential", "functional")
    ]
    assert models[0].count_params() == models[1].count_params()
    kinds = [[type(layer).__name__ for layer in m.layers if type(layer).__name__ != "InputLayer"] for m in models]
    assert kinds[0] == kinds[1]


def test_every_row_optimizer_choice_builds():
    """Every optimizer the table lists for a row builds and takes one step."""
    for name in kr.list_scenarios():
        row = kr.get_scenario(name)
        for opt in row.optimizers:
            model = kr.build_model(kr.Recipe(scenario=name, optimizer=opt, units=4), *_shape_and_classes(row))
            assert model.recipe.optimizer == opt


def _shape_and_classes(row):
    n_classes = {"regression": None, "binary": 2}.get(row.task, 3)
    return {"dense": (5,), "cnn": (8, 8, 1), "rnn": (4, 2)}[row.builder], n_classes


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="already registered"):
        _table.register_scenario(lambda: kr.get_scenario("binary-small-dataset"))


def test_unknown_scenario_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown scenario 'binary-small'\. Did you mean 'binary-small-dataset'\?"):
        kr.get_scenario("binary-small")


def test_table_covers_every_seed_row():
    """Seed 004's table: 8 rows, deep-learning split into CNN and RNN -> 10 rows; seed optimizer order. The
    multi-label rows are the binary rows' regimes and optimizers, one sigmoid unit per label."""
    expected = {
        ("regression", "more_features"): ("adam", "rmsprop"),
        ("regression", "less_features"): ("adam", "sgd"),
        ("binary", "large_dataset"): ("adam", "rmsprop"),
        ("binary", "small_dataset"): ("adam", "sgd"),
        ("multiclass", "more_features"): ("adam", "rmsprop"),
        ("multiclass", "less_features"): ("adam", "sgd"),
        ("cnn", "large_dataset"): ("adam", "rmsprop"),
        ("cnn", "small_dataset"): ("adam", "sgd"),
        ("rnn", "large_dataset"): ("adam", "rmsprop"),
        ("rnn", "small_dataset"): ("adam", "sgd"),
        ("multilabel", "large_dataset"): ("adam", "rmsprop"),
        ("multilabel", "small_dataset"): ("adam", "sgd"),
    }
    got = {
        (kr.get_scenario(n).task, kr.get_scenario(n).regime): kr.get_scenario(n).optimizers for n in kr.list_scenarios()
    }
    assert got == expected


def test_list_scenarios_filters():
    assert kr.list_scenarios(task="cnn") == ["cnn-large-dataset", "cnn-small-dataset"]
    assert kr.list_scenarios("*-small-dataset") == [
        "binary-small-dataset",
        "cnn-small-dataset",
        "multilabel-small-dataset",
        "rnn-small-dataset",
    ]
