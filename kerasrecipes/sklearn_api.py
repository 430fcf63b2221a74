"""Recipes inside scikit-learn, through Keras' own `keras.wrappers.SKLearnClassifier/Regressor`.

`recipe_model` is the `model` callable those wrappers take: it sees the (encoded) training data,
infers the head from `y` and builds the recipe's compiled model. The recipe's epochs, batch size,
validation split and early stopping become the model's `fit` defaults, because Keras 3.15's
`SKLearnClassifier.__sklearn_clone__` drops `fit_kwargs` (so every `cross_val_score` or
`GridSearchCV` clone would otherwise train one epoch); `fit_kwargs` you pass still win.

Example:
    >>> import keras
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> clf = make_pipeline(StandardScaler(), keras.wrappers.SKLearnClassifier(
    ...     model=recipe_model, model_kwargs={"units": 32, "epochs": 50}))
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np


def recipe_model(X: Any, y: Any, recipe: Any = None, task: str = "auto", **fields: Any):
    """Build the recipe model for (X, y), with the recipe's training settings as `fit` defaults.

    Args:
        X: training inputs as the wrapper passes them.
        y: training targets as the wrapper passes them (one-hot for `SKLearnClassifier`).
        recipe: a `Recipe` or dict of fields; `**fields` are merged over it.
        task: "auto" or a task name.
        **fields: recipe fields, e.g. `units=32, dropout=0.2, epochs=100`.

    Returns:
        A compiled `keras.Model` whose `fit` defaults to the recipe's epochs, batch size,
        validation split and early stopping (best weights restored).
    """
    from kerasrecipes.callbacks import EarlyStopping
    from kerasrecipes.recipes._build import _coerce_recipe, build_model_for_data
    from kerasrecipes.seeding import set_seed

    recipe = _coerce_recipe(recipe).replace(**fields)
    set_seed(recipe.seed if recipe.seed is not None else 42)
    model = build_model_for_data(np.asarray(X), np.asarray(y), recipe, task=task)
    resolved = model.recipe
    defaults: dict[str, Any] = {"epochs": resolved.epochs, "batch_size": resolved.batch_size, "verbose": 0}
    if resolved.early_stopping:
        defaults["validation_split"] = resolved.validation_fraction
        defaults["callbacks"] = [EarlyStopping(monitor=model.scenario.monitor, mode=model.scenario.mode,
                                               patience=resolved.patience, min_delta=resolved.min_delta,
                                               restore_best_weights=True)]
    model.fit = functools.partial(model.fit, **defaults)
    return model
