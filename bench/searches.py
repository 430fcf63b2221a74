"""The two searches on one space: kerasrecipes' local sweep runner and KerasTuner.

Space: the task's bundled sweep YAML (regression.yaml, binary.yaml, multiclass.yaml). Its fixed
`scenario` names the row of the YAML's own dataset; here it is replaced by the row the benchmark
dataset selects (the row the default recipe uses), so the swept recipe differs from the default
one only by the searched fields.

Data: both searches see only the raw train + validation rows of the benchmark seed
(`bench_data.search_subset`). Every sweep trial (`runs.train`) splits them again 60/20/20 with
the sweep's seed, the same split for all (only the initialization follows the trial seed); on small data (under
10,000 rows) the sweep's default cross-validates every trial on 5 folds of the 80 % left after that test split
(`run_sweep(cv=None)`). KerasTuner gets the sizes of one split from one seeded split of the same rows. The
best configuration of each is then retrained once on the benchmark split (train 60 % / val 20 %
of all rows, seed s) and scored on the benchmark test rows, outside the search timings.

Selection: KerasTuner keeps the trial with the best validation loss. The local sweep does too on
large data; on small data (`run_sweep(confirm="auto")`) it retrains its 3 best trials and the row's
default with 3 more seeds and keeps the best mean (`kerasrecipes.tuning.confirm`). The report gives
the confirmation's winner and the test score the single-split best trial would have had.

Timing: the search call's wall time (`run_sweep` / `tuner.search`), which for the sweep includes
each trial's run directory, test evaluation, the hyperband engine and the confirmation, and for
KerasTuner its checkpoints and trial files. trials per minute = trials run / (seconds / 60).

KerasTuner's model-building function is written in plain Keras (Dense+ReLU stack with the
recipe's width decay, He-normal init, dropout, L1/L2/elastic-net penalty, optimizer and clipping,
and the recipe's head, loss and metrics); `check_equivalence` compares it with `build_model`'s
model (parameter counts, layer widths, loss) before each search. The recipe fields the YAML does
not search take the row's defaults (Recipe.resolved), exactly as in a sweep trial. Trials stop
early with the same EarlyStopping (row's patience, best weights restored); KerasTuner's
RandomSearch has no hyperband. A grid YAML (multiclass, 16 points) runs as KerasTuner's GridSearch
with the same points: RandomSearch stops early on a small discrete space (it gives up after 20
repeated samples).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SWEEP_DIR = Path(__file__).resolve().parent.parent / "kerasrecipes" / "sweeps"


def sweep_config(task: str) -> tuple[dict, str]:
    from kerasrecipes.tuning.validate import check_sweep

    name = {"regression": "regression", "binary": "binary", "multiclass": "multiclass"}[task]
    return check_sweep(str(SWEEP_DIR / f"{name}.yaml")), f"{name}.yaml"


def budget(config: dict, trials: int) -> int:
    """Trials that will really run: a grid stops when its points run out."""
    if config.get("method") != "grid":
        return trials
    n = 1
    for spec in config["parameters"].values():
        if "values" in spec:
            n *= len(spec["values"])
    return min(trials, n)


# ---------------------------------------------------------------------------------------------
# kerasrecipes' local sweep


def run_local_sweep(
    config: dict, subset, full_dataset, sp, *, trials: int, row: str, epochs: int | None = None
) -> dict:
    import yaml

    from kerasrecipes import runs
    from kerasrecipes.tuning.runner import run_sweep

    overrides = {"scenario": row}
    if epochs:
        overrides["epochs"] = epochs
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        start = time.perf_counter()
        result = run_sweep(
            config,
            trials=trials,
            seed=sp.seed,
            out=tmp,
            dataset=subset,
            tracking="none",
            verbose=0,
            overrides=overrides,
        )
        seconds = time.perf_counter() - start
        single_split = None  # the best trial's own resolved recipe, when a confirmation replaced it
        confirmation = result.confirmation
        if confirmation is not None and result.best is not None:
            trial_recipe = Path(tmp) / "trials" / f"trial-{result.best.index:03d}" / "recipe.yaml"
            single_split = yaml.safe_load(trial_recipe.read_text())
    done = [t for t in result.trials if t.state != "failed"]
    out = {
        "trials": len(result.trials),
        "failed": len(result.trials) - len(done),
        "stopped_by_hyperband": sum(t.state == "stopped" for t in result.trials),
        "seconds": seconds,
        "trials_per_minute": len(result.trials) / (seconds / 60.0),
        "mean_epochs": float(np.mean([t.epochs for t in done])) if done else None,
        "best_val_loss": None if result.best is None else result.best.metric,
        "best_params": None if result.best is None else result.best.params,
        "errors": sorted({t.error for t in result.trials if t.state == "failed"}),
    }
    if not done:
        raise RuntimeError(f"every sweep trial failed: {out['errors']}")
    if result.best_recipe is not None:
        start = time.perf_counter()
        run = runs.train(full_dataset, recipe={**result.best_recipe, "seed": sp.seed}, tracking="none", verbose=0)
        out["retrain_seconds"] = time.perf_counter() - start
        out["score"] = float(run.test_metrics["score"])
        assert np.array_equal(run.data.indices["test"], sp.prepared.indices["test"]), "test rows differ"
    if confirmation is not None:  # what the confirmation chose, and what the single split would have scored
        winner = confirmation.winner
        out["confirmation"] = {
            "winner": None if winner is None else winner.label,
            "candidates": [
                {"label": c.label, "trial": c.index, "sweep_metric": c.sweep_metric, "mean": c.mean}
                for c in confirmation.candidates
            ],
        }
        if confirmation.comparison is not None:  # the winner against the default, paired by seed
            out["confirmation"]["against_default"] = confirmation.comparison.to_dict(result.metric)
        if single_split is not None:
            run = runs.train(full_dataset, recipe={**single_split, "seed": sp.seed}, tracking="none", verbose=0)
            out["confirmation"]["single_split_score"] = float(run.test_metrics["score"])
    return out


# ---------------------------------------------------------------------------------------------
# KerasTuner


def space(config: dict) -> tuple[dict[str, Any], dict[str, dict]]:
    """(fixed values, searched parameters) of a W&B sweep config's `parameters`."""
    from kerasrecipes.tuning.confirm import default_params

    fixed = default_params(config, None)
    return fixed, {name: spec for name, spec in config["parameters"].items() if name not in fixed}


