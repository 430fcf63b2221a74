"""Reproduce a run from its directory: rebuild, load weights, recompute the test predictions.

`reproduce(run_dir)` checks that the stored weights still give the manifest's predictions bit for
bit, and that the saved end-to-end `model.keras` gives them too from the raw test rows;
`reproduce(run_dir, retrain=True)` also trains again from the manifest's recipe, data and seed and
compares `weights_sha256`. An averaging ensemble's directory (`runs._ensemble`) is checked the same way, its
members rebuilt (and retrained) from their recipes in the manifest. One function for every data source (in
memory or streamed). Every difference is explained: changed files, changed data, or which library versions
and platform details differ from the manifest; a run written by an older kerasrecipes is explained, not checked.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes.errors import UserError
from kerasrecipes.runs import rundir


@dataclasses.dataclass
class Reproduction:
    """Outcome of `reproduce`.

    Attributes:
        identical: True when everything checked matched the manifest: bit for bit on the run's platform,
            within the stated tolerances on another (`case` says which).
        reasons: why not, one sentence each (empty when identical).
        test_metrics: metrics recomputed from the stored weights (empty for a run that left its test rows
            unscored, a sweep trial: `train(score_test=False)`).
        retrained_weights_sha256: the retrained run's weights hash (with `retrain=True`).
        case: "same platform", or "different platform: " and what differs (oneDNN, CPU features, ...).
    """

    identical: bool
    reasons: list[str]
    test_metrics: dict[str, float]
    retrained_weights_sha256: str | None = None
    case: str = "same platform"


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _unloadable(path: Path, exc: Exception) -> str:
    """Why a weights file did not load, in words (h5py/Keras messages are long and vary by version)."""
    with open(path, "rb") as fh:
        head = fh.read(len(_HDF5_SIGNATURE))
    if not head:
        return "it is empty"
    if head != _HDF5_SIGNATURE:
        return "it is not an HDF5 weights file"
    detail = " ".join(str(exc).split())
    if "truncated" in detail:
        return "it is truncated (an interrupted copy or a full disk?)"
    first = detail.split(". ")[0].rstrip(".")[:120]
    return f"its weights do not fit the model the manifest's recipe builds (from another architecture?): {first}"


def _load_weights(model: Any, path: Path) -> None:
    if path.is_dir():
        raise UserError(
            f"{path} is a directory, not a weights file: restore the run's {path.name} or retrain "
            "with `kerasrecipes train`."
        )
    if not path.is_file():
        raise UserError(
            f"{path} is missing: the run directory has no weights to load. Restore the file or "
            "retrain with `kerasrecipes train`."
        )
    with warnings.catch_warnings(record=True) as caught:  # Keras warns (e.g. skipped optimizer slots) before failing
        warnings.simplefilter("always")
        try:
            if model.optimizer is not None and not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)  # the file holds optimizer slots too
            model.load_weights(path)
        except Exception as exc:  # h5py/Keras raise many types for truncated, foreign or non-HDF5 files
            raise UserError(
                f"Cannot load {path}: {_unloadable(path, exc)}. Retrain with `kerasrecipes train`, or restore the file."
            ) from None
    for w in caught:  # loaded: pass the warnings on under the caller's filters
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _check_manifest(manifest: dict[str, Any], path: Path) -> None:
    """The structure `reproduce` relies on, beyond the keys `rundir.read_manifest` checks (hand-edited files)."""

    def bad(key: str, expected: str, value: Any) -> UserError:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return UserError(
            f"{path}: `{key}` must be {expected}. Received: {key}={shown}. Was it edited by hand? "
            "Restore it or retrain with `kerasrecipes train`."
        )

    data = manifest["data"]
    if not isinstance(data, dict):
        raise bad("data", "a JSON object", data)
    source = data.get("source")
    if not isinstance(source, dict):
        raise bad("data.source", "a JSON object saying where the data came from", source)
    needed = {
        "sklearn": ("name",),
        "synthetic": ("name", "n_samples", "seed"),
        "csv": ("path", "target"),
        "csv-stream": ("path", "target", "shuffle_buffer"),
        "image-stream": ("path", "image_size", "color", "sha256"),
    }
    for key in needed.get(source.get("kind"), ()):
        if key not in source:
            raise UserError(f"{path} lacks the key 'data.source.{key}'. Was it edited by hand?")
    if not isinstance(manifest["test_metrics"], dict):
        raise bad("test_metrics", "a JSON object of metric values", manifest["test_metrics"])
    digest = manifest["weights_sha256"]
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise bad("weights_sha256", "a sha256 hex digest (64 characters)", digest)
    if not isinstance(manifest.get("files", {}), dict):
        raise bad("files", "a JSON object of file hashes", manifest["files"])
    if not isinstance(manifest["recipe"], dict):
        raise bad("recipe", "a JSON object of recipe fields", manifest["recipe"])


def _check_version(manifest: dict[str, Any], path: Path) -> None:
    """A manifest this version can check: the same format version (older runs are explained, not checked)."""
    version = manifest.get("manifest_version", 1)
    if version == rundir.MANIFEST_VERSION:
        return
    if isinstance(version, int) and version < rundir.MANIFEST_VERSION:
        raise UserError(
            f"{path} is a run of an older kerasrecipes (manifest_version {version}; this version writes "
            f"{rundir.MANIFEST_VERSION}): it preprocessed with scikit-learn transformers that were not saved, "
            "so its predictions cannot be recomputed here. Retrain it: `kerasrecipes train --recipe "
            f"{path.parent / 'recipe.yaml'}` with the same data."
        )
    raise UserError(
        f"{path} has manifest_version {version!r}, which this kerasrecipes "
        f"({rundir.MANIFEST_VERSION}) does not know. Upgrade kerasrecipes, or retrain the run."
    )


def _load_recipe(manifest: dict[str, Any], path: Path):
    from kerasrecipes.recipes._recipe import OPTIONAL_FIELDS, Recipe

    try:
        recipe = Recipe.from_dict(manifest["recipe"])
    except UserError as exc:
        raise UserError(f"{path} holds an invalid recipe: {exc}") from None
    if not recipe.is_resolved:
        unset = [name for name, value in recipe.to_dict().items() if value is None and name not in OPTIONAL_FIELDS]
        raise UserError(
            f"{path} holds an incomplete recipe (no value for "
            f"{', '.join(unset[:5])}{', ...' if len(unset) > 5 else ''}). Was it edited by hand?"
        )
    return recipe


def reproduce(
    run_dir: str | os.PathLike, *, retrain: bool = False, verbose: int = 0, data: str | os.PathLike | None = None
) -> Reproduction:
    """Check a run directory against its manifest, whatever its data (in memory or streamed).

    Loads the data again from the manifest's source (a CSV file must be unchanged), prepares it with
    the run's recipe, rebuilds the network, loads `model.weights.h5` and recomputes the test predictions
    and metrics; then checks that the saved end-to-end `model.keras` gives the same predictions from
    the raw test rows. With `retrain=True` it also trains again and compares the weights.

    Which promise applies depends on the platform (`rundir.numeric_differences`): on the run's own
    (the same TensorFlow build, oneDNN setting, CPU features, devices), everything must match bit for
    bit; on another, the predictions (of the weights file and of `model.keras`) must agree with the
    run's within `PREDICTION_TOLERANCE`, the metrics within `METRIC_TOLERANCE` and retrained weights
    within `WEIGHT_TOLERANCE`, and the report says what differs.

    Args:
        run_dir: a directory written by `train(..., out=...)`.
        retrain: also train again from the manifest and compare the weights. Defaults to False.
        verbose: progress output of the retraining. Defaults to 0.
        data: where the run's CSV file is now, when it moved (its content must be the run's). Defaults
            to None: the recorded path, else the same place relative to the run directory.

    Returns:
        A `Reproduction`.

    Raises:
        ValueError: the directory, manifest, data or weights cannot be used (a one-line reason),
            or the run was written by an older kerasrecipes whose predictions cannot be recomputed.
    """
    from kerasrecipes.runs import _data_adapter, _ensemble, _evaluate
    from kerasrecipes.runs._fit import rebuild
    from kerasrecipes.runs._train import split_recipe, train
    from kerasrecipes.seeding import set_seed

    run_dir = Path(run_dir)
    manifest = rundir.read_manifest(run_dir)
    _check_version(manifest, run_dir / rundir.MANIFEST)
    _check_manifest(manifest, run_dir / rundir.MANIFEST)
    recipe = _load_recipe(manifest, run_dir / rundir.MANIFEST)
    set_seed(recipe.seed)  # op determinism on, as while the run trained, before the platforms are compared
    platform = rundir.numeric_differences(manifest) + [
        d for d in rundir.environment_differences(manifest) if not d.startswith(("python ", "wandb "))
    ]
    exact = not platform
    reasons: list[str] = []  # a changed manifest, model or weights file was refused by read_manifest
    try:
        source = _data_adapter.from_description(_located(manifest["data"]["source"], run_dir, data))
        prepared = source.prepare(split_recipe(recipe), task=recipe.task)
    except UserError as exc:
        raise UserError(f"{run_dir}: cannot load the run's data: {' '.join(str(exc).split())}") from None
    if prepared.fingerprint() != manifest["data"].get("fingerprint"):
        reasons.append(
            "The prepared data differ from the run's (fingerprint mismatch): the dataset or its preparation changed."
        )
    set_seed(recipe.seed)
    if _ensemble.KEY in manifest:  # an averaging ensemble: every member's network, on the shared features
        model = _ensemble.rebuild(manifest, prepared, run_dir / rundir.MANIFEST)
    else:
        fine_tuned = (manifest.get("training") or {}).get("fine_tune_from_epoch") is not None
        model = rebuild(recipe, prepared, fine_tuned=fine_tuned)  # a backbone's weights file is not read
    _load_weights(model, run_dir / rundir.WEIGHTS)
    if rundir.weights_sha256(model.get_weights()) != manifest["weights_sha256"]:
        reasons.append("The loaded weights do not hash to the manifest's weights_sha256.")
    if prepared.task == "multilabel":  # chosen from the weights on the validation rows, as after training
        prepared.target["thresholds"] = _evaluate.label_thresholds(model, prepared)
        if exact and prepared.target["thresholds"] != manifest["data"]["target_spec"].get("thresholds"):
            reasons.append("The labels' thresholds chosen on the validation rows differ from the run's.")
    scored = rundir.scores_test(manifest)  # a sweep trial's test rows stay unscored here too
    metrics, digest, predictions = _evaluate.evaluate(model, prepared, score=scored)
    saved_digest, saved = _evaluate.saved_predictions(rundir.load_saved_model(run_dir / rundir.MODEL), prepared)
    stored = _stored_predictions(run_dir)
    if exact:
        if digest != manifest.get("predictions_sha256"):
            reasons.append("The recomputed test predictions differ from the run's.")
        if saved_digest != manifest.get("predictions_sha256"):
            reasons.append(f"{rundir.MODEL} does not give the run's test predictions from the raw test rows.")
        changed = {
            k: (manifest["test_metrics"].get(k), v) for k, v in metrics.items() if manifest["test_metrics"].get(k) != v
        }
    else:
        for what, values in (
            ("The recomputed test predictions", predictions),
            (f"{rundir.MODEL}'s predictions from the raw test rows", saved),
        ):
            far = _beyond(values, stored, PREDICTION_TOLERANCE)
            if far:
                reasons.append(f"{what} differ from the run's beyond float32 tolerance ({far}).")
        changed = {
            k: (manifest["test_metrics"].get(k), v)
            for k, v in metrics.items()
            if not _close(manifest["test_metrics"].get(k), v, METRIC_TOLERANCE)
        }
    if changed:
        shown = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in sorted(changed.items()))
        reasons.append(f"Test metrics differ: {shown}.")
    retrained = None
    if retrain:
        ran = manifest.get("execution") or {}
        extra = ran.get("callbacks") or []
        if _ensemble.KEY in manifest:  # every member trained again, averaged as before
            network = _ensemble.retrain(manifest, source, run_dir / rundir.MANIFEST, verbose)
        else:  # the run's road: a run whose own callbacks needed Keras' fit retrains on fit without them
            again = recipe.replace(execution="fit") if ran.get("road") == "fit" else recipe
            network = train(source, recipe=again, tracking="none", verbose=verbose, score_test=scored).model
        retrained = rundir.weights_sha256(network.get_weights())
        if exact and retrained != manifest["weights_sha256"]:
            cause = (
                f"the run trained with callbacks outside its recipe ({', '.join(extra)}), which a retrain "
                "cannot repeat: retrain with them, `train(..., callbacks=[...])`, to compare"
                if extra
                else "library versions and platform match the manifest, so the difference comes from "
                "nondeterministic kernels or threads (is op determinism off?)"
            )
            reasons.append(
                f"Retraining gave weights_sha256 {retrained[:12]}..., the manifest has "
                f"{manifest['weights_sha256'][:12]}...: {cause}."
            )
        if not exact:
            far = _beyond(network.get_weights(), model.get_weights(), WEIGHT_TOLERANCE)
            if far:
                reasons.append(f"Retraining gave weights that differ from the run's beyond the tolerance ({far}).")
    case = "same platform" if exact else "different platform: " + "; ".join(platform)
    return Reproduction(not reasons, reasons, metrics, retrained, case)


PREDICTION_TOLERANCE = (1e-4, 1e-5)
"""(rtol, atol) within which predictions on another platform agree with the run's: float32 kernels that add in
another order (oneDNN or not, other CPU features) differ in the last bits, which a network's layers carry on."""
METRIC_TOLERANCE = (1e-4, 1e-6)
"""(rtol, atol) for the test metrics on another platform (a class flipped by a last-bit difference counts)."""
WEIGHT_TOLERANCE = (1e-3, 1e-4)
"""(rtol, atol) for weights retrained on another platform: last-bit differences grow over the epochs."""


