"""diagnose / baseline_loss / plot_learning_curves / FitDiagnosis."""

import doctest
import math

import keras
import numpy as np
import pytest

from kerasrecipes.callbacks import FitDiagnosis, baseline_loss, diagnose, fit_diagnosis, plot_learning_curves
from kerasrecipes.callbacks.fit_diagnosis import REMEDIES, UNDERTRAINED_REMEDIES, VERDICTS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# (name, history, baseline_loss, verdict, a phrase of the reason)
CURVES = [
    (
        "val rises",
        {"loss": [1.0, 0.5, 0.3, 0.2, 0.1], "val_loss": [1.0, 0.6, 0.5, 0.7, 0.9]},
        None,
        "overfitting",
        "Validation loss rose",
    ),
    ("big gap", {"loss": [1.0, 0.3, 0.1, 0.05], "val_loss": [1.2, 0.8, 0.7, 0.7]}, None, "overfitting", "Large gap"),
    (
        "near trivial",
        {"loss": [1.05, 1.0, 0.98, 0.97], "val_loss": [1.06, 1.01, 0.99, 0.99]},
        1.0,
        "underfitting",
        "trivial predictor",
    ),
    (
        "still falling",
        {"loss": [1.0, 0.7, 0.5, 0.35], "val_loss": [1.0, 0.72, 0.52, 0.37]},
        2.0,
        "underfitting",
        "Still improving",
    ),
    (
        "good",
        {"loss": [1.0, 0.4, 0.3, 0.29, 0.29], "val_loss": [1.0, 0.45, 0.34, 0.33, 0.33]},
        1.0,
        "good_fit",
        "settled",
    ),
    ("nan", {"loss": [1.0, 0.5, math.nan], "val_loss": [1.0, 0.6, math.nan]}, None, "diverged", "NaN"),
    ("blow up", {"loss": [1.0, 3.0, 9.0], "val_loss": [1.0, 3.1, 9.5]}, None, "diverged", "grew"),
    ("flat", {"loss": [0.7, 0.7, 0.699, 0.7], "val_loss": [0.7, 0.7, 0.7, 0.7]}, None, "stalled", "barely moved"),
    ("no validation", {"loss": [1.0, 0.4, 0.3, 0.3]}, None, "good_fit", "cannot be judged"),
]


@pytest.mark.parametrize("name, history, baseline, verdict, phrase", CURVES, ids=[c[0] for c in CURVES])
def test_scripted_curves_get_their_verdict(name, history, baseline, verdict, phrase):
    result = diagnose(history, baseline_loss=baseline)
    assert result.verdict == verdict
    assert any(phrase in reason for reason in result.reasons), result.reasons
    assert result.remedies == (UNDERTRAINED_REMEDIES if name == "still falling" else REMEDIES[verdict])
    assert result.epochs == len(history["loss"])
    assert result.beats_baseline is None  # no test scores given


GOOD = dict(CURVES[4][1])
STILL_FALLING = dict(CURVES[3][1])


def test_a_model_no_better_than_the_baseline_is_never_a_good_fit():
    no_better = diagnose(GOOD, baseline_loss=1.0, test_score=0.7, baseline_score=0.7, baseline="majority class 'no'")
    assert no_better.verdict == "no_better_than_baseline" and no_better.beats_baseline is False
    assert no_better.remedies == REMEDIES["no_better_than_baseline"]
    assert no_better.reasons[-1] == (
        "Test score 0.7 is no better than the baseline's 0.7 (majority class 'no') on the same test rows."
    )
    better = diagnose(GOOD, baseline_loss=1.0, test_score=0.71, baseline_score=0.7)
    assert better.verdict == "good_fit" and better.beats_baseline is True
    overfit = diagnose(CURVES[0][1], test_score=-0.2, baseline_score=-0.01)  # other verdicts stay, with the reason
    assert overfit.verdict == "overfitting" and "no better than the baseline's" in overfit.reasons[-1]
    diverged = diagnose(CURVES[5][1], test_score=float("nan"), baseline_score=0.5)
    assert diverged.verdict == "diverged" and diverged.beats_baseline is None
    assert set(REMEDIES) == set(VERDICTS)


