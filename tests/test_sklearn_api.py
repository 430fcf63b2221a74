"""Recipes in scikit-learn: RecipeClassifier/RecipeRegressor, and recipe_model in keras.wrappers.SKLearn*."""

import doctest
import os
import pickle
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from kerasrecipes.sklearn_api import recipe_model


@pytest.mark.slow
def test_pipeline_with_scaler_and_cross_validation():
    X, y = load_iris(return_X_y=True)
    clf = make_pipeline(
        StandardScaler(),
        keras.wrappers.SKLearnClassifier(
            model=recipe_model, model_kwargs={"units": 16, "epochs": 10, "learning_rate": 0.05, "seed": 1}
        ),
    )
    scores = cross_val_score(clf, X, y, cv=StratifiedKFold(2, shuffle=True, random_state=0))
    assert scores.shape == (2,)
    assert scores.mean() > 0.8  # 0.93; a 1-epoch model (the clone pitfall) stays near chance (0.71 on these folds)


def test_regressor_infers_the_regression_head():
    X, y = load_diabetes(return_X_y=True)
    reg = make_pipeline(
        StandardScaler(), keras.wrappers.SKLearnRegressor(model=recipe_model, model_kwargs={"units": 16, "epochs": 3})
    )
    reg.fit(X[:200], (y[:200] - y.mean()) / y.std())
    model = reg[-1].model_
    assert model.head.activation == "linear" and model.head.loss == "mean_squared_error"
    assert reg.predict(X[200:210]).shape[0] == 10


def test_grid_search_over_recipe_fields():
    """One split and no refit: each candidate's recipe fields reach a clone's `fit` once, which is what is
    searched (Keras' fit traces every new model, seconds each)."""
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        keras.wrappers.SKLearnClassifier(model=recipe_model, model_kwargs={"epochs": 2}),
        {"model_kwargs": [{"epochs": 2, "units": 4}, {"epochs": 2, "units": 8}]},
        cv=ShuffleSplit(1, test_size=0.5, random_state=0),
        refit=False,
    )
    search.fit(StandardScaler().fit_transform(X), y)
    assert search.best_params_["model_kwargs"]["units"] in (4, 8)
    assert [p["model_kwargs"]["units"] for p in search.cv_results_["params"]] == [4, 8]


def test_same_seed_same_model():
    """The two fits' weights, compared bit for bit (equal weights give equal predictions)."""
    X, y = load_iris(return_X_y=True)
    weights = []
    for _ in range(2):
        clf = keras.wrappers.SKLearnClassifier(model=recipe_model, model_kwargs={"epochs": 3, "seed": 5})
        clf.fit(X, y)
        weights.append(clf.model_.get_weights())
    assert len(weights[0]) == len(weights[1]) > 0
    for first, again in zip(*weights):
        np.testing.assert_array_equal(first, again)


# RecipeClassifier / RecipeRegressor: scikit-learn estimators whose parameters are the recipe fields


from kerasrecipes import FIELDS, sklearn_api  # noqa: E402
from kerasrecipes.errors import UserError  # noqa: E402
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
    search = GridSearchCV(
        RecipeClassifier(epochs=20, seed=0),
        {"units": [4, 16], "dropout": [0.0, 0.2]},
        cv=ShuffleSplit(1, test_size=0.5, random_state=0),
    ).fit(X, y)
    assert set(search.best_params_) == {"units", "dropout"}
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.recipe_.units == search.best_params_["units"]


def test_pipeline_and_cross_val_score_regressor():
    X, y = load_diabetes(return_X_y=True)
    scores = cross_val_score(
        make_pipeline(StandardScaler(), RecipeRegressor(**QUICK, epochs=30, seed=0)),
        X,
        y,
        cv=KFold(3, shuffle=True, random_state=0),
    )
    assert scores.shape == (3,) and scores.mean() > 0.3  # R2 in the target's units


@pytest.fixture(scope="module")
def churn():
    """A raw DataFrame (text categories, missing values, dates as text), its text labels, and a classifier
    fitted on them once: the tests that read it do not change it."""
    rng = np.random.default_rng(0)
    n = 240
    X = pd.DataFrame(
        {
            "amount": rng.normal(size=n),
            "plan": rng.choice(["basic", "pro", "team"], n),
            "signed": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
        }
    )
    X.loc[::17, "amount"] = np.nan
    y = np.where((X["plan"] == "pro") | (X["amount"].fillna(0) > 0.5), "churn", "stay")
    return X, y, RecipeClassifier(**QUICK, epochs=30, seed=0).fit(X, y)


def test_a_raw_dataframe_with_text_labels_missing_values_and_dates(churn):
    X, y, clf = churn
    assert list(clf.classes_) == ["churn", "stay"] and list(clf.feature_names_in_) == ["amount", "plan", "signed"]
    assert clf.score(X, y) > 0.8
    new = X.head(3).assign(plan=["enterprise", "pro", "basic"])  # an unseen category goes to the "other" bucket
    with pytest.warns(UserWarning, match="never saw in training"):
        assert set(clf.predict(new)) <= {"churn", "stay"}
    assert clf.predict_proba(new).shape == (3, 2)


