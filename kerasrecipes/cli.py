"""The `kerasrecipes` command line. Thin: parse, look up, run.

Exit codes: 0 success; 1 an internal bug (with a traceback) or `reproduce` found differences;
2 a user error (`kerasrecipes.errors.UserError` or an argparse error: one line on stderr, no traceback
unless --debug); 3 training diverged (NaN/inf loss); 141 standard output's reader left early
(`kerasrecipes ... | head -1`: no message, as a process SIGPIPE ends). Only those two kinds of error
(2) are the user's: any other exception is a bug, and Python prints its traceback.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shlex
import sys
import threading
import warnings
from collections.abc import Callable, Sequence

from kerasrecipes import _log
from kerasrecipes.errors import UserError

EXIT_USAGE = 2
EXIT_DIVERGED = 3  # training ran but diverged (NaN/inf); the run directory says what happened
EXIT_CLOSED_PIPE = 141  # standard output's reader left (`| head -1`): quietly, as a process SIGPIPE ends (128 + 13)


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one line and exit code 2 (not the usage block, not SystemExit)."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        raise UserError(f"{message} (see `{self.prog} --help`)")


def _cmd_recipes(args: argparse.Namespace) -> int:
    from kerasrecipes.recipes import _recipe, _table

    if args.fields:
        width = max(len(n) for n in _recipe.FIELDS)
        for name, (constraint, doc) in _recipe.FIELDS.items():
            print(f"{name:<{width}}  {constraint.describe():<40}  {doc}")
        return 0
    rows = [_table.get_scenario(n).as_row() for n in _table.list_scenarios(task=args.task)]
    if not rows:
        return 0
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    print("  ".join(c.upper().ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(r[c].ljust(widths[c]) for c in cols))
    if args.task is None:
        print("\nuses:")
        width = [max(len(u[i]) for u in _table.USES) for i in range(2)]
        for use, how, row in _table.USES:
            print(f"  {use:<{width[0]}}  {how:<{width[1]}}  {row}")
    t = _table.DEFAULT_THRESHOLDS
    print(f"\nregimes: more features = n_features >= {t.more_features}; large dataset = n_samples >= {t.large_dataset}")
    sizes = "; ".join(
        f"{size.replace('_', ' ')} -> " + ", ".join(f"{k}={v}" for k, v in values.items())
        for size, values in _table.SIZE_DEFAULTS.items()
    )
    print(f"size defaults of the regression and multiclass rows: {sizes}")
    rates = ", ".join(f"{k} {v:g}" for k, v in _table.OPTIMIZER_LEARNING_RATES.items())
    scaled = " and ".join(_table.SQRT_SCALED_OPTIMIZERS)
    print(
        f"default learning rates at batch {_table.REFERENCE_BATCH_SIZE}: {rates}; "
        f"{scaled} mini-batches scale by sqrt(batch_size/{_table.REFERENCE_BATCH_SIZE}) "
        f"(adam at batch 128: {_table.default_learning_rate('adam', 128):g})"
    )
    return 0


def _load_recipe_file(path: str) -> dict:
    import yaml

    if os.path.isdir(path):
        raise UserError(f"--recipe {path} is a directory; give a YAML file of recipe fields.")
    from kerasrecipes.tuning import _UniqueKeyLoader  # yaml.SafeLoader that also rejects duplicate keys

    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
    except FileNotFoundError:
        raise UserError(f"--recipe {path} does not exist.") from None
    except UnicodeDecodeError:
        raise UserError(f"--recipe {path} is not a text (UTF-8) YAML file.") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except Exception as exc:  # YAML syntax, bad tags, impossible dates: all "not valid YAML"
        raise UserError(f"--recipe {path} is not valid YAML: {_one_line(exc)}") from None
    if data is None:
        raise UserError(f"--recipe {path} is empty; give a mapping of recipe fields, e.g. 'units: 64'.")
    if not isinstance(data, dict):
        raise UserError(f"--recipe {path} must hold a mapping of recipe fields, not a {type(data).__name__}.")
    return data


def sweep_agent_parameters() -> dict:
    """Recipe fields `wandb agent` hands to its child through WANDB_SWEEP_PARAM_PATH ({name: {value: v}}).

    The agent also passes them as `--field=value` arguments when the sweep's command uses `${args}`;
    reading the file too makes commands without `${args}` (or with `${args_no_hyphens}`) work.
    """
    path = os.environ.get("WANDB_SWEEP_PARAM_PATH")
    if not path or not os.path.isfile(path):
        return {}
    import yaml

    from kerasrecipes.recipes._recipe import FIELDS

    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    return {k: v["value"] for k, v in raw.items() if k in FIELDS and isinstance(v, dict) and "value" in v}


def recipe_from_args(args: argparse.Namespace):
    """The recipe a `train` command line describes: --recipe FILE, then --set and --field=value."""
    from kerasrecipes.recipes import _table
    from kerasrecipes.recipes._recipe import Recipe, parse_overrides

    fields = _load_recipe_file(args.recipe) if args.recipe else {}
    agent = sweep_agent_parameters()
    fields.update(agent)
    fields.update(parse_overrides(args.set or []))
    fields.update(parse_overrides(args.extra or []))
    if args.seed is not None:
        fields["seed"] = args.seed
    if "seed" in agent and fields.get("split_seed") is None:  # a sweep searching seeds: one split for all trials
        fields["split_seed"] = _table.BASE_DEFAULTS["seed"]
    return Recipe.from_dict(fields)


DATA_ENV = {
    "csv": "KERASRECIPES_CSV",
    "target": "KERASRECIPES_TARGET",
    "na_values": "KERASRECIPES_NA_VALUES",
    "drop": "KERASRECIPES_DROP",
    "categorical": "KERASRECIPES_CATEGORICAL",
    "text": "KERASRECIPES_TEXT",
    "delimiter": "KERASRECIPES_DELIMITER",
    "label_sep": "KERASRECIPES_LABEL_SEP",
}
"""Environment variables that give the data options of `train` and `sweep` (lists comma-separated). With
KERASRECIPES_CSV set, a command's `--dataset` is replaced: how a bundled sweep YAML, whose command names a
bundled dataset, trains on a user's CSV under `wandb agent` (the agent passes its environment on)."""


