"""The Recipe: lossless round trips, validation generated from the constraint table."""

import dataclasses
import json

import numpy as np
import pytest
import yaml

import kerasrecipes as kr
from kerasrecipes._validation import Boolean, FilePath, Interval, Options
from kerasrecipes.recipes import _recipe, _table


def _invalid_values(constraint):
    """Values the constraint must reject (sklearn's generate_invalid_param_val idea)."""
    if isinstance(constraint, Interval):
        bad = ["text", True]
        if constraint.low is not None:
            bad.append(constraint.low - 1)
            if constraint.closed in ("right", "neither"):
                bad.append(constraint.low)
        if constraint.high is not None:
            bad.append(constraint.high + 1)
            if constraint.closed in ("left", "neither"):
                bad.append(constraint.high)
        if constraint.kind == "integer":
            bad.append(2.5)
        return bad
    if isinstance(constraint, Options):
        return ["not-a-choice", 3]
    if isinstance(constraint, Boolean):
        return ["yes", 1]
    if isinstance(constraint, FilePath):
        return ["weights.txt", "", 3]
    raise AssertionError(constraint)


CASES = [(name, value) for name, (c, _) in _recipe.FIELDS.items() for value in _invalid_values(c)]


@pytest.mark.parametrize("name,value", CASES)
def test_invalid_values_are_rejected_with_one_message_style(name, value):
    with pytest.raises((ValueError, TypeError), match=rf"^`{name}` must be .*\. Received: {name}="):
        kr.Recipe(**{name: value})


def test_fields_match_table_defaults():
    """Every field has a default in the table (or is resolved from the row, or follows `seed`), and nothing else
    does."""
    resolved_from_row = {"task", "scenario", "optimizer", "learning_rate"}
    assert set(_recipe.FIELDS) == set(_table.BASE_DEFAULTS) | resolved_from_row | _recipe.OPTIONAL_FIELDS
    assert kr.Recipe().resolved("binary-small-dataset").split_seed is None  # None: the split follows `seed`


@pytest.mark.parametrize("name", kr.list_scenarios())
def test_resolved_round_trips_through_json_and_yaml(name):
    r = kr.Recipe(units=48, dropout=0.3, learning_rate=3e-4).resolved(name)
    assert r.is_resolved
    assert kr.Recipe.from_dict(r.to_dict()) == r
    assert kr.Recipe.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    assert kr.Recipe.from_dict(yaml.safe_load(yaml.safe_dump(r.to_dict()))) == r
    assert r.task == kr.get_scenario(name).task


def test_defaults_come_from_the_row():
    small = kr.Recipe().resolved("binary-small-dataset")
    large = kr.Recipe().resolved("binary-large-dataset")
    assert small.dropout == 0.1 and small.l2 == 1e-4
    assert large.dropout == 0.1 and large.batch_size == 128 and large.l2 == 0.0
    assert kr.Recipe().resolved("rnn-small-dataset").clipping == "global_norm"
    assert kr.Recipe(optimizer="sgd").resolved("binary-small-dataset").learning_rate == 1e-2
    assert kr.Recipe(learning_rate=0.5, optimizer="sgd").resolved("binary-small-dataset").learning_rate == 0.5


def test_user_elastic_net_replaces_row_default_l2():
    """binary-small-dataset defaults to l2=1e-4; asking for elastic net must not conflict with it."""
    r = kr.Recipe(elastic_net=1e-3).resolved("binary-small-dataset")
    assert (r.elastic_net, r.l1, r.l2) == (1e-3, 0.0, 0.0)
    assert kr.Recipe(l1=1e-4).resolved("binary-small-dataset").l2 == 1e-4


def test_user_values_win_over_row_defaults():
    r = kr.Recipe(dropout=0.0, l2=0.0).resolved("binary-small-dataset")
    assert r.dropout == 0.0 and r.l2 == 0.0


@pytest.mark.parametrize("row", kr.list_scenarios())
def test_size_defaults_apply_to_the_rows_split_by_features_only(row):
    plain = kr.Recipe().resolved(row)
    for size, extra in kr.SIZE_DEFAULTS.items():
        sized = kr.Recipe().resolved(row, dataset_size=size)
        changed = {k: getattr(sized, k) for k in kr.FIELDS if getattr(sized, k) != getattr(plain, k)}
        scenario = kr.get_scenario(row)
        if scenario.regime in ("more_features", "less_features"):
            expected = {k: v for k, v in extra.items() if k not in scenario.defaults}
            if "batch_size" in expected:  # the default learning rate follows the batch size
                expected["learning_rate"] = kr.default_learning_rate(sized.optimizer, expected["batch_size"])
            assert changed == expected
            assert expected or (scenario.regime, size) == ("less_features", "small_dataset")  # row already has them
        else:
            assert changed == {}


