"""A finished run on new data: `load_run(path)` -> `Run`, whose `predict` takes raw rows and answers in
the user's own labels and units; `predict_csv` streams a CSV file of any size through it.

The saved `model.keras` is the whole pipeline (preprocessing layers, the network, probabilities or
original units), so prediction is one compiled call of it: `Run` traces the model once into a
concrete TensorFlow function with a fixed input signature (Keras' `predict` would trace and cast on
every call, which costs milliseconds per row). New rows are checked against the run's input schema
first (`data._schema`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes.runs import rundir
from kerasrecipes.errors import UserError

CHUNK_ROWS = 65_536
"""Rows per compiled call, and per chunk when a CSV file is streamed."""


class Predictor:
    """Raw rows in, predictions out: an end-to-end model with its preprocessing and target specs.

    What a `Run` (loaded from a run directory) and the scikit-learn estimators (`RecipeClassifier`,
    `RecipeRegressor`, fitted in memory) predict with. It pickles (the compiled serving function is
    traced again on first use).

    Attributes:
        model: the end-to-end `keras.Model`: raw inputs -> probabilities or original units.
        spec: the preprocessing spec (`data._preprocessing`). target_spec: the target's spec.
        task: "regression", "binary" or "multiclass".
        classes: the original class labels in the order of `predict_proba`'s columns (None for regression).
        target: the name of the column it predicts.
    """

    def __init__(self, model: Any, spec: dict[str, Any], target_spec: dict[str, Any], *,
                 target: str = "prediction", name: str = "the model") -> None:
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

        from kerasrecipes.data import _schema

        inputs, notes = _schema.model_inputs(self.spec, rows, where=where, first_line=first_line)
        n = notes.rows
        parts = []
        for start in range(0, max(n, 1), CHUNK_ROWS):
            chunk = ({k: tf.constant(v[start:start + CHUNK_ROWS]) for k, v in inputs.items()}
                     if isinstance(inputs, dict) else tf.constant(inputs[start:start + CHUNK_ROWS]))
            parts.append(self.serve(chunk).numpy())
        return (parts[0] if len(parts) == 1 else np.concatenate(parts)), notes

    def serving_inputs(self, rows: Any) -> dict[str, np.ndarray] | np.ndarray:
        """`rows` as the saved and exported models take them, by input name (what a serving client sends).

        Each column is read as training read it: a number as float32 (NaN = missing), text as a string
        ("" = missing), a yes/no column as 1.0/0.0 and a date as days since 1970-01-01 (the time of day a
        fraction); image and sequence runs take their array as it is. `predict` does the same before it
        calls the model.
        """
        from kerasrecipes.data import _schema

        inputs, notes = _schema.model_inputs(self.spec, rows)
        notes.warn()
        return inputs

    def predict_proba(self, rows: Any) -> np.ndarray:
        """One probability per class (columns in `classes` order) for each row; classifiers only."""
        if self.task == "regression":
            raise UserError(f"{self._name} is a regression model: it predicts values, not class probabilities. "
                             "Use predict().")
        outputs, notes = self.outputs(rows)
        notes.warn()
        return outputs

    def predict(self, rows: Any) -> np.ndarray:
        """One prediction per row: the original class label, or the value in the target's original units.

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
        return np.asarray(self.classes, dtype=object)[outputs.argmax(axis=1)]

    def frame(self, outputs: np.ndarray):
        """The predictions as a `pandas.DataFrame`: the prediction, then one probability column per class."""
        import pandas as pd

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

    Example:
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
            raise UserError(f"{self.path} was written by a kerasrecipes with manifest_version {version} (this one "
                             f"reads {rundir.MANIFEST_VERSION}) and has no end-to-end model to predict with. Retrain it: "
                             f"`kerasrecipes train --recipe {self.path / 'recipe.yaml'}` with the same data.")
        data = self.manifest["data"]
        self.recipe = Recipe.from_dict(self.manifest["recipe"])
        super().__init__(rundir.load_saved_model(self.path / rundir.MODEL), data["preprocessing"],
                         data["target_spec"], target=data.get("target_name", "prediction"), name=str(self.path))
        self._serve = _compiled(self.model, self.spec)  # traced now: the first prediction is not slower

    def __repr__(self) -> str:
        return (f"Run({str(self.path)!r}, task={self.task!r}, scenario={self.manifest['scenario']!r}, "
                f"score={self.manifest['test_metrics'].get('score', float('nan')):.4g})")

    def _repr_html_(self) -> str:
        """A small table for notebooks."""
        from kerasrecipes._display import html_table

        return html_table("Run", {"path": self.path, "task": self.task, "scenario": self.manifest["scenario"],
                                  "target": self.target, "classes": self.classes,
                                  "test_metrics": self.manifest["test_metrics"]})


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
        signature = {c["input"]: tf.TensorSpec([None], tf.float32 if c["kind"] == "numeric" else tf.string,
                                               name=c["input"]) for c in spec["columns"]}
    function = tf.function(lambda inputs: model(inputs, training=False), input_signature=[signature],
                           autograph=False)
    return function.get_concrete_function()


