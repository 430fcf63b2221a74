"""`kerasrecipes demo` (what `make demo` runs): the scenario table as models, then the main job.

1. Every scenario row builds its model on bundled data (no training): head, loss, optimizer, size.
2. A recipe is trained for regression, binary and multiclass data into runs/demo/, each run is
   reproduced from its manifest, and one summary table is printed.
3. The wine run's saved model predicts raw rows (`load_run`).
4. A short seeded local W&B sweep.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

# row -> (dataset, dataset kwargs); rows whose regime the bundled data cannot reach are built by name
ROW_DATA = {
    "regression-less-features": ("diabetes", {}),
    "regression-more-features": ("friedman1", {"n_samples": 500, "n_features": 25}),
    "binary-small-dataset": ("breast_cancer", {}),
    "binary-large-dataset": ("classification", {"n_samples": 12000}),
    "multilabel-small-dataset": ("multilabel", {}),
    "multilabel-large-dataset": ("multilabel", {"n_samples": 12000}),
    "multiclass-less-features": ("wine", {}),
    "multiclass-more-features": ("digits", {}),
    "cnn-small-dataset": ("digits_images", {}),
    "cnn-large-dataset": ("digits_images", {}),
    "rnn-small-dataset": ("digits_sequences", {}),
    "rnn-large-dataset": ("digits_sequences", {}),
}
TRAIN = (("regression", "diabetes"), ("binary", "breast_cancer"), ("multiclass", "wine"))


def _table(rows: list[dict[str, str]]) -> str:
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in cols)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join(lines)


def build_every_row() -> list[dict[str, str]]:
    import keras

    from kerasrecipes import data
    from kerasrecipes.recipes import Recipe, build_model, list_scenarios
    from kerasrecipes.recipes._task import infer_target

    rows = []
    for name in list_scenarios():
        dataset_name, kwargs = ROW_DATA[name]
        ds = data.load_dataset(dataset_name, **kwargs)
        info = infer_target(ds.X, ds.y)
        keras.backend.clear_session(free_memory=False)
        model = build_model(Recipe(scenario=name), info.input_shape, target=info)
        rows.append(
            {
                "scenario": name,
                "data": f"{dataset_name} {tuple(ds.X.shape)}",
                "head": f"{model.head.units} x {model.head.activation}",
                "loss": model.head.loss,
                "optimizer": model.recipe.optimizer,
                "params": f"{model.count_params():,}",
            }
        )
    return rows


def train_and_reproduce(out: Path, epochs: int | None, tracking: str) -> list[dict[str, str]]:
    from kerasrecipes import runs
    from kerasrecipes.runs._reproduce import reproduce

    rows = []
    for task, dataset in TRAIN:
        start = time.perf_counter()
        recipe = {"epochs": epochs} if epochs else {}
        result = runs.train(dataset, recipe=recipe, out=out / dataset, overwrite=True, tracking=tracking, verbose=0)
        seconds = time.perf_counter() - start
        report = reproduce(out / dataset)
        metric = "r2" if task == "regression" else "accuracy"
        rows.append(
            {
                "task": task,
                "data": dataset,
                "scenario": result.scenario.name,
                "test": f"{metric} {result.test_metrics[metric]:.3f}",
                "epochs": f"{result.manifest['training']['epochs_run']} (best {result.manifest['training']['best_epoch'] + 1})",
                "diagnosis": result.diagnosis.verdict,
                "reproduced": "identical" if report.identical else "DIFFERS",
                "train s": f"{seconds:.1f}",
                "run": str(out / dataset),
            }
        )
    return rows


def predict_new_rows(run_dir: Path) -> str:
    """A saved run on raw rows it never saw: labels in the data's own classes, one probability each."""
    from kerasrecipes import data, load_run

    run = load_run(run_dir)
    rows = data.load_dataset("wine").frame().iloc[[0, 70, 150]]
    proba = run.predict_proba(rows)
    return "\n".join(
        f"row {i}: class {label}  probabilities {np.round(p, 3).tolist()}"
        for i, label, p in zip(rows.index, run.predict(rows), proba)
    )


def main(args: argparse.Namespace | None = None) -> int:
    quick = bool(getattr(args, "quick", False))
    print("1. The scenario table as compiled models, one per row:\n")
    print(_table(build_every_row()))
    print("\n2. Training a recipe per task (best weights restored), then reproducing each run:\n")
    rows = train_and_reproduce(
        Path("runs") / "demo", epochs=5 if quick else None, tracking="none" if quick else "offline"
    )
    print(_table(rows))
    print("\n3. A saved run predicts raw rows (`kerasrecipes.load_run`, model.keras: preprocessing inside):\n")
    print(predict_new_rows(Path("runs") / "demo" / "wine"))
    print("\n4. A short local W&B sweep (multiclass grid on wine, seeded, W&B's own engine):\n")
    from kerasrecipes.tuning.runner import run_sweep

    sweep = run_sweep(
        "multiclass",
        trials=4,
        seed=0,
        out=Path("runs") / "demo" / "sweep-multiclass",
        tracking="none",
        verbose=1,
        overrides={"epochs": 5} if quick else {"epochs": 40},
        overwrite=True,
    )
    best = sweep.best
    print(
        f"best trial {best.index}: {sweep.metric} = {best.metric:.4f} with "
        + ", ".join(f"{k}={best.params[k]}" for k in ("optimizer", "learning_rate", "units", "l1"))
    )
    confirmation = sweep.confirmation
    if confirmation is not None and confirmation.winner is not None:
        print(
            f"confirmed with 3 more seeds each (wine is small): {confirmation.winner.label} has the best mean "
            f"{sweep.metric} ({confirmation.winner.mean:.4f}), so it is best_recipe.yaml"
        )
        if confirmation.comparison is not None:
            print(f"against the default: {confirmation.comparison.verdict(sweep.metric)}")
    print(
        f"results in {sweep.out}/results.csv; retrain with "
        f"`kerasrecipes train --dataset wine --recipe {sweep.out}/best_recipe.yaml`"
    )
    print(
        "\nEach run directory holds model.keras (raw rows in, probabilities or original units out; "
        "`kerasrecipes predict` and `kerasrecipes export` use it), model.weights.h5, manifest.json, history.csv, learning_curves.png"
        + (
            " and diagnosis.txt."
            if quick
            else ", diagnosis.txt and an offline W&B run (upload it later with "
            "`wandb sync runs/demo/<data>/wandb/offline-run-*`)."
        )
    )
    return 0 if all(r["reproduced"] == "identical" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