def test_size_defaults_sit_under_the_row_and_the_user():
    small = kr.Recipe().resolved("multiclass-more-features", dataset_size="small_dataset")
    assert (small.dropout, small.l2, small.units) == (0.1, 1e-4, 128)  # size regularizes, the row keeps its width
    large = kr.Recipe(batch_size=16).resolved("regression-less-features", dataset_size="large_dataset")
    assert (large.batch_size, large.patience, large.dropout) == (16, 10, 0.1)  # user wins; the row's dropout stays
    assert kr.dataset_size(kr.DEFAULT_THRESHOLDS.large_dataset) == "large_dataset"
    assert kr.dataset_size(9, kr.Thresholds(large_dataset=10)) == "small_dataset"
    with pytest.raises(ValueError, match=r"^`dataset_size` must be one of: 'large_dataset', 'small_dataset'"):
        kr.Recipe().resolved("regression-less-features", dataset_size="huge")


def test_numpy_scalars_from_sweeps_become_python_types():
    r = kr.Recipe(units=np.int64(32), learning_rate=np.float64(0.01), batch_norm=np.bool_(True))
    assert type(r.units) is int and type(r.learning_rate) is float and r.batch_norm is True
    json.dumps(r.to_dict())


def test_unknown_field_suggests_the_close_name():
    with pytest.raises(ValueError, match=r"Unknown recipe field 'lr'.*Expected one of"):
        kr.Recipe.from_dict({"lr": 0.1})
    with pytest.raises(ValueError, match=r"Did you mean 'learning_rate'\?"):
        kr.Recipe.from_dict({"learning_rat": 0.1})


def test_from_dict_rejects_non_mappings():
    with pytest.raises(TypeError, match=r"`recipe` must be a mapping"):
        kr.Recipe.from_dict(["units", 3])


def test_elastic_net_excludes_l1_l2():
    with pytest.raises(ValueError, match=r"Only one of `l1`/`l2` and `elastic_net` can be set\. Received: l1=0\.1"):
        kr.Recipe(l1=0.1, elastic_net=0.01)


def test_fractions_leave_training_data():
    with pytest.raises(ValueError, match="validation_fraction \\+ test_fraction"):
        kr.Recipe(validation_fraction=0.49, test_fraction=0.45)


def test_task_and_scenario_must_agree():
    with pytest.raises(ValueError, match="is a 'binary' row but `task` is 'regression'"):
        kr.Recipe(task="regression", scenario="binary-small-dataset")
    with pytest.raises(ValueError, match="does not match scenario"):
        kr.Recipe(task="regression").resolved("binary-small-dataset")


def test_recipe_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        kr.Recipe().units = 3


@pytest.mark.parametrize(
    "item,expected",
    [
        ("learning_rate=1e-5", 1e-5),  # YAML 1.1 would read this as a string
        ("units=64", 64),
        ("units=64.0", 64),
        ("batch_norm=true", True),
        ("batch_norm=False", False),
        ("--dropout=0.25", 0.25),  # wandb agent's ${args} form
        ("optimizer=sgd", "sgd"),
        ("scenario=none", None),
    ],
)
def test_parse_overrides(item, expected):
    key = item.lstrip("-").split("=")[0]
    assert kr.parse_overrides([item]) == {key: expected}


@pytest.mark.parametrize(
    "item,match",
    [
        ("units=abc", r"`units` must be an integer in \[1, 65536\]\. Received: units='abc'"),
        ("units=2.5", r"`units` must be an integer"),
        ("batch_norm=maybe", r"`batch_norm` must be a boolean"),
        ("dropout=1", r"`dropout` must be a real number in \[0.0, 1.0\)"),
        ("nosuch=1", r"Unknown recipe field 'nosuch'"),
        ("units", r"Expected key=value"),
    ],
)
def test_parse_overrides_errors(item, match):
    with pytest.raises((ValueError, TypeError), match=match):
        kr.parse_overrides([item])


def test_every_field_documented():
    for name, (constraint, doc) in _recipe.FIELDS.items():
        assert doc and constraint.describe(), name
        assert name in kr.Recipe.__doc__


def test_default_learning_rate_follows_the_square_root_of_the_batch_size():
    assert kr.default_learning_rate("adam", 32) == 1e-3
    assert kr.default_learning_rate("adam", 128) == pytest.approx(2e-3, rel=1e-15)
    assert kr.default_learning_rate("rmsprop", 8) == pytest.approx(5e-4, rel=1e-15)
    assert kr.default_learning_rate("adam", 64) == pytest.approx(1e-3 * 2**0.5, rel=1e-15)
    for optimizer in ("sgd", "momentum", "nesterov", "adagrad", "adadelta"):  # not scaled
        assert kr.default_learning_rate(optimizer, 128) == kr.default_learning_rate(optimizer, 32)
    assert kr.default_learning_rate("adam", 128, "batch") == 1e-3  # full batch / stochastic: unscaled
    assert kr.default_learning_rate("adam", 128, "stochastic") == 1e-3