@pytest.mark.parametrize("labels", [("8", "9", "10"), ("AF", "EU", "NA", "SA")])
def test_a_dataframe_keeps_labels_that_read_as_numbers_or_missing_values(labels):
    """Labels are the user's classes, never re-read as CSV data ("10" a number, "NA" a missing value)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = np.asarray(labels, dtype=object)[np.digitize(x, np.quantile(x, np.linspace(0, 1, len(labels) + 1)[1:-1]))]
    clf = RecipeClassifier(**{**QUICK, "learning_rate": 0.05}, epochs=40, seed=0).fit(pd.DataFrame({"x": x}), y)
    assert list(clf.classes_) == sorted(labels) and list(clf.pipeline_.classes) == sorted(labels)
    assert clf.predict_proba(pd.DataFrame({"x": x})).shape == (200, len(labels))
    assert clf.score(pd.DataFrame({"x": x}), y) > 0.9
    np.testing.assert_array_equal(clf.pipeline_.predict(pd.DataFrame({"x": x})), clf.predict(pd.DataFrame({"x": x})))


def test_contradicting_task_and_missing_targets_are_refused():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(UserError, match=r"task='regression'\) contradicts .* use RecipeRegressor"):
        RecipeClassifier(task="regression").fit(X, y)
    with pytest.raises(UserError, match=r"task='binary'\) contradicts .* use RecipeClassifier"):
        RecipeRegressor(task="binary").fit(X, y.astype(float))
    frame = pd.DataFrame(X[:, :2], columns=["a", "b"])
    with pytest.raises(ValueError, match="Input y contains NaN"):  # as for an array
        RecipeRegressor().fit(frame, np.r_[np.nan, y[1:].astype(float)])
    with pytest.raises(UserError, match="y has 1 missing label"):
        RecipeClassifier().fit(frame, np.r_[[None], np.asarray(["a", "b"] * 75, dtype=object)[1:]])


def test_a_pickled_estimator_and_a_saved_model_load_in_a_fresh_process(churn, tmp_path):
    """Unpickling registers kerasrecipes' Keras objects (a fresh process has not imported them); so does
    `register_keras_objects()` for a plain `keras.saving.load_model` of a run's model.keras."""
    from kerasrecipes.runs._train import train

    X, _, clf = churn
    (tmp_path / "clf.pkl").write_bytes(pickle.dumps(clf))
    X.to_csv(tmp_path / "x.csv", index=False)
    np.save(tmp_path / "proba.npy", clf.predict_proba(X))
    train(
        X.assign(y=X["amount"] > 0), target="y", recipe={"epochs": 2}, out=tmp_path / "run", tracking="none", verbose=0
    )
    script = f"""
import pickle, keras, numpy as np, pandas as pd
import kerasrecipes as kr
folder = {str(tmp_path)!r}
clf = pickle.loads(open(folder + "/clf.pkl", "rb").read())
assert np.array_equal(clf.predict_proba(pd.read_csv(folder + "/x.csv")), np.load(folder + "/proba.npy"))
kr.register_keras_objects()
model = keras.saving.load_model(folder + "/run/model.keras", safe_mode=True)
print("OK", list(clf.predict(pd.read_csv(folder + "/x.csv").head(2))), len(model.inputs))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "OK ['" in proc.stdout and proc.stdout.strip().endswith(" 3")  # amount, plan, signed


def test_same_seed_refits_bit_for_bit_and_pickles():
    X, y = load_iris(return_X_y=True)
    a = RecipeClassifier(**QUICK, epochs=30, seed=3).fit(X, y)
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict_proba(X), a.predict_proba(X))


def test_module_examples():
    assert doctest.testmod(sklearn_api).failed == 0


CHECKED = {"units": 16, "learning_rate": 0.05, "epochs": 15}


@pytest.mark.slow
@parametrize_with_checks([RecipeClassifier(**CHECKED), RecipeRegressor(**CHECKED)])
def test_scikit_learn_estimator_checks(estimator, check):
    """Every check of `check_estimator` passes: 54 for the classifier, 51 for the regressor (scikit-learn
    itself skips its array-API check of each unless SCIPY_ARRAY_API=1 is set).
    15 epochs at learning rate 0.05, so the checks' accuracy and R2 floors on tiny data are met (training
    accuracy 0.97 and 0.93 for the floor of 0.83, R2 0.82 for the floor of 0.5) in few epochs.

    One check is run with float32's tolerance instead of scikit-learn's 1e-7: the row-order one (below)."""
    if getattr(check, "func", check).__name__ == "check_methods_sample_order_invariance":
        _check_row_order_invariance_to_float32_rounding(estimator)
    else:
        check(estimator)


def _check_row_order_invariance_to_float32_rounding(estimator):
    """scikit-learn's `check_methods_sample_order_invariance` on its own data, with 20 seeded permutations
    and float32's tolerance. scikit-learn asks for rtol 1e-7, below float32's 1.2e-7 resolution, with an
    unseeded permutation: TensorFlow's matrix multiply rounds a row by its position in the batch (a row
    in a tail block of the multiply is summed in another order), so a permuted batch can move a
    prediction by one float32 step (1.2e-7 measured) and the check failed at random in CI."""
    X = 3 * np.random.RandomState(0).uniform(size=(20, 3))
    y = X[:, 0].astype(np.int64)
    fitted = clone(estimator).fit(X, y)
    methods = [m for m in ("predict", "predict_proba") if hasattr(fitted, m)]
    rng = np.random.default_rng(0)
    for _ in range(20):
        order = rng.permutation(len(X))
        for method in methods:
            whole, permuted = getattr(fitted, method)(X)[order], getattr(fitted, method)(X[order])
            if method == "predict" and fitted._classifier:
                np.testing.assert_array_equal(whole, permuted)
            else:
                np.testing.assert_allclose(whole, permuted, rtol=1e-6, atol=1e-6, err_msg=method)