def _listed(values: list[str] | None) -> list[str] | None:
    """--drop a --drop b,c -> [a, b, c]."""
    return None if values is None else [v.strip() for text in values for v in text.split(",") if v.strip()]


def _data_from_env(args: argparse.Namespace) -> None:
    """Fill data options the command line left unset from `DATA_ENV`; a CSV there replaces --dataset."""
    if not os.environ.get(DATA_ENV["csv"]) or args.csv is not None:
        return
    if args.dataset is not None:
        _log.get_logger(__name__).info(
            f"{DATA_ENV['csv']}={os.environ[DATA_ENV['csv']]} replaces --dataset {args.dataset}"
        )
    args.dataset, args.n_samples = None, None
    for key, variable in DATA_ENV.items():
        value = os.environ.get(variable)
        if value and getattr(args, key) is None:
            setattr(args, key, value if key in ("csv", "target", "delimiter", "label_sep") else [value])


def _go(options: list[str]) -> str:
    """The verb after a list of options: "--drop goes", "--drop and --na-values go"."""
    return "goes" if len(options) == 1 else "go"


def data_source(args: argparse.Namespace):
    """The data a `train` or `sweep` command line names: a bundled dataset name; a CSV file (in memory or
    streamed) with its data options, read as a table, as series (`--sequence`) or as one series to forecast
    (`--forecast`); a folder of images (`--images`) or a CSV file of image paths (`--image-column`); a folder
    of texts (`--texts`). One-line errors for options that do not go together."""
    _data_from_env(args)
    options = {
        "na_values": _listed(args.na_values),
        "drop": _listed(args.drop),
        "categorical": _listed(args.categorical),
        "text": _listed(getattr(args, "text", None)),
        "delimiter": args.delimiter,
        "label_sep": args.label_sep,
    }
    images = getattr(args, "images", None)
    if images is not None:
        return _image_source(args)
    if getattr(args, "texts", None) is not None:
        return _text_source(args, options)
    if getattr(args, "image_column", None) is not None:
        if args.csv is None or not args.target:
            raise UserError(
                "--image-column goes with --csv PATH --target COLUMN (a CSV file of image paths and labels)"
            )
        from kerasrecipes.data._images import load_image_table

        size = 64 if args.image_size is None else args.image_size
        return load_image_table(args.csv, args.target, args.image_column, image_size=size, color=args.color)
    if getattr(args, "image_size", None) is not None or getattr(args, "color", None) is not None:
        raise UserError("--image-size and --color go with --images DIR (a folder of class sub-folders)")
    if (args.dataset is None) == (args.csv is None):
        raise UserError("give exactly one of --dataset NAME, --csv PATH --target COLUMN or --images DIR")
    if args.csv is not None and not args.target:
        raise UserError(
            "--csv needs --target COLUMN (the column to predict)"
            + (
                f"; with {DATA_ENV['csv']} set, give --target or {DATA_ENV['target']}"
                if os.environ.get(DATA_ENV["csv"]) == args.csv
                else ""
            )
        )
    if args.target and args.csv is None:
        raise UserError("--target COLUMN goes with --csv PATH; a bundled --dataset has its own target")
    given = [f"--{k.replace('_', '-')}" for k, v in options.items() if v is not None]
    if args.csv is None and given:
        raise UserError(f"{' and '.join(given)} {_go(given)} with --csv PATH; a bundled --dataset is read as it is")
    if args.csv is not None and args.n_samples is not None:
        raise UserError("--n-samples sets the size of a synthetic --dataset; a --csv file has its own rows")
    stream = getattr(args, "stream", False)
    if stream and args.csv is None:
        raise UserError("--stream goes with --csv PATH --target COLUMN (bundled datasets fit in memory)")
    if getattr(args, "shuffle_buffer", None) is not None and not stream:
        raise UserError("--shuffle-buffer goes with --stream")
    if stream and options.pop("label_sep") is not None:
        raise UserError("--label-sep reads a multi-label target in memory; leave out --stream")
    if stream and options.pop("text") is not None:
        raise UserError("--text reads free text in memory; leave out --stream (or --drop the text column)")
    sequence, channels = getattr(args, "sequence", False), _listed([args.channels] if args.channels else None)
    if channels and not sequence:
        raise UserError("--channels goes with --sequence (it names the channels of each row's series)")
    if sequence and args.csv is None:
        raise UserError("--sequence goes with --csv PATH --target COLUMN (it reads each row's columns as a series)")
    if sequence and stream:
        raise UserError("--sequence reads the series in memory; leave out --stream")
    forecast = getattr(args, "forecast", False)
    given = [f"--{k}" for k in ("time", "window", "horizon") if getattr(args, k, None) is not None]
    if given and not forecast:
        raise UserError(f"{' and '.join(given)} {_go(given)} with --forecast (a long series to forecast)")
    if forecast and (args.csv is None or stream or sequence):
        raise UserError("--forecast goes with --csv PATH --target COLUMN, in memory (without --stream or --sequence)")
    if forecast and (args.time is None or args.window is None):
        raise UserError("--forecast needs --time COLUMN (what orders the rows) and --window N (steps the model sees)")
    if stream:  # never load_csv: it would read the whole file
        from kerasrecipes.streaming import CsvStream

        return CsvStream(
            args.csv,
            args.target,
            shuffle_buffer=10_000 if args.shuffle_buffer is None else args.shuffle_buffer,
            **options,
        )
    if args.csv is not None:
        from kerasrecipes import data

        table = data.load_csv(args.csv, args.target, **options)
        if forecast:
            horizon = 1 if args.horizon is None else args.horizon
            return data.as_forecast(table, time=args.time, window=args.window, horizon=horizon)
        return data.as_sequences(table, channels) if sequence else table
    return args.dataset


