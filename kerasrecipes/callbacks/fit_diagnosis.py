"""Read the learning curves: overfitting, underfitting, good fit, diverged or stalled; and, given the
test scores of the model and of the trivial baseline, never a good fit that is no better than it.

`diagnose` is a pure function of a Keras `History.history` dict; `FitDiagnosis` runs it at the end
of `fit()`. The thresholds below are the whole rule set; each verdict's remedies are rows of seed
001's "Common Issues and Solutions in Deep Learning" table plus the notes of seeds 000, 002, 003.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import keras
import numpy as np

from kerasrecipes._io import atomic_path
from kerasrecipes._log import get_logger
from kerasrecipes._validation import Interval, check, invalid, unknown_name
from kerasrecipes.callbacks._monitor import infer_mode
from kerasrecipes.errors import UserError

VERDICTS = ("overfitting", "underfitting", "good_fit", "diverged", "stalled", "no_better_than_baseline")
DIVERGENCE_RATIO = 2.0  # final training loss above 2x the first epoch's (or NaN/inf): diverged
STALL_TOLERANCE = 0.01  # best training loss less than 1% below the first epoch's: stalled
UNDERFIT_RATIO = 0.9  # best training loss still >= 90% of the trivial predictor's loss: underfitting
OVERFIT_RISE = 0.10  # final validation loss 10% above its best while training loss kept falling
OVERFIT_GAP = 0.50  # training loss below half the validation loss at the end (relative gap > 50%)
STILL_IMPROVING = 0.02  # each of the last epochs lowered both losses by > 2%: undertrained
TAIL_EPOCHS = 3  # last epochs checked by the "still improving" rule
EPSILON = 1e-7  # Keras's probability clip, used by `baseline_loss` and as a floor for ratios
PERFECT_SCORE = 1.0  # the ceiling of a test score (accuracy, R^2): a model there is not undertrained

# (issue, remedy) rows; the first rows of each verdict are seed 001's table, word for word.
REMEDIES = {
    "underfitting": (
        ("Underfitting", "Increase model complexity"),
        ("Underfitting", "Add more features to the input data"),
        ("Underfitting", "Train for more epochs"),
        (
            "Underfitting",
            "Reduce regularization: a high L2 rate or dropout rate can cause underfitting",
        ),
    ),
    "overfitting": (
        ("Overfitting", "Regularization techniques (e.g., dropout, L1/L2 norms)"),
        ("Overfitting", "Increase training data"),
        ("Overfitting", "Use simpler models"),
        ("Overfitting", "Early stopping on the validation loss"),
        ("Overfitting", "Data augmentation (images and sequences: the augment_* recipe fields)"),
    ),
    "diverged": (
        ("Exploding Gradient", "Gradient clipping to limit the size of gradients"),
        ("Exploding Gradient", "Normalize input data"),
        ("Learning rate", "Lower the learning rate: an inappropriate learning rate may lead to divergence"),
    ),
    "stalled": (
        ("Vanishing Gradient", "Use activation functions like ReLU instead of sigmoid"),
        ("Vanishing Gradient", "Implement batch normalization"),
        ("Learning rate", "Implement learning rate schedules or adaptive methods (e.g., Adam optimizer)"),
        ("Initialization", "Use Xavier/Glorot initialization"),
    ),
    "good_fit": (),
    "no_better_than_baseline": (
        ("Underfitting", "Add more features to the input data"),
        ("Underfitting", "Increase model complexity"),
        ("Underfitting", "Train for more epochs"),
        ("No signal", "Check that the features carry information about the target: if they do not, no model beats it"),
    ),
}
UNDERTRAINED_REMEDIES = (("Underfitting", "Train for more epochs"),)
"""The remedy of an underfitting that is only too few epochs (one epoch, or losses still falling)."""
TRIVIAL_PREDICTORS = {
    "mean_squared_error": "mean",
    "mse": "mean",
    "mean_absolute_error": "median",
    "mae": "median",
    "binary_crossentropy": "prior",
    "categorical_crossentropy": "prior",
    "sparse_categorical_crossentropy": "prior",
}


@dataclass(frozen=True)
class Diagnosis:
    """The verdict on one run. Epoch indices are 0-based positions in the history lists."""

    verdict: str
    reasons: tuple = ()
    remedies: tuple = ()
    epochs: int = 0
    best_epoch: int | None = None
    final_loss: float | None = None
    final_val_loss: float | None = None
    best_val_loss: float | None = None
    gap: float | None = None  # final validation loss minus final training loss
    baseline_loss: float | None = None
    extra: dict = field(default_factory=dict)
    test_score: float | None = None  # the model's test score, when known
    baseline_score: float | None = None  # the trivial baseline's, on the same test rows
    baseline: str | None = None  # the baseline's predictor, in words (e.g. "majority class 'no'")

    @property
    def beats_baseline(self) -> bool | None:
        """Whether the test score is above the baseline's; None when either is unknown or NaN."""
        return _beats(self.test_score, self.baseline_score)

    def report(self) -> str:
        """A few printable lines: the verdict, the reasons and the remedy rows."""
        lines = [f"Fit diagnosis: {self.verdict}"] + [f"  - {r}" for r in self.reasons]
        if self.remedies:
            lines.append("  | Issue | Solution |")
            lines += [f"  | {issue} | {remedy} |" for issue, remedy in self.remedies]
        return "\n".join(lines)


