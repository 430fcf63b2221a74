"""The benchmark's datasets and the one split everybody uses.

For seed s, `split(dataset, task, s)` is exactly the split `runs.train(dataset, {"seed": s})`
makes with the default recipe (`validation_fraction=0.2`, `test_fraction=0.2`, stratified for
classification, `StandardScaler` fitted on the training rows): `data.prepare` with the same options.

- test rows (20 %): every method is scored on them, nobody trains or selects on them;
- train + validation rows (80 %): the scikit-learn baselines and the hand-written Keras model fit
  on them (Keras then holds out its own `validation_split=0.2`); the recipe trains on the train
  rows (60 %) and early-stops on the validation rows (20 %);
- the sweeps (local runner and KerasTuner) only ever see the train + validation rows
  (`search_subset`), so hyperparameter selection never looks at the test rows.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

# name -> (registry name, load_dataset keyword arguments, short label). The synthetic sets are
# generated once with seed 0: the 3 benchmark seeds change the split and the initialization.
SPECS: dict[str, tuple[str, dict[str, Any], str]] = {
    "iris": ("iris", {}, "iris (150x4, 3 cl.)"),
    "wine": ("wine", {}, "wine (178x13, 3 cl.)"),
    "breast_cancer": ("breast_cancer", {}, "breast_cancer (569x30, 2 cl.)"),
    "digits": ("digits", {}, "digits (1797x64, 10 cl.)"),
    "diabetes": ("diabetes", {}, "diabetes (442x10, reg.)"),
    "friedman1": ("friedman1", {"n_samples": 20_000, "n_features": 10, "seed": 0}, "friedman1 (20000x10, reg.)"),
    "classification": (
        "classification",
        {"n_samples": 50_000, "n_features": 40, "seed": 0},
        "make_classification (50000x40, 2 cl.)",
    ),
}
ALL = list(SPECS)
VALIDATION_FRACTION = 0.2  # the recipe defaults (BASE_DEFAULTS)
TEST_FRACTION = 0.2


def load(name: str):
    from kerasrecipes import data

    registry_name, kwargs, _ = SPECS[name]
    return data.load_dataset(registry_name, **kwargs)


def task_of(dataset) -> str:
    """The task `train()` infers for this dataset (binary / multiclass / regression)."""
    from kerasrecipes.recipes import _task

    return _task.infer_target(dataset.X, dataset.y).kind


@dataclasses.dataclass
class Split:
    """One seed's split, as arrays scaled exactly as the recipe sees them."""

    seed: int
    task: str
    prepared: Any  # kerasrecipes PreparedData (train 60 % / val 20 % / test 20 %)
    X_fit: np.ndarray  # train + val rows (80 %), for the baselines and the hand-written Keras model
    y_fit: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self) -> int | None:
        return self.prepared.n_classes

    def score(self, pred: np.ndarray) -> float:
        """Accuracy (classification, `pred` = labels) or R2 in original units (regression)."""
        from sklearn import metrics

        if self.task == "regression":
            p = self.prepared
            y_true = p.inverse_transform_y(np.asarray(self.y_test).reshape(-1, 1)).ravel()
            y_pred = p.inverse_transform_y(np.asarray(pred, dtype=np.float64).reshape(-1, 1)).ravel()
            return float(metrics.r2_score(y_true, y_pred))
        return float(metrics.accuracy_score(np.asarray(self.y_test).astype(int), np.asarray(pred).astype(int)))


def split(dataset, task: str, seed: int) -> Split:
    from kerasrecipes import data

    prepared = data.prepare(
        dataset,
        task=task,
        seed=seed,
        validation_fraction=VALIDATION_FRACTION,
        test_fraction=TEST_FRACTION,
        scaling="standard",
    )
    X_fit = np.concatenate([prepared.X_train, prepared.X_val])
    y_fit = np.concatenate([prepared.y_train, prepared.y_val])
    return Split(seed, task, prepared, X_fit, y_fit, prepared.X_test, prepared.y_test)


def search_subset(dataset, sp: Split):
    """The raw train + validation rows of `sp` as a new Dataset (what the sweeps search on)."""
    from kerasrecipes import data

    rows = np.sort(np.concatenate([sp.prepared.indices["train"], sp.prepared.indices["val"]]))
    return data.array_dataset(
        f"{dataset.name}-search-seed{sp.seed}",
        np.asarray(dataset.X)[rows],
        np.asarray(dataset.y)[rows],
        feature_names=dataset.feature_names,
        target_name=dataset.target_name,
        task=dataset.task,
    )


def search_setup(name: str, seed: int) -> tuple:
    """What a search benchmark starts from for dataset `name` and seed `seed`: (the dataset, the benchmark split,
    the search subset of its train + validation rows, the task's bundled sweep config and its file name)."""
    import searches

    dataset = load(name)
    sp = split(dataset, task_of(dataset), seed)
    config, yaml_name = searches.sweep_config(sp.task)
    return dataset, sp, search_subset(dataset, sp), config, yaml_name


def time_calls(module: Any, name: str, seconds: list) -> None:
    """Replace `module.<name>` by a wrapper that appends each call's wall seconds to `seconds`.

    A wrapper, not a timing callback: a run with a callback of someone else's resets TensorFlow's
    kernel cache (the callback could draw from stateful random kernels), a run without one keeps it.
    """
    original = getattr(module, name)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - start)

    setattr(module, name, timed)


def source_commit(folder: Path) -> str:
    """The git commit of the kerasrecipes checkout at `folder`, "with uncommitted changes" to its package."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=folder, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "kerasrecipes"], cwd=folder, capture_output=True, text=True
    ).stdout.strip()
    return f"{commit.stdout.strip() or 'unknown commit'}{' with uncommitted changes' if dirty else ''}"


def run_meta(script: str, argv: list[str] | None) -> dict[str, str]:
    """A result's date, the command that made it, the machine and the library's commit."""
    import os
    import platform
    import sys
    from datetime import datetime

    return {
        "date": datetime.now().strftime("%Y-%m-%d"),
        "command": f"python bench/{script} " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
        "commit": source_commit(Path(__file__).resolve().parent.parent),
    }


def write_result(stem: Path, text: str, data: Any) -> None:
    """A benchmark's report: `<stem>.md` (the text, also printed) and `<stem>.json` (its numbers)."""
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(data, indent=1))
    print(text)
