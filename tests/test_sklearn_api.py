"""Recipes in scikit-learn: RecipeClassifier/RecipeRegressor, and recipe_model in keras.wrappers.SKLearn*."""

import doctest
import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, load_diabetes
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from kerasrecipes.sklearn_api import recipe_model


@pytest.mark.slow
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


# RecipeClassifier / RecipeRegressor: scikit-learn estimators whose parameters are the recipe fields


from kerasrecipes import FIELDS, sklearn_api  # noqa: E402
from kerasrecipes.sklearn_api import RecipeClassifier, RecipeRegressor  # noqa: E402

QUICK = {"units": 16, "learning_rate": 0.01}


def test_parameters_are_the_recipe_fields_and_clone_keeps_them():
    params = RecipeClassifier().get_params()
    assert set(params) == (set(FIELDS) - {"test_fraction"}) | {"verbose"}
    est = RecipeRegressor(units=32, dropout=0.1)
    assert repr(est) == "RecipeRegressor(dropout=0.1, units=32)"
    assert clone(est).get_params()["units"] == 32 and clone(est).get_params()["dropout"] == 0.1
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['unit'\]"):
        RecipeClassifier(unit=3)


def test_grid_search_searches_each_recipe_field():
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(RecipeClassifier(epochs=20, seed=0), {"units": [4, 16], "dropout": [0.0, 0.2]},
                          cv=KFold(2, shuffle=True, random_state=0)).fit(X, y)
    assert set(search.best_params_) == {"units", "dropout"}
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.recipe_.units == search.best_params_["units"]


def test_pipeline_and_cross_val_score_regressor():
    X, y = load_diabetes(return_X_y=True)
    scores = cross_val_score(make_pipeline(StandardScaler(), RecipeRegressor(**QUICK, epochs=30, seed=0)), X, y,
                             cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and scores.mean() > 0.3  # R2 in the target's units


def test_a_raw_dataframe_with_text_labels_missing_values_and_dates():
    rng = np.random.default_rng(0)
    n = 240
    X = pd.DataFrame({"amount": rng.normal(size=n), "plan": rng.choice(["basic", "pro", "team"], n),
                      "signed": pd.date_range("2024-01-01", periods=n, freq="D").astype(str)})
    X.loc[::17, "amount"] = np.nan
    y = np.where((X["plan"] == "pro") | (X["amount"].fillna(0) > 0.5), "churn", "stay")
    clf = RecipeClassifier(**QUICK, epochs=30, seed=0).fit(X, y)
    assert list(clf.classes_) == ["churn", "stay"] and list(clf.feature_names_in_) == ["amount", "plan", "signed"]
    assert clf.score(X, y) > 0.8
    new = X.head(3).assign(plan=["enterprise", "pro", "basic"])  # an unseen category goes to the "other" bucket
    with pytest.warns(UserWarning, match="never saw in training"):
        assert set(clf.predict(new)) <= {"churn", "stay"}
    assert clf.predict_proba(new).shape == (3, 2)


def test_same_seed_refits_bit_for_bit_and_pickles():
    X, y = load_iris(return_X_y=True)
    a = RecipeClassifier(**QUICK, epochs=30, seed=3).fit(X, y)
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict_proba(X), a.predict_proba(X))


def test_module_examples():
    assert doctest.testmod(sklearn_api).failed == 0


@pytest.mark.slow
@parametrize_with_checks([RecipeClassifier(**QUICK, epochs=60), RecipeRegressor(**QUICK, epochs=60)])
def test_scikit_learn_estimator_checks(estimator, check):
    """Every check of `check_estimator` passes: 54 for the classifier, 51 for the regressor (scikit-learn
    itself skips its array-API check of each unless SCIPY_ARRAY_API=1 is set).
    60 epochs at learning rate 0.01, so the checks' accuracy and R2 floors on tiny data are met."""
    check(estimator)