def define(hp, name: str, spec: dict):
    """The KerasTuner hyperparameter for one W&B parameter spec."""
    if "values" in spec:
        return hp.Choice(name, list(spec["values"]))
    dist = spec.get("distribution")
    if dist == "log_uniform_values":
        return hp.Float(name, float(spec["min"]), float(spec["max"]), sampling="log")
    if dist == "uniform":
        return hp.Float(name, float(spec["min"]), float(spec["max"]))
    if dist == "int_uniform":
        return hp.Int(name, int(spec["min"]), int(spec["max"]))
    raise ValueError(f"parameter {name!r}: distribution {dist!r} has no KerasTuner translation here")


def resolved_recipe(fixed: dict, values: dict, row: str, seed: int, dataset_size: str | None = None):
    """The recipe `train()` runs for these values (`dataset_size` as `train()` derives it from the rows)."""
    import kerasrecipes as kr

    scenario = kr.get_scenario(row)
    return kr.Recipe.from_dict({**fixed, **values, "scenario": row, "seed": seed}).resolved(
        scenario, dataset_size=dataset_size
    )


def equivalent_mlp(r, input_dim: int, task: str, n_classes: int | None):
    """The recipe's dense network, written in plain Keras as a KerasTuner user would."""
    import keras

    assert r.activation == "relu" and r.api == "sequential" and not r.batch_norm and r.lr_schedule == "constant"
    init = "he_normal" if r.kernel_initializer == "auto" else r.kernel_initializer
    layers = [keras.Input((input_dim,))]
    for i in range(r.num_layers):
        if r.elastic_net > 0:
            reg = keras.regularizers.L1L2(
                l1=r.elastic_net * r.elastic_net_beta, l2=r.elastic_net * (1 - r.elastic_net_beta) / 2
            )
        elif r.l1 > 0 or r.l2 > 0:
            reg = keras.regularizers.L1L2(l1=r.l1, l2=r.l2)
        else:
            reg = None
        width = max(1, int(round(r.units * r.units_decay**i)))
        layers.append(keras.layers.Dense(width, activation="relu", kernel_initializer=init, kernel_regularizer=reg))
        if r.dropout > 0:
            layers.append(keras.layers.Dropout(r.dropout))
    if task == "regression":
        layers.append(keras.layers.Dense(1))
        loss = "mean_squared_error"
        metrics = [
            keras.metrics.MeanAbsoluteError(name="mean_absolute_error"),
            keras.metrics.RootMeanSquaredError(name="root_mean_squared_error"),
        ]
    elif task == "binary":
        layers.append(keras.layers.Dense(1, activation="sigmoid"))
        loss, metrics = "binary_crossentropy", ["accuracy", keras.metrics.AUC(name="auc")]
    else:
        layers.append(keras.layers.Dense(n_classes, activation="softmax"))
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    clip = {
        "none": {},
        "norm": {"clipnorm": r.clip_value},
        "value": {"clipvalue": r.clip_value},
        "global_norm": {"global_clipnorm": r.clip_value},
    }[r.clipping]
    optimizer = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[
        r.optimizer
    ](learning_rate=r.learning_rate, **clip)
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model


