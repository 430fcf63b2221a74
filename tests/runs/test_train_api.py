"""`kerasrecipes.train` takes data as users hold it (issue 14): a DataFrame with `target`, arrays `(X, y)`, a CSV
path with `target`; `run_sweep` too."""

import numpy as np
import pandas as pd
import pytest

import kerasrecipes as kr
from kerasrecipes.data import _feature_layers
from kerasrecipes.errors import UserError
from kerasrecipes.runs import rundir
from kerasrecipes.tuning.runner import run_sweep

RNG = np.random.default_rng(0)
FRAME = pd.DataFrame({"size": RNG.normal(size=200), "plan": RNG.choice(["basic", "pro", "max"], 200)})
FRAME["churn"] = np.where(FRAME["size"] + (FRAME["plan"] == "basic") > 0.5, "yes", "no")


def test_a_dataframe_with_target():
    result = kr.train(FRAME, target="churn", recipe={"epochs": 2}, tracking="none", verbose=0)
    assert result.data.task == "binary" and list(result.data.classes) == ["no", "yes"]
    assert result.manifest["data"]["source"] == {
        **result.manifest["data"]["source"],
        "kind": "frame",
        "target": "churn",
    }
    assert FRAME.shape == (200, 3)  # the user's frame is not modified


def test_arrays_x_and_y():
    X = RNG.normal(size=(150, 4))
    result = kr.train(X, (X[:, 0] > 0).astype(int), recipe={"epochs": 2}, tracking="none", verbose=0)
    assert result.scenario.name == "binary-small-dataset"


def test_a_csv_path_with_target(tmp_path):
    FRAME.to_csv(tmp_path / "churn.csv", index=False)
    result = kr.train(tmp_path / "churn.csv", target="churn", recipe={"epochs": 1}, tracking="none", verbose=0)
    assert result.manifest["data"]["source"]["kind"] == "csv"


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: kr.train(FRAME, tracking="none"),
            ValueError,
            r"`target` must be the column of the DataFrame to predict",
        ),
        (lambda: kr.train(np.zeros((20, 2)), tracking="none"), ValueError, r"`y` must be the targets of the array"),
        (lambda: kr.train("iris", {"epochs": 2}, tracking="none"), TypeError, r"pass a recipe as recipe=\.\.\."),
        (
            lambda: kr.train(np.zeros((20, 2)), np.zeros(20), target="y"),
            ValueError,
            r"Give `y` .* or `target` .*not both",
        ),
        (
            lambda: kr.train(5, target="y"),
            TypeError,
            r"a CSV file's path or a pandas\.DataFrame when `target` is given",
        ),
        (lambda: kr.train("churn.csv", tracking="none"), ValueError, r"For a CSV file, give --csv churn\.csv --target"),
    ],
)
def test_data_that_does_not_fit_gets_one_line(call, error, match):
    with pytest.raises(error, match=match):
        call()


ONE_GRAPH = {
    "epochs": 2,
    "optimizer": "adam",
    "num_layers": 1,
    "units": 8,
    "dropout": 0.1,
    "elastic_net": 1.0e-4,
    "elastic_net_beta": 0.5,
    "batch_size": 32,
    "clipping": "none",
}
"""Overrides of every parameter of binary.yaml that shapes the trained graph: its trials differ in their learning
rate only, so one trace serves all of them (`runs.fast_road._traces`); what the sweep test checks is the data."""


def test_run_sweep_on_a_dataframe_and_a_csv(tmp_path):
    FRAME.to_csv(tmp_path / "churn.csv", index=False)
    for dataset, out in ((FRAME, "frame"), (tmp_path / "churn.csv", "csv")):
        result = run_sweep(
            "binary",
            dataset=dataset,
            target="churn",
            trials=2,
            seed=0,
            out=tmp_path / out,
            tracking="none",
            verbose=0,
            overrides=ONE_GRAPH,
            cv=0,
            confirm=0,
        )
        assert [t.state for t in result.trials] == ["finished", "finished"]
        assert result.data_name in ("frame", "churn")
        command = "--csv" if out == "csv" else "kerasrecipes.train(data, "  # report.html's retrain command
        assert command in (tmp_path / out / "report.html").read_text()


