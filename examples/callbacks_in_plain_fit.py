"""Every kerasrecipes callback in a plain `model.fit` on your own Keras model.

Run: python examples/callbacks_in_plain_fit.py
"""

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kerasrecipes.callbacks import (  # noqa: E402
    EarlyStopping,
    FitDiagnosis,
    GradientClipping,
    GradientMonitor,
    WeightSaver,
    baseline_loss,
)

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(512, 8)).astype("float32")
y = (x[:, :1] * 2.0 - x[:, 1:2] + 0.1 * rng.normal(size=(512, 1))).astype("float32")

model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")

folder = tempfile.mkdtemp()
saver = WeightSaver(os.path.join(folder, "model_weights.h5"), keep_best=2)  # the classic name, fixed
stopper = EarlyStopping(patience=5)  # restores the best weights even if it never triggers
clipper = GradientClipping(mode="autoclip", percentile=10.0)  # AutoClip: clip to the 10th percentile of past norms
monitor = GradientMonitor(frequency=5, verbose=0)  # per-layer and global gradient norms
diagnosis = FitDiagnosis(
    baseline_loss=baseline_loss(y[:400], "mean_squared_error"), plot_path=os.path.join(folder, "curves.png"), verbose=0
)

model.fit(
    x[:400],
    y[:400],
    validation_data=(x[400:], y[400:]),
    epochs=15,
    batch_size=32,
    verbose=0,
    callbacks=[clipper, monitor, saver, stopper, diagnosis],
)

print("stop:", stopper.stop_reason, "| best epoch:", stopper.best_epoch + 1, "| best val_loss:", round(stopper.best, 4))
print("AutoClip threshold now:", round(float(clipper.threshold), 4), "| gradient records:", len(monitor.history))
print("best checkpoints:", [os.path.basename(c["path"]) for c in saver.best_checkpoints])
print("diagnosis:", diagnosis.diagnosis.verdict)
val = model.evaluate(x[400:], y[400:], verbose=0)
assert abs(val - stopper.best) < 1e-5  # the model holds the best epoch's weights
print("identical: model holds the best epoch's weights")
