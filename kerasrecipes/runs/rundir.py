"""Run directories: written atomically as a whole, described by `manifest.json`.

A run directory holds::

    model.keras           the end-to-end model: raw rows in, probabilities or original units out
    model.weights.h5      weights the run ended with (best epoch restored by early stopping)
    last.weights.h5       weights of the last epoch trained
    manifest.json         recipe, seed, data description and fingerprint, versions, platform,
                          weights_sha256, test metrics beside the trivial baseline's, diagnosis,
                          file hashes
    test_predictions.npy  the first test predictions, which `reproduce` compares on another platform
    recipe.yaml           the resolved recipe (`kerasrecipes train --recipe` accepts it)
    history.csv           per-epoch metrics
    learning_curves.png   loss and metric curves
    diagnosis.txt         the fit diagnosis with the seed's remedies

Everything is first written to a hidden sibling directory and swapped into place in one step
(`_writing.swap_in`), so a crash never leaves a half-written run behind and an existing run is only
replaced with `overwrite=True`.

A run directory is recognized by its content, never by a file name: its `manifest.json` carries the
format marker `"format": "kerasrecipes-run"` and its own content hash (`manifest_sha256`, over the
canonical JSON of every other key), and lists the sha256 of every file beside it (`files`).
`read_manifest` checks the manifest's hash and the hashes of the model and weights before anything
is loaded, so a hand-edited manifest (a seed, a class order, a fill value) or another run's
`model.keras` is refused in one line naming the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kerasrecipes import _tf_internals, seeding
from kerasrecipes._io import _json_default, fsync_dir, make_dir, new_dir, plain, sha256_file
from kerasrecipes._tasks import SCORE_METRIC
from kerasrecipes.errors import UserError
from kerasrecipes.runs import _writing, checkpoints

MANIFEST = "manifest.json"
MODEL = "model.keras"
WEIGHTS = "model.weights.h5"
LAST_WEIGHTS = "last.weights.h5"
RUN_FORMAT = "kerasrecipes-run"
"""The manifest's format marker: what makes a folder a kerasrecipes run (with a matching `manifest_sha256`)."""
VERIFIED_FILES = (MODEL, WEIGHTS, LAST_WEIGHTS)
"""The files every load checks against the manifest's hashes (the rest are checked by `is_run`)."""
MANIFEST_VERSION = 2
"""2: preprocessing as Keras layers (spec in `data.preprocessing`), `model.keras`, predictions in user units.
1: scikit-learn preprocessing refitted on reload; no saved model."""
VERSIONED_LIBRARIES = ("numpy", "tensorflow", "keras", "scikit-learn", "wandb", "h5py")


def weights_sha256(weights: list[Any]) -> str:
    """sha256 of the concatenated raw bytes of a model's weights, in `model.get_weights()` order."""
    import numpy as np

    digest = hashlib.sha256()
    for w in weights:
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """The versions of Python, the libraries a run depends on and this package, as installed."""
    return dict(_installed_versions())


@functools.cache  # read once per process: looking up seven distributions is a measurable part of a small run
def _installed_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in VERSIONED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        versions["kerasrecipes"] = metadata.version("kerasrecipes")
    except metadata.PackageNotFoundError:
        from kerasrecipes import __version__

        versions["kerasrecipes"] = __version__
    return versions


def platform_info() -> dict[str, Any]:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "python_implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "byteorder": sys.byteorder,
    }


NUMERIC_CPU_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
    "asimd",
    "sve",
)
"""The CPU features among which TensorFlow's kernels (Eigen's and oneDNN's) choose their code paths."""


def numerics() -> dict[str, Any]:
    """What decides a run's floating-point results on this machine, beyond the recipe, data and seed.

    The TensorFlow build, whether oneDNN's kernels run, the CPU features kernels choose by, the
    devices, whether op determinism is on and whether the package's TensorFlow internals are used.
    Two machines with equal `numerics()` (and equal library versions) give bit-identical weights for
    the same run; otherwise predictions agree within `reproduce`'s float32 tolerance.
    """
    import tensorflow as tf

    build = tf.sysconfig.get_build_info()
    flags = set(_tf_internals.cpu_flags())
    return {
        "tensorflow": {
            "version": tf.__version__,
            "git_version": tf.version.GIT_VERSION,
            "cuda_build": bool(build.get("is_cuda_build", False)),
            "rocm_build": bool(build.get("is_rocm_build", False)),
        },
        "onednn": _tf_internals.onednn_enabled(),
        "cpu_flags": [f for f in NUMERIC_CPU_FLAGS if f in flags],
        "devices": sorted({d.device_type for d in tf.config.list_logical_devices()}),
        "op_determinism": seeding.op_determinism_enabled(),
        "tf_internals": _tf_internals.enabled(),
    }