def _located(source: dict[str, Any], run_dir: Path, data: str | os.PathLike | None) -> dict[str, Any]:
    """The manifest's data source, pointed at where its CSV file is now: `data` if given (same content
    required), the recorded path if it is there, else the same place relative to the run directory."""
    from kerasrecipes._io import sha256_file

    if source.get("kind") not in ("csv", "csv-stream"):
        if data is not None:
            raise UserError(
                f"--data goes with a run trained on a CSV file; this one was trained on "
                f"{source.get('kind')!r} data, which is loaded by name."
            )
        return source
    if data is not None:
        path = Path(data)
        if not path.is_file():
            raise UserError(f"--data {path} is not a file; give the run's CSV file where it is now.")
        if sha256_file(path) != source.get("sha256"):
            raise UserError(
                f"--data {path} is not the run's data (its sha256 differs from the manifest's); give the "
                "CSV file the run was trained on."
            )
        return {**source, "path": str(path.resolve())}
    relative = source.get("path_from_run")
    if not os.path.isfile(source["path"]) and isinstance(relative, str) and (run_dir / relative).is_file():
        return {**source, "path": str((run_dir / relative).resolve())}
    if not os.path.isfile(source["path"]):
        raise UserError(
            f"The run's CSV file {source['path']} is missing; restore it, or pass --data PATH with where it is now."
        )
    return source