def _image_source(args: argparse.Namespace):
    """A folder of class sub-folders of images (`--images DIR`), read with its size and colour options."""
    others = [f for f, v in (("--dataset", args.dataset), ("--csv", args.csv), ("--target", args.target)) if v]
    others += [f"--{k}" for k in ("sequence", "forecast") if getattr(args, k, False)]
    if others:
        raise UserError(f"--images DIR is the data (its sub-folders are the classes); leave out {', '.join(others)}")
    if getattr(args, "shuffle_buffer", None) is not None:
        raise UserError("--shuffle-buffer goes with --csv PATH --stream; --images DIR --stream shuffles its file list")
    size = 64 if args.image_size is None else args.image_size
    if getattr(args, "stream", False):  # never load_images: it would decode every image into memory
        from kerasrecipes.streaming import ImageFolderStream

        return ImageFolderStream(args.images, image_size=size, color=args.color)
    from kerasrecipes.data import load_images

    return load_images(args.images, image_size=size, color=args.color)


def _text_source(args: argparse.Namespace, options: dict):
    """A folder of class sub-folders of .txt files (`--texts DIR`)."""
    others = [f for f, v in (("--dataset", args.dataset), ("--csv", args.csv), ("--target", args.target)) if v]
    others += [f"--{k.replace('_', '-')}" for k, v in options.items() if v is not None]
    others += [f"--{k}" for k in ("sequence", "forecast", "stream") if getattr(args, k, False)]
    if others:
        raise UserError(f"--texts DIR is the data (its sub-folders are the classes); leave out {', '.join(others)}")
    from kerasrecipes.data import load_text_folder

    return load_text_folder(args.texts)


def _data_args(args: argparse.Namespace, data_name: str | None) -> str:
    """The data options of a command line, as a shell would take them again (for the retrain hint)."""
    words: list[str] = []
    scalars = ("csv", "target", "images", "texts", "image_column", "image_size", "color", "channels", "time", "window")
    for key in (*scalars, "horizon", "label_sep", "delimiter", "n_samples", "shuffle_buffer"):
        if getattr(args, key, None) is not None:
            words += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
    for key in ("na_values", "drop", "categorical", "text"):
        for value in getattr(args, key, None) or ():
            words += [f"--{key.replace('_', '-')}", value]
    words += [f"--{key}" for key in ("sequence", "forecast", "stream") if getattr(args, key, False)]
    if args.csv is None and getattr(args, "images", None) is None and getattr(args, "texts", None) is None:
        words = ["--dataset", data_name or "<data>", *words]
    return " ".join(shlex.quote(w) for w in words)


def _data_name(args: argparse.Namespace) -> str | None:
    """What names the data of a command line (after `data_source`): the CSV file's or the image folder's name
    without its suffix, else the --dataset name."""
    if args.csv is not None:
        return os.path.splitext(os.path.basename(args.csv))[0]
    for folder in (getattr(args, "images", None), getattr(args, "texts", None)):
        if folder is not None:
            return os.path.basename(os.path.normpath(folder))
    return args.dataset


def _train_plan(args: argparse.Namespace) -> tuple:
    """What a `train` command line asks for, checked from the arguments (and the files they name):
    (data, recipe, run directory, folds: 0 without --cv)."""
    from kerasrecipes.tuning.validate import check_cv

    source = data_source(args)
    recipe = recipe_from_args(args)
    seed = recipe.seed if recipe.seed is not None else 42
    out = args.out or os.path.join("runs", f"{_data_name(args)}-seed{seed}{_agent_suffix()}")
    return source, recipe, out, 0 if args.cv is None else check_cv(args.cv, "--cv")


def _cmd_train(args: argparse.Namespace) -> int:
    from kerasrecipes import runs
    from kerasrecipes.runs import rundir

    source, recipe, out, folds = _train_plan(args)
    if folds >= 2:
        return _cross_validate(args, source, recipe, out)
    result = runs.train(source, recipe=recipe, **_run_options(args, out))
    if args.json:
        print(_json(result.summary()))
    elif not args.quiet:
        print(rundir.summary(result))
    return _report_divergence(result, out)


def _run_options(args: argparse.Namespace, out: str) -> dict:
    """The keyword arguments `train` passes to `runs.train` and `runs.cross_validate` alike."""
    return {
        "task": args.task,
        "out": out,
        "overwrite": args.overwrite,
        "tracking": args.tracking,
        "verbose": 0 if args.quiet else 1,
        "n_samples": args.n_samples,
        "checkpoint_every": args.checkpoint_every,
        "score_test": not (
            args.no_test_score or os.environ.get("WANDB_SWEEP_ID")
        ),  # a trial's test rows choose nothing
    }


def _cross_validate(args: argparse.Namespace, source, recipe, out: str) -> int:
    """`train --cv K`: the recipe trained once per fold (`runs.cross_validate`); each metric's fold mean and spread."""
    from kerasrecipes import runs

    cv = runs.cross_validate(source, recipe=recipe, folds=args.cv, **_run_options(args, out))
    summary = cv.summary()
    if args.json:
        print(_json(summary))
    elif not args.quiet:
        for key, value in summary["metrics"].items():
            if key.startswith("val_"):
                scores = ", ".join(f"{s:.4g}" for s in value["folds"])
                print(f"{key:<14} {value['mean']:.4g} ± {value['std']:.2g} over {cv.folds} folds ({scores})")
        print(f"folds          {out}/fold-0 .. fold-{cv.folds - 1}, scores in {out}/cross_validation.json")
    return max(_report_divergence(result, str(result.run_dir)) for result in cv.runs)