def test_run_result_has_a_short_repr_a_summary_and_an_html_table(tmp_path):
    result = kr.train("iris", recipe={"epochs": 2}, out=tmp_path / "run", tracking="none", verbose=0)
    text = repr(result)
    assert text.startswith("RunResult(scenario='multiclass-less-features', status='completed', epochs_run=2")
    assert len(text) < 300 and f"run_dir={str(tmp_path / 'run')!r}" in text
    summary = result.summary()
    assert summary["weights_sha256"] == result.manifest["weights_sha256"] and summary["epochs_run"] == 2
    html = result._repr_html_()
    assert html.startswith("<table>") and "multiclass-less-features" in html and "<script" not in html
    run = kr.load_run(tmp_path / "run")
    assert repr(run).startswith("Run(") and "<table>" in run._repr_html_()


def test_the_end_to_end_model_is_built_when_first_used_and_shares_the_trained_network():
    result = kr.train(FRAME, target="churn", recipe={"epochs": 2}, tracking="none", verbose=0)
    assert "inference" not in vars(result)  # nothing built yet: a run nobody predicts with skips it
    inference = result.inference
    assert result.inference is inference and inference.get_layer(result.model.name) is result.model
    rows = FRAME.drop(columns="churn").iloc[result.data.indices["test"]]
    probabilities = _feature_layers.apply(inference, _feature_layers.to_inputs(result.data.preprocessing, rows))
    expected = np.asarray(result.model(result.data.X_test, training=False)).ravel()
    np.testing.assert_array_equal(probabilities[:, 1], expected)  # the probability of "yes", as the network said


def test_split_seed_draws_the_split_and_seed_the_initialization(tmp_path):
    """`split_seed` unset (or equal to `seed`) is the run of `seed`, bit for bit; set, it draws the split alone, and
    `reproduce` follows it."""
    common = {"epochs": 1, "units": 8}
    plain = kr.train("iris", recipe={**common, "seed": 7}, tracking="none", verbose=0)
    same = kr.train("iris", recipe={**common, "seed": 7, "split_seed": 7}, tracking="none", verbose=0)
    assert same.manifest["weights_sha256"] == plain.manifest["weights_sha256"]
    assert plain.recipe.split_seed is None and plain.manifest["data"]["seed"] == 7
    split = kr.train(
        "iris", recipe={**common, "seed": 1, "split_seed": 7}, out=tmp_path / "run", tracking="none", verbose=0
    )
    assert split.data.fingerprint() == plain.data.fingerprint() and split.manifest["data"]["seed"] == 7
    assert split.manifest["seed"] == 1 and split.manifest["weights_sha256"] != plain.manifest["weights_sha256"]
    assert kr.reproduce(tmp_path / "run").identical


def test_score_test_false_trains_and_predicts_the_same_and_only_leaves_the_test_rows_unscored(tmp_path):
    """A sweep trial's run (`score_test=False`): the same weights and test predictions as the scored run, and no
    metric, baseline or test comparison in its result, manifest, summary and reproduction."""
    recipe = {"epochs": 2, "units": 8}
    scored = kr.train("iris", recipe=recipe, tracking="none", verbose=0)
    trial = kr.train("iris", recipe=recipe, out=tmp_path / "trial", tracking="none", verbose=0, score_test=False)
    for key in ("weights_sha256", "predictions_sha256"):
        assert trial.manifest[key] == scored.manifest[key]
    assert scored.manifest["test_scored"] is True and scored.test_metrics["score"] > 0
    assert (trial.test_metrics, trial.manifest["test_baseline"], trial.manifest["test_scored"]) == ({}, None, False)
    assert trial.diagnosis.test_score is None and trial.summary()["test_scored"] is False
    text = rundir.summary(trial)
    assert "\ntest       not scored: a sweep trial" in text and "\nbaseline" not in text
    report = kr.reproduce(tmp_path / "trial", retrain=True)
    assert report.identical and report.test_metrics == {}, report.reasons
    with pytest.raises(UserError, match=r"`score_test` must be True or False"):
        kr.train("iris", recipe=recipe, tracking="none", verbose=0, score_test="no")
