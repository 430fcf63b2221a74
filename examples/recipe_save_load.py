"""Save/load-weights reproduction with a recipe model.

Build a recipe model, train it seeded, save its weights, rebuild the same recipe in a fresh
session, load the weights, and check the predictions are identical.

Run: python examples/recipe_save_load.py
"""

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_wine  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import kerasrecipes as kr  # noqa: E402
from kerasrecipes.seeding import set_seed  # noqa: E402

X, y = load_wine(return_X_y=True)
X = StandardScaler().fit_transform(X).astype("float32")

recipe = kr.Recipe(units=32, dropout=0.1, epochs=20, seed=7)
set_seed(recipe.seed)  # Python, NumPy, TF, Keras + op determinism, in one call
model = kr.build_model_for_data(X, y, recipe)  # row: multiclass-less-features -> softmax head
print("scenario:", model.scenario.name, "| head:", model.head)
model.fit(X, y, epochs=recipe.epochs, batch_size=16, verbose=0)
before = model.predict(X, verbose=0)

path = os.path.join(tempfile.mkdtemp(), "wine.weights.h5")
model.save_weights(path)

keras.backend.clear_session()  # a fresh session, as next month
rebuilt = kr.build_model_for_data(X, y, model.recipe)  # the resolved recipe rebuilds the same model
rebuilt.optimizer.build(rebuilt.trainable_variables)  # the file also holds optimizer slots
rebuilt.load_weights(path)
after = rebuilt.predict(X, verbose=0)

np.testing.assert_array_equal(before, after)
print("identical predictions after save_weights -> rebuild -> load_weights:", path)
