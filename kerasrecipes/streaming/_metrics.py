"""Test metrics accumulated batch by batch: the in-memory road's metrics without holding predictions.

Regression: r2, mae, rmse in original units (exact: running sums and the streamed mean/M2 of the
true values). Binary: accuracy and f1 (exact, from the confusion counts) and AUC from a histogram
of the logit of the score in `AUC_BINS` bins over [-`AUC_LOGIT_RANGE`, +`AUC_LOGIT_RANGE`] (pairs
inside one bin count half, as ties do in the exact AUC; within about 1e-4 of scikit-learn's).
Multiclass: accuracy and macro f1 (exact, from the confusion matrix). `predictions_sha256` is the
sha256 of the float32 prediction bytes in test-row order, as `weights_sha256([predictions])` would be.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

AUC_BINS = 1 << 16
AUC_LOGIT_RANGE = 30.0


def auc_from_histograms(positives: np.ndarray, negatives: np.ndarray) -> float:
    """ROC AUC from per-bin counts of positive and negative scores (bins in increasing score order).

    Example:
        >>> auc_from_histograms(np.array([0, 0, 2]), np.array([1, 1, 0]))
        1.0
    """
    n_pos, n_neg = positives.sum(), negatives.sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    below = np.cumsum(negatives) - negatives
    return float((positives * below).sum() + 0.5 * (positives * negatives).sum()) / float(n_pos * n_neg)


def score_bins(scores: np.ndarray, logits: bool) -> np.ndarray:
    """Histogram bin of each score: by its logit, so probabilities near 0 and 1 keep their order."""
    z = scores.astype(np.float64)
    if not logits:
        p = np.clip(z, 1e-300, 1.0)
        z = np.log(p) - np.log1p(-np.minimum(p, 1.0 - 1e-16))
    z = np.clip(z, -AUC_LOGIT_RANGE, AUC_LOGIT_RANGE)
    return np.minimum(((z + AUC_LOGIT_RANGE) / (2 * AUC_LOGIT_RANGE) * AUC_BINS).astype(np.int64), AUC_BINS - 1)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def evaluate_test_split(model: Any, stats: Any, test_ds: Any) -> tuple[dict[str, float], str]:
    """(metrics, predictions_sha256) on the test split, one batch at a time."""
    head = model.head
    out: dict[str, float] = {"loss": float(model.evaluate(test_ds, verbose=0, return_dict=True)["loss"])}
    digest, finite = hashlib.sha256(), True
    k = stats.n_classes or 2
    confusion = np.zeros((k, k), np.int64)
    positives, negatives = np.zeros(AUC_BINS, np.int64), np.zeros(AUC_BINS, np.int64)
    n, sum_abs, sum_sq, mean, m2 = 0, 0.0, 0.0, 0.0, 0.0
    for x, y in test_ds:
        pred = np.asarray(model.predict_on_batch(x))
        digest.update(np.ascontiguousarray(pred).tobytes())
        finite = finite and bool(np.all(np.isfinite(pred)))
        if not finite:
            continue
        y = y.numpy()
        if stats.task == "regression":
            std, mean = stats.target["std"], stats.target["mean"]
            y_true = y.astype(np.float64) * std + mean
            y_pred = pred[:, 0].astype(np.float64) * std + mean
            err = y_pred - y_true
            sum_abs, sum_sq = sum_abs + np.abs(err).sum(), sum_sq + (err**2).sum()
            nb, mb = len(y_true), y_true.mean()
            delta, total = mb - mean, n + nb
            m2 += ((y_true - mb) ** 2).sum() + delta**2 * n * nb / total
            mean += delta * nb / total
            n = total
        elif head.units == 1:
            logits = head.activation != "sigmoid"
            labels = (pred[:, 0] > (0.0 if logits else 0.5)).astype(np.int64)
            np.add.at(confusion, (y.astype(np.int64), labels), 1)
            bins = score_bins(pred[:, 0], logits)
            positives += np.bincount(bins[y == 1], minlength=AUC_BINS)
            negatives += np.bincount(bins[y == 0], minlength=AUC_BINS)
        else:
            np.add.at(confusion, (y.astype(np.int64), pred.argmax(axis=1)), 1)
    if not finite:  # a diverged model: report it instead of computing metrics of NaN
        out["score"] = float("nan")
        return out, digest.hexdigest()
    if stats.task == "regression":
        out.update(r2=1.0 - sum_sq / m2 if m2 > 0 else float("nan"), mae=sum_abs / n, rmse=math.sqrt(sum_sq / n))
        out["score"] = out["r2"]
    else:
        tp = np.diag(confusion).astype(np.float64)
        fp, fn = confusion.sum(axis=0) - tp, confusion.sum(axis=1) - tp
        if head.units == 1:
            out["auc"] = auc_from_histograms(positives, negatives)
            out["f1"] = float(_f1(tp, fp, fn)[1])
        else:
            out["f1_macro"] = float(_f1(tp, fp, fn).mean())
        out["accuracy"] = float(tp.sum() / confusion.sum())
        out["score"] = out["accuracy"]
    return {key: float(v) for key, v in out.items()}, digest.hexdigest()


def baseline_loss(stats: Any, loss: str) -> float | None:
    """The trivial predictor's training loss from the streamed counts (None when it needs a median)."""
    from kerasrecipes.callbacks.fit_diagnosis import EPSILON

    if stats.task == "regression":
        return 1.0 if loss in ("mean_squared_error", "mse") else None  # standardized target: variance 1
    if loss not in ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"):
        return None
    p = np.clip(np.asarray(stats.class_counts, np.float64) / sum(stats.class_counts), EPSILON, 1 - EPSILON)
    if loss == "binary_crossentropy":
        q = p[1]
        return float(-(q * np.log(q) + (1 - q) * np.log(1 - q)))
    return float(-np.sum(p * np.log(p)))
