"""Reproduce a run from its directory: rebuild, load weights, recompute the test predictions.

`reproduce(run_dir)` checks that the stored weights still give the manifest's predictions bit for
bit; `reproduce(run_dir, retrain=True)` also trains again from the manifest's recipe, data and seed
and compares `weights_sha256`. Every difference is explained: changed files, changed data, or which
library versions and platform details differ from the manifest.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from kerasrecipes import rundir


@dataclasses.dataclass
class Reproduction:
    """Outcome of `reproduce`.

    Attributes:
        identical: True when everything checked matched the manifest exactly.
        reasons: why not, one sentence each (empty when identical).
        test_metrics: metrics recomputed from the stored weights.
        retrained_weights_sha256: the retrained run's weights hash (with `retrain=True`).
    """

    identical: bool
    reasons: list[str]
    test_metrics: dict[str, float]
    retrained_weights_sha256: str | None = None


def _load_weights(model: Any, path: Path) -> None:
    if not path.is_file():
        raise ValueError(f"{path} is missing: the run directory has no weights to load.")
    try:
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)  # the file holds optimizer slots too
        model.load_weights(path)
    except Exception as exc:  # h5py/Keras raise many types for truncated, foreign or non-HDF5 files
        raise ValueError(
            f"Cannot load {path}: {' '.join(str(exc).split())[:200]}. The file is truncated, not HDF5, "
            "or from another architecture; retrain with `kerasrecipes train` or restore the file."
        ) from None


def reproduce(run_dir: str | os.PathLike, *, retrain: bool = False, verbose: int = 0) -> Reproduction:
    """Check a run directory against its manifest.

    Args:
        run_dir: a directory written by `train(..., out=...)`.
        retrain: also train again from the manifest and compare weight hashes. Defaults to False.
        verbose: progress output of the retraining. Defaults to 0.

    Returns:
        A `Reproduction`.

    Raises:
        ValueError: the directory, manifest or weights cannot be used (a one-line reason).
    """
    from kerasrecipes._io import sha256_file
    from kerasrecipes.recipes._build import build_model
    from kerasrecipes.recipes._recipe import Recipe
    from kerasrecipes.seeding import set_seed
    from kerasrecipes.training import load_data, prepare_for_recipe, test_metrics, train

    run_dir = Path(run_dir)
    manifest = rundir.read_manifest(run_dir)
    try:
        recipe = Recipe.from_dict(manifest["recipe"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{run_dir / rundir.MANIFEST} holds an invalid recipe: {exc}") from None
    reasons: list[str] = []
    weights = run_dir / rundir.WEIGHTS
    recorded = manifest.get("files", {}).get(rundir.WEIGHTS)
    if weights.is_file() and recorded and sha256_file(weights) != recorded:
        reasons.append(f"{rundir.WEIGHTS} was modified after training (its sha256 differs from the manifest's).")
    dataset = load_data(manifest["data"]["source"])
    prepared, row, info = prepare_for_recipe(dataset, recipe)
    if prepared.fingerprint() != manifest["data"].get("fingerprint"):
        reasons.append("The prepared data differ from the run's (fingerprint mismatch): the dataset or its preparation changed.")
    set_seed(recipe.seed)
    model = build_model(recipe, prepared.input_shape, target=info)
    _load_weights(model, weights)
    if rundir.weights_sha256(model.get_weights()) != manifest["weights_sha256"]:
        reasons.append("The loaded weights do not hash to the manifest's weights_sha256.")
    metrics, predictions = test_metrics(model, prepared, model.head)
    if rundir.weights_sha256([predictions]) != manifest.get("predictions_sha256"):
        reasons.append("The recomputed test predictions differ from the run's.")
    changed = {k: (manifest["test_metrics"].get(k), v) for k, v in metrics.items() if manifest["test_metrics"].get(k) != v}
    if changed:
        shown = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in sorted(changed.items()))
        reasons.append(f"Test metrics differ: {shown}.")
    retrained = None
    if retrain:
        result = train(dataset, recipe, tracking="none", verbose=verbose)
        retrained = result.manifest["weights_sha256"]
        if retrained != manifest["weights_sha256"]:
            env = rundir.environment_differences(manifest)
            why = "; ".join(env) if env else (
                "library versions and platform match the manifest, so the difference comes from "
                "nondeterministic kernels or threads (is op determinism off?)")
            reasons.append(f"Retraining gave weights_sha256 {retrained[:12]}..., the manifest has "
                           f"{manifest['weights_sha256'][:12]}...: {why}.")
    if reasons and not retrain:
        env = rundir.environment_differences(manifest)
        if env:
            reasons.append("This environment differs from the run's: " + "; ".join(env) + ".")
    return Reproduction(not reasons, reasons, metrics, retrained)