def hypermodel(
    config: dict, row: str, seed: int, input_dim: int, task: str, n_classes: int | None, dataset_size: str | None = None
):
    import keras_tuner as kt

    fixed, searched = space(config)

    class RecipeSpace(kt.HyperModel):
        def values(self, hp) -> dict:
            return {name: define(hp, name, spec) for name, spec in searched.items()}

        def recipe(self, hp):
            return resolved_recipe(fixed, self.values(hp), row, seed, dataset_size)

        def build(self, hp):
            return equivalent_mlp(self.recipe(hp), input_dim, task, n_classes)

        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, batch_size=self.recipe(hp).batch_size, **kwargs)

    return RecipeSpace(), fixed, searched


def check_equivalence(config: dict, row: str, input_dim: int, task: str, n_classes: int | None, n: int = 6) -> None:
    """Sample n configurations of the space; the plain-Keras model must match build_model's."""
    import keras
    import keras_tuner as kt

    import kerasrecipes as kr

    model_space, _, _ = hypermodel(config, row, 0, input_dim, task, n_classes)
    for i in range(n):
        hp = kt.HyperParameters()
        model_space.values(hp)  # register
        for j, p in enumerate(hp.space):
            hp.values[p.name] = p.random_sample(1000 * i + j)
        r = model_space.recipe(hp)
        ours = equivalent_mlp(r, input_dim, task, n_classes)
        theirs = kr.build_model(r, (input_dim,), None if task == "regression" else n_classes)
        widths = [layer.units for layer in ours.layers if isinstance(layer, keras.layers.Dense)]
        widths_kr = [layer.units for layer in theirs.layers if isinstance(layer, keras.layers.Dense)]
        assert widths == widths_kr, (widths, widths_kr)
        assert ours.count_params() == theirs.count_params(), (ours.count_params(), theirs.count_params())
        assert theirs.head.loss.endswith(ours.loss.split("sparse_")[-1]), (theirs.head.loss, ours.loss)
        keras.backend.clear_session()