def _cmd_lr_find(args: argparse.Namespace) -> int:
    from kerasrecipes.runs import lr_find

    source = data_source(args)
    recipe = recipe_from_args(args)
    out = args.out or os.path.join("runs", f"lr-find-{_data_name(args)}")
    given = {k: getattr(args, k) for k in ("min_lr", "max_lr", "steps") if getattr(args, k) is not None}
    found = lr_find(
        source,
        recipe=recipe,
        task=args.task,
        n_samples=args.n_samples,
        out=out,
        overwrite=args.overwrite,
        verbose=0 if args.quiet else 1,
        **given,
    )
    if args.json:
        print(_json(found.summary()))
        return 0
    print(f"suggested  learning_rate={found.suggestion:.3g}")
    print(f"rule       {found.rule}")
    print(f"test       {len(found.losses)} of {found.steps} steps ({found.stop_reason})")
    print(f"curve      {found.files['lr_find.png']}, {found.files['lr_find.csv']}")
    print(
        f"train      kerasrecipes train {_data_args(args, _data_name(args))} --set learning_rate={found.suggestion:.3g}"
    )
    return 0


def _json(obj) -> str:
    """`obj` as strict JSON: NaN and inf (an AUC of a one-class test split, a failed trial) become null,
    which every JSON reader takes; Python's own `NaN` token is not JSON."""
    import json
    import math

    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(obj), allow_nan=False)


def _agent_suffix() -> str:
    """ "-<run id>" under `wandb agent` (it sets WANDB_SWEEP_ID and a WANDB_RUN_ID per trial), else "".

    Every trial of a sweep YAML runs the same command, so without it the second trial would find the
    first one's default run directory and stop (exit 2).
    """
    sweep, run = os.environ.get("WANDB_SWEEP_ID"), os.environ.get("WANDB_RUN_ID")
    return f"-{run}" if sweep and run else ""


def _report_divergence(result, out: str) -> int:
    """Exit code of a finished training: 3 (with the seed's remedies) when it diverged, else 0."""
    if result.manifest["status"] != "diverged":
        return 0
    remedies = "; ".join(r for _, r in list(result.diagnosis.remedies)[:3])
    _logger().error(
        f"training diverged (NaN/inf loss); the run in {out} keeps the best finite weights "
        f"(the initial ones if no epoch ended finite). Try: {remedies}"
    )  # the outcome: shown with --quiet too
    return EXIT_DIVERGED


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from kerasrecipes.runs import reproduce

    report = reproduce(args.run_dir, retrain=args.retrain, verbose=0, data=args.data)
    metrics = "  ".join(f"{k}={v:.6g}" for k, v in report.test_metrics.items()) or "not scored (a sweep trial's run)"
    print(f"platform      {report.case}")
    print(f"test metrics  {metrics}")
    if report.retrained_weights_sha256:
        print(f"retrained     weights_sha256 {report.retrained_weights_sha256}")
    if report.identical and report.case == "same platform":
        print(f"identical     {args.run_dir} reproduces exactly" + (" (retrained bit for bit)" if args.retrain else ""))
        return 0
    if report.identical:
        print(
            f"within        {args.run_dir} reproduces within float32 tolerance on this platform (bit for bit only "
            "on the run's own)" + (", retrained weights included" if args.retrain else "")
        )
        return 0
    for reason in report.reasons:
        print(f"differs       {reason}")
    return 1