def _relative(a: float, b: float) -> float:
    return (a - b) / max(abs(b), EPSILON)


def _beats(score, baseline_score) -> bool | None:
    finite = [value is not None and math.isfinite(value) for value in (score, baseline_score)]
    return score > baseline_score if all(finite) else None


def diagnose(
    history,
    *,
    baseline_loss=None,
    monitor="val_loss",
    test_score=None,
    baseline_score=None,
    baseline="a trivial predictor",
) -> Diagnosis:
    """Classify a run from its learning curves (`History.history`: metric name -> per-epoch values).

    Rules, first match wins: diverged (NaN/inf, or final training loss > `DIVERGENCE_RATIO` x the
    first); underfitting (a single epoch: too few to judge); stalled (best training loss <
    `STALL_TOLERANCE` below the first); underfitting (best training loss >= `UNDERFIT_RATIO` x
    `baseline_loss`); overfitting (validation loss ended `OVERFIT_RISE` above its best while training
    loss kept falling, or a relative train/validation gap > `OVERFIT_GAP`); underfitting (each of the
    last `TAIL_EPOCHS` epochs lowered both losses by more than `STILL_IMPROVING`: too few epochs);
    otherwise good_fit.

    The two "too few epochs" underfittings have one remedy, more epochs; and where `test_score` is
    already `PERFECT_SCORE` there is nothing more to learn, so they are a good fit. Given both test
    scores, a model whose score is not above the baseline's (on the same test rows) is never a good
    fit: that verdict becomes `no_better_than_baseline`, and any other gets the comparison as a reason.

    Args:
        history: dict with the training curve (`monitor` without "val_") and, optionally, `monitor`.
        baseline_loss: loss of a trivial predictor (see `baseline_loss()`), or None. Defaults to `None`.
        monitor: a loss-like validation curve (lower is better). Defaults to `"val_loss"`.
        test_score: the model's test score (higher is better, at most 1: accuracy, R^2), or None.
            Defaults to `None`.
        baseline_score: the trivial baseline's score on the same test rows, or None. Defaults to `None`.
        baseline: the baseline's predictor, in words, for the reasons. Defaults to `"a trivial predictor"`.

    Returns:
        A `Diagnosis`.

    Raises:
        ValueError: if the training curve is missing or empty, or `monitor` is a higher-is-better
            metric. A single epoch is diagnosed as underfitting (too few epochs) unless it diverged.

    Examples:
        >>> diagnose({"loss": [1.0, 0.5, 0.2, 0.1], "val_loss": [1.0, 0.6, 0.9, 1.3]}).verdict
        'overfitting'
        >>> settled = {"loss": [1.0, 0.4, 0.3, 0.29, 0.29], "val_loss": [1.0, 0.45, 0.34, 0.33, 0.33]}
        >>> diagnose(settled, test_score=0.7, baseline_score=0.7, baseline="majority class 'no'").verdict
        'no_better_than_baseline'
    """
    if infer_mode(monitor) == "max":
        raise UserError(invalid("monitor", "a loss-like curve (lower is better)", monitor, "Pass monitor='val_loss'"))
    train_key = monitor.removeprefix("val_")
    if train_key not in history:
        raise UserError(unknown_name("training curve", train_key, history))
    train = [float(v) for v in history[train_key]]
    val = [float(v) for v in history.get(monitor, [])] if monitor != train_key else []
    if not train:
        raise UserError(invalid(f"history[{train_key!r}]", "at least 1 epoch", train))
    reasons = []
    if val and len(val) != len(train):  # validation_freq > 1: epochs do not line up
        reasons.append(f"`{monitor}` has {len(val)} values for {len(train)} epochs; it is ignored.")
        val = []
    numbers = dict(epochs=len(train), final_loss=train[-1], baseline_loss=baseline_loss, test_score=test_score)
    if baseline_score is not None:
        numbers.update(baseline_score=baseline_score, baseline=baseline)
    if val:
        best = int(np.nanargmin(val)) if not all(map(math.isnan, val)) else None
        numbers.update(
            final_val_loss=val[-1],
            best_epoch=best,
            gap=val[-1] - train[-1],
            best_val_loss=None if best is None else val[best],
        )
    else:
        numbers["best_epoch"] = int(np.nanargmin(train)) if not all(map(math.isnan, train)) else None
        reasons.append(f"No `{monitor}` curve: overfitting cannot be judged (pass validation data).")

    name, why = _read_curves(train, val, train_key, monitor, baseline_loss, numbers["best_epoch"])
    remedies = REMEDIES.get(name, UNDERTRAINED_REMEDIES)
    if name == "undertrained" and test_score is not None and test_score >= PERFECT_SCORE:
        name, remedies = "good_fit", ()
        why += f" But the test score is already {test_score:.4g}, its ceiling: more epochs cannot raise it."
    name = "underfitting" if name == "undertrained" else name
    reasons.append(why)
    if _beats(test_score, baseline_score) is False:
        reasons.append(
            f"Test score {test_score:.4g} is no better than the baseline's {baseline_score:.4g} ({baseline}) "
            "on the same test rows."
        )
        if name == "good_fit":
            name, remedies = "no_better_than_baseline", REMEDIES["no_better_than_baseline"]
    return Diagnosis(name, tuple(reasons), remedies, **numbers)


