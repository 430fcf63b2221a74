"""A finished run on new data: `load_run(path)` -> `Run`, whose `predict` takes raw rows and answers in
the user's own labels and units; `predict_csv` streams a CSV file of any size through it.

The saved `model.keras` is the whole pipeline (preprocessing layers, the network, probabilities or
original units), so prediction is one compiled call of it: `Run` traces the model once into a
concrete TensorFlow function with a fixed input signature (Keras' `predict` would trace and cast on
every call, which costs milliseconds per row). New rows are checked against the run's input schema
first (`data._inputs`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes._tasks import TARGET_TASKS
from kerasrecipes.data import _images, _text
from kerasrecipes.errors import UserError
from kerasrecipes.runs import checkpoints, rundir

CHUNK_ROWS = 65_536
"""Rows per compiled call, and per chunk when a CSV file is streamed."""


class Predictor:
    """Raw rows in, predictions out: an end-to-end model with its preprocessing and target specs.

    What a `Run` (loaded from a run directory) and the scikit-learn estimators (`RecipeClassifier`,
    `RecipeRegressor`, fitted in memory) predict with. It pickles (the compiled serving function is
    traced again on first use).

    Attributes:
        model: the end-to-end `keras.Model`: raw inputs -> probabilities or original units.
        spec: the preprocessing spec (`data._feature_spec`). target_spec: the target's spec.
        task: "regression", "binary", "multiclass" or "multilabel".
        classes: the original class labels in the order of `predict_proba`'s columns, or a multi-label
            target's label names (None for regression).
        target: the name of the column it predicts.
    """

    def __init__(
        self,
        model: Any,
        spec: dict[str, Any],
        target_spec: dict[str, Any],
        *,
        target: str = "prediction",
        name: str = "the model",
    ) -> None:
        self.model, self.spec, self.target_spec = model, spec, target_spec
        self.task = target_spec["task"]
        self.classes = target_spec.get("classes")
        self.target, self._name = target, name
        self._serve = None

    def __getstate__(self) -> dict[str, Any]:
        # a traced function does not pickle (it is traced again); the model goes as its `.keras` file, so
        # that a fresh process registers kerasrecipes' layers before Keras reads it
        return {**self.__dict__, "_serve": None, "model": rundir.model_bytes(self.model)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, model=rundir.model_from_bytes(state["model"]))

    @property
    def serve(self) -> Any:
        """The model traced once for any number of rows (`_compiled`)."""
        if self._serve is None:
            self._serve = _compiled(self.model, self.spec)
        return self._serve

    def outputs(self, rows: Any, *, where: str = "the rows", first_line: int | None = None) -> tuple[np.ndarray, Any]:
        """(the model's outputs for `rows`, the schema `Notes`) without warning: probabilities or values."""
        import tensorflow as tf

        from kerasrecipes.data import _inputs

        inputs, notes = _inputs.model_inputs(self.spec, rows, where=where, first_line=first_line)
        n = notes.rows
        parts = []
        for start in range(0, max(n, 1), CHUNK_ROWS):
            chunk = (
                {k: tf.constant(v[start : start + CHUNK_ROWS]) for k, v in inputs.items()}
                if isinstance(inputs, dict)
                else tf.constant(inputs[start : start + CHUNK_ROWS])
            )
            parts.append(self.serve(chunk).numpy())
        return (parts[0] if len(parts) == 1 else np.concatenate(parts)), notes

    def serving_inputs(self, rows: Any) -> dict[str, np.ndarray] | np.ndarray:
        """`rows` as the saved and exported models take them, by input name (what a serving client sends).

        Each column is read as training read it: a number as float32 (NaN = missing), text as a string
        ("" = missing), a yes/no column as 1.0/0.0 and a date as days since 1970-01-01 (the time of day a
        fraction); image and sequence runs take their array as it is. `predict` does the same before it
        calls the model.
        """
        from kerasrecipes.data import _inputs

        inputs, notes = _inputs.model_inputs(self.spec, rows)
        notes.warn()
        return inputs

    def predict_proba(self, rows: Any) -> np.ndarray:
        """One probability per class (columns in `classes` order) for each row, or per label of a multi-label
        model (each in [0, 1] on its own); classifiers only."""
        if self.task == "regression":
            raise UserError(
                f"{self._name} is a regression model: it predicts values, not class probabilities. Use predict()."
            )
        outputs, notes = self.outputs(rows)
        notes.warn()
        return outputs

    def predict(self, rows: Any) -> np.ndarray:
        """One prediction per row: the original class label, the value in the target's original units, or
        for a multi-label model a 0/1 row with one column per label (each probability at its threshold).

        Args:
            rows: a `pandas.DataFrame` with the run's columns (extra columns are ignored), a dict by
                column name (one value each for one row), a 2-D array with the run's columns in order,
                or, for image and sequence runs, an array of samples.
        """
        outputs, notes = self.outputs(rows)
        notes.warn()
        return self.labels(outputs)

    def labels(self, outputs: np.ndarray) -> np.ndarray:
        """The model's outputs as predictions: labels for classifiers, values for regression."""
        if self.task == "regression":
            return outputs[:, 0] if outputs.shape[1] == 1 else outputs
        if self.task == "multilabel":
            return (outputs >= np.asarray(self.target_spec["thresholds"], np.float32)).astype(np.int64)
        return np.asarray(self.classes, dtype=object)[outputs.argmax(axis=1)]

    def frame(self, outputs: np.ndarray):
        """The predictions as a `pandas.DataFrame`: the prediction, then one probability column per class; for a
        multi-label model, one 0/1 column per label, then one probability column per label."""
        import pandas as pd

        if "forecast" in self.spec:  # one row per step ahead of each window's last time
            steps = outputs.shape[1]
            return pd.DataFrame(
                {"step": np.tile(np.arange(1, steps + 1), len(outputs)), self.target: outputs.reshape(-1)}
            )
        if self.task == "multilabel":
            said = self.labels(outputs)
            frame = pd.DataFrame({str(label): said[:, j] for j, label in enumerate(self.classes)})
        else:
            frame = pd.DataFrame({self.target: self.labels(outputs)})
        if self.task != "regression":
            for j, label in enumerate(self.classes):
                frame[f"probability_{label}"] = outputs[:, j]
        return frame


class Run(Predictor):
    """A trained run loaded from its directory, ready for new raw rows (a `Predictor`).

    Attributes:
        path: the run directory.
        recipe: the run's resolved `Recipe`.
        manifest: the run's manifest (a dict).
        model, spec, target_spec, task, classes, target: as for `Predictor`.

    Examples:
        >>> from kerasrecipes import load_run, train
        >>> import tempfile, os
        >>> out = os.path.join(tempfile.mkdtemp(), "iris")
        >>> _ = train("iris", recipe={"epochs": 2}, out=out, tracking="none", verbose=0)
        >>> run = load_run(out)
        >>> run.predict({"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4,
        ...              "petal width (cm)": 0.2}).shape
        (1,)
    """

    def __init__(self, path: str | os.PathLike) -> None:
        from kerasrecipes.recipes._recipe import Recipe

        self.path = Path(path)
        self.manifest = rundir.read_manifest(self.path)
        version = self.manifest.get("manifest_version", 1)
        if version != rundir.MANIFEST_VERSION:
            raise UserError(
                f"{self.path} was written by a kerasrecipes with manifest_version {version} (this one "
                f"reads {rundir.MANIFEST_VERSION}) and has no end-to-end model to predict with. Retrain it: "
                f"`kerasrecipes train --recipe {self.path / 'recipe.yaml'}` with the same data."
            )
        data = self.manifest["data"]
        self.recipe = Recipe.from_dict(self.manifest["recipe"])
        model = rundir.load_saved_model(self.path / rundir.MODEL)
        _check_against_model(self.path, data, model)
        super().__init__(
            model,
            data["preprocessing"],
            data["target_spec"],
            target=data.get("target_name", "prediction"),
            name=str(self.path),
        )
        self._serve = _compiled(self.model, self.spec)  # traced now: the first prediction is not slower

    def __repr__(self) -> str:
        score = self.manifest["test_metrics"].get("score", float("nan"))
        shown = f"{score:.4g}" if rundir.scores_test(self.manifest) else "'not scored'"
        return f"Run({str(self.path)!r}, task={self.task!r}, scenario={self.manifest['scenario']!r}, score={shown})"

    def _repr_html_(self) -> str:
        """A small table for notebooks."""
        from kerasrecipes._display import html_table

        return html_table(
            "Run",
            {
                "path": self.path,
                "task": self.task,
                "scenario": self.manifest["scenario"],
                "target": self.target,
                "classes": self.classes,
                "test_metrics": self.manifest["test_metrics"],
            },
        )


def _check_against_model(path: Path, data: Any, model: Any) -> None:
    """The manifest's input schema and classes describe `model.keras` (one line naming the mismatch if not).

    The hashes already tie both files to the run; this catches a manifest that is consistent with
    itself but not with the model (written by hand with a new hash, or by another tool).
    """

    def mismatch(what: str) -> UserError:
        return UserError(
            f"{path / rundir.MANIFEST} does not describe {path / rundir.MODEL}: {what}. Restore the "
            "run's original files from a copy, or train it again."
        )

    spec = data.get("preprocessing") if isinstance(data, dict) else None
    target = data.get("target_spec") if isinstance(data, dict) else None
    if not isinstance(spec, dict) or spec.get("kind") not in ("tabular", "channels"):
        raise mismatch("its data.preprocessing.kind is not 'tabular' or 'channels'")
    inputs = {x.name: (str(x.dtype), list(x.shape[1:])) for x in model.inputs}
    if spec["kind"] == "channels":
        inputs = dict(zip(["the input"], inputs.values()))
        expected = {"the input": ("float32", list(spec.get("shape") or ()))}
    else:
        columns = spec.get("columns")
        if not isinstance(columns, list) or not all(
            isinstance(c, dict) and {"input", "kind"} <= set(c) for c in columns
        ):
            raise mismatch("its data.preprocessing.columns is not a list of columns")
        expected = {c["input"]: ("float32" if c["kind"] == "numeric" else "string", []) for c in columns}
    for name in sorted(set(inputs) | set(expected)):
        model_has, manifest_has = inputs.get(name), expected.get(name)
        if model_has != manifest_has:
            shown = ["none" if v is None else f"{v[0]} of shape {v[1]}" for v in (model_has, manifest_has)]
            raise mismatch(f"input {name!r} is {shown[0]} in the model, {shown[1]} in the manifest's schema")
    if not isinstance(target, dict) or target.get("task") not in TARGET_TASKS:
        raise mismatch(f"its data.target_spec.task is not one of {', '.join(TARGET_TASKS)}")
    if target["task"] == "multilabel" and len(target.get("thresholds") or ()) != len(target.get("classes") or ()):
        raise mismatch("its data.target_spec.thresholds do not give one threshold per label")
    width = model.outputs[0].shape[-1]
    classes = target.get("classes")
    if target["task"] != "regression" and (not isinstance(classes, list) or len(classes) != width):
        raise mismatch(f"the model answers {width} probabilities, the manifest lists classes {classes!r}")


def load_run(path: str | os.PathLike) -> Run:
    """Load a run directory for prediction (`Run.predict`, `Run.predict_proba`), with Keras' safe mode.

    Raises:
        ValueError: the directory is not a complete run of this kerasrecipes version, or its model
            does not load.
    """
    return Run(path)


def _compiled(model: Any, spec: dict[str, Any]) -> Any:
    """The model traced once with a fixed input signature (batch size free)."""
    import tensorflow as tf

    if spec["kind"] == "channels":
        signature = tf.TensorSpec([None, *spec["shape"]], tf.float32, name="inputs")
    else:
        signature = {
            c["input"]: tf.TensorSpec([None], tf.float32 if c["kind"] == "numeric" else tf.string, name=c["input"])
            for c in spec["columns"]
        }
    function = tf.function(lambda inputs: model(inputs, training=False), input_signature=[signature], autograph=False)
    return function.get_concrete_function()


ON_ERROR = ("raise", "skip")
"""What `predict_file` does with a row whose cells the run cannot read: refuse the file, or leave the row out."""


def errors_file(out: str | os.PathLike) -> Path:
    """Where `on_error="skip"` lists the skipped rows by default: `predictions.csv` -> `predictions.errors.csv`."""
    out = Path(out)
    stem = out.name[:-4] if out.name.lower().endswith(".csv") and len(out.name) > 4 else out.name
    return out.with_name(f"{stem}.errors.csv")


def check_paths(
    run_dir: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike | Any,
    *,
    overwrite: bool = False,
    keep: list[str] | None = None,
    on_error: str = "raise",
    errors: str | os.PathLike | None = None,
) -> tuple[Path | None, Path | None]:
    """Check what `predict_file` will read and write, before the run is loaded; (out, errors file) as paths.

    `out` is a path, "-" (standard output) or a writable text file object (both give None). Refused, in
    one line each with a fix that works: a missing data file; an output (or errors file) that is a
    directory, a device, a FIFO or a socket (`_io.check_output_file`), the data file, inside the run
    directory, in a missing folder, or an existing file without `overwrite`; `keep` with a .npy file;
    `errors` without `on_error="skip"`, and `on_error="skip"` writing to standard output without `errors`.
    """
    data = Path(data)
    if data.is_dir():  # an image or text run's folder (checked against the run once it is loaded)
        if keep:
            raise UserError(f"--keep names columns of a CSV file, and {data} is a folder of files; leave --keep out.")
    elif not data.is_file():
        raise UserError(
            f"{data} is not a file; give the CSV (or .npy) file of rows, or the folder of images or texts, to predict."
        )
    if on_error not in ON_ERROR:
        raise UserError(f"`on_error` must be one of {', '.join(map(repr, ON_ERROR))}. Received: on_error={on_error!r}")
    if keep and data.suffix == ".npy":
        raise UserError(
            f"--keep names columns of a CSV file, and {data.name} is a .npy array of samples without "
            "columns; leave --keep out."
        )
    stream = not isinstance(out, (str, os.PathLike)) or out == "-"
    if errors is not None and on_error != "skip":
        raise UserError(
            "--errors PATH lists the rows --on-error skip leaves out; add --on-error skip, or leave --errors out."
        )
    if on_error == "skip" and errors is None and stream:
        raise UserError(
            "--on-error skip lists the rows it leaves out in a file, and --out - names none; add "
            "--errors PATH (e.g. --errors skipped.csv)."
        )
    out_path = None if stream else _check_output(Path(out), "--out", run_dir, data, overwrite)
    errors_path = None
    if on_error == "skip":
        errors_path = Path(errors) if errors is not None else errors_file(out_path)
        errors_path = _check_output(errors_path, "--errors", run_dir, data, overwrite)
        if out_path is not None and _where(errors_path) == _where(out_path):
            raise UserError(f"--errors {errors_path} is --out too; give the skipped rows a file of their own.")
    return out_path, errors_path


def _where(path: Path) -> Path:
    """The file a write to `path` replaces: its folder resolved (a link in --out is replaced, not followed)."""
    return path.parent.resolve() / path.name


def _check_output(out: Path, what: str, run_dir: str | os.PathLike, data: Path, overwrite: bool) -> Path:
    from kerasrecipes._io import check_output_file

    run = Path(run_dir).resolve()
    for target in {_where(out), out.resolve()}:
        if target == run or run in target.parents:
            raise UserError(
                f"{what} {out} is inside the run directory {run_dir}, whose files are the run's record; "
                "choose a path outside it."
            )
    check_output_file(out, what, example="predictions.csv", dash=what == "--out")
    if out.resolve() == data.resolve():
        raise UserError(f"{what} {out} is the input file; choose another path.")
    if not out.parent.is_dir():
        raise UserError(
            f"{what} {out}: the folder {out.parent} "
            + ("is a file" if out.parent.exists() else "does not exist; create it first")
            + "."
        )
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise UserError(f"{what} {out}: cannot write in the folder {out.parent}; choose a folder you can write to.")
    if out.exists() and not overwrite:
        raise UserError(f"{what} {out} exists; choose another path, or pass --overwrite.")
    return out


def predict_file(
    run: Run,
    data: str | os.PathLike,
    out: str | os.PathLike | Any,
    *,
    overwrite: bool = False,
    chunk_rows: int = CHUNK_ROWS,
    keep: list[str] | None = None,
    on_error: str = "raise",
    errors: str | os.PathLike | None = None,
) -> Any:
    """Predict every row of a file and write the predictions, one row per input row, in input order.

    A CSV file (tabular runs) is streamed `chunk_rows` rows at a time, so memory does not grow with
    its size; a `.npy` file (image and sequence runs) is memory-mapped. A path `out` is written
    atomically (a temporary file renamed into place; one a killed predict left beside it is removed)
    and never replaces an existing file unless `overwrite`, nor a directory, device, FIFO or socket,
    the data file or a file of the run; on any error nothing is written. `out="-"` streams the CSV to
    standard output, and a text file object is written as is (an error part way stops the stream).

    Args:
        keep: columns of the CSV file written before the prediction columns, in the file's order
            (e.g. an id, to join the predictions back).
        on_error: "raise" refuses a file with a cell the run cannot read (an infinite number, text in
            a numeric or date column), naming the first such row; "skip" leaves those rows out and lists
            them in `errors` (columns `line`, `reason`; for a .npy file `sample`, 0-based, and `reason`).
        errors: the file of skipped rows (default: `errors_file(out)`; needed when `out` is a stream),
            written atomically even when no row was skipped.

    Returns:
        The schema `Notes` of the predicted rows (after one warning for each kind of note), with
        `skipped` (rows left out) and `errors_path` (the file listing them, or None).
    """
    import pandas as pd

    from kerasrecipes._io import atomic_path, remove_stale_temps
    from kerasrecipes.data import _inputs

    out_path, errors_path = check_paths(
        run.path if isinstance(run, Run) else os.devnull,
        data,
        out,
        overwrite=overwrite,
        keep=keep,
        on_error=on_error,
        errors=errors,
    )
    data = Path(data)
    keep = list(dict.fromkeys(keep or []))
    total, bad = _inputs.Notes(), []

    def write(fh) -> None:
        header, kept, seen = True, None, 0
        with contextlib.closing(_chunks(run, data, chunk_rows)) as chunks:
            for chunk, first_line in chunks:
                if kept is None and keep:
                    kept = _kept_columns(run, data, list(chunk.columns), keep)
                skipped = []
                try:
                    outputs, notes = run.outputs(chunk, where=data.name, first_line=first_line)
                except UserError:
                    if on_error != "skip":  # name the file's first bad row (the error named a bad column's)
                        _, first = _without_bad_rows(run, chunk, data.name, first_line, seen, first_only=True)
                        if first:
                            raise UserError(first[0][1]) from None
                        raise
                    chunk, skipped = _without_bad_rows(run, chunk, data.name, first_line, seen)
                    bad.extend(skipped)
                    outputs, notes = run.outputs(chunk, where=data.name)  # the rest pass (checked row by row)
                seen += notes.rows + len(skipped)
                total.add(notes)
                frame = run.frame(outputs)
                if isinstance(chunk, _ImageRows):  # one row per image file, named as under the folder
                    frame.insert(0, "file", chunk.files)
                elif "files" in getattr(chunk, "attrs", {}):  # one row per text file
                    frame.insert(0, "file", chunk.attrs["files"])
                if "forecast" in run.spec:  # each step ahead's time, as the time column writes it
                    times = _inputs.forecast_times(run.spec, chunk, where=data.name)
                    if times is not None:
                        frame.insert(1, run.spec["forecast"]["time"], times * (len(frame) // len(times)))
                if kept:
                    frame = pd.concat([chunk[kept].reset_index(drop=True), frame], axis=1)
                frame.to_csv(fh, header=header, index=False)
                fh.flush()
                header = False
        if header:  # no chunk at all (an empty .npy array): the header alone
            _no_predictions(run).to_csv(fh, index=False)

    if out_path is None:
        write(sys.stdout if isinstance(out, str) else out)
    else:
        remove_stale_temps(out_path)
        with atomic_path(out_path, make_parents=False) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
            write(fh)
            checkpoints.fault("predict-written")  # the tests' kill: every row written, not yet renamed into place
    if errors_path is not None:
        remove_stale_temps(errors_path)
        with atomic_path(errors_path, make_parents=False) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
            pd.DataFrame(bad, columns=["sample" if data.suffix == ".npy" else "line", "reason"]).to_csv(fh, index=False)
    total.skipped, total.errors_path = len(bad), errors_path
    total.extra_columns = [c for c in total.extra_columns if c not in keep]  # kept: not ignored
    total.warn(where=data.name)
    return total


def _kept_columns(run: Run, data: Path, columns: list[str], keep: list[str]) -> list[str]:
    """The --keep columns in the file's order; one-line errors for a name the file lacks or the output has."""
    unknown = [c for c in keep if c not in columns]
    if unknown:
        shown = ", ".join(map(repr, columns[:20])) + (" ..." if len(columns) > 20 else "")
        raise UserError(
            f"--keep {', '.join(unknown)}: {data.name} has no column {', '.join(map(repr, unknown))}; "
            f"its columns are {shown}."
        )
    taken = [c for c in keep if c in _no_predictions(run).columns]
    if taken:
        raise UserError(
            f"--keep {', '.join(taken)}: the predictions already have a column {taken[0]!r}; rename that "
            f"column in {data.name} to keep it, or leave it out of --keep."
        )
    return [c for c in columns if c in keep]


def _no_predictions(run: Run) -> Any:
    """The empty predictions frame: its columns, no rows."""
    return run.frame(np.zeros((0, 1 if run.task == "regression" else len(run.classes)), np.float32))


def _without_bad_rows(
    run: Run, rows: Any, where: str, first_line: int | None, offset: int, *, first_only: bool = False
) -> tuple[Any, list[tuple[int, str]]]:
    """(rows without those the schema refuses, [(file line, or sample index `offset` + i, reason)] of those;
    with `first_only`, the first of them alone).

    Rows are checked as `predict` checks them (`_inputs.model_inputs`), all at once; only a chunk with a
    bad row is split in halves until each bad row stands alone (bad rows are rare, so this costs a few
    checks of ever smaller slices). An error of the whole table (a missing column) is raised as is.
    """
    from kerasrecipes.data import _inputs

    def check(start: int, stop: int) -> str | None:
        try:
            _inputs.model_inputs(
                run.spec,
                rows.iloc[start:stop] if hasattr(rows, "iloc") else rows[start:stop],
                where=where,
                first_line=None if first_line is None else first_line + start,
            )
        except UserError as exc:
            return " ".join(str(exc).split())
        return None

    n = len(rows)
    if check(0, 0) is not None:  # not one row's fault
        _inputs.model_inputs(run.spec, rows.iloc[:0] if hasattr(rows, "iloc") else rows[:0], where=where)
    bad: list[tuple[int, str]] = []
    pending = [(0, n)]
    while pending:
        start, stop = pending.pop()
        reason = check(start, stop)
        if reason is None:
            continue
        if stop - start == 1:
            bad.append((start, reason))
            if first_only:
                break
        else:
            middle = (start + stop) // 2
            pending += [(middle, stop), (start, middle)]
    bad.sort()
    positions = [i for i, _ in bad]
    good = rows.drop(rows.index[positions]) if hasattr(rows, "drop") else np.delete(rows, positions, axis=0)
    return good, [((first_line + i) if first_line is not None else offset + i, reason) for i, reason in bad]


def _image_paths(run: Run, data: Path) -> list[Path]:
    """The image files to predict: a folder's, one file, or a CSV file's paths in the run's image column."""
    if data.suffix != ".csv":
        return _images.image_files(data)
    column = run.spec["images"].get("column")
    frame = _images.read_table(data)
    if column is None or column not in frame.columns:
        raise UserError(
            f"{data.name}: an image run predicts on a folder or image files"
            + (f", or a CSV file with the column {column!r} of image paths" if column else "")
            + f"; {data.name} has the columns {', '.join(map(repr, list(frame.columns)[:8]))}."
        )
    return _images.table_files(data, frame[column], column)


class _ImageRows(np.ndarray):
    """Decoded images (an array) that know their files, for the `file` column of the predictions."""

    files: list[str] | None = None


def _image_rows(array: np.ndarray, files: list[Path], root: Path) -> _ImageRows:
    """`array` as `_ImageRows` of `files`, named relative to the folder (or the CSV file's or image's folder)."""
    rows = np.asarray(array).view(_ImageRows)
    base = root if root.is_dir() else root.parent
    rows.files = [os.path.relpath(f, base).replace(os.sep, "/") for f in files]
    return rows


def _text_rows(files: list[Path], root: Path, column: str):
    """Text files as a table of one text column, its files named (relative to the folder) in `attrs["files"]`."""
    import pandas as pd

    rows = pd.DataFrame({column: [_text.read_text(f) for f in files]})
    base = root if root.is_dir() else root.parent
    rows.attrs["files"] = [os.path.relpath(f, base).replace(os.sep, "/") for f in files]
    return rows


def _chunks(run: Run, data: Path, chunk_rows: int):
    """(rows, file line of the first row) of a data file, `chunk_rows` at a time."""
    if "images" in run.spec and (data.is_dir() or data.suffix.lower() in _images.SUFFIXES or data.suffix == ".csv"):
        files = _image_paths(run, data)
        size, color = tuple(run.spec["images"]["size"]), run.spec["images"]["color"]
        channels = _images.COLORS.get(color) or run.spec["shape"][-1]
        for start in range(0, len(files), chunk_rows):
            part = files[start : start + chunk_rows]
            yield _image_rows(_images.decode(part, size, channels, data.name), part, data), None
        return
    if "texts" in run.spec and (data.is_dir() or data.suffix.lower() in _text.SUFFIXES):
        files = _text.text_files(data)
        if not files:
            raise UserError(f"{data} holds no .txt file; a text run predicts on .txt files (or a CSV file of texts).")
        for start in range(0, len(files), chunk_rows):
            part = files[start : start + chunk_rows]
            yield _text_rows(part, data, run.spec["texts"]["column"]), None
        return
    if data.is_dir():
        raise UserError(f"{data} is a folder; a run trained on a table or on arrays predicts on a file of rows.")
    table = "series_columns" in run.spec or "forecast" in run.spec  # series from a table's rows: a CSV file
    if "forecast" in run.spec:  # the series' latest rows, all at once: the forecast continues from the last
        chunk_rows = None
    if run.spec["kind"] == "channels" and not table:
        if data.suffix != ".npy":
            raise UserError(
                f"{data}: an image or sequence run predicts on a .npy array file of shape "
                f"(n, {', '.join(map(str, run.spec['shape']))}); save one with numpy.save."
            )
        try:
            array = np.load(data, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            raise UserError(f"{data} is not a numeric .npy array: {exc}") from None
        for start in range(0, len(array), chunk_rows):
            yield np.asarray(array[start : start + chunk_rows]), None
        return
    import pandas as pd

    from kerasrecipes.data._csv import check_fields, detect_delimiter

    try:
        with open(data, encoding="utf-8-sig") as fh:
            header = fh.readline()
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{data.name} is not a UTF-8 text CSV file (byte {exc.start} is not UTF-8); a table run "
            "predicts on a CSV file with the run's columns."
        ) from None
    sep = detect_delimiter(header, also=run.manifest["data"].get("source", {}).get("delimiter"))
    with open(data, encoding="utf-8-sig", newline="") as fh:  # a short or long line would shift its values
        check_fields(fh, sep, data.name)
    first = 2
    try:
        options = dict(sep=sep, dtype=str, skipinitialspace=True, encoding="utf-8-sig")
        if chunk_rows is None:
            whole = pd.read_csv(data, **options)
            whole.columns = [str(c).strip() for c in whole.columns]
            yield whole, first
            return
        with pd.read_csv(data, chunksize=chunk_rows, **options) as reader:
            for chunk in reader:
                chunk.columns = [str(c).strip() for c in chunk.columns]
                yield chunk, first
                first += len(chunk)
    except pd.errors.EmptyDataError:
        raise UserError(
            f"{data.name} is empty; a table run predicts on a CSV file whose header names the run's columns."
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[-1].split("C error: ")[-1] if str(exc).strip() else type(exc).__name__
        raise UserError(
            f"{data.name} is not a well-formed CSV file: {reason}. Fix that line (every row needs the header's fields)."
        ) from None