def numeric_differences(manifest: dict[str, Any]) -> list[str]:
    """What differs between the numerics the run recorded (`numerics()`) and this machine's, in words."""
    was = manifest.get("platform", {}).get("numerics")
    if not isinstance(was, dict):
        return ["the run recorded no numeric platform (written by an older kerasrecipes)"]
    now, out = numerics(), []
    for key in sorted(set(was) | set(now)):
        before, here = was.get(key), now.get(key)
        if before == here:
            continue
        if key == "onednn":
            out.append(f"oneDNN {'on' if before else 'off'} in the run, {'on' if here else 'off'} here")
        elif key == "cpu_flags":
            gone, new = sorted(set(before or []) - set(here or [])), sorted(set(here or []) - set(before or []))
            out.append(
                "CPU features "
                + "; ".join(
                    part
                    for part in (
                        f"{', '.join(gone)} only in the run" if gone else "",
                        f"{', '.join(new)} only here" if new else "",
                    )
                    if part
                )
            )
        else:
            out.append(f"{key} {before!r} in the run, {here!r} here")
    return out


def environment_differences(manifest: dict[str, Any]) -> list[str]:
    """Human-readable differences between this machine and the one that wrote `manifest`."""
    out = []
    now_versions, now_platform = library_versions(), platform_info()
    for name, was in sorted(manifest.get("versions", {}).items()):
        if now_versions.get(name) != was:
            out.append(f"{name} {was} in the manifest, {now_versions.get(name, 'missing')} here")
    for key in ("system", "machine", "processor", "python_implementation", "byteorder"):
        was = manifest.get("platform", {}).get(key)
        if was is not None and now_platform.get(key) != was:
            out.append(f"platform {key} {was!r} in the manifest, {now_platform.get(key)!r} here")
    return out