def _read_curves(train, val, train_key, monitor, baseline_loss, best) -> tuple[str, str]:
    """(verdict, reason) of `diagnose`'s curve rules, first match wins; "undertrained" names the two
    underfittings that are only too few epochs."""
    bad = [k for k, curve in ((train_key, train), (monitor, val)) if not all(map(math.isfinite, curve))]
    if bad:
        return "diverged", f"`{bad[0]}` became NaN or infinite."
    if len(train) < 2:  # no trend to judge: seed 001's "insufficient training"
        return "undertrained", "Only 1 epoch was trained: too few to judge trends; train for more epochs."
    if train[0] > 0 and train[-1] > DIVERGENCE_RATIO * train[0]:
        return (
            "diverged",
            f"Training loss grew from {train[0]:.4g} to {train[-1]:.4g} (> {DIVERGENCE_RATIO:g}x its first value).",
        )
    if -_relative(min(train), train[0]) < STALL_TOLERANCE:
        return (
            "stalled",
            f"Training loss barely moved ({train[0]:.4g} -> best {min(train):.4g}, "
            f"less than {STALL_TOLERANCE:.0%} lower).",
        )
    if baseline_loss is not None and min(train) >= UNDERFIT_RATIO * baseline_loss:
        return (
            "underfitting",
            f"Best training loss {min(train):.4g} is {min(train) / baseline_loss:.0%} "
            f"of a trivial predictor's loss {baseline_loss:.4g} (>= {UNDERFIT_RATIO:.0%}).",
        )
    if val:
        rise, gap = _relative(val[-1], val[best]), (val[-1] - train[-1]) / max(abs(val[-1]), EPSILON)
        if rise > OVERFIT_RISE and train[-1] < train[best]:
            return (
                "overfitting",
                f"Validation loss rose {rise:.0%} above its best ({val[best]:.4g} at epoch "
                f"{best + 1}) while training loss kept falling to {train[-1]:.4g}.",
            )
        if gap > OVERFIT_GAP:
            return (
                "overfitting",
                f"Large gap: training loss {train[-1]:.4g} vs validation loss {val[-1]:.4g} "
                f"({gap:.0%} of the validation loss, > {OVERFIT_GAP:.0%}).",
            )
    tail = min(TAIL_EPOCHS, len(train) - 1)
    drops = [-_relative(c[i], c[i - 1]) for c in (train, val) if c for i in range(len(c) - tail, len(c))]
    if min(drops) > STILL_IMPROVING:
        return (
            "undertrained",
            f"Still improving when training ended (each of the last {tail} epochs "
            f"lowered the losses by > {STILL_IMPROVING:.0%}): not trained for enough epochs.",
        )
    return "good_fit", "Training and validation losses settled close together."


