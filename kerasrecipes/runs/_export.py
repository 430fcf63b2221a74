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
  and text goes through TFLite's hash-table ops. A recurrent model's loop lowers to built-in ops only
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
import tempfile
from pathlib import Path
from typing import Any

from kerasrecipes.errors import UserError

FORMATS = {"keras": ".keras", "saved_model": "", "litert": ".tflite", "onnx": ".onnx"}
"""Export format -> the suffix its output path must have ("" for the SavedModel directory)."""
ONNX_OPSET = 17
ONNX_PACKAGES = "onnx, tf2onnx (and onnxruntime to run the file)"


def export(run: Any, format: str, out: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write `run`'s end-to-end model in `format` to `out`, atomically; returns `out`.

    Args:
        run: a run directory or a loaded `Run`.
        format: "keras", "saved_model", "litert" or "onnx".
        out: the file (`.keras`, `.tflite`, `.onnx`) or directory (SavedModel) to write.
        overwrite: replace an existing `out`. Defaults to False.

    Raises:
        ValueError: an unknown format, a wrong suffix, an existing `out` without `overwrite`, or the
            ONNX packages missing (with how to install them).
    """
    from kerasrecipes._validation import check, options
    from kerasrecipes.runs._predict import Run, load_run

    check("format", format, options(*FORMATS))
    out = Path(out)
    suffix = FORMATS[format]
    if suffix and out.suffix != suffix:
        raise UserError(f"--out {out} must end in {suffix} for --format {format}.")
    if out.exists() and not overwrite:
        raise UserError(f"--out {out} exists; choose another path, or pass --overwrite.")
    if out.exists() and not ((out / "saved_model.pb").is_file() if format == "saved_model" else out.is_file()):
        what = "a SavedModel folder" if format == "saved_model" else "a file"
        raise UserError(f"--out {out} exists and is not {what}, and --overwrite only replaces an export of the same "
                        "format. Choose another --out.")
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: the folder {out.parent} "
                         + ("is a file" if out.parent.exists() else "does not exist; create it first") + ".")
    if format == "onnx":
        _require_onnx()
    run = run if isinstance(run, Run) else load_run(run)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.export-", dir=out.parent))
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
        if out.is_dir():
            shutil.rmtree(out)
        elif out.exists():
            out.unlink()
        os.replace(staged, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out


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
        raise UserError(f"ONNX export needs {ONNX_PACKAGES}; {', '.join(missing)} is not installed. Install the "
                         "extra: pip install 'kerasrecipes[onnx]'.")


def _onnx(model: Any, path: Path, work: Path) -> None:
    """Keras' SavedModel export, converted by tf2onnx's command line (its supported entry point)."""
    saved = work / "for_onnx"
    model.export(str(saved), format="tf_saved_model", verbose=False)
    command = [sys.executable, "-m", "tf2onnx.convert", "--saved-model", str(saved), "--signature_def",
               "serving_default", "--opset", str(ONNX_OPSET), "--output", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode != 0 or not path.is_file():
        tail = " ".join(done.stderr.strip().splitlines()[-1:]) or f"exit code {done.returncode}"
        raise RuntimeError(f"tf2onnx could not convert the model: {tail}")
