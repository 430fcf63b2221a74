"""Train a recipe into a run directory, then reproduce it from the manifest.

Run: python examples/train_and_reproduce.py
"""

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kerasrecipes import reproduce, train  # noqa: E402
from kerasrecipes.runs import rundir  # noqa: E402

out = os.path.join(tempfile.mkdtemp(), "breast_cancer-seed42")
result = train("breast_cancer", recipe={"epochs": 30}, out=out, tracking="none", verbose=0)
print(rundir.summary(result))

report = reproduce(out)  # rebuild from manifest.json, load weights, recompute test predictions
assert report.identical, report.reasons
print("identical test predictions and metrics:", report.test_metrics)

report = reproduce(out, retrain=True)  # train again from the seed and compare weights_sha256
assert report.identical, report.reasons
print("retrained bit for bit:", report.retrained_weights_sha256)
