"""Test metrics, one batch at a time, for every road (in memory and streamed) alike.

`evaluate` runs the trained network over the test split's feature batches, maps its outputs to what
a user gets back (`models.end_to_end.output_layer`: class probabilities or original units) and accumulates
the metrics batch by batch, so a streamed test split is never held in memory:

- regression: r2, mae, rmse in original units (exact: running sums and the running mean/M2 of y);
- binary: accuracy and f1 (exact, from the confusion counts) and ROC AUC: exact (scikit-learn's) while
  the test split has at most `EXACT_AUC_ROWS` rows, beyond that from a histogram of the logit of the
  score in `AUC_BINS` bins (pairs inside one bin count half, as ties do; within about 1e-4);
- multiclass: accuracy and macro f1 (exact, from the confusion matrix);
- multilabel (each label's probability thresholded at the target spec's `thresholds`): accuracy (the share
  of right labels, as Keras' binary accuracy), subset accuracy (rows with every label right), micro and
  macro f1, macro ROC AUC, and each label's f1 and AUC (`f1/LABEL`, `auc/LABEL`), AUC as for binary;
- a forecast (`data.as_forecast`): the regression metrics over every step ahead, and the naive forecast's
  MAE (the window's last value held) with the ratio of the two (`naive_mae`, `mae_vs_naive`);
- the loss (the compiled loss, regularization included), averaged over rows;
- `score`, the one number runs and sweeps compare (`_tasks.SCORE_METRIC`): r2 for a regression, accuracy otherwise.

`Baseline` scores the trivial predictor, which ignores the inputs, on the same test rows and in the
same pass: the training split's majority class (its class frequencies as probabilities), each label's
training frequency, or the training mean. A model is only worth its score where it beats this one.

`predictions_sha256` is the sha256 of the user-facing outputs (float32) in test-row order: the run's
test predictions, which the saved end-to-end model must reproduce from the raw test rows bit for bit
(`saved_predictions`); the first `SAMPLE_ROWS` of them are kept for a check within tolerance on another
platform.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from kerasrecipes._io import plain
from kerasrecipes._tasks import SCORE_METRIC

EVAL_BATCH = 4096
"""Rows per evaluation batch (the saved model's check uses the same batches)."""
EXACT_AUC_ROWS = 1_000_000
AUC_BINS = 1 << 16
AUC_LOGIT_RANGE = 30.0


def auc_from_histograms(positives: np.ndarray, negatives: np.ndarray) -> float:
    """ROC AUC from per-bin counts of positive and negative scores (bins in increasing score order).

    Examples:
        >>> auc_from_histograms(np.array([0, 0, 2]), np.array([1, 1, 0]))
        1.0
    """
    n_pos, n_neg = positives.sum(), negatives.sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    below = np.cumsum(negatives) - negatives
    return float((positives * below).sum() + 0.5 * (positives * negatives).sum()) / float(n_pos * n_neg)


def score_bins(scores: np.ndarray) -> np.ndarray:
    """Histogram bin of each probability: by its logit, so probabilities near 0 and 1 keep their order."""
    p = np.clip(scores.astype(np.float64), 1e-300, 1.0)
    z = np.clip(np.log(p) - np.log1p(-np.minimum(p, 1.0 - 1e-16)), -AUC_LOGIT_RANGE, AUC_LOGIT_RANGE)
    return np.minimum(((z + AUC_LOGIT_RANGE) / (2 * AUC_LOGIT_RANGE) * AUC_BINS).astype(np.int64), AUC_BINS - 1)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


class _Metrics:
    """Running totals of the test metrics (bounded memory, except exact AUC's scores up to `EXACT_AUC_ROWS`)."""

    def __init__(self, task: str, n_classes: int | None, target: dict | None = None) -> None:
        self.task, k = task, n_classes or 2
        self.confusion = np.zeros((k, k), np.int64)
        self.scores: list[np.ndarray] | None = []
        self.labels: list[np.ndarray] = []
        width = (k,) if task == "multilabel" else ()
        self.positives, self.negatives = np.zeros((*width, AUC_BINS), np.int64), np.zeros((*width, AUC_BINS), np.int64)
        if task == "multilabel":
            self.names = [str(c) for c in target["classes"]]
            self.thresholds = np.asarray(target.get("thresholds", [0.5] * k), np.float64)
            self.counts = np.zeros((4, k), np.int64)  # tp, fp, fn, tn per label
            self.subset_right = 0
        self.n, self.sum_abs, self.sum_sq, self.mean, self.m2 = 0, 0.0, 0.0, 0.0, 0.0

    def update(self, y_true: np.ndarray, outputs: np.ndarray) -> None:
        if self.task == "regression":
            err = outputs.reshape(y_true.shape).astype(np.float64) - y_true
            self.sum_abs, self.sum_sq = self.sum_abs + np.abs(err).sum(), self.sum_sq + (err**2).sum()
            nb, mb = y_true.size, y_true.mean()
            delta, total = mb - self.mean, self.n + nb
            self.m2 += ((y_true - mb) ** 2).sum() + delta**2 * self.n * nb / total
            self.mean += delta * nb / total
            self.n = total
            return
        y = y_true.astype(np.int64)
        if self.task == "multilabel":
            self._update_labels(y.reshape(outputs.shape), outputs)
            return
        np.add.at(self.confusion, (y, outputs.argmax(axis=1)), 1)
        if self.task == "binary":
            p = outputs[:, 1]
            self.positives += np.bincount(score_bins(p[y == 1]), minlength=AUC_BINS)
            self.negatives += np.bincount(score_bins(p[y == 0]), minlength=AUC_BINS)
            if self.scores is not None:
                self.scores.append(p.astype(np.float64))
                self.labels.append(y)
                if sum(len(s) for s in self.scores) > EXACT_AUC_ROWS:
                    self.scores = None  # too many to keep: the histogram's AUC

    def _update_labels(self, y: np.ndarray, outputs: np.ndarray) -> None:
        said = outputs >= self.thresholds
        truth = y == 1
        self.counts += np.stack(
            [(said & truth).sum(0), (said & ~truth).sum(0), (~said & truth).sum(0), (~said & ~truth).sum(0)]
        )
        self.subset_right += int((said == truth).all(axis=1).sum())
        for j in range(y.shape[1]):
            self.positives[j] += np.bincount(score_bins(outputs[truth[:, j], j]), minlength=AUC_BINS)
            self.negatives[j] += np.bincount(score_bins(outputs[~truth[:, j], j]), minlength=AUC_BINS)
        if self.scores is not None:
            self.scores.append(outputs.astype(np.float64))
            self.labels.append(y)
            if sum(len(s) for s in self.scores) > EXACT_AUC_ROWS:
                self.scores = None

    def _label_result(self) -> dict[str, float]:
        tp, fp, fn, tn = self.counts.astype(np.float64)
        f1 = _f1(tp, fp, fn)
        aucs = [self._auc(j) for j in range(len(self.names))]
        out = {
            "accuracy": float((tp + tn).sum() / self.counts.sum()),
            "subset_accuracy": float(self.subset_right / (self.counts[:, 0].sum())),
            "f1_micro": float(_f1(tp.sum(), fp.sum(), fn.sum())),
            "f1_macro": float(f1.mean()),
            "auc": float(np.nanmean(aucs)) if not np.all(np.isnan(aucs)) else float("nan"),
        }
        out.update({f"f1/{name}": float(v) for name, v in zip(self.names, f1)})
        out.update({f"auc/{name}": float(v) for name, v in zip(self.names, aucs)})
        out["score"] = out[SCORE_METRIC[self.task]]
        return out

    def result(self) -> dict[str, float]:
        if self.task == "multilabel":
            return self._label_result()
        if self.task == "regression":
            out = {
                "r2": 1.0 - self.sum_sq / self.m2 if self.m2 > 0 else float("nan"),
                "mae": self.sum_abs / self.n,
                "rmse": math.sqrt(self.sum_sq / self.n),
            }
            out["score"] = out[SCORE_METRIC[self.task]]
            return out
        tp = np.diag(self.confusion).astype(np.float64)
        fp, fn = self.confusion.sum(axis=0) - tp, self.confusion.sum(axis=1) - tp
        out = {}
        if self.task == "binary":
            out["auc"] = self._auc()
            out["f1"] = float(_f1(tp, fp, fn)[1])
        else:
            out["f1_macro"] = float(_f1(tp, fp, fn).mean())
        out["accuracy"] = float(tp.sum() / self.confusion.sum())
        out["score"] = out[SCORE_METRIC[self.task]]
        return out

    def _auc(self, label: int | None = None) -> float:
        """ROC AUC of the binary target, or of one label of a multi-label target."""
        if self.scores is None:
            if label is None:
                return auc_from_histograms(self.positives, self.negatives)
            return auc_from_histograms(self.positives[label], self.negatives[label])
        y, scores = np.concatenate(self.labels), np.concatenate(self.scores)
        if label is not None:
            y, scores = y[:, label], scores[:, label]
        if len(np.unique(y)) < 2:
            return float("nan")
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(y, scores))