@pytest.mark.parametrize("history", [STILL_FALLING, {"loss": [0.4], "val_loss": [0.3]}], ids=["falling", "one epoch"])
def test_too_few_epochs_is_underfitting_unless_the_test_score_is_perfect(history):
    """Seen: a run with test accuracy 1.0 diagnosed underfitting because its losses were still falling.
    More epochs only make such a model's probabilities more confident; they cannot raise its score."""
    short = diagnose(history, test_score=0.9, baseline_score=0.5)
    assert short.verdict == "underfitting" and short.remedies == UNDERTRAINED_REMEDIES
    perfect = diagnose(history, test_score=1.0, baseline_score=0.5)
    assert perfect.verdict == "good_fit" and perfect.remedies == ()
    assert "already 1, its ceiling" in perfect.reasons[-1]
    both_perfect = diagnose(history, test_score=1.0, baseline_score=1.0)  # a test split of one class
    assert both_perfect.verdict == "no_better_than_baseline"


def test_the_modules_examples_run():
    assert doctest.testmod(fit_diagnosis).failed == 0


def test_learning_curves_in_the_targets_units(tmp_path, monkeypatch):
    """A regression's MAE and RMSE curves are drawn times the target's std, the loss labelled standardized."""
    from matplotlib.figure import Figure

    from kerasrecipes.runs.rundir import curve_units

    drawn, save = [], Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda figure, *a, **k: (drawn.append(figure), save(figure, *a, **k)))
    history = {"loss": [1.0, 0.5], "mean_absolute_error": [0.8, 0.4], "val_mean_absolute_error": [0.9, 0.5]}
    units = curve_units("regression", {"task": "regression", "mean": 150.0, "std": 80.0})
    plot_learning_curves(history, tmp_path / "c.png", units=units)
    loss, mae = drawn[0].axes
    assert loss.get_title() == "loss (standardized target)" and list(loss.lines[0].get_ydata()) == [1.0, 0.5]
    assert mae.get_title() == "mean_absolute_error (target units)"
    assert [list(line.get_ydata()) for line in mae.lines] == [[64.0, 32.0], [72.0, 40.0]]
    several = curve_units("regression", {"task": "regression", "mean": [1.0, 2.0], "std": [3.0, 4.0]})
    assert several["mean_absolute_error"] == (1.0, "standardized target")
    assert curve_units("binary", {"task": "binary", "classes": ["a", "b"]}) is None


def test_remedy_rows_come_from_seed_001_table():
    assert ("Overfitting", "Regularization techniques (e.g., dropout, L1/L2 norms)") in REMEDIES["overfitting"]
    assert ("Underfitting", "Increase model complexity") in REMEDIES["underfitting"]
    assert ("Underfitting", "Train for more epochs") in REMEDIES["underfitting"]
    assert ("Exploding Gradient", "Gradient clipping to limit the size of gradients") in REMEDIES["diverged"]


def test_numbers_of_a_diagnosis():
    result = diagnose({"loss": [1.0, 0.5, 0.3, 0.2, 0.1], "val_loss": [1.0, 0.6, 0.5, 0.7, 0.9]})
    assert (result.best_epoch, result.best_val_loss, result.final_val_loss) == (2, 0.5, 0.9)
    assert result.gap == pytest.approx(0.8)


@pytest.mark.parametrize(
    "y, loss, expected",
    [
        ([1.0, 3.0, 5.0, 7.0], "mse", 5.0),
        ([1.0, 3.0, 5.0, 7.0], keras.losses.MeanSquaredError(), 5.0),
        ([1.0, 2.0, 10.0], "mae", 3.0),
        ([0, 0, 0, 1], "binary_crossentropy", -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))),
        ([0, 1, 2, 2], "sparse_categorical_crossentropy", -(2 * 0.25 * math.log(0.25) + 0.5 * math.log(0.5))),
        ([[1, 0], [0, 1]], "categorical_crossentropy", math.log(2)),
    ],
)
def test_baseline_loss_of_the_trivial_predictor(y, loss, expected):
    assert baseline_loss(y, loss) == pytest.approx(expected, rel=1e-6)


