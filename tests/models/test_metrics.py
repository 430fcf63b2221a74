"""PositiveClassAUC: the binary AUC of a two-unit softmax head, and the runs that need it."""

import keras
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from kerasrecipes import load_run, runs
from kerasrecipes.models.metrics import PositiveClassAUC

RNG = np.random.default_rng(0)
Y = RNG.integers(0, 2, 200)
LOGITS = RNG.normal(size=(200, 2)) + np.stack([np.zeros(200), Y], axis=1)
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    "labels, scores, from_logits",
    [(Y, PROBS, False), (Y.reshape(-1, 1), PROBS, False), (np.eye(2)[Y], PROBS, False), (Y, LOGITS, True)],
    ids=["ids", "ids-column", "one-hot", "logits"],
)
def test_it_scores_the_positive_class_as_scikit_learn_does(labels, scores, from_logits):
    metric = PositiveClassAUC(from_logits=from_logits, num_thresholds=2000)
    metric.update_state(labels, scores)
    assert float(metric.result()) == pytest.approx(roc_auc_score(Y, PROBS[:, 1]), abs=1e-3)
    again = PositiveClassAUC.from_config(metric.get_config())
    assert again.logits is from_logits


def test_a_binary_target_on_a_softmax_head_trains_reports_auc_and_reloads(tmp_path):
    """Once a crash: the stock AUC flattened both softmax columns against one label per row. The epoch's
    validation AUC is scikit-learn's on the same predictions (to the metric's 200 thresholds)."""
    X = RNG.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    result = runs.train(
        X,
        y,
        recipe={"epochs": 2, "seed": 0, "loss": "sparse_categorical_crossentropy"},
        out=tmp_path / "run",
        tracking="none",
        verbose=0,
    )
    assert result.model.output_shape[-1] == 2
    val = result.model.predict(result.data.X_val, verbose=0)[:, 1]
    assert result.history["val_auc"][-1] == pytest.approx(roc_auc_score(result.data.y_val, val), abs=0.02)
    assert 0 <= result.test_metrics["auc"] <= 1
    keras.models.load_model(tmp_path / "run" / "model.keras")  # its compile configuration names the metric
    assert load_run(tmp_path / "run").predict_proba(X[:5]).shape == (5, 2)


def test_docstring_examples_run():
    import doctest

    from kerasrecipes.models import metrics

    assert doctest.testmod(metrics).failed == 0