def baseline_loss(y, loss_name) -> float:
    """Loss of the trivial predictor that ignores the inputs, the floor an underfit model sits on.

    MSE: the mean predictor, so the variance of `y`. MAE: the median predictor. Binary/categorical
    cross-entropy: the class-prior predictor, so the entropy of the class frequencies (probabilities
    clipped to [1e-7, 1 - 1e-7] as Keras does). Multi-column targets average over columns like Keras.

    Examples:
        >>> baseline_loss([0.0, 2.0], "mse"), round(baseline_loss([0, 1], "binary_crossentropy"), 4)
        (1.0, 0.6931)
    """
    name = getattr(loss_name, "name", loss_name)
    if name not in TRIVIAL_PREDICTORS:
        raise UserError(unknown_name("loss", name, TRIVIAL_PREDICTORS))
    y = np.asarray(y, dtype="float64")
    if y.size == 0:
        raise UserError(invalid("y", "a non-empty array of targets", y.tolist()))
    if name == "sparse_categorical_crossentropy":
        y = np.eye(int(y.max()) + 1)[y.reshape(-1).astype(int)]
    y = y.reshape(len(y), -1)
    if TRIVIAL_PREDICTORS[name] == "mean":
        return float(np.mean(np.var(y, axis=0)))
    if TRIVIAL_PREDICTORS[name] == "median":
        return float(np.mean(np.abs(y - np.median(y, axis=0))))
    p = np.clip(y.mean(axis=0), EPSILON, 1 - EPSILON)
    if name == "binary_crossentropy":
        return float(np.mean(-(p * np.log(p) + (1 - p) * np.log(1 - p))))
    return float(-np.sum(p * np.log(p)))