def test_baseline_loss_matches_keras_on_the_trivial_prediction():
    y = np.array([[0.0], [1.0], [1.0], [1.0]])
    prior = np.full_like(y, y.mean())
    keras_value = float(keras.losses.BinaryCrossentropy()(y, prior))
    assert baseline_loss(y, "binary_crossentropy") == pytest.approx(keras_value, rel=1e-5)


def test_plot_learning_curves_writes_a_png_atomically(tmp_path):
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    path = plot_learning_curves(history, tmp_path / "plots" / "curves.png", best_epoch=1)
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert [p.name for p in path.parent.iterdir()] == ["curves.png"]  # no temporary file left


def test_callback_scripted_hooks_log_verdict_and_remedies(tmp_path, caplog):
    caplog.set_level("INFO", logger="kerasrecipes")
    callback = FitDiagnosis(plot_path=tmp_path / "curves.png")
    callback.on_train_begin()
    for epoch, (loss, val) in enumerate(zip([1.0, 0.5, 0.3, 0.2, 0.1], [1.0, 0.6, 0.5, 0.7, 0.9])):
        callback.on_epoch_end(epoch, {"loss": loss, "val_loss": val})
    callback.on_train_end()
    assert callback.diagnosis.verdict == "overfitting"
    printed = caplog.text
    assert "Fit diagnosis: overfitting" in printed and "| Overfitting | Increase training data |" in printed
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG_MAGIC)


def test_callback_in_a_real_fit_reports_a_stalled_run_and_resets_on_reuse(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.0), "mse")  # learning rate 0: nothing is learned
    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    callback = FitDiagnosis(baseline_loss=baseline_loss(x[:, :1], "mse"), verbose=0, plot_path=tmp_path / "c.png")
    for epochs in (3, 2):
        model.fit(x, x[:, :1], validation_split=0.25, epochs=epochs, verbose=0, callbacks=[callback])
        assert callback.diagnosis.verdict == "stalled" and callback.diagnosis.epochs == epochs
        assert len(callback.history["val_loss"]) == epochs
    assert (tmp_path / "c.png").exists()


def test_one_epoch_is_too_few_epochs():
    """A single epoch has no trend: seed 001's "insufficient training" (underfitting)."""
    callback = FitDiagnosis(verbose=0)
    callback.on_train_begin()
    callback.on_epoch_end(0, {"loss": 1.0})
    callback.on_train_end()
    assert callback.diagnosis.verdict == "underfitting" and callback.diagnosis.remedies == UNDERTRAINED_REMEDIES
    assert "Only 1 epoch" in callback.diagnosis.reasons[-1]
    assert diagnose({"loss": [float("nan")], "val_loss": [1.0]}).verdict == "diverged"


def test_empty_history_is_an_error():
    callback = FitDiagnosis(verbose=0)
    callback.on_train_begin()
    with pytest.warns(UserWarning, match="FitDiagnosis skipped: Unknown training curve .loss."):
        callback.on_train_end()
    assert callback.diagnosis is None
    with pytest.raises(ValueError, match=r"`history\['loss'\]` must be at least 1 epoch"):
        diagnose({"loss": []})


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: diagnose({"loss": [1.0, 0.5]}, monitor="val_accuracy"),
            r"`monitor` must be a loss-like curve \(lower is better\). Received: monitor='val_accuracy'",
        ),
        (lambda: diagnose({"accuracy": [0.1, 0.2]}), r"Unknown training curve 'loss'. Expected one of: accuracy"),
        (lambda: baseline_loss([1.0], "hinge"), r"Unknown loss 'hinge'"),
        (lambda: plot_learning_curves({"loss": [1.0]}, "curves.jpg"), r"`path` must be a file name ending in '.png'"),
        (lambda: FitDiagnosis(plot_path="c.pdf"), r"`plot_path` must be None or a file name ending in '.png'"),
        (lambda: FitDiagnosis(baseline_loss=-1.0), r"`baseline_loss` must be a real number >= 0.0"),
    ],
)
def test_invalid_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