def _confirm_arg(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'auto', got {text!r}") from None


def _cmd_sweep(args: argparse.Namespace) -> int:
    from kerasrecipes.tuning import validate

    if args.validate:
        return validate.cli_validate(args.sweep)
    from kerasrecipes.recipes._recipe import parse_overrides
    from kerasrecipes.tuning.runner import dataset_from_command, default_folder, run_sweep

    config = validate.check_sweep(args.sweep)
    if args.cv is not None:
        validate.check_cv(args.cv, "--cv")
    dataset = (
        data_source(args)
        if args.csv is not None
        or args.dataset is not None
        or args.images is not None
        or args.texts is not None
        or os.environ.get(DATA_ENV["csv"])
        else None
    )  # None: the --dataset of the YAML's command
    out = args.out or os.path.join("runs", default_folder(args.sweep, config, _data_name(args), args.seed))
    recipe = shlex.quote(os.path.join(out, "best_recipe.yaml"))
    retrain = f"kerasrecipes train {_data_args(args, args.dataset or dataset_from_command(config))} --recipe {recipe}"
    result = run_sweep(
        config,
        trials=args.trials,
        seed=args.seed,
        out=out,
        dataset=dataset,
        n_samples=args.n_samples,
        tracking=args.tracking,
        verbose=0 if args.quiet else 1,
        overrides=parse_overrides(args.set or []),
        overwrite=args.overwrite,
        workers=args.workers,
        confirm=args.confirm,
        confirm_seeds=args.confirm_seeds,
        retrain_command=retrain,
        ensemble=args.ensemble,
        cv=args.cv,
    )
    if args.json:
        print(_json(result.summary()))
        return 0 if result.best is not None else 1
    finished = sum(t.state == "finished" for t in result.trials)
    stopped = sum(t.state == "stopped" for t in result.trials)
    failed = sum(t.state == "failed" for t in result.trials)
    count = len(result.trials)
    print(
        f"{count} trial{'' if count == 1 else 's'} ({finished} finished, {stopped} stopped by hyperband, {failed} failed)"
    )
    if result.best is None:
        print("no trial produced the metric; see results.csv")
        return 1
    params = ", ".join(f"{k}={v}" for k, v in sorted(result.best.params.items()))
    spread = f" ± {result.best.metric_std:.2g} over {result.folds} folds" if result.folds else ""
    print(f"best trial {result.best.index}: {result.metric} = {result.best.metric:.6g}{spread}  ({params})")
    confirmation = result.confirmation
    comparison = None if confirmation is None else confirmation.comparison
    if confirmation is not None and confirmation.retrained and confirmation.winner is not None:
        winner = confirmation.winner
        per = f" x {result.folds} folds" if result.folds else ""
        print(
            f"confirmed  {winner.label} (best mean {result.metric} {winner.mean:.6g} over {args.confirm_seeds} "
            f"more seeds{per} of {len(confirmation.candidates)} candidates; {out}/confirmation.csv)"
        )
    if comparison is not None:
        print(f"default    {comparison.verdict(result.metric)}")
    if confirmation is not None and not confirmation.retrained and confirmation.winner.index is None:
        print(f"winner     the default recipe: its mean over the same folds beats trial {result.best.index}'s")
    if comparison is not None and confirmation.retrained:
        print(
            f"test       score {comparison.test['winner']:.4g} ({comparison.winner}) against "
            f"{comparison.test['default']:.4g} (the default), mean over the same seeds; the test rows chose nothing"
        )
    else:
        print(
            "test       not scored: no trial scores the test rows, so they choose nothing; `retrain` below scores them"
        )
    if result.ensemble is not None:
        print(f"ensemble   {result.ensemble.verdict()}; run {result.ensemble.run_dir}")
    print(f"results    {out}/results.csv, best recipe {out}/best_recipe.yaml, report {out}/report.html")
    print(f"retrain    {retrain}")
    return 0


def _predict_options(args: argparse.Namespace) -> dict:
    """The options of a `predict` command line, as `check_paths` and `predict_file` take them."""
    return {"overwrite": args.overwrite, "keep": _listed(args.keep), "on_error": args.on_error, "errors": args.errors}


def _cmd_predict(args: argparse.Namespace) -> int:
    from kerasrecipes.runs._predict import check_paths, load_run, predict_file

    options = _predict_options(args)
    check_paths(args.run_dir, args.data, args.out, **options)  # before loading anything
    notes = predict_file(load_run(args.run_dir), args.data, args.out, **options)
    to_stdout = args.out == "-"
    message = f"predicted {notes.rows} row(s) of {args.data} -> {'standard output' if to_stdout else args.out}"
    if notes.errors_path is not None:
        message += f", skipped {notes.skipped} (see {notes.errors_path})"
    print(message, file=sys.stderr if to_stdout else sys.stdout)  # stdout then holds the CSV alone
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from kerasrecipes.runs._export import export

    path = export(args.run_dir, args.format, args.out, overwrite=args.overwrite)
    print(f"exported   {args.run_dir} as {args.format} -> {path}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from kerasrecipes import demo

    return demo.main(args)


def _stream_arguments(p: argparse.ArgumentParser, help: str) -> None:
    """--stream (its help says what it does for the command) and --shuffle-buffer (train and sweep)."""
    p.add_argument("--stream", action="store_true", help=help)
    p.add_argument(
        "--shuffle-buffer", type=int, metavar="ROWS", help="rows in the shuffle buffer of --stream (default 10000)"
    )


def _data_arguments(p: argparse.ArgumentParser) -> None:
    """--csv, --target and the CSV data options (train and sweep take the same; also from DATA_ENV)."""
    p.add_argument("--csv", help="CSV file with a header row (env KERASRECIPES_CSV)")
    p.add_argument(
        "--target",
        help="target column of --csv, or several 0/1 label columns a,b,c (a multi-label target) "
        "(env KERASRECIPES_TARGET)",
    )
    p.add_argument(
        "--na-values",
        action="append",
        metavar="TEXT,...",
        help="extra cell values read as missing, comma-separated (repeatable), e.g. --na-values '?,unknown'",
    )
    p.add_argument("--drop", action="append", metavar="COLUMN", help="leave a column out (repeatable)")
    p.add_argument(
        "--categorical",
        action="append",
        metavar="COLUMN",
        help="read a column as text categories, whatever it looks like, e.g. a zip code (repeatable)",
    )
    p.add_argument(
        "--text",
        action="append",
        metavar="COLUMN",
        help="read a column as free text (words; detected when its cells are mostly distinct sentences) (repeatable)",
    )
    p.add_argument("--delimiter", help="field separator of --csv (default: detected from the header)")
    p.add_argument(
        "--texts", metavar="DIR", help="a folder with one sub-folder of .txt files per class (text classification)"
    )
    p.add_argument("--images", metavar="DIR", help="a folder with one sub-folder of images per class (the CNN rows)")
    p.add_argument(
        "--image-column", metavar="COLUMN", help="with --csv: the column of image file paths (relative to the CSV file)"
    )
    p.add_argument("--image-size", type=int, metavar="N", help="with --images: every image is resized to N x N (64)")
    p.add_argument(
        "--color",
        choices=["grayscale", "rgb", "rgba"],
        help="with --images: convert every image (default: as they are)",
    )
    p.add_argument(
        "--sequence",
        action="store_true",
        help="each row's feature columns, in header order, are one series (the RNN rows); see --channels",
    )
    p.add_argument(
        "--channels",
        metavar="PREFIX,...",
        help="with --sequence: one channel per column-name prefix, e.g. --channels temp,humidity for columns "
        "temp_0..temp_99 and humidity_0..humidity_99",
    )
    p.add_argument(
        "--forecast",
        action="store_true",
        help="the rows are one long series, ordered by --time: forecast --target's next --horizon values from "
        "the last --window rows (split by time)",
    )
    p.add_argument("--time", metavar="COLUMN", help="with --forecast: the column of times that orders the rows")
    p.add_argument("--window", type=int, metavar="N", help="with --forecast: steps the model sees")
    p.add_argument("--horizon", type=int, metavar="H", help="with --forecast: steps it forecasts (default 1)")
    p.add_argument(
        "--label-sep",
        metavar="TEXT",
        help="the --target column holds several labels per row separated by TEXT, e.g. --label-sep '|' "
        "for sports|politics (a multi-label target)",
    )


def build_parser() -> argparse.ArgumentParser:
    from kerasrecipes import __version__
    from kerasrecipes.recipes._table import TASKS

    parser = _Parser(
        prog="kerasrecipes",
        description="The scenario table as Keras 3 recipes: pick the head, loss and optimizer, "
        "train reproducibly, tune with W&B sweeps.",
    )
    parser.add_argument("--version", action="version", version=f"kerasrecipes {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("recipes", help="print the scenario table (or the recipe fields)")
    p.add_argument("--task", choices=list(TASKS), help="only the rows of this task")
    p.add_argument("--fields", action="store_true", help="list every recipe field with its legal values")
    p.set_defaults(func=_cmd_recipes)

    p = sub.add_parser(
        "train",
        help="train a recipe on a bundled dataset or a CSV file and write a run directory",
        description="Train a recipe. Recipe fields come from --recipe FILE, then --set field=value, "
        "then --field=value (the form `wandb agent` passes); see `kerasrecipes recipes --fields`.",
    )
    p.add_argument(
        "--dataset",
        help="bundled or synthetic dataset name (iris, wine, breast_cancer, digits, "
        "digits_images, digits_sequences, diabetes, linnerud, friedman1, classification, multilabel, sequences)",
    )
    _data_arguments(p)
    p.add_argument("--task", default="auto", choices=["auto", *TASKS])
    p.add_argument("--seed", type=int, help="seed for weights, shuffling and the data split (default 42)")
    p.add_argument(
        "--out",
        help="run directory (default runs/<data>-seed<seed>; under `wandb agent` runs/<data>-seed<seed>-<W&B run id>)",
    )
    p.add_argument("--set", action="append", metavar="FIELD=VALUE", help="set a recipe field (repeatable)")
    p.add_argument("--recipe", metavar="FILE", help="YAML file of recipe fields (e.g. a run's recipe.yaml)")
    p.add_argument(
        "--tracking",
        default="offline",
        choices=["offline", "online", "auto", "none"],
        help="W&B tracking: offline (default; `wandb sync` later), online, auto (online when logged in), none",
    )
    p.add_argument(
        "--n-samples", type=int, help="rows of a synthetic dataset (friedman1, classification, multilabel, sequences)"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing run directory (or discard an interrupted one instead of resuming it)",
    )
    p.add_argument(
        "--checkpoint-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="checkpoint the run in progress at most every SECONDS (0: every epoch); rerunning the "
        "same command after a crash resumes bit for bit (default 30)",
    )
    _stream_arguments(
        p,
        "stream --csv or --images through tf.data instead of loading it "
        "(for files larger than memory; no checkpoints: an interrupted run starts over)",
    )
    p.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="cross-validate: train once per fold of K folds of the rows left after the test split (stratified, "
        "drawn by the split seed), fold i validating, into --out/fold-<i>; print each metric's fold mean and "
        "spread (0 or 1: one run, the default)",
    )
    p.add_argument(
        "--no-test-score",
        action="store_true",
        help="leave the test rows unscored, as a sweep trial does (the default under `wandb agent`, which sets "
        "WANDB_SWEEP_ID: the test rows must not help choose; retrain the winner without it for its test score)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress, notes, warnings or summary (errors only)")
    p.add_argument("--json", action="store_true", help="print the run summary as one JSON object on stdout")
    p.set_defaults(func=_cmd_train, accepts_extra=True)

    p = sub.add_parser(
        "lr-find",
        help="run a learning-rate range test on the data and suggest a learning rate",
        description="Train a throwaway copy of the recipe's model for --steps mini-batches at a learning "
        "rate growing exponentially from --min-lr to --max-lr (seeded: the same command gives the same "
        "curve), write the loss against the rate (lr_find.png, lr_find.csv) and print the suggested rate "
        "with the rule that chose it. Data and recipe options are train's; `--set learning_rate=find` "
        "makes `train` run the test itself.",
    )
    p.add_argument("--dataset", help="bundled or synthetic dataset name (see `train --help`)")
    _data_arguments(p)
    p.add_argument("--task", default="auto", choices=["auto", *TASKS])
    p.add_argument("--seed", type=int, help="seed for weights, shuffling and the data split (default 42)")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE", help="set a recipe field (repeatable)")
    p.add_argument("--recipe", metavar="FILE", help="YAML file of recipe fields (e.g. a run's recipe.yaml)")
    p.add_argument("--n-samples", type=int, help="rows of a synthetic dataset")
    p.add_argument("--stream", action="store_true", help="stream the data through tf.data, as train --stream does")
    p.add_argument("--shuffle-buffer", type=int, metavar="ROWS", help="rows in the shuffle buffer of --stream")
    p.add_argument("--min-lr", type=float, metavar="RATE", help="the first step's learning rate (default 1e-6)")
    p.add_argument("--max-lr", type=float, metavar="RATE", help="the last step's learning rate (default 1.0)")
    p.add_argument("--steps", type=int, metavar="N", help="mini-batches in the test, 10 to 100000 (default 100)")
    p.add_argument("--out", help="folder for lr_find.png and lr_find.csv (default runs/lr-find-<data>)")
    p.add_argument("--overwrite", action="store_true", help="replace lr_find.png and lr_find.csv in --out")
    p.add_argument("--quiet", action="store_true", help="no progress or notes (the result lines only)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on stdout")
    p.set_defaults(func=_cmd_lr_find)

    p = sub.add_parser("reproduce", help="rebuild a run from its manifest and check it reproduces exactly")
    p.add_argument("run_dir", help="run directory written by `kerasrecipes train`")
    p.add_argument("--retrain", action="store_true", help="also retrain from the manifest and compare the weights")
    p.add_argument("--data", metavar="PATH", help="the run's CSV file where it is now, if it moved (same content)")
    p.set_defaults(func=_cmd_reproduce)

    p = sub.add_parser(
        "sweep",
        help="validate or run a W&B sweep YAML locally (seeded, offline, W&B's own engine)",
        description="Run a W&B sweep YAML in process with W&B's `sweeps` engine. SWEEP is a bundled "
        "name (regression, binary, multiclass, cnn, rnn) or a path. The same YAML works with "
        "`wandb sweep` + `wandb agent`.",
    )
    p.add_argument("sweep", metavar="SWEEP", help="bundled sweep name or YAML path")
    p.add_argument("--validate", action="store_true", help="only check the YAML (W&B's schema and ours)")
    p.add_argument("--trials", type=int, help="number of trials (default: the YAML's run_cap, else 10)")
    p.add_argument("--seed", type=int, default=0, help="sweep seed: sampling, trial seeds, data split (default 0)")
    p.add_argument("--out", help="output directory (default runs/sweep-<sweep>-<data>-seed<seed>)")
    p.add_argument("--dataset", help="dataset name (default: the --dataset of the YAML's command)")
    _data_arguments(p)
    p.add_argument("--n-samples", type=int, help="rows of a synthetic dataset")
    p.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        help="fix a recipe field for every trial, winning over the YAML (e.g. epochs=5 for a smoke test)",
    )
    p.add_argument(
        "--tracking",
        default="offline",
        choices=["offline", "online", "auto", "none"],
        help="W&B tracking of each trial (default offline)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress, notes or warnings (the result lines only)")
    p.add_argument("--json", action="store_true", help="print the sweep summary as one JSON object on stdout")
    p.add_argument(
        "--overwrite", action="store_true", help="start over instead of resuming an interrupted sweep in --out"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="train trials on N processes (grid/random sweeps without hyperband; results identical to --workers 1)",
    )
    p.add_argument(
        "--confirm",
        type=_confirm_arg,
        default="auto",
        metavar="N|auto",
        help="retrain the N best trials and the row's default with more seeds and keep the best mean "
        "as best_recipe.yaml; 0 off (default auto: 3 on a dataset under 10,000 rows trained on one split, else 0; "
        "a cross-validated sweep then pairs its best trial with the default on its folds instead)",
    )
    p.add_argument(
        "--confirm-seeds", type=int, default=3, metavar="K", help="seeds per confirmed candidate (default 3)"
    )
    p.add_argument(
        "--ensemble",
        type=int,
        metavar="K",
        help="train the K best trials again and save the mean of their answers as one run, OUT/ensemble",
    )
    _stream_arguments(
        p,
        "stream --csv or --images through tf.data in every trial, as train --stream does (data larger than "
        "memory; one validation split, since folds need the rows in memory)",
    )
    p.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="cross-validate every trial on K folds of the rows left after the test split (stratified, drawn by "
        "--seed, the same for every trial); a trial's metric is the folds' mean; 0: one validation split "
        "(default: the --cv of the YAML's command, else 5 on a dataset under 10,000 rows, else 0)",
    )
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser(
        "predict",
        help="predict new rows with a run's saved model (raw columns in, labels or values out)",
        description="Predict every row of DATA (a CSV file with the run's columns, streamed in chunks; "
        "a .npy array for image and sequence runs) with RUN's model.keras, and write one row per "
        "input row: the prediction (the original label or the value in original units), then one "
        "probability column per class.",
    )
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `kerasrecipes train`")
    p.add_argument("data", metavar="DATA", help="CSV file of rows to predict (.npy for image/sequence runs)")
    p.add_argument(
        "--out",
        required=True,
        help="predictions CSV to write (atomically), or - for standard output (messages then go to stderr)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace --out (and --errors) if it exists as a file")
    p.add_argument(
        "--keep",
        action="append",
        metavar="COLUMN",
        help="copy a column of DATA (e.g. an id) into the "
        "output, before the predictions (repeatable, or comma-separated; CSV files only)",
    )
    p.add_argument(
        "--on-error",
        choices=["raise", "skip"],
        default="raise",
        help="a row with a cell the run cannot "
        "read (an infinite number, text in a numeric or date column): raise refuses the file, naming the "
        "row (default); skip leaves it out and lists it in --errors",
    )
    p.add_argument(
        "--errors",
        metavar="PATH",
        help="CSV of the rows --on-error skip left out (line, reason; "
        "default: --out's name with .errors.csv, e.g. p.errors.csv; needed with --out -)",
    )
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser(
        "export",
        help="export a run's end-to-end model: keras, saved_model, litert or onnx",
        description="Export RUN's model.keras (raw rows in, probabilities or original units out) "
        "through Keras' own save/export: .keras, a TensorFlow SavedModel directory, a LiteRT .tflite "
        "file, or ONNX (needs `pip install 'kerasrecipes[onnx]'`).",
    )
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `kerasrecipes train`")
    p.add_argument("--format", required=True, choices=["keras", "saved_model", "litert", "onnx"])
    p.add_argument("--out", required=True, help="file or directory (saved_model) to write")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("demo", help="build a model for every scenario row on bundled data and summarize")
    p.add_argument("--quick", action="store_true", help="fewer epochs (used by tests)")
    p.set_defaults(func=_cmd_demo)
    for command in sub.choices.values():  # --debug after the command too (`kerasrecipes train ... --debug`)
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line (`argv`, default `sys.argv[1:]`); its exit code (see the module docstring)."""
    try:
        return _main(argv)
    except BrokenPipeError:
        if not _stdout_closed():  # some other pipe: a bug, with its traceback
            raise
        return EXIT_CLOSED_PIPE


def _stdout_closed() -> bool:
    """Whether standard output's reader has gone (`kerasrecipes ... | head -1`). If so, standard output is
    pointed at os.devnull (Python's own recipe, docs.python.org/3/library/signal.html#note-on-sigpipe),
    so that what is still buffered goes nowhere instead of raising again at exit."""
    closed = False
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        closed = True
    except (OSError, ValueError):
        pass
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return closed  # a replaced stream (a test's capture): only the flush can tell
    if not closed:
        import select

        if hasattr(select, "poll"):  # a pipe whose reader closed polls as an error
            poll = select.poll()
            poll.register(fd, select.POLLOUT)
            closed = any(events & (select.POLLERR | select.POLLHUP) for _, events in poll.poll(0))
    if closed:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    return closed


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and (
            not getattr(args, "accepts_extra", False) or not all(e.startswith("--") and "=" in e for e in extra)
        ):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except UserError as exc:
        if "--debug" in (argv if argv is not None else sys.argv[1:]):
            raise
        print(f"kerasrecipes: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    args.extra = extra
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        with warnings.catch_warnings():  # the command runs these steps again and shows their warnings then
            warnings.simplefilter("ignore")
            _check_before_tensorflow(args)
        if func is _cmd_train:  # W&B's worker process starts on the other core while TensorFlow imports
            from kerasrecipes.runs import tracking

            tracking.prestart(args.tracking)
        if func is not _cmd_recipes and not (func is _cmd_sweep and args.validate):  # both read YAML only
            _log.import_tensorflow_quietly()
        with warnings.catch_warnings(), _log.command_line(quiet=getattr(args, "quiet", False)):
            warnings.showwarning = _warning_line(quiet=getattr(args, "quiet", False))
            return int(func(args) or 0)
    except UserError as exc:
        if args.debug:
            raise
        print(f"kerasrecipes: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kerasrecipes: interrupted", file=sys.stderr)
        return 130


def _check_before_tensorflow(args: argparse.Namespace) -> None:
    """Raise, before TensorFlow is imported (which takes seconds), a user error that a command line and the
    files it names show alone: a --dataset that names no dataset, a sweep YAML that is invalid, a run
    directory that is not one or whose files changed after it was written.

    Each check is the command's own first steps, which it then takes again, so the error (or none) is the
    one the command itself reports first. `train --dataset NAME` checks the name after the steps that come
    before it there (the data options, the recipe, --cv); with --cv K (cross-validation reads its data its
    own way) or a --checkpoint-every that `runs.train` refuses first, the name is left to the command.
    """
    func = args.func
    if func is _cmd_sweep and not args.validate:
        from kerasrecipes.tuning import validate

        validate.check_sweep(args.sweep)
    elif func in (_cmd_reproduce, _cmd_predict):
        from kerasrecipes.runs import rundir

        if func is _cmd_predict:
            from kerasrecipes.runs._predict import check_paths

            check_paths(args.run_dir, args.data, args.out, **_predict_options(args))
        rundir.read_manifest(args.run_dir)
    elif func is _cmd_train and _names_a_dataset(args):
        from kerasrecipes.data._datasets import dataset_spec

        _, _, _, folds = _train_plan(args)
        if folds < 2 and 0 <= args.checkpoint_every < float("inf"):  # runs.train checks these before the data
            dataset_spec(args.dataset)


def _names_a_dataset(args: argparse.Namespace) -> bool:
    """Whether a command line's data is a bundled or synthetic dataset's name alone (no file to read)."""
    files = ("csv", "images", "texts", "image_column")
    return (
        args.dataset is not None
        and all(getattr(args, key, None) is None for key in files)
        and not os.environ.get(DATA_ENV["csv"])
    )


def run() -> None:
    """The console command (`kerasrecipes`, `python -m kerasrecipes`): `main`, then end the process at once.

    Python's own end of a process that imported TensorFlow takes a noticeable fraction of a second (freeing
    the modules' objects, then TensorFlow's native teardown; `python -c "import tensorflow"` pays it too),
    and nothing a command wrote waits on it. So once `main` has returned, the command finishes what a
    normal exit would (other threads, `atexit` handlers: logging, W&B workers, coverage; the standard
    streams) and ends with `os._exit`; argparse's `--help` and `--version` (SystemExit) end the same way.
    Any other exception still propagates as usual (traceback, exit 1).
    """
    try:
        code = main()
    except SystemExit as exc:  # argparse's --help and --version: end the same way (a closed pipe included)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
        code = 1 if exc.code is not None and not isinstance(exc.code, int) else exc.code or 0
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    if code == 0:
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left before the last lines (`kerasrecipes ... | head -1`)
            code = EXIT_CLOSED_PIPE if _stdout_closed() else 1
        except (OSError, ValueError):
            pass
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`kerasrecipes ... | head`) or stream
            pass
    os._exit(code)


def _warning_line(quiet: bool) -> Callable[..., None]:
    """`warnings.showwarning` for the command line: one line through the logger, no source; nothing with --quiet."""

    def show(message, category, filename, lineno, file=None, line=None):
        if not quiet:
            _logger().warning(f"warning: {_one_line(message)}")

    return show


def _logger():
    """The package's root logger (`kerasrecipes`)."""
    return _log.get_logger(_log.ROOT)


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())
