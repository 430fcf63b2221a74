"""Run directories: written atomically as a whole, described by `manifest.json`.

A run directory holds::

    model.weights.h5      weights the run ended with (best epoch restored by early stopping)
    last.weights.h5       weights of the last epoch trained
    manifest.json         recipe, seed, data description and fingerprint, versions, platform,
                          weights_sha256, test metrics, diagnosis, file hashes
    recipe.yaml           the resolved recipe (`kerasrecipes train --recipe` accepts it)
    history.csv           per-epoch metrics
    learning_curves.png   loss and metric curves
    diagnosis.txt         the fit diagnosis with the seed's remedies

Everything is first written to a hidden sibling directory and renamed into place in one step,
so a crash never leaves a half-written run behind and an existing run is only replaced with
`overwrite=True`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

from kerasrecipes._io import fsync_dir

MANIFEST = "manifest.json"
WEIGHTS = "model.weights.h5"
LAST_WEIGHTS = "last.weights.h5"
MANIFEST_VERSION = 1
VERSIONED_LIBRARIES = ("numpy", "tensorflow", "keras", "scikit-learn", "wandb", "h5py")


def weights_sha256(weights: list[Any]) -> str:
    """sha256 of the concatenated raw bytes of a model's weights, in `model.get_weights()` order."""
    import numpy as np

    digest = hashlib.sha256()
    for w in weights:
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
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
    """Refuse to replace an existing, non-empty run directory unless `overwrite` (before any work)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a directory. Choose another --out.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(
            f"Run directory {out} already exists and is not empty. Pass --overwrite (overwrite=True) "
            "to replace it, or choose another --out."
        )
    return out


def remove_stale_staging(out: str | os.PathLike) -> None:
    """Clean up after a process killed while writing `out`.

    Staging directories are never a complete run and are removed. A `.replaced-*` directory is the
    previous complete run of an interrupted `overwrite` swap: if `out` is missing it is put back.
    """
    out = Path(out)
    for path in out.parent.glob(f".{out.name}.staging-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in sorted(out.parent.glob(f".{out.name}.replaced-*")):
        if not out.exists():
            os.replace(path, out)
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def staged_directory(out: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty staging directory; on success it atomically becomes `out`.

    On an exception the staging directory is removed and `out` is untouched.
    """
    out = check_destination(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        yield stage
        for path in stage.rglob("*"):
            if path.is_file():
                with open(path, "rb") as fh:
                    os.fsync(fh.fileno())
        fsync_dir(stage)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.replaced-{os.getpid()}"
            os.replace(out, old)
        os.replace(stage, out)
        fsync_dir(out.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def read_manifest(run_dir: str | os.PathLike) -> dict[str, Any]:
    """Load and sanity-check `manifest.json`; problems raise ValueError naming the file and key."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ValueError(f"{run_dir} is not a run directory (it does not exist or is a file).")
    path = run_dir / MANIFEST
    if not path.is_file():
        raise ValueError(f"{run_dir} has no {MANIFEST}: it is not a complete kerasrecipes run directory.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}). Was it edited by hand?") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"{path} must hold a JSON object.")
    for key in ("recipe", "seed", "data", "weights_sha256", "test_metrics", "target"):
        if key not in manifest:
            raise ValueError(f"{path} lacks the key {key!r}. Was it edited by hand?")
    return manifest
