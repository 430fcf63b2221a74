"""Multi-label targets: several 0/1 label columns (or one column of delimited labels) -> one sigmoid unit per
label, binary cross-entropy, per-label metrics and thresholds, through train, predict, export and reproduce."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import cli, data, export, load_run, reproduce, train
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import Recipe, build_model, check_head, infer_target, select_scenario
from kerasrecipes.runs import _evaluate
from kerasrecipes.sklearn_api import RecipeClassifier

LABELS = ["sports", "politics", "tech"]


def _news(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Rows with two numbers, a text category, and three labels that follow them (some rows have none)."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    region = rng.choice(["north", "south"], n)
    frame = pd.DataFrame({"a": a.round(4), "b": b.round(4), "region": region})
    frame["sports"] = (a > 0.2).astype(int)
    frame["politics"] = ((b > 0) & (region == "north")).astype(int)
    frame["tech"] = (a + b > 0.5).astype(int)
    return frame


@pytest.fixture(scope="module")
def news_run(tmp_path_factory):
    """A CLI run on a CSV of three 0/1 label columns."""
    folder = tmp_path_factory.mktemp("multilabel")
    _news().to_csv(folder / "news.csv", index=False)
    args = ["train", "--csv", str(folder / "news.csv"), "--target", ",".join(LABELS), "--out", str(folder / "run")]
    assert cli.main([*args, "--set", "epochs=30", "--set", "learning_rate=0.01", "--tracking", "none", "--quiet"]) == 0
    return folder


def test_a_csv_with_label_columns_trains_predicts_exports_and_reproduces(news_run, capsys):
    manifest = json.loads((news_run / "run" / "manifest.json").read_text())
    spec = manifest["data"]["target_spec"]
    assert spec["task"] == "multilabel" and spec["classes"] == LABELS and len(spec["thresholds"]) == 3
    assert manifest["scenario"] == "multilabel-small-dataset"
    assert {"accuracy", "subset_accuracy", "f1_macro", "f1_micro", "auc", "f1/tech", "auc/sports"} <= set(
        manifest["test_metrics"]
    )
    assert manifest["test_metrics"]["auc"] > 0.8  # the labels follow the features

    run = load_run(news_run / "run")
    rows = _news(8, seed=1).drop(columns=LABELS)
    probabilities = run.predict_proba(rows)
    assert probabilities.shape == (8, 3) and ((probabilities >= 0) & (probabilities <= 1)).all()
    said = run.predict(rows)
    assert said.shape == (8, 3) and set(np.unique(said)) <= {0, 1}
    np.testing.assert_array_equal(said, (probabilities >= np.asarray(spec["thresholds"], np.float32)).astype(int))

    rows.to_csv(news_run / "new.csv", index=False)
    assert (
        cli.main(["predict", str(news_run / "run"), str(news_run / "new.csv"), "--out", str(news_run / "p.csv")]) == 0
    )
    written = pd.read_csv(news_run / "p.csv")
    assert list(written.columns) == [*LABELS, *(f"probability_{n}" for n in LABELS)]
    np.testing.assert_array_equal(written[LABELS].to_numpy(), said)

    import tensorflow as tf

    export(run, "saved_model", news_run / "sm")
    serve = tf.saved_model.load(str(news_run / "sm")).signatures["serving_default"]
    raw = run.serving_inputs(rows)
    exported = next(iter(serve(**{k: tf.constant(v) for k, v in raw.items()}).values())).numpy()
    np.testing.assert_allclose(exported, probabilities, atol=1e-6)

    capsys.readouterr()
    check = reproduce(news_run / "run")
    assert check.identical, check.reasons


def test_the_test_metrics_are_scikit_learns_at_the_runs_thresholds():
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    result = train(
        data.load_dataset("multilabel", n_samples=400, n_labels=4), recipe={"epochs": 8}, tracking="none", verbose=0
    )
    y, p = result.data.y_test.astype(int), result.test_predictions
    said = (p >= np.asarray(result.data.target["thresholds"], np.float32)).astype(int)
    metrics = result.test_metrics
    assert metrics["subset_accuracy"] == pytest.approx(accuracy_score(y, said))
    assert metrics["accuracy"] == pytest.approx((y == said).mean())
    assert metrics["f1_macro"] == pytest.approx(f1_score(y, said, average="macro", zero_division=0))
    assert metrics["f1_micro"] == pytest.approx(f1_score(y, said, average="micro", zero_division=0))
    assert metrics["auc"] == pytest.approx(roc_auc_score(y, p, average="macro"))
    assert metrics["f1/label_2"] == pytest.approx(f1_score(y[:, 2], said[:, 2], zero_division=0))


def test_each_threshold_is_its_labels_best_f1_on_the_validation_rows():
    from sklearn.metrics import f1_score

    class Head:
        activation = "sigmoid"

    class Scores:
        """A network whose outputs are given: the validation rows' scores."""

        head = Head()

        def __call__(self, x, training=False):
            return x

    rng = np.random.default_rng(0)
    truth = (rng.random((60, 3)) < [0.5, 0.1, 0.0]).astype(np.int64)  # the third label never occurs
    scores = np.clip(truth * 0.3 + rng.random((60, 3)) * 0.6, 0, 1).astype(np.float32)

    class Prepared:
        X_val, y_val = scores, truth
        target = {"task": "multilabel", "classes": ["a", "b", "c"], "thresholds": [0.5] * 3}

    thresholds = _evaluate.label_thresholds(Scores(), Prepared())
    for j in range(2):
        best = max(f1_score(truth[:, j], scores[:, j] >= t) for t in np.unique(scores[:, j]))
        assert f1_score(truth[:, j], scores[:, j] >= thresholds[j]) == pytest.approx(best)
    assert thresholds[2] == 0.5  # no positive validation row: the even threshold