def evaluate(
    model: Any,
    prepared: Any,
    batch_size: int = EVAL_BATCH,
    baseline: Baseline | None = None,
    batches: Any = None,
    score: bool = True,
) -> tuple[dict[str, float], str, np.ndarray]:
    """(test metrics, predictions_sha256, the first `SAMPLE_ROWS` predictions) of a trained network on a
    prepared test split.

    Args:
        model: the trained, compiled network (features in; its `head` says how to read its output).
        prepared: prepared data (`data._sources.Prepared`).
        batch_size: rows per batch. Defaults to `EVAL_BATCH`.
        baseline: a `Baseline` of `prepared`, scored on the same test rows in the same pass (read its
            `result()` after). Defaults to `None`.
        batches: other (features, encoded target) batches to score instead of the test split's, e.g.
            `validation_batches(prepared)`; a forecast is then scored on its change from the window's
            last value. Defaults to `None` (the test split).
        score: False leaves the rows unscored: no metric and no loss (the targets go unused; the metrics are
            `{}`), only the predictions' hash and sample, which `reproduce` checks (a sweep trial's test rows).
            Defaults to True.
    """
    from kerasrecipes.models import end_to_end

    output = end_to_end.output_layer(prepared.target, model.head.activation)
    metrics = _Metrics(prepared.task, len(prepared.classes) if prepared.classes is not None else None, prepared.target)
    digest, finite, loss_sum, n = hashlib.sha256(), True, 0.0, 0
    sample = _Sample()
    # a forecast's outputs and targets: the change from the last value, added (the test rows keep their windows)
    forecast = "forecast" in prepared.preprocessing and batches is None
    if batches is None:
        batches = prepared.test_batches(batch_size)
    for start, (x, y) in zip(range(0, 1 << 62, batch_size), batches):
        pred = model(x, training=False)
        outputs = np.asarray(output(pred))
        if forecast:
            last = np.asarray(prepared.raw_test[start : start + len(outputs), -1, :1], np.float32)
            outputs = outputs + last
        digest.update(np.ascontiguousarray(outputs).tobytes())
        sample.add(outputs)
        if not score:
            continue
        loss = model.compute_loss(x=x, y=y, y_pred=pred, training=False)
        rows = int(outputs.shape[0])
        loss_sum, n = loss_sum + float(loss) * rows, n + rows
        finite = finite and bool(np.all(np.isfinite(outputs)))
        if finite or baseline is not None:
            y = np.asarray(y)
            if prepared.task == "regression":
                y = y.astype(np.float64) * np.asarray(prepared.target["std"]) + np.asarray(prepared.target["mean"])
                if forecast:
                    y = y + last.astype(np.float64)
            y = y.reshape(outputs.shape) if prepared.task in ("regression", "multilabel") else y.reshape(-1)
            if finite:
                metrics.update(y, outputs)
            if baseline is not None:
                baseline.update(y, outputs.shape, last if forecast else None)
    if not score:
        return {}, digest.hexdigest(), sample.array()
    out = {"loss": loss_sum / max(n, 1)}
    out.update(metrics.result() if finite else {"score": float("nan")})  # a diverged model: say so, no metrics
    if finite and forecast and n:
        out.update(_against_naive(prepared, out["mae"]))
    return {k: float(v) for k, v in out.items()}, digest.hexdigest(), sample.array()


