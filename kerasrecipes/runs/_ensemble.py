"""Averaging ensembles: several recipes trained on one split, saved as one run directory.

`train_ensemble(data, recipes, out=...)` trains every recipe with `train` (each with its own seed, on the
data as the recipe splits them), checks that every member prepared the data identically (the same split
and the same fitted preprocessing and target specs: one features layer must serve them all) and joins
their networks into one averaging network: a Functional model whose branches are the members' networks on
the shared features, each read as class probabilities (`models.end_to_end.output_layer`; a regression's
standardized values as they are), averaged by `keras.layers.Average`. So a classifier's answer is the mean
of the members' probabilities and a regression's the mean of their predictions. The end-to-end model
around it is a run's (`end_to_end.inference_model`: raw inputs in, the user's labels or units out).

Not to be confused with the recipe field `ensemble`, a packed ensemble of identical members inside one
network: here each member is a whole run of its own recipe, and the manifest's key is `sweep_ensemble`.

The directory is written as a run's is (under the one-writer lock, staged, swapped into place, the
manifest sealed last), so `load_run`, `predict`, `export` and `reproduce` take it as any run::

    model.keras          raw rows in -> the shared features -> the members -> their mean -> labels or units
    model.weights.h5     the averaging network's weights: every member's, in member order
    manifest.json        a run's keys (`recipe` and `seed` are the first member's, whose split every member
                         shares), and `sweep_ensemble`: each member's resolved recipe (its seed included),
                         weights hash and validation score, and the ensemble's validation score
    test_predictions.npy the first test predictions, as a run keeps them
    recipe.yaml          the first member's recipe; members.yaml: every member's, in order
    history.csv          every member's per-epoch metrics, one row per (member, epoch)

`reproduce` rebuilds every member's network from its recipe (`rebuild`), and with `retrain=True` trains the
members again (`retrain`) and compares the averaging network's weights hash with the manifest's.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

import keras
import yaml

from kerasrecipes._io import _json_default
from kerasrecipes.errors import UserError
from kerasrecipes.models import end_to_end
from kerasrecipes.recipes._build import Head
from kerasrecipes.recipes._recipe import Recipe
from kerasrecipes.runs import _evaluate, _fit, _writing, rundir

KEY = "sweep_ensemble"
"""The manifest key of an averaging ensemble (what tells `reproduce` to rebuild members, not one network)."""
MEMBERS = "members.yaml"


@dataclasses.dataclass
class EnsembleResult:
    """What `train_ensemble` returns.

    Attributes:
        members: the members' `RunResult`s, in the order given (no run directory of their own; their test rows
            unscored, `test_metrics` empty).
        network: the averaging network (features in; its `head` says how `_evaluate` reads its output).
        test_metrics: the ensemble's metrics on the test split.
        validation_scores: the members' scores (`_tasks.SCORE_METRIC`) on the validation rows, in order.
        validation_score: the ensemble's score on the validation rows.
        manifest: the run's manifest (also `run_dir/manifest.json`).
        run_dir: the run directory.
    """

    members: list[Any]
    network: Any
    test_metrics: dict[str, float]
    validation_scores: list[float]
    validation_score: float
    manifest: dict[str, Any]
    run_dir: Path


def averaging_network(networks: list[Any], prepared: Any) -> keras.Model:
    """The members' trained networks joined into one: the same features in, the mean of their answers out.

    Each member's output is read as probabilities first (its head may be a sigmoid, a softmax or logits),
    so the mean is one of probabilities; a regression's members answer standardized values, whose mean the
    end-to-end model puts in original units. The network is compiled with the loss of that mean (the
    cross-entropy of the probabilities; a regression's squared error) and carries a `head` describing its
    output; every optimizer in it is built, so its weights file always holds the same variables. Each network
    is renamed `member_<i>` (layer names are unique within a Functional model).

    Args:
        networks: the members' compiled networks (`build_model`'s), all on `prepared`'s features.
        prepared: the data every member was trained on (`data._sources.Prepared`).
    """
    task = prepared.target["task"]
    first = networks[0].inputs[0]
    features = keras.Input(shape=tuple(first.shape[1:]), dtype=first.dtype, name="features")
    answers = []
    for i, network in enumerate(networks):
        network.name = f"member_{i}"
        answer = network(features)
        if task != "regression":
            probabilities = end_to_end.output_layer(prepared.target, network.head.activation)
            probabilities.name = f"member_{i}_probabilities"
            answer = probabilities(answer)
        answers.append(answer)
    model = keras.Model(features, keras.layers.Average(name="mean")(answers), name=KEY)
    width = int(model.outputs[0].shape[-1])
    sparse = prepared.target_info().encoding != "onehot"
    model.head = {
        "regression": Head(width, "linear", "mean_squared_error", ()),
        "multilabel": Head(width, "sigmoid", "binary_crossentropy", ()),
    }.get(task, Head(width, "softmax", "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy", ()))
    model.compile(loss=model.head.loss)
    for part in (model, *networks):
        if part.optimizer is not None and not part.optimizer.built:
            part.optimizer.build(part.trainable_variables)
    return model


def train_members(data: Any, recipes: list[dict[str, Any]], labels: list[str], verbose: int = 0) -> list[Any]:
    """Train every recipe on `data` (no run directory); refuse, in one line, members that prepared the data
    differently from the first (`labels` name the members in that message). No member scores the test rows:
    the ensemble does, as one model."""
    from kerasrecipes.runs._train import train

    members = []
    for recipe in recipes:
        members.append(train(data, recipe=Recipe.from_dict(recipe), tracking="none", verbose=verbose, score_test=False))
        _check_shared(members[0], members[-1], labels[0], labels[len(members) - 1])
    return members


def _shared(member: Any) -> str:
    """What every member must share, as canonical JSON: the data's fingerprint, the fitted preprocessing and the
    target spec (but a multi-label run's thresholds, which the ensemble chooses again)."""
    target = {k: v for k, v in member.data.target.items() if k != "thresholds"}
    shared = {"fingerprint": member.data.fingerprint(), "preprocessing": member.data.preprocessing, "target": target}
    return json.dumps(shared, sort_keys=True, default=_json_default)


def _check_shared(first: Any, member: Any, first_label: str, label: str) -> None:
    if member is first or _shared(member) == _shared(first):
        return
    from kerasrecipes.data._prepare import DEFAULTS

    fields = ["split_seed", *(k for k in DEFAULTS if k != "seed")]
    a, b = first.recipe.to_dict(), member.recipe.to_dict()
    differ = [f"{k} {b.get(k)!r} against {a.get(k)!r}" for k in fields if a.get(k) != b.get(k)]
    raise UserError(
        f"{label} prepares the data differently from {first_label} ({', '.join(differ) or 'another split or scaling'}),"
        " and the members of one ensemble share one preprocessing; give every member the same data fields."
    )


def train_ensemble(
    data: Any,
    recipes: list[dict[str, Any]],
    *,
    out: str | Path,
    overwrite: bool = False,
    origins: list[dict[str, Any]] | None = None,
    verbose: int = 0,
) -> EnsembleResult:
    """Train `recipes` on `data` and save the mean of their answers as one run directory at `out`.

    Args:
        data: what `train` takes (a dataset name, a `Dataset`, a data source, ...).
        recipes: the members' recipes (dicts of recipe fields, each with its `seed`), best first: the first
            one's recipe and seed are the run's `recipe` and `seed`.
        out: the run directory to write.
        overwrite: replace a run directory at `out`. Defaults to False.
        origins: per member, JSON values the manifest keeps beside its recipe (e.g. its sweep trial).
            Defaults to None.
        verbose: progress output of each member's training. Defaults to 0.

    Returns:
        An `EnsembleResult`.

    Raises:
        UserError: fewer than 2 recipes, `out` taken, or members that prepared the data differently.
    """
    if len(recipes) < 2:
        raise UserError(f"An ensemble averages 2 or more members; received {len(recipes)} recipe(s).")
    origins = origins or [{} for _ in recipes]
    labels = [f"trial {o['trial']}" if "trial" in o else f"member {i}" for i, o in enumerate(origins)]
    with _writing.exclusive(out):
        rundir.remove_stale_staging(out)
        rundir.check_destination(out, overwrite)  # before any training
        members = train_members(data, recipes, labels, verbose)
        prepared = members[0].data
        scores = [_validation_score(m.model, m.data) for m in members]
        network = averaging_network([m.model for m in members], prepared)
        if prepared.task == "multilabel":  # the ensemble's own thresholds, on the validation rows
            prepared.target["thresholds"] = _evaluate.label_thresholds(network, prepared)
        baseline = _evaluate.Baseline(prepared)
        metrics, digest, predictions = _evaluate.evaluate(network, prepared, baseline=baseline)
        score = _validation_score(network, prepared)
        manifest = _manifest(members, network, prepared, metrics, digest, baseline)
        manifest[KEY] = {
            "combination": "mean of the members' predictions"
            if prepared.task == "regression"
            else "mean of the members' probabilities",
            "validation_score": score,
            "members": [
                {
                    **origin,
                    "recipe": m.recipe.to_dict(),
                    "seed": m.recipe.seed,
                    "weights_sha256": m.manifest["weights_sha256"],
                    "validation_score": s,
                    "fine_tuned": m.manifest["training"].get("fine_tune_from_epoch") is not None,
                }
                for origin, m, s in zip(origins, members, scores)
            ],
        }
        rundir.record_path_from_run(manifest, out)
        with rundir.staged_directory(out, overwrite=overwrite) as stage:
            _write(stage, members, network, predictions, manifest)
    return EnsembleResult(members, network, metrics, scores, score, manifest, Path(out))


def _validation_score(network: Any, prepared: Any) -> float:
    """A network's score (`_tasks.SCORE_METRIC`) on the validation rows, computed as the test metrics are."""
    return _evaluate.evaluate(network, prepared, batches=_evaluate.validation_batches(prepared))[0]["score"]


def _manifest(members: list[Any], network: Any, prepared: Any, metrics: dict, digest: str, baseline: Any) -> dict:
    """A run's manifest keys for the ensemble (`rundir.build_manifest`'s, but the training's and diagnosis')."""
    first = members[0]
    return {
        "status": "diverged" if any(m.manifest["status"] == "diverged" for m in members) else "completed",
        "manifest_version": rundir.MANIFEST_VERSION,
        "recipe": first.recipe.to_dict(),
        "seed": first.recipe.seed,
        "scenario": first.scenario.name,
        "head": dataclasses.asdict(network.head),
        "target": first.manifest["target"],
        "data": {
            **prepared.describe(),
            "source": dict(first.manifest["data"]["source"]),
            "fingerprint": prepared.fingerprint(),
        },
        "versions": rundir.library_versions(),
        "platform": {**rundir.platform_info(), "numerics": rundir.numerics()},
        "weights_sha256": rundir.weights_sha256(network.get_weights()),
        "predictions_sha256": digest,
        "test_metrics": metrics,
        "test_baseline": {"predictor": baseline.predictor, "metrics": baseline.result()},
    }


def _write(stage: Path, members: list[Any], network: Any, predictions: Any, manifest: dict) -> None:
    """Every file of the ensemble's run directory into `stage`, `manifest.json` last."""
    import numpy as np

    prepared = members[0].data
    end_to_end.inference_model(prepared.preprocessing, prepared.target, network).save(stage / rundir.MODEL)
    network.save_weights(stage / rundir.WEIGHTS)
    np.save(stage / rundir.PREDICTIONS, np.asarray(predictions, np.float32), allow_pickle=False)
    recipes = [m.recipe.to_dict() for m in members]
    (stage / "recipe.yaml").write_text(yaml.safe_dump(recipes[0], sort_keys=False))
    (stage / MEMBERS).write_text(yaml.safe_dump(recipes, sort_keys=False))
    keys = list(dict.fromkeys(k for m in members for k in m.history))
    with open(stage / "history.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["member", "epoch", *keys])
        for i, m in enumerate(members):
            for epoch in range(len(m.history.get("loss", []))):
                writer.writerow([i, epoch, *(_cell(m.history.get(k), epoch) for k in keys)])
    rundir.seal(stage, manifest)


def _cell(values: list[float] | None, epoch: int) -> str:
    return repr(float(values[epoch])) if values is not None and epoch < len(values) else ""


def _member_recipes(manifest: dict[str, Any], path: Path) -> list[tuple[Recipe, bool]]:
    """(resolved recipe, fine-tuned) of every member the manifest lists; a malformed list is a one-line error."""
    members = manifest[KEY].get("members") if isinstance(manifest[KEY], dict) else None
    if not isinstance(members, list) or len(members) < 2 or not all(isinstance(m, dict) for m in members):
        raise UserError(f"{path}: `{KEY}.members` must list 2 or more members. Was it edited by hand?")
    out = []
    for i, member in enumerate(members):
        try:
            recipe = Recipe.from_dict(member.get("recipe"))
        except (UserError, TypeError, AttributeError) as exc:
            raise UserError(f"{path} holds an invalid recipe for member {i}: {exc}") from None
        out.append((recipe, bool(member.get("fine_tuned"))))
    return out


def rebuild(manifest: dict[str, Any], prepared: Any, path: Path) -> keras.Model:
    """The averaging network of an ensemble's manifest, every member built from its recipe, ready for the run's
    weights file (`reproduce`)."""
    networks = [_fit.rebuild(recipe, prepared, fine_tuned=tuned) for recipe, tuned in _member_recipes(manifest, path)]
    return averaging_network(networks, prepared)


def retrain(manifest: dict[str, Any], source: Any, path: Path, verbose: int = 0) -> keras.Model:
    """The averaging network of an ensemble's members trained again from the manifest's recipes (`reproduce`)."""
    recipes = [recipe.to_dict() for recipe, _ in _member_recipes(manifest, path)]
    members = train_members(source, recipes, [f"member {i}" for i in range(len(recipes))], verbose)
    return averaging_network([m.model for m in members], members[0].data)
