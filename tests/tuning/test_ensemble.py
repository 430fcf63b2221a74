"""An ensemble of a sweep's best trials (`run_sweep(ensemble=K)`): one run directory that averages its members."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from kerasrecipes import load_run, reproduce
from kerasrecipes.errors import UserError
from kerasrecipes.tuning import ensemble as ensembling
from kerasrecipes.tuning._trial import Trial
from kerasrecipes.tuning.runner import run_sweep

GRID = """\
name: iris-ensemble
method: grid
metric: {name: epoch/val_loss, goal: minimize}
parameters:
  epochs: {value: 2}
  units: {value: 8}
  learning_rate: {values: [0.01, 0.03]}
command: [python, -m, kerasrecipes, train, --dataset, iris, '${args}']
"""
ROWS = {
    "sepal length (cm)": [5.1, 6.7, 5.9, np.nan],
    "sepal width (cm)": [3.5, 3.0, 2.8, 3.1],
    "petal length (cm)": [1.4, 5.2, 4.3, 1.5],
    "petal width (cm)": [0.2, 2.3, 1.3, 0.1],
}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """Both trials of a 2-value grid on iris, averaged by `ensemble=2` (no confirmation): the slow tests' sweep. The
    trials differ in their learning rate, so the sweep, the ensemble's members and their retraining train one graph,
    traced once (members of other shapes: `test_the_averaging_network_is_the_mean_of_its_members_answers`)."""
    folder = tmp_path_factory.mktemp("ensemble")
    (folder / "grid.yaml").write_text(GRID)
    return run_sweep(
        str(folder / "grid.yaml"), seed=0, out=folder / "sweep", tracking="none", verbose=0, cv=0, confirm=0, ensemble=2
    )


@pytest.mark.slow
def test_the_ensemble_answers_the_mean_of_its_trials_probabilities_on_raw_rows(swept):
    summary = swept.summary()["ensemble"]
    ranked = sorted(swept.trials, key=lambda t: t.metric)
    assert summary["trials"] == [t.index for t in ranked] and summary["score_metric"] == "accuracy"
    run = load_run(swept.out / "ensemble")
    members = [load_run(swept.out / "trials" / f"trial-{t.index:03d}") for t in ranked]
    # each member is its trial as the sweep judged it: the trial's recipe and seed, the same weights
    listed = run.manifest["sweep_ensemble"]["members"]
    assert [m["weights_sha256"] for m in listed] == [m.manifest["weights_sha256"] for m in members]
    assert [m["trial"] for m in listed] == summary["trials"] and listed[0]["recipe"] == run.manifest["recipe"]
    proba = run.predict_proba(ROWS)
    np.testing.assert_allclose(proba, np.mean([m.predict_proba(ROWS) for m in members], axis=0), rtol=1e-6)
    assert list(run.predict(ROWS)) == list(np.asarray(run.classes, dtype=object)[proba.argmax(axis=1)])
    rows = list(csv.DictReader((swept.out / "ensemble.csv").open()))
    assert [r["member"] for r in rows] == ["0", "1", "ensemble"]
    assert float(rows[2]["test_score"]) == run.manifest["test_metrics"]["score"] == summary["test_score"]["ensemble"]
    assert float(rows[0]["test_score"]) == summary["test_score"]["best_trial"] and rows[1]["test_score"] == ""
    assert float(rows[0]["validation_score"]) == summary["validation_score"]["best_trial"]
    assert "the mean of trials" in swept._repr_html_()


@pytest.mark.slow
def test_the_ensemble_reproduces_bit_for_bit_with_its_members_retrained(swept):
    report = reproduce(swept.out / "ensemble", retrain=True)
    assert report.identical, report.reasons
    manifest = json.loads((swept.out / "ensemble" / "manifest.json").read_text())
    assert report.retrained_weights_sha256 == manifest["weights_sha256"]


@pytest.mark.slow
def test_the_keras_export_answers_like_predict(swept, tmp_path):
    import keras

    from kerasrecipes import register_keras_objects
    from kerasrecipes.runs import export

    run = load_run(swept.out / "ensemble")
    path = export(run, "keras", tmp_path / "ensemble.keras")
    register_keras_objects()
    exported = keras.saving.load_model(path, safe_mode=True)
    inputs = run.serving_inputs(ROWS)
    answers = np.asarray(exported(inputs, training=False))
    np.testing.assert_array_equal(answers, np.asarray(run.model(inputs, training=False)))  # the run's eager model
    np.testing.assert_allclose(answers, run.predict_proba(ROWS), rtol=1e-6, atol=1e-7)  # its traced function


def _prepared(dataset, task):
    from kerasrecipes.data import load_dataset, prepare

    return prepare(load_dataset(dataset), task=task, seed=0)


@pytest.mark.parametrize(
    "dataset, task, recipes",
    [
        (
            "breast_cancer",
            "binary",
            [{"units": 8}, {"loss": "sigmoid_crossentropy"}, {"units": 4, "loss": "sparse_categorical_crossentropy"}],
        ),
        ("diabetes", "regression", [{"units": 8}, {"units": 4, "num_layers": 2}]),
    ],
    ids=["sigmoid-logits-and-softmax-heads", "regression"],
)
def test_the_averaging_network_is_the_mean_of_its_members_answers(dataset, task, recipes):
    from kerasrecipes.models import end_to_end
    from kerasrecipes.recipes import Recipe, build_model
    from kerasrecipes.runs import _ensemble

    prepared = _prepared(dataset, task)
    networks = [
        build_model(Recipe(seed=i, **r), prepared.input_shape, target=prepared.target_info())
        for i, r in enumerate(recipes)
    ]
    x = prepared.X_test[:16]
    answers = [
        np.asarray(end_to_end.output_layer(prepared.target, n.head.activation)(n(x, training=False))) for n in networks
    ]
    combined = _ensemble.averaging_network(networks, prepared)
    mean = end_to_end.output_layer(prepared.target, combined.head.activation)(combined(x, training=False))
    np.testing.assert_allclose(np.asarray(mean), np.mean(answers, axis=0), rtol=1e-5, atol=1e-6)


def _trial(index, metric, state="finished", **params):
    return Trial(index, 100 + index, params, state=state, metric=metric, split_seed=0)


def test_too_few_trials_with_a_metric_or_trials_that_prepare_the_data_differently_are_refused():
    out = Path("sweep")
    trials = [_trial(0, None, "failed"), _trial(1, 0.4), _trial(2, 0.3)]
    assert [t.index for t in ensembling.choose(trials, 2, "minimize", out)] == [2, 1]
    with pytest.raises(
        UserError,
        match=r"^--ensemble 3 averages the 3 best trials, and only 2 of the 3 trials .*"
        r"lower --ensemble to 2, or run the sweep again with more --trials",
    ):
        ensembling.choose(trials, 3, "minimize", out)
    scaled = [_trial(0, 0.5, scaling="standard"), _trial(1, 0.4, scaling="minmax")]
    with pytest.raises(
        UserError,
        match=r"trial 0 prepares the data differently from trial 1 \(scaling 'standard' "
        r"against 'minmax'\).*fix it for every trial \(--set scaling=minmax\)",
    ):
        ensembling.choose(scaled, 2, "minimize", out)
    with pytest.raises(UserError, match=r"^--ensemble K averages the K best trials of the sweep, an integer in "):
        ensembling.check_size(1, 5, None)
    with pytest.raises(UserError, match=r"this grid sweep has only 2 combination\(s\); give the grid more values, or "):
        ensembling.check_size(3, 2, 2)


def test_members_that_prepared_the_data_differently_are_refused_and_nothing_is_written(tmp_path):
    from kerasrecipes.runs import _ensemble

    recipes = [{"epochs": 1, "units": 8, "seed": 1}, {"epochs": 1, "units": 8, "seed": 2, "scaling": "minmax"}]
    with pytest.raises(UserError, match=r"^member 1 prepares the data differently from member 0 \(scaling 'minmax' "):
        _ensemble.train_ensemble("iris", recipes, out=tmp_path / "ensemble")
    assert list(tmp_path.iterdir()) == []