def _stored_predictions(run_dir: Path) -> np.ndarray | None:
    path = run_dir / rundir.PREDICTIONS
    if not path.is_file():
        return None
    return np.load(path, allow_pickle=False)


def _beyond(values: Any, reference: Any, tolerance: tuple[float, float]) -> str | None:
    """None when `values` match `reference` within (rtol, atol) elementwise; else the largest difference, in words."""
    if reference is None:
        return "the run kept no test predictions to compare with"
    values = [np.asarray(v, np.float64) for v in (values if isinstance(values, list) else [values])]
    reference = [np.asarray(r, np.float64) for r in (reference if isinstance(reference, list) else [reference])]
    worst = 0.0
    for a, b in zip(values, reference):
        if a.shape != b.shape:
            return f"shapes {a.shape} and {b.shape}"
        if not np.allclose(a, b, rtol=tolerance[0], atol=tolerance[1], equal_nan=True):
            worst = max(worst, float(np.nanmax(np.abs(a - b))))
    return (
        None
        if worst == 0.0
        else f"largest difference {worst:.3g}, tolerance rtol {tolerance[0]:g}, atol {tolerance[1]:g}"
    )


def _close(a: Any, b: Any, tolerance: tuple[float, float]) -> bool:
    if a is None or b is None:
        return a == b
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tolerance[1] + tolerance[0] * abs(b)
