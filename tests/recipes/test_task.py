"""Task and regime inference, and the mismatch errors that say what to change."""

import numpy as np
import pytest

import kerasrecipes as kr
from kerasrecipes.recipes import _task

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "X,y,row",
    [
        (RNG.normal(size=(50, 4)), RNG.normal(size=50), "regression-less-features"),
        (RNG.normal(size=(50, 30)), RNG.normal(size=50), "regression-more-features"),
        (RNG.normal(size=(50, 4)), np.arange(50) % 2, "binary-small-dataset"),
        (RNG.normal(size=(12000, 3)), np.arange(12000) % 2, "binary-large-dataset"),
        (RNG.normal(size=(50, 4)), np.arange(50) % 3, "multiclass-less-features"),
        (RNG.normal(size=(50, 25)), np.arange(50) % 3, "multiclass-more-features"),
        (RNG.normal(size=(50, 4)), np.eye(3)[np.arange(50) % 3], "multiclass-less-features"),  # one-hot
        (RNG.normal(size=(50, 8, 8, 1)), np.arange(50) % 10, "cnn-small-dataset"),
        (RNG.normal(size=(50, 8, 3)), np.arange(50) % 2, "rnn-small-dataset"),
        (RNG.normal(size=(50, 4)), np.array(["a", "b"] * 25), "binary-small-dataset"),
    ],
)
def test_select_scenario(X, y, row):
    assert kr.select_scenario(X, y)[0].name == row


def test_thresholds_are_overridable():
    X, y = RNG.normal(size=(50, 4)), np.arange(50) % 2
    assert kr.select_scenario(X, y, thresholds=kr.Thresholds(large_dataset=40))[0].name == "binary-large-dataset"
    assert (
        kr.select_scenario(X, RNG.normal(size=50), thresholds=kr.Thresholds(more_features=4))[0].regime
        == "more_features"
    )


def test_onehot_and_sparse_are_recognised():
    X = RNG.normal(size=(30, 2))
    assert kr.infer_target(X, np.eye(3)[np.arange(30) % 3]).encoding == "onehot"
    assert kr.infer_target(X, np.arange(30) % 3).encoding == "sparse"


def test_integer_valued_float_targets_with_many_values_are_regression():
    """diabetes' target is integral floats with ~200 values: regression, not 200 classes."""
    y = RNG.integers(25, 346, size=300).astype(float)
    assert kr.infer_target(RNG.normal(size=(300, 3)), y).kind == "regression"
    assert kr.infer_target(RNG.normal(size=(300, 3)), y.astype(int) % 5).kind == "multiclass"


@pytest.mark.parametrize(
    "X,y,task,match",
    [
        (
            RNG.normal(size=(20, 3)),
            RNG.normal(size=20),
            "binary",
            r"y is continuous \(a regression target\) but task='binary' is a classifier",
        ),
        (
            RNG.normal(size=(20, 3)),
            np.arange(20) % 5,
            "binary",
            r"y has 5 classes but task='binary'.*Use task='multiclass'",
        ),
        (RNG.normal(size=(20, 3)), np.arange(20) % 2, "cnn", r"task='cnn' needs image input.*X is tabular"),
        (RNG.normal(size=(20, 8, 8, 1)), np.arange(20) % 2, "binary", r"X is image.*use task='cnn'"),
        (RNG.normal(size=(20, 5, 2)), np.arange(20) % 2, "multiclass", r"X is sequence.*use task='rnn'"),
        (RNG.normal(size=(20, 3)), np.arange(20) % 2, "clustering", r"`task` must be one of"),
    ],
)
def test_task_mismatch_errors(X, y, task, match):
    with pytest.raises(ValueError, match=match):
        kr.select_scenario(X, y, task)


