"""Recipes inside scikit-learn: `RecipeClassifier` and `RecipeRegressor`, and a model for Keras' wrappers.

`RecipeClassifier` / `RecipeRegressor` are scikit-learn estimators whose constructor parameters are
the recipe fields (`kerasrecipes recipes --fields`; all but `test_fraction`, since cross-validation
does the testing), so `GridSearchCV(est, {"units": [32, 64], "dropout": [0.0, 0.2]})`, `clone`,
`Pipeline` and `cross_val_score` work as with any scikit-learn model. `fit(X, y)` trains the way
`kerasrecipes.train` does, in memory: the same column typing and preprocessing inside the model
(a DataFrame may hold text categories, dates, booleans and missing values; an array is numeric, NaN
allowed), the scenario row chosen from the data, the row's defaults for the fields left at None,
seeded (bit-identical refits), early stopping on a `validation_fraction` split of the rows it is
given, and no test split. `predict` takes raw rows like those it was fitted on and answers in the
user's labels or units; `predict_proba` gives one column per class of `classes_`.

`recipe_model` is the `model` callable for Keras' own `keras.wrappers.SKLearnClassifier/Regressor`:
it sees the (encoded) training data, infers the head from `y` and builds the recipe's compiled
model. The recipe's epochs, batch size, validation split and early stopping become the model's `fit`
defaults, because Keras 3.15's `SKLearnClassifier.__sklearn_clone__` drops `fit_kwargs` (so every
`cross_val_score` or `GridSearchCV` clone would otherwise train one epoch); `fit_kwargs` you pass
still win. Those wrappers can only search whole `model_kwargs` dicts; the estimators above search
each field.

Examples:
    >>> from sklearn.model_selection import GridSearchCV
    >>> search = GridSearchCV(RecipeClassifier(epochs=20), {"units": [16, 32], "dropout": [0.0, 0.2]}, cv=3)
    >>> sorted(search.get_params()["estimator"].get_params())[:3]
    ['activation', 'api', 'augment_contrast']
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from kerasrecipes.errors import UserError
from kerasrecipes.recipes._recipe import FIELDS


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
        defaults["callbacks"] = [
            EarlyStopping(
                monitor=model.scenario.monitor,
                mode=model.scenario.mode,
                patience=resolved.patience,
                min_delta=resolved.min_delta,
                restore_best_weights=True,
            )
        ]
    model.fit = functools.partial(model.fit, **defaults)
    return model


EXCLUDED = ("test_fraction",)  # cross-validation does the testing: fit keeps no test split
PARAMS = tuple(name for name in FIELDS if name not in EXCLUDED)


def _signature() -> inspect.Signature:
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature(
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            *(inspect.Parameter(name, keyword, default=None) for name in PARAMS),
            inspect.Parameter("verbose", keyword, default=0),
        ]
    )


class _RecipeEstimator(BaseEstimator):
    """What the two estimators share; `_classifier` tells them apart."""

    _classifier = False

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(PARAMS) - {"verbose"})
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s) {unknown}; its parameters "
                "are the recipe fields (`kerasrecipes recipes --fields`) and verbose"
            )
        for name in PARAMS:
            setattr(self, name, params.get(name))
        self.verbose = params.get("verbose", 0)

    __init__.__signature__ = _signature()  # scikit-learn reads the parameters from the signature

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # imputed inside the model
        return tags

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        if "model_" in state:  # as the pipeline's model: a fresh process registers kerasrecipes' objects first
            from kerasrecipes.runs.rundir import model_bytes

            state = {**state, "model_": model_bytes(state["model_"])}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("model_"), bytes):
            from kerasrecipes.runs.rundir import model_from_bytes

            state = {**state, "model_": model_from_bytes(state["model_"])}
        super().__setstate__(state)

    def _recipe(self) -> Any:
        from kerasrecipes.recipes._recipe import Recipe

        return Recipe.from_dict({name: getattr(self, name) for name in PARAMS if getattr(self, name) is not None})

    def fit(self, X: Any, y: Any) -> _RecipeEstimator:
        """Train on (X, y): every row trains, but a `validation_fraction` split for early stopping.

        Args:
            X: a `pandas.DataFrame` of raw columns, or a numeric array (n_samples, n_features).
            y: the targets: class labels (classifier) or numbers (regressor).

        Returns:
            self, fitted: `pipeline_` (a `Predictor`: raw rows in, labels or values out), `model_`
            (the trained network on preprocessed features), `history_`, `recipe_` (resolved),
            `scenario_` (the row's name), `n_iter_` (epochs run), `n_features_in_`, and
            `feature_names_in_` for a DataFrame; `classes_` for a classifier.
        """
        from kerasrecipes.runs._predict import Predictor
        from kerasrecipes.runs._train import fit_pipeline

        recipe = self._recipe()
        wrong = ("regression",) if self._classifier else ("binary", "multiclass", "multilabel")
        if recipe.task in wrong:
            raise UserError(
                f"{type(self).__name__}(task={recipe.task!r}) contradicts the estimator: use "
                f"{'RecipeRegressor' if self._classifier else 'RecipeClassifier'}, or leave task at None."
            )
        frame = hasattr(X, "iloc") and hasattr(X, "columns")
        shape = np.asarray(y).shape  # asarray: array-likes that refuse NumPy's functions (check_estimator's)
        multilabel = self._classifier and len(shape) == 2 and shape[1] > 1  # one 0/1 column per label
        if frame:
            validate_data(self, X, skip_check_array=True)
            y = np.asarray(y) if multilabel else column_or_1d(np.asarray(y), warn=True)
            if len(y) != len(X):
                raise UserError(f"X has {len(X)} rows but y has {len(y)}; give one target per row.")
            if not self._classifier:  # as for an array: numbers, none missing
                y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y")
        else:
            X, y = validate_data(
                self, X, y, ensure_all_finite="allow-nan", y_numeric=not self._classifier, multi_output=multilabel
            )
        if multilabel:
            y = self._label_columns(y)
            task = "multilabel"
        elif self._classifier:
            y = self._class_codes(y)
            task = "binary" if len(self.classes_) == 2 else "multiclass"
        else:
            task = "regression"
        if recipe.task not in (None, "auto"):  # the user's task is checked against the data as train() does
            task = "auto"
        if frame:
            target = _free_name(X.columns)
            columns = {f"{target}_{j}": y[:, j] for j in range(y.shape[1])} if multilabel else {target: y}
            fields = fit_pipeline(
                X.assign(**columns), target=",".join(columns), recipe=recipe, task=task, verbose=self.verbose
            )
        else:
            fields = fit_pipeline(np.asarray(X, dtype="float64"), y, recipe=recipe, task=task, verbose=self.verbose)
        prepared = fields["data"]
        target_spec = prepared.target
        if self._classifier:  # the network learnt class codes; the pipeline answers in the user's labels
            target_spec = {**target_spec, "classes": self.classes_.tolist()}
        self.pipeline_ = Predictor(
            fields["inference"], prepared.preprocessing, target_spec, target="prediction", name=type(self).__name__
        )
        self.model_, self.history_, self.recipe_ = fields["model"], fields["history"], fields["recipe"]
        self.scenario_ = fields["scenario"].name
        self.n_iter_ = len(self.history_.get("loss", []))
        return self

    def _label_columns(self, y: np.ndarray) -> np.ndarray:
        """Set `classes_` (0..k-1, the label columns, as scikit-learn's multi-label classifiers do) and return y
        as 0/1 integers; each column must be 0 or 1 and hold both."""
        check_classification_targets(y)
        if type_of_target(y) != "multilabel-indicator":
            raise UserError(
                f"{type(self).__name__}: y has {y.shape[1]} columns but they are not 0/1 label columns "
                f"({type_of_target(y)}); give one 0/1 column per label, or a 1-D y of class labels."
            )
        self.classes_ = np.arange(y.shape[1])
        return np.asarray(y).astype(np.int64)

    def _class_codes(self, y: np.ndarray) -> np.ndarray:
        """Set `classes_` (the sorted labels) and return y as indices into it.

        The network trains on these codes, never on the labels re-read as data: a label such as "NA"
        or "10" stays the user's class (the typing of a CSV column would read a missing value or a
        number, and sort "10" before "8" differently).
        """
        import pandas as pd

        missing = int(pd.isna(pd.Series(y, dtype=object)).sum())
        if missing:
            raise UserError(f"y has {missing} missing label(s); drop those rows or give them a class.")
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise UserError(
                f"{type(self).__name__} needs at least 2 classes in y; got one class, "
                f"{self.classes_.tolist()}. Give rows of every class."
            )
        return codes.reshape(-1)

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        if hasattr(X, "iloc") and hasattr(X, "columns"):
            validate_data(self, X, skip_check_array=True, reset=False)
            rows = X
        else:
            rows = validate_data(self, X, ensure_all_finite="allow-nan", reset=False)
        outputs, notes = self.pipeline_.outputs(rows)
        notes.warn()
        return outputs


class RecipeClassifier(ClassifierMixin, _RecipeEstimator):
    """A recipe as a scikit-learn classifier; parameters are the recipe fields (module docstring).

    Examples:
        >>> from sklearn.datasets import load_iris
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = RecipeClassifier(units=16, epochs=5, seed=0).fit(X, y)
        >>> clf.scenario_, clf.predict(X[:2]).shape, clf.predict_proba(X[:2]).shape
        ('multiclass-less-features', (2,), (2, 3))
    """

    _classifier = True

    def predict_proba(self, X: Any) -> np.ndarray:
        """One probability per class of `classes_`, for each row (multi-label: one per label, each in [0, 1])."""
        return self._outputs(X)

    def predict(self, X: Any) -> np.ndarray:
        """The class of `classes_` with the highest probability, for each row; fitted on a 2-D y of 0/1 label
        columns, one 0/1 column per label (each probability at its label's threshold, chosen on the validation
        rows)."""
        outputs = self._outputs(X)  # first: it checks that the estimator is fitted
        if self.pipeline_.task == "multilabel":
            return self.pipeline_.labels(outputs)
        return self.classes_[outputs.argmax(axis=1)]


class RecipeRegressor(RegressorMixin, _RecipeEstimator):
    """A recipe as a scikit-learn regressor; parameters are the recipe fields (module docstring).

    Examples:
        >>> from sklearn.datasets import load_diabetes
        >>> X, y = load_diabetes(return_X_y=True)
        >>> reg = RecipeRegressor(epochs=5, seed=0).fit(X, y)
        >>> reg.predict(X[:3]).shape
        (3,)
    """

    def predict(self, X: Any) -> np.ndarray:
        """The value for each row, in the units of the `y` it was fitted on."""
        return self._outputs(X)[:, 0]


def _free_name(columns: Any) -> str:
    """A column name for the target that X does not use."""
    name = "target"
    while name in set(map(str, columns)):
        name = "_" + name
    return name
