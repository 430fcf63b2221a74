"""Recipes through keras.wrappers.SKLearn*: Pipeline, cross-validation, grid search."""

import keras
import numpy as np
from sklearn.datasets import load_iris, load_diabetes
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from kerasrecipes.sklearn_api import recipe_model


def test_pipeline_with_scaler_and_cross_validation():
    X, y = load_iris(return_X_y=True)
    clf = make_pipeline(StandardScaler(), keras.wrappers.SKLearnClassifier(
        model=recipe_model, model_kwargs={"units": 16, "epochs": 40, "learning_rate": 0.01, "seed": 1}))
    scores = cross_val_score(clf, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,)
    assert scores.mean() > 0.8  # a 1-epoch model (the clone pitfall) stays near chance


def test_regressor_infers_the_regression_head():
    X, y = load_diabetes(return_X_y=True)
    reg = make_pipeline(StandardScaler(), keras.wrappers.SKLearnRegressor(
        model=recipe_model, model_kwargs={"units": 16, "epochs": 3}))
    reg.fit(X[:200], (y[:200] - y.mean()) / y.std())
    model = reg[-1].model_
    assert model.head.activation == "linear" and model.head.loss == "mean_squared_error"
    assert reg.predict(X[200:210]).shape[0] == 10


def test_grid_search_over_recipe_fields():
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        keras.wrappers.SKLearnClassifier(model=recipe_model, model_kwargs={"epochs": 2}),
        {"model_kwargs": [{"epochs": 2, "units": 4}, {"epochs": 2, "units": 8}]},
        cv=KFold(2, shuffle=True, random_state=0),
    )
    search.fit(StandardScaler().fit_transform(X), y)
    assert search.best_params_["model_kwargs"]["units"] in (4, 8)


def test_same_seed_same_model():
    X, y = load_iris(return_X_y=True)
    preds = []
    for _ in range(2):
        clf = keras.wrappers.SKLearnClassifier(model=recipe_model, model_kwargs={"epochs": 3, "seed": 5})
        clf.fit(X, y)
        preds.append(clf.model_.predict(X, verbose=0))
    np.testing.assert_array_equal(*preds)