@pytest.mark.parametrize(
    "act,loss,units,y,match",
    [
        (
            "softmax",
            "binary_crossentropy",
            2,
            np.arange(20) % 2,
            r"softmax head with binary_crossentropy.*Use a 1-unit sigmoid head",
        ),
        (
            "softmax",
            "categorical_crossentropy",
            3,
            np.arange(20) % 3,
            r"categorical_crossentropy expects one-hot labels but y holds integer class ids.*sparse_categorical_crossentropy",
        ),
        (
            "softmax",
            "sparse_categorical_crossentropy",
            3,
            np.eye(3)[np.arange(20) % 3],
            r"expects integer class ids but y is one-hot",
        ),
        (
            "sigmoid",
            "binary_crossentropy",
            1,
            np.arange(20) % 5,
            r"A 1-unit sigmoid head cannot represent 5 classes\. Use a softmax head with 5 units",
        ),
        (
            "sigmoid",
            "binary_crossentropy",
            1,
            RNG.normal(size=20),
            r"y is continuous \(a regression target\).*Use task='regression'",
        ),
        (
            "linear",
            "mean_squared_error",
            1,
            np.arange(20) % 3,
            r"y holds class labels \(multiclass\) but mean_squared_error is a regression loss",
        ),
        ("softmax", "sparse_categorical_crossentropy", 4, np.arange(20) % 3, r"one unit per class: 3 units, got 4"),
        (
            "linear",
            "binary_crossentropy",
            1,
            np.arange(20) % 2,
            r"binary_crossentropy expects a sigmoid head.*sigmoid_crossentropy",
        ),
        ("sigmoid", "hinge", 1, np.arange(20) % 2, r"hinge expects a tanh head"),
        ("softmax", "nope", 3, np.arange(20) % 3, r"Unknown loss 'nope'"),
    ],
)
def test_head_mismatch_errors(act, loss, units, y, match):
    info = kr.infer_target(RNG.normal(size=(20, 2)), y)
    with pytest.raises(ValueError, match=match):
        kr.check_head(act, loss, units, info)


def test_build_model_raises_on_mismatched_recipe():
    with pytest.raises(ValueError, match="categorical_crossentropy expects one-hot labels"):
        kr.build_model(kr.Recipe(loss="categorical_crossentropy"), (4,), n_classes=3)
    with pytest.raises(ValueError, match="softmax head with binary_crossentropy"):
        kr.build_model(kr.Recipe(output_activation="softmax"), (4,), n_classes=2)


@pytest.mark.parametrize(
    "X,y,match",
    [
        (np.zeros(5), np.zeros(5), r"X must be 2-D"),
        (np.zeros((5, 2)), np.zeros(4), r"same number of rows"),
        (np.zeros((5, 2)), np.array([[1, 2], [0, 1], [1, 0], [2, 0], [1, 1]]), r"multiclass-multioutput"),
    ],
)
def test_bad_shapes(X, y, match):
    with pytest.raises(ValueError, match=match):
        kr.infer_target(X, y)


def test_loss_rules_agree_with_the_loss_registry():
    from kerasrecipes.models import losses

    assert set(_task.LOSS_RULES) == set(losses.LOSSES)
    from kerasrecipes.recipes import _recipe

    assert set(_recipe.LOSSES) == set(losses.LOSSES)


def test_hidden_activations_agree_with_the_activation_registry():
    from kerasrecipes.models import activations
    from kerasrecipes.recipes import _recipe

    assert set(_recipe.HIDDEN_ACTIVATIONS) == set(activations.ACTIVATIONS)


WHOLE_NUMBERS = {  # real-shaped whole-number targets, 300 rows each
    "price": (RNG.integers(5_000, 90_000, size=300), "regression", "distinct whole numbers"),
    "year": (RNG.integers(1990, 2021, size=300), "regression", "distinct whole numbers"),
    "rating": (RNG.integers(0, 6, size=300), "multiclass", "read as 6 classes"),
    "rare": (np.array([0] * 150 + [1] * 140 + [2] * 8 + [3] * 2), "regression", "too rare to be classes"),
    "flag": (RNG.integers(0, 2, size=300), "binary", None),
}


@pytest.mark.parametrize("name", sorted(WHOLE_NUMBERS))
@pytest.mark.parametrize("as_float", [False, True])
def test_whole_number_targets_follow_one_rule(name, as_float):
    """A price or a year is a quantity, a 0-5 rating classes (said in one line), rare values a quantity."""
    y, kind, note = WHOLE_NUMBERS[name]
    info = kr.infer_target(RNG.normal(size=(300, 3)), y.astype(float) if as_float else y, name=name)
    assert info.kind == kind
    if note is None:
        assert info.note is None
    else:
        assert note in info.note and f"target {name!r}" in info.note and "\n" not in info.note
        assert ("--task multiclass" if kind == "regression" else "--task regression") in info.note


def test_the_streaming_rule_is_the_same_function():
    counts = {v: 50 for v in range(6)}
    assert _task.numeric_target_kind(counts, integral=True)[0] == "multiclass"
    assert _task.numeric_target_kind(None, integral=True)[0] == "regression"
    assert _task.numeric_target_kind(counts, integral=False) == ("regression", None)
