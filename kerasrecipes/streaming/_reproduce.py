"""`reproduce_stream`: `reproduce` for a run directory written by `train_stream`.

Checks the CSV file's sha256, streams it again to recompute the statistics, rebuilds the model
from the manifest's recipe, loads `model.weights.h5` and recomputes the test metrics and the
predictions hash batch by batch; with `retrain=True` it also trains again and compares
`weights_sha256`. Nothing is loaded whole.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kerasrecipes import rundir


def reproduce_stream(run_dir: str | os.PathLike, *, retrain: bool = False, verbose: int = 0):
    """Check a streaming run directory against its manifest.

    Args:
        run_dir: a directory written by `train_stream(..., out=...)`.
        retrain: also train again (streaming) and compare weight hashes. Defaults to `False`.
        verbose: progress output of the retraining. Defaults to `0`.

    Returns:
        A `kerasrecipes.reproduce.Reproduction`.

    Raises:
        ValueError: the manifest is not a streaming run's, or the CSV file is missing or changed.
    """
    from kerasrecipes._io import _json_default, sha256_file
    from kerasrecipes.recipes._build import build_model
    from kerasrecipes.recipes._recipe import Recipe
    from kerasrecipes.reproduce import Reproduction, _load_weights
    from kerasrecipes.seeding import set_seed
    from kerasrecipes.streaming._metrics import evaluate_test_split
    from kerasrecipes.streaming._pipeline import make_dataset
    from kerasrecipes.streaming._scan import scan_csv
    from kerasrecipes.streaming._train import EVAL_BATCH, train_stream

    run_dir = Path(run_dir)
    manifest = rundir.read_manifest(run_dir)
    source = manifest["data"].get("source") if isinstance(manifest["data"], dict) else None
    if not isinstance(source, dict) or source.get("kind") != "csv-stream":
        raise ValueError(f"{run_dir / rundir.MANIFEST} is not a streaming run (data.source.kind is not 'csv-stream'); "
                         "use `kerasrecipes reproduce`.")
    path = source["path"]
    if not os.path.isfile(path):
        raise ValueError(f"The run's CSV file {path} is missing; restore it to reproduce the run.")
    if sha256_file(path) != source["sha256"]:
        raise ValueError(f"The run's CSV file {path} has changed since training (sha256 differs).")
    recipe = Recipe.from_dict(manifest["recipe"])
    options = dict(task=source["task"], categorical_columns=source["categorical_columns"],
                   ignore_columns=source["ignore_columns"], delimiter=source["delimiter"])
    stats = scan_csv(path, source["target"], seed=recipe.seed, validation_fraction=recipe.validation_fraction,
                     test_fraction=recipe.test_fraction, scaling=recipe.scaling, imputation=recipe.imputation,
                     **options)
    reasons: list[str] = []
    recorded = manifest.get("files", {}).get(rundir.WEIGHTS)
    if recorded and sha256_file(run_dir / rundir.WEIGHTS) != recorded:
        reasons.append(f"{rundir.WEIGHTS} was modified after training (its sha256 differs from the manifest's).")
    again = json.loads(json.dumps(stats.describe()["preprocessing"], default=_json_default))
    if again != manifest.get("preprocessing"):
        reasons.append("The streamed statistics differ from the run's (split, scaling or vocabularies).")
    set_seed(recipe.seed)
    model = build_model(recipe, stats.input_shape, target=stats.target_info())
    _load_weights(model, run_dir / rundir.WEIGHTS)
    if rundir.weights_sha256(model.get_weights()) != manifest["weights_sha256"]:
        reasons.append("The loaded weights do not hash to the manifest's weights_sha256.")
    metrics, predictions_sha256 = evaluate_test_split(model, stats, make_dataset(stats, "test", batch_size=EVAL_BATCH))
    if predictions_sha256 != manifest.get("predictions_sha256"):
        reasons.append("The recomputed test predictions differ from the run's.")
    before = manifest["test_metrics"]
    changed = sorted((k, before.get(k), v) for k, v in metrics.items() if before.get(k) != v)
    if changed:
        reasons.append("Test metrics differ: " + ", ".join(f"{k} {a} -> {b}" for k, a, b in changed) + ".")
    retrained = None
    if retrain:
        result = train_stream(path, source["target"], recipe, verbose=verbose, shuffle_buffer=source["shuffle_buffer"],
                              **options)
        retrained = result.manifest["weights_sha256"]
        if retrained != manifest["weights_sha256"]:
            env = rundir.environment_differences(manifest)
            why = "; ".join(env) if env else "library versions and platform match the manifest (is op determinism off?)"
            reasons.append(f"Retraining gave weights_sha256 {retrained[:12]}..., the manifest has "
                           f"{manifest['weights_sha256'][:12]}...: {why}.")
    return Reproduction(not reasons, reasons, metrics, retrained)