def check_destination(out: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse to replace an existing, non-empty run directory unless `overwrite` (before any work), and
    refuse to replace, even with `overwrite`, a folder that is not a run (`is_run`)."""
    out = Path(out)
    here = Path.cwd()
    if out.resolve() in (here, *here.parents):
        raise UserError(
            f"--out {out} is the current folder or one above it; name a folder for the run, e.g. --out runs/my-run."
        )
    if os.path.lexists(out) and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a directory. Choose another --out.")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise UserError(
                f"Run directory {out} already exists and is not empty. Pass --overwrite (overwrite=True) "
                "to replace it, or choose another --out."
            )
        why = not_a_run(out)
        if why:
            raise UserError(
                f"--out {out} is not a kerasrecipes run ({why}), and --overwrite only replaces a run. "
                "Choose another --out, or move its files away yourself."
            )
    return out


def not_a_run(folder: str | os.PathLike) -> str | None:
    """None when `folder` is a kerasrecipes run directory, recognized by content; else why it is not.

    A run's `manifest.json` holds the format marker and its own matching content hash. A run written
    before the marker existed is recognized when every file its manifest lists has the listed hash.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return f"it has no {MANIFEST}"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return f"its {MANIFEST} is not JSON"
    if not isinstance(manifest, dict):
        return f"its {MANIFEST} is not a run manifest"
    if manifest.get("format") == RUN_FORMAT:
        return (
            None
            if manifest.get("manifest_sha256") == manifest_sha256(manifest)
            else f"its {MANIFEST} does not match its content hash"
        )
    files = manifest.get("files")
    if manifest.get("manifest_version") in (1, 2) and isinstance(files, dict) and (MODEL in files or WEIGHTS in files):
        changed = _changed_files(Path(folder), files, files)
        return None if not changed else f"{changed[0]} does not match the hash in its {MANIFEST}"
    return f"its {MANIFEST} is not a kerasrecipes run manifest"


def manifest_sha256(manifest: dict[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of every key of `manifest` but `manifest_sha256`."""
    rest = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(json.loads(json.dumps(rest, default=_json_default)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _changed_files(run_dir: Path, files: dict[str, Any], names: Any) -> list[str]:
    """The names among `names` that `files` lists whose file is missing or has another sha256."""
    changed = []
    for name in names:
        if name not in files:
            continue
        path = run_dir / name
        if not path.is_file() or sha256_file(path) != files[name]:
            changed.append(name)
    return changed


def remove_stale_staging(out: str | os.PathLike) -> None:
    """Clean up after a process killed while writing `out` (hold `_writing.exclusive(out)`).

    Staging directories are never a complete run and are removed. A `.replaced-*` directory is the
    previous complete run of an interrupted `overwrite` swap: if `out` is missing it is put back.
    """
    _writing.recover(out, STAGING)


STAGING = ".staging-"


@contextlib.contextmanager
def staged_directory(out: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty staging directory; on success it atomically becomes `out`.

    `out` is checked again just before the swap (`check_destination`), so a run that another process
    finished there meanwhile is not replaced without `overwrite`. On an exception the staging
    directory is removed and `out` is untouched.
    """
    out = check_destination(out, overwrite)
    make_dir(out.parent)
    try:
        stage = new_dir(out.parent, f".{out.name}{STAGING}")
    except OSError as exc:  # a read-only or full folder: the user's to fix
        raise UserError(f"Cannot write the run directory {out}: {exc.strerror or exc}. Choose another --out.") from None
    try:
        yield stage
        for path in stage.rglob("*"):
            if path.is_file():
                with open(path, "rb") as fh:
                    os.fsync(fh.fileno())
        fsync_dir(stage)
        check_destination(out, overwrite)
        _writing.swap_in(stage, out, fault=_fault)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def _fault(point: str) -> None:
    checkpoints.fault(f"run-{point}")


def read_manifest(run_dir: str | os.PathLike) -> dict[str, Any]:
    """Load and sanity-check `manifest.json`; problems raise ValueError naming the file and key."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir} is not a run directory (it does not exist or is a file).")
    path = run_dir / MANIFEST
    if not path.is_file():
        raise UserError(f"{run_dir} has no {MANIFEST}: it is not a complete kerasrecipes run directory.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is not valid JSON ({exc}). Was it edited by hand?") from None
    if not isinstance(manifest, dict):
        raise UserError(f"{path} must hold a JSON object.")
    verify(run_dir, manifest)
    for key in ("recipe", "seed", "data", "weights_sha256", "test_metrics", "target"):
        if key not in manifest:
            raise UserError(f"{path} lacks the key {key!r}. Was it edited by hand?")
    return manifest


def verify(run_dir: str | os.PathLike, manifest: dict[str, Any]) -> None:
    """Refuse, in one line naming the file, a run whose manifest or model files changed after it was written.

    The manifest's own hash covers every value in it (recipe, seed, classes, preprocessing); the
    files' hashes cover `VERIFIED_FILES`. A manifest written before `manifest_sha256` existed is
    checked on its files only.
    """
    run_dir = Path(run_dir)
    fix = (
        f"Restore the run's original files from a copy, or train it again (`kerasrecipes train --recipe "
        f"{run_dir / 'recipe.yaml'}` with the same data and --seed)."
    )
    if "manifest_sha256" in manifest or manifest.get("format") == RUN_FORMAT:
        if manifest.get("manifest_sha256") != manifest_sha256(manifest):
            raise UserError(
                f"{run_dir / MANIFEST} was changed after the run was written (its content does not "
                f"match its manifest_sha256). {fix}"
            )
    files = manifest.get("files")
    if not isinstance(files, dict):
        if "manifest_sha256" in manifest:
            raise UserError(
                f"{run_dir / MANIFEST}: `files` must be a JSON object of file hashes. Received: "
                f"files={str(files)[:60]!r}. {fix}"
            )
        return
    changed = _changed_files(run_dir, files, VERIFIED_FILES)
    if changed:
        name = changed[0]
        what = (
            "is missing"
            if not (run_dir / name).exists()
            else "does not match the sha256 in manifest.json (another run's file, or changed)"
        )
        raise UserError(f"{run_dir / name} {what}. {fix}")


def register_keras_objects() -> None:
    """Make every kerasrecipes layer, loss and regularizer known to Keras' deserialization.

    After it, `keras.saving.load_model(path, safe_mode=True)` loads a run's `model.keras` or an exported
    `.keras` file. `load_run` and unpickling a fitted estimator call it for you.
    """
    from kerasrecipes.data import _feature_layers  # noqa: F401 - registers the preprocessing layers
    from kerasrecipes.models import end_to_end, layers, losses, regularizers  # noqa: F401 - the output layers and the recipes' custom objects


def model_bytes(model: Any) -> bytes:
    """`model` as the bytes of its `.keras` file (Keras' own format; what pickling a fitted model stores)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def model_from_bytes(data: bytes) -> Any:
    """The model `model_bytes` wrote, in any process, loaded as `load_saved_model` loads a run's model."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        return load_saved_model(path)


def load_saved_model(path: str | os.PathLike) -> Any:
    """A run's `model.keras`, loaded with Keras' safe mode (no pickle, no code) and every kerasrecipes layer known."""
    import keras

    register_keras_objects()
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"{path} is missing: the run directory has no saved model. Restore the file or retrain "
            "with `kerasrecipes train`."
        )
    if not zipfile.is_zipfile(path):  # Keras would say "File not found"
        raise UserError(
            f"Cannot load {path}: it is not a .keras file (not a zip archive); it was damaged or replaced. "
            "Retrain with `kerasrecipes train`, or restore the file."
        )
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:  # zip, h5 and config errors all mean "not this run's model"
        raise UserError(
            f"Cannot load {path}: {' '.join(str(exc).split())[:160]}. Retrain with "
            "`kerasrecipes train`, or restore the file."
        ) from None


def build_manifest(
    recipe,
    row,
    info,
    model,
    history,
    metrics,
    diagnosis,
    stopper,
    *,
    data,
    predictions_sha256,
    test_baseline=None,
    test_scored=True,
):
    """The manifest of a finished run (see the module docstring); `files` is added by `write_run`.

    `data` describes the data (in memory: `PreparedData.describe()` plus source and fingerprint;
    streamed: the scan's statistics); both training roads build their manifest here. `test_baseline`
    is the trivial predictor's `{"predictor", "metrics"}` on the same test rows (`_evaluate.Baseline`).
    `test_scored` False: the test rows were predicted but not scored (`train(score_test=False)`, a sweep
    trial); `metrics` is then empty and `test_baseline` None.
    """
    epochs_run = len(history.get("loss", []))
    stop_reason = str(getattr(stopper, "stop_reason", None) or "max_epochs")
    best_epoch = getattr(stopper, "best_epoch", None) if stopper else None
    if best_epoch is None:
        best_epoch = epochs_run - 1 if stop_reason != "nan" else None
    return {
        "status": "diverged" if stop_reason == "nan" or diagnosis.verdict == "diverged" else "completed",
        "manifest_version": MANIFEST_VERSION,
        "recipe": recipe.to_dict(),
        "seed": recipe.seed,
        "scenario": row.name,
        "head": dataclasses.asdict(model.head),
        "target": {
            "kind": info.kind,
            "n_classes": info.n_classes,
            "encoding": info.encoding,
            "input_shape": list(info.input_shape),
            "note": info.note,
        },
        "data": data,
        "versions": library_versions(),
        "platform": {**platform_info(), "numerics": numerics()},
        "weights_sha256": weights_sha256(model.get_weights()),
        "predictions_sha256": predictions_sha256,
        "test_metrics": metrics,
        "test_baseline": test_baseline,
        "test_scored": test_scored,
        "training": {
            "epochs_run": epochs_run,
            "best_epoch": best_epoch,
            "stop_reason": stop_reason,
            "final": {k: float(v[-1]) for k, v in history.items() if v},
        },
        "diagnosis": {
            "verdict": diagnosis.verdict,
            "reasons": list(diagnosis.reasons),
            "remedies": [list(r) for r in diagnosis.remedies],
            "beats_baseline": diagnosis.beats_baseline,
        },
    }


PREDICTIONS = "test_predictions.npy"
"""The run's first test predictions (`_evaluate.SAMPLE_ROWS`), float32, in the user's units."""


def write_run(stage: Path, result: Any, last_weights: list[Any] | None, out: str | os.PathLike | None = None) -> None:
    """Write every file of a finished run into `stage` (a staging directory renamed into place at `out` later),
    `manifest.json` last (`seal`); a CSV source's path is also recorded relative to `out`."""
    import csv

    import numpy as np
    import yaml

    from kerasrecipes.callbacks.fit_diagnosis import plot_learning_curves

    model = result.model
    result.inference.save(stage / MODEL)
    model.save_weights(stage / WEIGHTS)
    if last_weights is not None:
        best = model.get_weights()
        model.set_weights(last_weights)
        model.save_weights(stage / LAST_WEIGHTS)
        model.set_weights(best)
    keys = list(result.history)
    with open(stage / "history.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["epoch", *keys])
        for i in range(len(result.history.get("loss", []))):
            writer.writerow([i, *(repr(float(result.history[k][i])) for k in keys)])
    if result.test_predictions is not None:
        np.save(stage / PREDICTIONS, np.asarray(result.test_predictions, np.float32), allow_pickle=False)
    record_path_from_run(result.manifest, out)
    (stage / "recipe.yaml").write_text(yaml.safe_dump(result.recipe.to_dict(), sort_keys=False))
    (stage / "diagnosis.txt").write_text(result.diagnosis.report() + "\n")
    plot_learning_curves(
        result.history,
        stage / "learning_curves.png",
        best_epoch=result.manifest["training"]["best_epoch"],
        units=curve_units(result.data.task, result.data.target),
    )
    seal(stage, result.manifest)


def record_path_from_run(manifest: dict[str, Any], out: str | os.PathLike | None) -> None:
    """Record a CSV source's path relative to the run directory `out` too (`data.source.path_from_run`), so that
    a run moved together with its data stays checkable."""
    source = manifest.get("data", {}).get("source", {})
    if out is not None and isinstance(source, dict) and isinstance(source.get("path"), str):
        source["path_from_run"] = os.path.relpath(source["path"], os.path.abspath(out))


def seal(stage: Path, manifest: dict[str, Any]) -> None:
    """Write `manifest.json` last into a staging directory: the hashes of the files beside it, the format
    marker and the manifest's own content hash are added to `manifest` (what makes the folder a run)."""
    manifest["files"] = {
        p.name: sha256_file(p)
        for p in sorted(stage.iterdir())
        if p.is_file() and p.suffix in (".h5", ".keras", ".csv", ".yaml", ".txt", ".npy")
    }
    manifest["format"] = RUN_FORMAT
    manifest["manifest_sha256"] = manifest_sha256(manifest)
    (stage / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=_json_default) + "\n")


def curve_units(task: str, target: dict[str, Any]) -> dict[str, tuple[float, str]] | None:
    """How a regression's learning curves read in the target's own units (`plot_learning_curves(units=)`).

    The network learns the target standardized by its training mean and std, so Keras logs its curves on
    that scale. Its MAE and RMSE curves are those of the target times the std, exactly, and are drawn
    so (a target of several columns, each with its own std, stays standardized); the loss, which adds
    any regularization penalty to the error, stays on the standardized target and is labelled so.
    None for a classification, whose curves have no units.
    """
    if task != "regression":
        return None
    std = [float(v) for v in (target["std"] if isinstance(target["std"], list) else [target["std"]])]
    unit = (std[0], "target units") if len(std) == 1 else (1.0, "standardized target")
    return {"loss": (1.0, "standardized target"), "mean_absolute_error": unit, "root_mean_squared_error": unit}


def _one_based(epoch: int | None) -> str:
    return "-" if epoch is None else str(epoch + 1)


def summary_dict(result: Any) -> dict[str, Any]:
    """The run summary as JSON values (what `kerasrecipes train --json` prints)."""
    training = result.manifest["training"]
    return {
        "status": result.manifest["status"],
        "task": result.scenario.task,
        "scenario": result.scenario.name,
        "head": {"activation": result.model.head.activation, "loss": result.model.head.loss},
        "optimizer": result.recipe.optimizer,
        "learning_rate": result.recipe.learning_rate,
        "epochs_run": training["epochs_run"],
        "best_epoch": training["best_epoch"],  # 0-based, as in the manifest and Keras' EarlyStopping.best_epoch
        "stop_reason": training["stop_reason"],
        "test_metrics": dict(result.test_metrics),
        "test_baseline": result.manifest["test_baseline"],
        "test_scored": scores_test(result.manifest),
        "score_metric": SCORE_METRIC[result.data.task],
        "positive_class": _positive_class(result.data),
        "diagnosis": result.diagnosis.verdict,
        "weights_sha256": result.manifest["weights_sha256"],
        "run_dir": None if result.run_dir is None else str(result.run_dir),
    }


def _positive_class(data: Any) -> Any:
    """A binary target's positive class (code 1: what its `f1` scores), else None."""
    return plain(data.classes[1]) if data.task == "binary" else None


def _metrics_note(data: Any) -> str:
    """What the printed metrics mean: `score`, a binary f1's positive class, a regression's units."""
    note = f"score = {SCORE_METRIC[data.task]}"
    if data.task == "binary":
        note = f"f1 of the positive class {_positive_class(data)!r}; {note}"
    if data.task == "regression":
        note += " (R^2); mae, rmse in the target's units; loss on the target standardized by its training mean and std"
    if data.task == "multilabel":
        note += " (the share of right labels)"
    return note


def _columns(metrics: dict[str, float], keys: list[str]) -> str:
    """`key=value` for each of `keys` that `metrics` has, blank where it has not, so two lines align."""
    cells = [f"{k}={metrics[k]:.4f}" if k in metrics else " " * len(f"{k}={0.0:.4f}") for k in keys]
    return "  ".join(cells).rstrip()


def _verdict(diagnosis: Any) -> str:
    """The diagnosis line: the verdict, with the baseline comparison when the model does not beat it."""
    if diagnosis.beats_baseline is not False:
        return diagnosis.verdict
    scores = f"test score {diagnosis.test_score:.4f}, the baseline's {diagnosis.baseline_score:.4f}"
    if diagnosis.verdict == "no_better_than_baseline":
        return f"{diagnosis.verdict} ({scores}: {diagnosis.baseline})"
    return f"{diagnosis.verdict}; no better than the baseline ({scores})"


UNSCORED = (
    "not scored: a sweep trial (score_test=False), so the test rows never help choose; the sweep scores its winner "
    "and the default recipe, and `kerasrecipes train` with the winner's recipe scores it"
)
"""What a run's summary says in place of test metrics it did not compute."""


def scores_test(manifest: dict[str, Any]) -> bool:
    """Whether a run scored its test rows (runs written before `test_scored` existed all did)."""
    return manifest.get("test_scored", True) is not False


def summary(result: Any) -> str:
    """The final summary: task, row, test metrics beside the trivial baseline's, what they mean, diagnosis
    and where the run is."""
    baseline = result.manifest.get("test_baseline")
    keys = list(dict.fromkeys([*result.test_metrics, *(baseline["metrics"] if baseline else ())]))
    lines = [
        f"status     {result.manifest['status']}"
        + (
            " (NaN/inf loss: training stopped; the best finite weights, or the initial ones, were kept)"
            if result.manifest["status"] == "diverged"
            else ""
        ),
        f"task       {result.scenario.task} ({result.data.task} target)",
        f"scenario   {result.scenario.name}: {result.model.head.activation} head, {result.model.head.loss}, "
        f"{result.recipe.optimizer} lr={result.recipe.learning_rate:g}",
        f"training   {result.manifest['training']['epochs_run']} epochs, best epoch "
        f"{_one_based(result.manifest['training']['best_epoch'])}, stop: {result.manifest['training']['stop_reason']}",
        f"test       {_columns(result.test_metrics, keys)}"
        if scores_test(result.manifest)
        else f"test       {UNSCORED}",
    ]
    if baseline:
        lines.append(f"baseline   {_columns(baseline['metrics'], keys)}  ({baseline['predictor']})")
    lines += [f"metrics    {_metrics_note(result.data)}", f"diagnosis  {_verdict(result.diagnosis)}"]
    if result.run_dir is not None:
        lines.append(f"run        {result.run_dir}")
    return "\n".join(lines)
