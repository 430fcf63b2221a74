"""The scenario table, task/regime inference, the Recipe type and `build_model` (keras-free import)."""

from kerasrecipes.recipes._recipe import FIELDS, Recipe, coerce_value, parse_overrides
from kerasrecipes.recipes._table import (
    BASE_DEFAULTS,
    DEFAULT_THRESHOLDS,
    LARGE_DATASET_THRESHOLD,
    MORE_FEATURES_THRESHOLD,
    SIZE_DEFAULTS,
    TASKS,
    Scenario,
    Thresholds,
    dataset_size,
    default_learning_rate,
    get_scenario,
    list_scenarios,
    row_defaults,
    scenario_for,
)
from kerasrecipes.recipes._task import TargetInfo, check_head, infer_target, select_scenario


def build_model(*args, **kwargs):
    """Recipe + input shape (+ classes) -> compiled keras.Model. See `kerasrecipes.recipes._build`."""
    from kerasrecipes.recipes._build import build_model as _build_model

    return _build_model(*args, **kwargs)


__all__ = [
    "BASE_DEFAULTS",
    "DEFAULT_THRESHOLDS",
    "FIELDS",
    "LARGE_DATASET_THRESHOLD",
    "MORE_FEATURES_THRESHOLD",
    "Recipe",
    "SIZE_DEFAULTS",
    "Scenario",
    "TASKS",
    "TargetInfo",
    "Thresholds",
    "build_model",
    "check_head",
    "coerce_value",
    "dataset_size",
    "default_learning_rate",
    "get_scenario",
    "infer_target",
    "list_scenarios",
    "parse_overrides",
    "row_defaults",
    "scenario_for",
    "select_scenario",
]