def score_on_test(model: Any, prepared: Any) -> float:
    """The `score` (`_tasks.SCORE_METRIC`) of a network on its prepared test split, NaN for a diverged one: what a
    sweep reads of the winner's and the default's networks once it has chosen."""
    return evaluate(model, prepared)[0].get("score", float("nan"))


def validation_batches(prepared: Any, batch_size: int = EVAL_BATCH) -> Any:
    """The validation split as (features, encoded target) batches, for `evaluate(..., batches=...)`."""
    arrays = prepared.arrays()
    if arrays is None:  # streamed: the validation pipeline training reads
        return iter(prepared.datasets(batch_size, 0)[1])
    x, y = arrays["x_val"], arrays["y_val"]
    return ((x[start : start + batch_size], y[start : start + batch_size]) for start in range(0, len(y), batch_size))


class Baseline:
    """The trivial predictor's test metrics: what a model that ignores the inputs scores on the same rows.

    It predicts, for every row, the training split's class frequencies as probabilities (so its class is
    the majority class, the first in code order among equals; as scikit-learn's
    `DummyClassifier(strategy="prior")`), each label's training frequency (a label is said where at
    least half the training rows have it), or the training mean (`DummyRegressor()`); a forecast, the
    window's last value plus the training mean change. A downsampled training split counts each row
    with its downsampling factor, so the frequencies are those before downsampling.

    Args:
        prepared: prepared data (`data._sources.Prepared`).

    Attributes:
        predictor: what it predicts, in words, e.g. "majority class 'no'".
    """

    def __init__(self, prepared: Any) -> None:
        self.task = prepared.task
        if self.task == "regression":
            self.row = np.atleast_1d(np.asarray(prepared.target["mean"], np.float64))
            one = f" {self.row[0]:.6g}" if len(self.row) == 1 else ""
            self.predictor = (
                f"the last value plus the training mean change{one or ' of each step ahead'}"
                if "forecast" in prepared.preprocessing
                else f"the training mean{one or ' of each output'}"
            )
            self.metrics = _Metrics(self.task, None)
            return
        self.row = np.asarray(prepared.class_frequencies(), np.float64)
        classes = [plain(c) for c in prepared.classes]
        if self.task == "multilabel":
            said = [repr(c) for c, f in zip(classes, self.row) if f >= 0.5]
            self.predictor = "each label's training frequency; labels said: " + (", ".join(said) or "none")
            target = {"classes": classes, "thresholds": [0.5] * len(classes)}
        else:
            tied = np.sum(self.row == self.row.max()) > 1
            self.predictor = f"majority class {classes[int(np.argmax(self.row))]!r}" + (
                ", the first of classes tied in the training rows" if tied else ""
            )
            target = None
        self.metrics = _Metrics(self.task, len(classes), target)

    def update(self, y: np.ndarray, shape: tuple, last: np.ndarray | None = None) -> None:
        """Score one batch: `y` in the user's units (as `_Metrics.update` takes it), `shape` the model's outputs'."""
        outputs = np.broadcast_to(self.row, shape)
        if last is not None:
            outputs = outputs + last
        self.metrics.update(y, outputs)

    def result(self) -> dict[str, float]:
        """The metrics `evaluate` gives a model, but the loss (and a forecast's naive comparison)."""
        return {k: float(v) for k, v in self.metrics.result().items()}


