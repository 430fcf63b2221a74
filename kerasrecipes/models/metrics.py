"""Metrics the Keras catalogue lacks: the ROC AUC of a binary target read from a two-unit softmax head.

`keras.metrics.AUC` scores one probability per label. A binary target trained with a softmax head (the
multiclass row, or `loss='sparse_categorical_crossentropy'` on two classes) gives two columns per row, and
the stock metric flattens both against one label each, which fails. `PositiveClassAUC` scores the second
column, the positive class, so such a run reports the same `auc` a sigmoid head would.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasrecipes")
class PositiveClassAUC(keras.metrics.AUC):
    """ROC AUC of class 1 from a two-unit softmax head, on integer or one-hot labels.

    With `from_logits=True` the head is linear (a softmax in the loss) and the metric scores
    `sigmoid(z1 - z0)`, which equals the softmax probability of class 1.

    Args:
        from_logits: the head gives logits, not probabilities. Defaults to False.
        name: the metric's name in logs. Defaults to "auc".
        **kwargs: passed to `keras.metrics.AUC` (e.g. `num_thresholds`).

    Examples:
        >>> import numpy as np
        >>> metric = PositiveClassAUC()
        >>> _ = metric.update_state(np.array([0, 1, 1, 0]), np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]]))
        >>> float(metric.result())
        1.0
    """

    def __init__(self, from_logits: bool = False, name: str = "auc", **kwargs):
        super().__init__(from_logits=from_logits, name=name, **kwargs)
        self.logits = from_logits  # AUC keeps its own copy private; the column difference needs it

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Score column 1 of `y_pred` against class 1 of `y_true` (ids, or one-hot in two columns)."""
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.convert_to_tensor(y_true)
        score = y_pred[..., 1] - y_pred[..., 0] if self.logits else y_pred[..., 1]
        if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 2:
            y_true = y_true[..., 1]
        y_true = ops.reshape(y_true, ops.shape(score))
        return super().update_state(y_true, score, sample_weight)