def test_delimited_labels_are_read_as_label_columns(tmp_path):
    frame = _news(60)
    frame["tags"] = ["|".join(n for n in LABELS if row[n]) for _, row in frame.iterrows()]
    frame.drop(columns=LABELS).to_csv(tmp_path / "tags.csv", index=False)
    ds = data.load_csv(tmp_path / "tags.csv", "tags", label_sep="|")
    assert ds.target_name == "politics,sports,tech"  # the labels found, sorted
    np.testing.assert_array_equal(ds.y, frame[["politics", "sports", "tech"]].to_numpy())
    assert "tags" not in ds.feature_names and ds.source["label_sep"] == "|"
    with pytest.raises(UserError, match=r"No row of tags.csv holds two labels split by it.*--label-sep"):
        data.load_csv(tmp_path / "tags.csv", "tags", label_sep=";")


def test_the_head_follows_the_labels_and_a_softmax_or_a_one_label_task_is_refused():
    y = (np.random.default_rng(0).random((50, 4)) < 0.4).astype(int)
    X = np.random.default_rng(1).normal(size=(50, 6))
    row, info = select_scenario(X, y)
    assert (row.name, info.kind, info.n_outputs) == ("multilabel-small-dataset", "multilabel", 4)
    model = build_model(Recipe(), info.input_shape, target=info)
    assert model.output_shape == (None, 4) and model.head.activation == "sigmoid"
    assert model.head.loss == "binary_crossentropy"
    with pytest.raises(UserError, match=r"several labels per row.*softmax.*Use 4 sigmoid units"):
        check_head("softmax", "categorical_crossentropy", 4, info)
    with pytest.raises(UserError, match=r"several labels per row \(4 0/1 columns\).*task='multilabel'"):
        select_scenario(X, y, task="multiclass")
    with pytest.raises(UserError, match=r"task='multilabel' needs several 0/1 label columns"):
        select_scenario(X, y[:, 0], task="multilabel")
    assert infer_target(X, np.eye(4)[np.arange(50) % 4]).kind == "multiclass"  # one label per row: one-hot


def test_the_scikit_learn_classifier_takes_label_columns():
    ds = data.load_dataset("multilabel", n_samples=300, n_labels=3)
    clf = RecipeClassifier(epochs=5, seed=0).fit(ds.X, ds.y)
    assert clf.scenario_ == "multilabel-small-dataset" and clf.classes_.tolist() == [0, 1, 2]
    said, p = clf.predict(ds.X[:5]), clf.predict_proba(ds.X[:5])
    assert said.shape == p.shape == (5, 3)
    np.testing.assert_array_equal(said, (p >= np.asarray(clf.pipeline_.target_spec["thresholds"])).astype(int))
    assert 0.0 <= clf.score(ds.X, ds.y) <= 1.0  # scikit-learn's subset accuracy