def _against_naive(prepared: Any, mae: float) -> dict[str, float]:
    """A forecast's test MAE beside the naive forecast's (the window's last value, held for every step ahead):
    `naive_mae`, and `mae_vs_naive` = mae / naive_mae (below 1: the model beats it)."""
    change = np.asarray(prepared.inverse_transform_y(prepared.y_test), np.float64)  # from the last value
    naive = float(np.abs(change).mean())
    return {"naive_mae": naive, "mae_vs_naive": mae / naive if naive > 0 else float("nan")}


def label_thresholds(model: Any, prepared: Any, batch_size: int = EVAL_BATCH) -> list[float]:
    """Each label's threshold of a multi-label model: the one that gives the label its best F1 on the validation
    rows (the most even one, nearest 0.5, among ties; 0.5 for a label with no positive validation row).

    A rare label's probabilities seldom reach 0.5, so one threshold for all labels leaves it never
    predicted; a threshold per label, chosen on rows the weights were not fitted on, is the usual remedy.
    """
    from kerasrecipes.models import end_to_end

    output = end_to_end.output_layer(prepared.target, model.head.activation)
    scores = np.concatenate(
        [
            np.asarray(output(model(prepared.X_val[start : start + batch_size], training=False)), np.float64)
            for start in range(0, len(prepared.X_val), batch_size)
        ]
    )
    truth = np.asarray(prepared.y_val) == 1
    thresholds = []
    for j in range(scores.shape[1]):
        p, t = scores[:, j], truth[:, j]
        if not t.any() or not np.isfinite(p).all():
            thresholds.append(0.5)
            continue
        candidates = np.unique(np.append(p, 0.5))
        said = p[None, :] >= candidates[:, None]
        tp = (said & t).sum(axis=1)
        f1 = _f1(tp, (said & ~t).sum(axis=1), (~said & t).sum(axis=1))
        best = np.flatnonzero(f1 == f1.max())
        thresholds.append(float(candidates[best[np.argmin(np.abs(candidates[best] - 0.5))]]))
    return thresholds


SAMPLE_ROWS = 100_000
"""Test predictions a run keeps (`test_predictions.npy`): what `reproduce` compares within a tolerance on
another platform, where the bit-exact hash cannot match."""


class _Sample:
    """The first `SAMPLE_ROWS` rows of a stream of output batches."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.rows = 0

    def add(self, outputs: np.ndarray) -> None:
        if self.rows < SAMPLE_ROWS:
            self.parts.append(np.asarray(outputs, np.float32)[: SAMPLE_ROWS - self.rows])
            self.rows += len(self.parts[-1])

    def array(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros((0, 1), np.float32)


def saved_predictions(inference: Any, prepared: Any, batch_size: int = EVAL_BATCH) -> tuple[str, np.ndarray]:
    """(sha256, the first `SAMPLE_ROWS` rows) of an end-to-end model's outputs on the raw test rows, batched as
    `evaluate` batches."""
    import tensorflow as tf

    digest, sample = hashlib.sha256(), _Sample()
    for raw in prepared.raw_test_batches(batch_size):
        inputs = {k: tf.constant(v) for k, v in raw.items()} if isinstance(raw, dict) else tf.constant(raw)
        outputs = np.ascontiguousarray(np.asarray(inference(inputs, training=False)))
        digest.update(outputs.tobytes())
        sample.add(outputs)
    return digest.hexdigest(), sample.array()