def test_resolved_learning_rate_follows_the_resolved_batch_size():
    assert kr.Recipe().resolved("binary-large-dataset").learning_rate == pytest.approx(2e-3, rel=1e-15)
    assert kr.Recipe().resolved("binary-small-dataset").learning_rate == 1e-3
    assert kr.Recipe().resolved(
        "regression-less-features", dataset_size="large_dataset"
    ).learning_rate == pytest.approx(2e-3, rel=1e-15)
    assert kr.Recipe(batch_size=32).resolved("binary-large-dataset").learning_rate == 1e-3
    assert kr.Recipe(batch_size=64).resolved("binary-small-dataset").learning_rate == pytest.approx(
        1e-3 * 2**0.5, rel=1e-15
    )
    assert kr.Recipe(learning_rate=0.01).resolved("binary-large-dataset").learning_rate == 0.01  # the user's wins
    assert kr.Recipe(optimizer="sgd").resolved("binary-large-dataset").learning_rate == 1e-2
    assert _table.row_defaults("binary-large-dataset")["learning_rate"] == pytest.approx(2e-3, rel=1e-15)
    resolved = kr.Recipe().resolved("rnn-large-dataset")
    assert kr.Recipe.from_dict(resolved.to_dict()) == resolved


def test_elastic_net_message_says_which_field_to_drop():
    with pytest.raises(
        ValueError, match=r"set `elastic_net_beta` to mix them and drop `l1`/`l2`, or drop `elastic_net`\.$"
    ):
        kr.Recipe(l2=0.1, elastic_net=0.01)
    kr.Recipe(elastic_net=0.01, elastic_net_beta=0.3)  # the fix, as written


# -- build_model from shapes: the messages name what the caller passed (input_shape, n_classes), not X and y ------------
SHAPE_ONLY = [
    (
        {"task": "binary"},
        (8,),
        None,
        r"^n_classes=None means a regression target, but task='binary' is a classifier\. Pass n_classes=2, or use "
        r"task='regression'\.$",
    ),
    ({"task": "multiclass"}, (8,), None, r"Pass n_classes=K, the number of classes \(e\.g\. n_classes=3\)"),
    (
        {"task": "binary"},
        (8,),
        4,
        r"^n_classes=4 but task='binary' has a 1-unit sigmoid head \(2 classes\)\. "
        r"Use task='multiclass' \(softmax head\), or pass n_classes=2\.$",
    ),
    (
        {"task": "regression"},
        (8,),
        3,
        r"^n_classes=3 means class labels, but task='regression' predicts numbers\. "
        r"Pass n_classes=None, or use task='multiclass'\.$",
    ),
    (
        {"task": "rnn"},
        (8,),
        2,
        r"^task='rnn' needs sequence input, .* input_shape=\(8,\) is tabular\. Pass an input_shape "
        r"of the form \(timesteps, features\), or use task='binary'\.$",
    ),
    (
        {"scenario": "multiclass-less-features"},
        (8,),
        None,
        r"scenario='multiclass-less-features' \(task 'multiclass'\) is a classifier\. Pass n_classes=K.*, or use "
        r"scenario='regression-less-features'\.$",
    ),
    ({"loss": "hinge"}, (8,), None, r"^n_classes=None means a regression target, but the loss is hinge"),
    ({"loss": "huber"}, (8,), 2, r"^n_classes=2 means class labels but huber is a regression loss\. .*loss='auto'"),
]


@pytest.mark.parametrize("fields, shape, n_classes, match", SHAPE_ONLY)
def test_build_model_messages_name_its_own_arguments(fields, shape, n_classes, match):
    with pytest.raises(kr.UserError, match=match) as info:
        kr.build_model(kr.Recipe(**fields), shape, n_classes)
    assert " y " not in f" {info.value} " and "X " not in str(info.value)


def test_build_model_for_data_predicts_integer_labels_as_numbers_with_task_regression():
    """The fix "set task='regression' if the labels are ordered numbers" works here as it does in `train`."""
    X, y = np.random.default_rng(0).normal(size=(60, 4)), np.arange(60) % 3
    model = kr.build_model_for_data(X, y, kr.Recipe(task="regression"))
    assert model.output_shape == (None, 1) and model.head.loss == "mean_squared_error"
    with pytest.raises(kr.UserError, match=r"^`task` must be 'binary' or 'multiclass' for a text target"):
        kr.build_model_for_data(X, np.array(["a", "b", "c"] * 20), kr.Recipe(task="regression"))
