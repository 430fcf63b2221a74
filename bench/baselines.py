"""The baselines: scikit-learn models and a hand-written Keras MLP, on one `bench_data.Split`.

Every function returns {"score", "seconds", ...}. Each sees the same arrays: the recipe's
standardized train + validation rows to fit, its test rows to score.

Timing:
- scikit-learn: `fit` + `predict`.
- hand-written Keras: build + compile + `fit` + `predict` (seeding and `clear_session` before,
  untimed). The recipe's time (see run.py) is the whole `runs.train` call, which also prepares
  the data and evaluates on the test split.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

SKLEARN = ("linear", "mlp", "hgb")  # LogisticRegression/Ridge, MLPClassifier/MLPRegressor, HistGradientBoosting
SKLEARN_LABELS = {
    "linear": "LogReg/Ridge",
    "mlp": "sk MLP",
    "hgb": "HistGB",
}


def sklearn_model(kind: str, task: str, seed: int):
    """Library defaults, as a user would write them (max_iter raised only where they do not converge)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    regression = task == "regression"
    if kind == "linear":
        return Ridge() if regression else LogisticRegression(max_iter=1000)
    if kind == "mlp":
        return (MLPRegressor if regression else MLPClassifier)(random_state=seed)
    if kind == "hgb":
        return (HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier)(random_state=seed)
    raise ValueError(kind)


def run_sklearn(kind: str, sp) -> dict:
    from sklearn.exceptions import ConvergenceWarning

    model = sklearn_model(kind, sp.task, sp.seed)
    y_fit = sp.y_fit if sp.task == "regression" else sp.y_fit.astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # MLP's default max_iter=200 on small sets
        start = time.perf_counter()
        model.fit(sp.X_fit, y_fit)
        pred = model.predict(sp.X_test)
        seconds = time.perf_counter() - start
    out = {"score": sp.score(pred), "seconds": seconds}
    if getattr(model, "n_iter_", None) is not None:
        out["iterations"] = int(np.max(model.n_iter_))
    return out


def hand_keras_model(input_dim: int, task: str, n_classes: int | None, steps_per_execution: int = 1):
    """The MLP of the issue: 64-32 ReLU, Adam, the usual head and loss for the task."""
    import keras

    if task == "regression":
        head, loss, metrics = keras.layers.Dense(1), "mse", []
    elif task == "binary":
        head, loss, metrics = keras.layers.Dense(1, activation="sigmoid"), "binary_crossentropy", ["accuracy"]
    else:
        head, loss, metrics = (
            keras.layers.Dense(n_classes, activation="softmax"),
            "sparse_categorical_crossentropy",
            ["accuracy"],
        )
    model = keras.Sequential(
        [
            keras.Input((input_dim,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            head,
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(), loss=loss, metrics=metrics, steps_per_execution=steps_per_execution
    )
    return model


def user_defaults() -> None:
    """Undo what `runs.train` turned on process-wide (TF op determinism): a user's script has it off."""
    from tensorflow.python.framework import config as tf_config  # the public API only has enable_...

    tf_config.disable_op_determinism()


def run_hand_keras(sp, *, epochs: int = 200, patience: int = 15, batch_size: int = 32) -> dict:
    """The issue's spec: fit on NumPy arrays, validation_split=0.2, EarlyStopping(patience=15,
    restore_best_weights=True), up to 200 epochs, batch 32."""
    import keras

    user_defaults()
    keras.backend.clear_session()
    keras.utils.set_random_seed(sp.seed)
    y_fit = sp.y_fit if sp.task == "regression" else sp.y_fit.astype(int)
    start = time.perf_counter()
    model = hand_keras_model(sp.X_fit.shape[1], sp.task, sp.n_classes)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    history = model.fit(
        sp.X_fit, y_fit, validation_split=0.2, epochs=epochs, batch_size=batch_size, callbacks=[stop], verbose=0
    )
    raw = model.predict(sp.X_test, verbose=0)
    seconds = time.perf_counter() - start
    return {"score": sp.score(predictions(raw, sp.task)), "seconds": seconds, "epochs": len(history.history["loss"])}


def run_best_keras(
    sp, *, epochs: int = 200, patience: int = 15, batch_size: int = 32, steps_per_execution: int = 32
) -> dict:
    """Keras at its best, as a careful user writes it (issue 15): the same network, early stopping and
    validation rows as `run_hand_keras` (the last 20 % of the fit rows, as `validation_split` takes
    them), but `fit` on a cached, shuffled, prefetched `tf.data.Dataset` and compiled with
    `steps_per_execution`, and `predict` in large batches."""
    import keras
    import tensorflow as tf

    user_defaults()
    keras.backend.clear_session()
    keras.utils.set_random_seed(sp.seed)
    x = np.asarray(sp.X_fit, "float32")
    y = np.asarray(sp.y_fit, "float32" if sp.task == "regression" else "int32")
    start = time.perf_counter()
    cut = int(len(x) * 0.8)  # what validation_split=0.2 keeps for training
    train = (
        tf.data.Dataset.from_tensor_slices((x[:cut], y[:cut]))
        .cache()
        .shuffle(cut, seed=sp.seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    val = tf.data.Dataset.from_tensor_slices((x[cut:], y[cut:])).batch(4096).cache().prefetch(tf.data.AUTOTUNE)
    model = hand_keras_model(x.shape[1], sp.task, sp.n_classes, steps_per_execution=steps_per_execution)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    history = model.fit(train, validation_data=val, epochs=epochs, callbacks=[stop], verbose=0)
    raw = model.predict(np.asarray(sp.X_test, "float32"), batch_size=4096, verbose=0)
    seconds = time.perf_counter() - start
    return {"score": sp.score(predictions(raw, sp.task)), "seconds": seconds, "epochs": len(history.history["loss"])}


def predictions(raw, task: str):
    """Class labels or values from a Keras model's outputs."""
    if task == "regression":
        return raw[:, 0]
    if task == "binary":
        return (raw[:, 0] > 0.5).astype(int)
    return raw.argmax(axis=1)
