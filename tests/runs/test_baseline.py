"""The trivial baseline beside every run's test metrics: its numbers (checked against scikit-learn's
dummy estimators on the same split), the summary lines that show it, and the diagnosis that never calls a
model no better than it a good fit."""

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score, roc_auc_score

from kerasrecipes import runs
from kerasrecipes.data import load_dataset, prepare

QUICK = {"epochs": 2, "units": 8}


def _frame(n=240, seed=0, signal=1.0):
    """Two numeric features and a yes/no target (mostly 'no'), as strongly tied to the first as `signal`."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    risk = signal * x[:, 0] + rng.normal(size=n) - 0.8
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "churn": np.where(risk > 0, "yes", "no")})


def _dummy_classifier(data):
    labels = data.classes
    dummy = DummyClassifier(strategy="prior").fit(np.zeros((len(data.y_train), 1)), labels[data.y_train])
    test = np.zeros((len(data.y_test), 1))
    return dummy.predict(test), dummy.predict_proba(test), labels[data.y_test]


def test_binary_baseline_is_scikit_learns_dummy_and_the_summary_shows_it():
    result = runs.train(_frame(), target="churn", recipe=QUICK, tracking="none", verbose=0)
    baseline = result.manifest["test_baseline"]
    said, proba, truth = _dummy_classifier(result.data)
    assert baseline["metrics"] == pytest.approx(
        {
            "accuracy": accuracy_score(truth, said),
            "score": accuracy_score(truth, said),
            "f1": f1_score(truth, said, pos_label="yes", zero_division=0.0),
            "auc": roc_auc_score(truth == "yes", proba[:, 1]),
        },
        abs=1e-12,
    )
    assert baseline["predictor"] == "majority class 'no'" and set(said) == {"no"}
    text = runs.rundir.summary(result)
    assert "\nbaseline                auc=0.5000  f1=0.0000  accuracy=" in text  # aligned under the test line
    assert "(majority class 'no')" in text
    assert "metrics    f1 of the positive class 'yes'; score = accuracy" in text
    summary = result.summary()
    assert summary["test_baseline"] == baseline and summary["positive_class"] == "yes"
    assert summary["score_metric"] == "accuracy"


def test_multiclass_baseline_is_scikit_learns_dummy():
    result = runs.train("wine", recipe=QUICK, tracking="none", verbose=0)
    said, _, truth = _dummy_classifier(result.data)
    assert result.manifest["test_baseline"]["metrics"] == pytest.approx(
        {
            "accuracy": accuracy_score(truth, said),
            "score": accuracy_score(truth, said),
            "f1_macro": f1_score(truth, said, average="macro", zero_division=0.0),
        },
        abs=1e-12,
    )


def test_regression_baseline_is_the_training_mean_in_the_targets_units():
    result = runs.train("diabetes", recipe=QUICK, tracking="none", verbose=0)
    data = result.data
    y_train, y_test = data.inverse_transform_y(data.y_train), data.inverse_transform_y(data.y_test)
    said = DummyRegressor().fit(np.zeros((len(y_train), 1)), y_train).predict(np.zeros((len(y_test), 1)))
    expected = {
        "r2": r2_score(y_test, said),
        "mae": mean_absolute_error(y_test, said),
        "rmse": float(np.sqrt(np.mean((y_test - said) ** 2))),
    }
    assert result.manifest["test_baseline"]["metrics"] == pytest.approx({**expected, "score": expected["r2"]}, rel=1e-9)
    assert result.manifest["test_baseline"]["predictor"] == f"the training mean {y_train.mean():.6g}"
    assert "score = r2 (R^2); mae, rmse in the target's units" in runs.rundir.summary(result)


def test_multilabel_baseline_says_the_labels_most_training_rows_have():
    result = runs.train("multilabel", recipe=QUICK, tracking="none", verbose=0)
    data = result.data
    said = np.broadcast_to(data.y_train.mean(axis=0) >= 0.5, data.y_test.shape)
    truth = data.y_test == 1
    metrics = result.manifest["test_baseline"]["metrics"]
    assert metrics["accuracy"] == pytest.approx(float((said == truth).mean()), abs=1e-12)
    assert metrics["subset_accuracy"] == pytest.approx(float((said == truth).all(axis=1).mean()), abs=1e-12)
    assert metrics["auc"] == 0.5 and metrics["score"] == metrics["accuracy"]


def test_downsampled_class_frequencies_are_those_before_downsampling():
    dataset = load_dataset("breast_cancer")
    kept = prepare(dataset, task="binary", seed=3, imbalance="downsample")
    whole = prepare(dataset, task="binary", seed=3)
    assert np.bincount(kept.y_train).tolist()[0] == np.bincount(kept.y_train).tolist()[1]  # balanced by downsampling
    expected = np.bincount(whole.y_train) / len(whole.y_train)
    assert kept.class_frequencies() == pytest.approx(expected, abs=1e-6)


def test_a_target_independent_of_the_features_is_no_better_than_the_baseline():
    """The target does not depend on the features: the model cannot beat the majority class, and the
    diagnosis says so instead of calling it a good fit."""
    result = runs.train(_frame(signal=0.0, seed=1), target="churn", recipe={"epochs": 12}, tracking="none", verbose=0)
    diagnosis = result.diagnosis
    assert diagnosis.beats_baseline is False and diagnosis.verdict != "good_fit"
    assert result.test_metrics["score"] <= result.manifest["test_baseline"]["metrics"]["score"]
    assert result.manifest["diagnosis"]["beats_baseline"] is False
    assert any("no better than the baseline's" in r for r in result.manifest["diagnosis"]["reasons"])
    line = runs.rundir.summary(result).split("diagnosis  ")[1].splitlines()[0]
    assert "no better than the baseline" in line or line.startswith("no_better_than_baseline (")