def predict_file(run: Run, data: str | os.PathLike, out: str | os.PathLike, *, overwrite: bool = False,
                 chunk_rows: int = CHUNK_ROWS) -> Any:
    """Predict every row of a file and write the predictions, one row per input row, in input order.

    A CSV file (tabular runs) is streamed `chunk_rows` rows at a time, so memory does not grow with
    its size; a `.npy` file (image and sequence runs) is memory-mapped. `out` is written atomically
    (a temporary file renamed into place) and never replaces an existing file unless `overwrite`;
    on any error nothing is written.

    Returns:
        The schema `Notes` of the whole file (after one warning for each kind of note).
    """
    from kerasrecipes._io import atomic_path
    from kerasrecipes.data import _schema

    data, out = Path(data), Path(out)
    if not data.is_file():
        raise UserError(f"{data} is not a file; give the CSV (or .npy) file of rows to predict.")
    if out.exists() and (out.is_dir() or not overwrite):
        what = "is a directory" if out.is_dir() else "exists"
        raise UserError(f"--out {out} {what}; choose another path" + ("" if out.is_dir() else ", or pass --overwrite")
                         + ".")
    if out.resolve() == data.resolve():
        raise UserError(f"--out {out} is the input file; choose another path.")
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: the folder {out.parent} "
                         + ("is a file" if out.parent.exists() else "does not exist; create it first") + ".")
    total = _schema.Notes()
    with atomic_path(out) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh, \
            contextlib.closing(_chunks(run, data, chunk_rows)) as chunks:
        for chunk, first_line in chunks:
            outputs, notes = run.outputs(chunk, where=data.name, first_line=first_line)
            run.frame(outputs).to_csv(fh, header=total.rows == 0, index=False)
            total.add(notes)
        if total.rows == 0:  # a file without rows: the header alone
            width = 1 if run.task == "regression" else len(run.classes)
            run.frame(np.zeros((0, width), np.float32)).to_csv(fh, index=False)
    total.warn(where=data.name)
    return total


def _chunks(run: Run, data: Path, chunk_rows: int):
    """(rows, file line of the first row) of a data file, `chunk_rows` at a time."""
    if run.spec["kind"] == "channels":
        if data.suffix != ".npy":
            raise UserError(f"{data}: an image or sequence run predicts on a .npy array file of shape "
                             f"(n, {', '.join(map(str, run.spec['shape']))}); save one with numpy.save.")
        try:
            array = np.load(data, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            raise UserError(f"{data} is not a numeric .npy array: {exc}") from None
        for start in range(0, len(array), chunk_rows):
            yield np.asarray(array[start:start + chunk_rows]), None
        return
    import pandas as pd

    from kerasrecipes.data._csv import DELIMITERS, _field_counts, check_fields

    try:
        with open(data, encoding="utf-8-sig") as fh:
            header = fh.readline()
    except UnicodeDecodeError as exc:
        raise UserError(f"{data.name} is not a UTF-8 text CSV file (byte {exc.start} is not UTF-8); a table run "
                         "predicts on a CSV file with the run's columns.") from None
    counts = _field_counts(header)
    sep = max(DELIMITERS, key=lambda d: counts[d])
    with open(data, encoding="utf-8-sig", newline="") as fh:  # a short or long line would shift its values
        check_fields(fh, sep, data.name)
    first = 2
    try:
        with pd.read_csv(data, sep=sep, chunksize=chunk_rows, dtype=str, skipinitialspace=True,
                         encoding="utf-8-sig") as reader:
            for chunk in reader:
                chunk.columns = [str(c).strip() for c in chunk.columns]
                yield chunk, first
                first += len(chunk)
    except pd.errors.EmptyDataError:
        raise UserError(f"{data.name} is empty; a table run predicts on a CSV file whose header names the run's "
                         "columns.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[-1].split("C error: ")[-1] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{data.name} is not a well-formed CSV file: {reason}. Fix that line (every row needs the "
                         "header's fields).") from None
