"""Save/load-weights reproduction with a plain Keras model and the classic file name 'model_weights.h5'.

Much Keras 2 code saves to 'model_weights.h5'. Keras 3 only writes weights to names ending in
'.weights.h5' and raises on that name; `kerasrecipes.callbacks.weights_path` applies the rule
(with a warning) so such code keeps working.

Run: python examples/plain_keras_save_load.py
"""

import os
import tempfile
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from kerasrecipes.callbacks import weights_path  # noqa: E402
from kerasrecipes.seeding import set_seed  # noqa: E402


def make_model():
    return keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

set_seed(42)
model = make_model()
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=10, batch_size=32, verbose=0)
before = model.predict(X_test, verbose=0)

folder = tempfile.mkdtemp()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    path = weights_path(os.path.join(folder, "model_weights.h5"))  # the classic name
print("saving to", path.name, "|", caught[0].message if caught else "")
model.save_weights(path)

restored = make_model()
restored.load_weights(path)
np.testing.assert_array_equal(before, restored.predict(X_test, verbose=0))
print("identical predictions after load_weights")