def plot_learning_curves(history, path, *, best_epoch=None, units=None):
    """Write a PNG of the learning curves (one panel per metric, validation dashed), atomically.

    Uses `matplotlib.figure.Figure` with the Agg renderer, never pyplot, so no display is needed.

    Args:
        history: metric name -> per-epoch values, as Keras' `History.history`.
        path: the PNG file to write.
        best_epoch: 0-based epoch to mark, or None. Defaults to `None`.
        units: metric name (without "val_") -> `(factor, label)`: the panel draws the curve and its
            validation twin times `factor` and names `label` in its title (a regression's curves in the
            target's units: `runs.rundir.curve_units`). Defaults to `None`.

    Returns:
        The path written, as a `pathlib.Path`.
    """
    from pathlib import Path

    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise UserError(invalid("path", "a file name ending in '.png'", str(path)))
    names = list(dict.fromkeys(k.removeprefix("val_") for k in history))
    width = 5.0 * len(names)
    figure = Figure(figsize=(width, 3.6))  # fixed margins: constrained layout is half the drawing time
    figure.subplots_adjust(left=0.6 / width, right=1 - 0.15 / width, bottom=0.13, top=0.91, wspace=0.22)
    for axes, name in zip(figure.subplots(1, len(names), squeeze=False)[0], names):
        factor, label = (units or {}).get(name, (1.0, None))
        for key, style in ((name, "-"), (f"val_{name}", "--")):
            if key in history:
                epochs = np.arange(1, len(history[key]) + 1)
                axes.plot(epochs, factor * np.asarray(history[key], dtype=float), style, label=key)
        if best_epoch is not None:
            axes.axvline(best_epoch + 1, color="grey", linewidth=0.8, label="best epoch")
        axes.xaxis.set_major_locator(MaxNLocator(6, integer=True))  # whole epochs
        axes.set_xlabel("epoch")
        # An explicit y keeps Matplotlib from placing the title around the tick labels at draw time.
        axes.set_title(name if label is None else f"{name} ({label})", y=1.0)
        axes.legend()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100)
    return path


class FitDiagnosis(keras.callbacks.Callback):
    """Diagnose the run at the end of `fit()` and print the verdict with its remedy rows.

    Args:
        baseline_loss: the trivial predictor's loss (see `baseline_loss(y, loss)`); enables the
            "near the trivial predictor" underfitting rule. Defaults to `None`.
        plot_path: if set, write the learning curves there as a PNG. Defaults to `None`.
        verbose: 0 (silent) or 1 (log the report through `logging`). Defaults to `1`.
        monitor: the validation loss curve. Defaults to `"val_loss"`.

    Attributes:
        history: the per-epoch logs of the last run. diagnosis: its `Diagnosis`, or None.

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> check_fit = FitDiagnosis(verbose=0)
        >>> _ = model.fit(np.zeros((4, 2)), np.zeros(4), epochs=3, callbacks=[check_fit], verbose=0)
        >>> check_fit.diagnosis.verdict in VERDICTS
        True
    """

    def __init__(self, baseline_loss=None, plot_path=None, verbose=1, monitor="val_loss"):
        super().__init__()
        self.baseline_loss = check("baseline_loss", baseline_loss, Interval("real", 0.0), allow_none=True)
        if plot_path is not None and not str(plot_path).lower().endswith(".png"):
            raise UserError(invalid("plot_path", "None or a file name ending in '.png'", plot_path))
        self.plot_path = plot_path
        self.verbose = check("verbose", verbose, Interval("integer", 0, 2))
        if not isinstance(monitor, str) or infer_mode(monitor) == "max":
            raise UserError(invalid("monitor", "a loss-like curve name such as 'val_loss'", monitor))
        self.monitor = monitor
        self.history, self.diagnosis = {}, None

    def on_train_begin(self, logs=None):
        self.history, self.diagnosis = {}, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def on_train_end(self, logs=None):
        try:
            self.diagnosis = diagnose(self.history, baseline_loss=self.baseline_loss, monitor=self.monitor)
        except UserError as error:
            warnings.warn(f"FitDiagnosis skipped: {error}", stacklevel=2)
            return
        if self.verbose:
            get_logger(__name__).info(self.diagnosis.report())
        if self.plot_path is not None:
            plot_learning_curves(self.history, self.plot_path, best_epoch=self.diagnosis.best_epoch)