def run_keras_tuner(config: dict, subset, sp, *, trials: int, row: str, epochs: int | None = None) -> dict:
    import keras
    import keras_tuner as kt
    from baselines import user_defaults

    from kerasrecipes import data
    from kerasrecipes.recipes._table import dataset_size

    user_defaults()
    task, n_classes = sp.task, sp.n_classes
    input_dim = sp.X_fit.shape[1]
    check_equivalence(config, row, input_dim, task, n_classes)
    size = dataset_size(len(subset.X))  # what train() derives for the local sweep's trials
    model_space, fixed, _ = hypermodel(config, row, sp.seed, input_dim, task, n_classes, size)
    defaults = resolved_recipe(fixed, {}, row, sp.seed, size)
    epochs = epochs or defaults.epochs
    search_data = data.prepare(subset, task=task, seed=sp.seed, validation_fraction=0.2, test_fraction=0.2)

    def ys(y):
        return y if task == "regression" else y.astype(int)

    def stopper():
        return keras.callbacks.EarlyStopping(
            monitor="val_loss",
            mode="min",
            patience=defaults.patience,
            min_delta=defaults.min_delta,
            restore_best_weights=True,
        )

    class EpochCounter(keras.callbacks.Callback):
        """Epochs run per trial (KerasTuner keeps only the best epoch's metrics). Class attribute:
        KerasTuner deep-copies the callbacks of every trial."""

        counts: list[int] = []

        def on_train_begin(self, logs=None):
            EpochCounter.counts.append(0)

        def on_epoch_end(self, epoch, logs=None):
            EpochCounter.counts[-1] += 1

    tuner_cls = kt.GridSearch if config.get("method") == "grid" else kt.RandomSearch
    keras.backend.clear_session()
    keras.utils.set_random_seed(sp.seed)
    with tempfile.TemporaryDirectory(prefix="bench-kt-") as tmp:
        start = time.perf_counter()
        tuner = tuner_cls(
            model_space,
            objective="val_loss",
            max_trials=trials,
            seed=sp.seed,
            directory=tmp,
            project_name="kt",
            overwrite=True,
        )
        tuner.search(
            search_data.X_train,
            ys(search_data.y_train),
            validation_data=(search_data.X_val, ys(search_data.y_val)),
            epochs=epochs,
            callbacks=[stopper(), EpochCounter()],
            verbose=0,
        )
        seconds = time.perf_counter() - start
        all_trials = list(tuner.oracle.trials.values())
        completed = [t for t in all_trials if t.status == "COMPLETED"]
        best_trial = tuner.oracle.get_best_trials(1)[0] if completed else None
        best_hp = tuner.get_best_hyperparameters(1)[0] if completed else None
        epochs_run = list(EpochCounter.counts)
    out = {
        "tuner": tuner_cls.__name__,
        "trials": len(all_trials),
        "failed": len(all_trials) - len(completed),
        "seconds": seconds,
        "trials_per_minute": len(all_trials) / (seconds / 60.0),
        "mean_epochs": float(np.mean(epochs_run)) if epochs_run else None,
        "best_val_loss": None if best_trial is None else float(best_trial.score),
        "best_params": None if best_hp is None else dict(best_hp.values),
    }
    if best_hp is not None:  # retrain on the benchmark split, as for the swept recipe
        keras.backend.clear_session()
        keras.utils.set_random_seed(sp.seed)
        p = sp.prepared
        start = time.perf_counter()
        model = model_space.build(best_hp)
        model_space.fit(
            best_hp,
            model,
            p.X_train,
            ys(p.y_train),
            validation_data=(p.X_val, ys(p.y_val)),
            epochs=epochs,
            callbacks=[stopper()],
            verbose=0,
        )
        raw = model.predict(p.X_test, verbose=0)
        out["retrain_seconds"] = time.perf_counter() - start
        pred = (
            raw[:, 0] if task == "regression" else (raw[:, 0] > 0.5).astype(int) if task == "binary" else raw.argmax(1)
        )
        out["score"] = sp.score(pred)
    return out
