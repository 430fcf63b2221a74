"""kerasrecipes: the scenario table (task x data regime -> head, loss, optimizer) as working Keras 3 recipes.

Importing this package does not import TensorFlow: objects that need Keras load on first use.

Examples:
    >>> import kerasrecipes as kr
    >>> kr.list_scenarios("regression-*")
    ['regression-less-features', 'regression-more-features']
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it (loaded lazily)
_EXPORTS = {
    "Recipe": "kerasrecipes.recipes._recipe",
    "FIELDS": "kerasrecipes.recipes._recipe",
    "parse_overrides": "kerasrecipes.recipes._recipe",
    "Scenario": "kerasrecipes.recipes._table",
    "Thresholds": "kerasrecipes.recipes._table",
    "DEFAULT_THRESHOLDS": "kerasrecipes.recipes._table",
    "SIZE_DEFAULTS": "kerasrecipes.recipes._table",
    "dataset_size": "kerasrecipes.recipes._table",
    "default_learning_rate": "kerasrecipes.recipes._table",
    "list_scenarios": "kerasrecipes.recipes._table",
    "get_scenario": "kerasrecipes.recipes._table",
    "TargetInfo": "kerasrecipes.data._target",
    "infer_target": "kerasrecipes.data._target",
    "select_scenario": "kerasrecipes.recipes._task",
    "check_head": "kerasrecipes.recipes._task",
    "build_model": "kerasrecipes.recipes._build",
    "build_model_for_data": "kerasrecipes.recipes._build",
    "train": "kerasrecipes.runs._train",
    "RunResult": "kerasrecipes.runs._train",
    "cross_validate": "kerasrecipes.runs._cross_validate",
    "CrossValidation": "kerasrecipes.runs._cross_validate",
    "lr_find": "kerasrecipes.runs._lr_find",
    "LRFindResult": "kerasrecipes.runs._lr_range",
    "reproduce": "kerasrecipes.runs._reproduce",
    "Reproduction": "kerasrecipes.runs._reproduce",
    "load_run": "kerasrecipes.runs._predict",
    "Run": "kerasrecipes.runs._predict",
    "export": "kerasrecipes.runs._export",
    "register_keras_objects": "kerasrecipes.runs.rundir",
    "UserError": "kerasrecipes.errors",
    "RecipeClassifier": "kerasrecipes.sklearn_api",
    "RecipeRegressor": "kerasrecipes.sklearn_api",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kerasrecipes' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
