"""Export a run's end-to-end model for serving: `.keras`, TensorFlow SavedModel, LiteRT, ONNX.

Every format takes the raw inputs the run's `model.keras` takes (one named input per table column,
float32 numbers with NaN for missing values and strings with "" for missing text, a yes/no column as
1/0 and a date as days since 1970-01-01; or the raw image or sequence array: `Run.serving_inputs(rows)`
converts raw rows) and answers with class probabilities or the regression value in original units.
The formats come from Keras' own `model.save` / `model.export`:

- `keras`: the run's `model.keras` itself (load with `kerasrecipes.load_run`, or
  `keras.saving.load_model(path, safe_mode=True)` after `kerasrecipes.register_keras_objects()`);
- `saved_model`: `model.export(format="tf_saved_model")`; its `serve` / `serving_default` signature
  takes the named raw inputs (TF Serving, `tf.saved_model.load`);
- `litert`: `model.export(format="litert")` restricted to TFLite's built-in ops (Keras' default also
  allows Select TF ops, which the stock interpreter cannot run); the preprocessing works in float32,
  and text categories go through TFLite's hash-table ops (free text, which needs TensorFlow's string
  ops, is refused here and for ONNX: export it as a SavedModel). A recurrent model's loop lowers to built-in ops only
  with a static batch size, so an RNN run's file takes one sequence per call (batch 1);
- `onnx`: the SavedModel converted by `tf2onnx` (the optional `onnx` extra). Keras' own
  `export(format="onnx")` cannot be used here: with string lookups it writes a graph that
  onnxruntime refuses (tf2onnx cannot find the lookup tables of a traced function), while the
  SavedModel route converts them to ONNX-ML's `LabelEncoder`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from kerasrecipes._io import new_dir
from kerasrecipes.errors import UserError
from kerasrecipes.runs import _writing, checkpoints

FORMATS = {"keras": ".keras", "saved_model": "", "litert": ".tflite", "onnx": ".onnx"}
"""Export format -> the suffix its output path must have ("" for the SavedModel directory)."""
ONNX_OPSET = 17
ONNX_PACKAGES = "onnx, tf2onnx (and onnxruntime to run the file)"


def export(run: Any, format: str, out: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write `run`'s end-to-end model in `format` to `out`, atomically; returns `out`.

    The export is written under a temporary name beside `out` and swapped into place in one step
    (`_writing.swap_in`), holding `out`'s one-writer lock: `out` is the old complete export or the new
    one at every instant, and what a killed export left behind is removed by the next one. With
    `overwrite`, only an export of the same format is replaced, recognized by its content
    (`is_export`), never a file that merely has the right suffix.

    Args:
        run: a run directory or a loaded `Run`.
        format: "keras", "saved_model", "litert" or "onnx".
        out: the file (`.keras`, `.tflite`, `.onnx`) or directory (SavedModel) to write.
        overwrite: replace an existing export of the same format at `out`. Defaults to False.

    Raises:
        ValueError: an unknown format, a wrong suffix, an existing `out` without `overwrite` or that is
            not such an export, `out` inside the run directory, or the ONNX packages missing (with how
            to install them).
    """
    from kerasrecipes._validation import check, options
    from kerasrecipes.runs._predict import Run, load_run

    check("format", format, options(*FORMATS))
    out = Path(out)
    suffix = FORMATS[format]
    if suffix and out.suffix != suffix:
        raise UserError(f"--out {out} must end in {suffix} for --format {format}.")
    run_path = run.path if isinstance(run, Run) else Path(run)
    if _inside(out, run_path):
        raise UserError(
            f"--out {out} is inside the run directory {run_path}, whose files are the run's own; "
            "choose a path outside it."
        )
    if format == "onnx":
        _require_onnx()
    with _writing.exclusive(out):
        _writing.recover(out, STAGING)
        _check_out(out, format, overwrite)
        run = run if isinstance(run, Run) else load_run(run)
        if format in ("litert", "onnx") and run.spec.get("text"):  # no string ops in their stock runtimes
            raise UserError(
                f"{run.path} reads free text, and {'LiteRT' if format == 'litert' else 'ONNX'}'s standard ops cannot "
                "split text into words; export it with --format saved_model (or keras), which serve the raw text."
            )
        stage = new_dir(out.parent, f".{out.name}{STAGING}")
        try:
            staged = stage / (out.name if suffix else "saved_model")
            if format == "keras":
                shutil.copyfile(run.path / "model.keras", staged)
            elif format == "saved_model":
                run.model.export(str(staged), format="tf_saved_model", verbose=False)
            elif format == "litert":
                _litert(run.model, staged)
            else:
                _onnx(run.model, staged, stage)
            checkpoints.fault("export-staged")
            _writing.swap_in(staged, out, fault=lambda point: checkpoints.fault(f"export-{point}"))
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return out


STAGING = ".export-"
SAVED_MODEL_ENTRIES = {"saved_model.pb", "variables", "assets", "assets.extra", "fingerprint.pb", "keras_metadata.pb"}
"""What a SavedModel folder may hold (TensorFlow's layout); a folder with anything else is not an export."""


def _inside(out: Path, run_dir: Path) -> bool:
    try:
        Path(os.path.realpath(out)).relative_to(os.path.realpath(run_dir))
    except ValueError:
        return False
    return True


def _check_out(out: Path, format: str, overwrite: bool) -> None:
    """`out` may be written: new, or (with `overwrite`) an export of `format`; never a device, FIFO or socket."""
    from kerasrecipes._io import check_output_file

    if format != "saved_model" or not out.is_dir():
        check_output_file(out, "--out")
    if not out.parent.is_dir():
        raise UserError(
            f"--out {out}: the folder {out.parent} "
            + ("is a file" if out.parent.exists() else "does not exist; create it first")
            + "."
        )
    if not os.path.lexists(out):
        return
    if not overwrite:
        raise UserError(f"--out {out} exists; choose another path, or pass --overwrite to replace it.")
    why = not_an_export(out, format)
    if why:
        raise UserError(
            f"--out {out} is not a {format} export ({why}), and --overwrite only replaces an export of "
            "the same format. Choose another --out."
        )


def not_an_export(path: str | os.PathLike, format: str) -> str | None:
    """None when `path` holds an export in `format`, recognized by its content; else why it does not.

    `.keras`: a zip archive with Keras' `config.json` and `metadata.json`; `.tflite`: the FlatBuffer
    identifier `TFL3`; `.onnx`: an ONNX model whose producer is tf2onnx; a SavedModel: a folder with
    `saved_model.pb` and nothing but TensorFlow's own entries.
    """
    path = Path(path)
    if format == "saved_model":
        if not path.is_dir():
            return "it is not a folder"
        names = {p.name for p in path.iterdir()}
        if "saved_model.pb" not in names:
            return "it has no saved_model.pb"
        if names - SAVED_MODEL_ENTRIES:
            return f"it also holds {sorted(names - SAVED_MODEL_ENTRIES)[0]!r}"
        return None
    if not path.is_file():
        return "it is not a file"
    with open(path, "rb") as fh:
        head = fh.read(256)
    if format == "keras":
        if not zipfile.is_zipfile(path):
            return "it is not a zip archive"
        with zipfile.ZipFile(path) as archive:
            if not {"config.json", "metadata.json"} <= set(archive.namelist()):
                return "it is a zip archive without Keras' config.json and metadata.json"
        return None
    if format == "litert":
        return None if head[4:8] == b"TFL3" else "it lacks the LiteRT FlatBuffer identifier TFL3"
    return None if head[:1] == b"\x08" and b"tf2onnx" in head else "it is not an ONNX model written by tf2onnx"


def _litert(model: Any, path: Path) -> None:
    """Keras' LiteRT export with built-in ops only; a recurrent model with its batch size fixed at 1."""
    import tensorflow as tf

    options: dict[str, Any] = {"target_spec": {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}}
    if _recurrent(model):  # TensorList ops lower to a built-in WHILE only with a static element shape
        options["input_signature"] = [tf.TensorSpec((1, *x.shape[1:]), x.dtype, name=x.name) for x in model.inputs]
    model.export(str(path), format="litert", verbose=False, **options)


def _recurrent(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.layers.RNN) or any(_recurrent(inner) for inner in getattr(layer, "layers", ()))


def _require_onnx() -> None:
    import importlib.util

    missing = [name for name in ("onnx", "tf2onnx") if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(
            f"ONNX export needs {ONNX_PACKAGES}; {', '.join(missing)} is not installed. Install the "
            "extra: pip install 'kerasrecipes[onnx]'."
        )


_CHILD = """\
import ctypes, os, runpy, signal, sys
parent = int(sys.argv.pop(1))
try:  # Linux: die with the exporting process, so a killed export leaves no converter running
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != parent:  # the exporter died before prctl took effect
    sys.exit(1)
runpy.run_module("tf2onnx.convert", run_name="__main__", alter_sys=True)
"""
"""The converter's process: `python -m tf2onnx.convert ARGS` that ends when the exporting process ends."""


def _onnx(model: Any, path: Path, work: Path) -> None:
    """Keras' SavedModel export, converted by tf2onnx's command line (its supported entry point)."""
    saved = work / "for_onnx"
    model.export(str(saved), format="tf_saved_model", verbose=False)
    command = [
        sys.executable,
        "-c",
        _CHILD,
        str(os.getpid()),
        "--saved-model",
        str(saved),
        "--signature_def",
        "serving_default",
        "--opset",
        str(ONNX_OPSET),
        "--output",
        str(path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode != 0 or not path.is_file():
        tail = " ".join(done.stderr.strip().splitlines()[-1:]) or f"exit code {done.returncode}"
        raise RuntimeError(f"tf2onnx could not convert the model: {tail}")
