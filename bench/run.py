"""The baseline benchmark (issue 6): kerasrecipes against scikit-learn, a hand-written Keras MLP
(fit on NumPy arrays, and Keras at its best: a cached tf.data with steps_per_execution, issue 15)
and KerasTuner, in one run on one machine. Not part of `make test`.

    .venv/bin/python bench/run.py                      # everything (~80 min on 2 shared cores; KerasTuner
                                                       #   on make_classification alone ~22 min)
    .venv/bin/python bench/run.py --quick              # smoke run: iris + diabetes, 1 seed, 4 trials
    .venv/bin/python bench/run.py --datasets iris,wine --seeds 0,1 --sweep-trials 8
    .venv/bin/python bench/run.py --no-search          # scores and times only
    .venv/bin/python bench/run.py --resume bench/results/<date>.json   # finish an interrupted run
    .venv/bin/python bench/report.py bench/results/<date>.json   # re-render a saved run

Prints one markdown table (and goals, notes) and writes bench/results/<date>[-<tag>].md and .json
(the raw numbers, saved after every step). Needs the [bench] extra: keras-tuner, tensorboard (KerasTuner
imports it on the TensorFlow backend), pyinstrument. What is compared, on
which rows, and what each time includes: see the notes in report.py (printed with the table) and
the docstrings of bench_data.py, baselines.py and searches.py.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_data  # noqa: E402

QUICK = {"datasets": "iris,diabetes", "seeds": "0", "sweep_trials": 4}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: --datasets {QUICK['datasets']} --seeds {QUICK['seeds']} "
        f"--sweep-trials {QUICK['sweep_trials']} --no-profile (explicit options win)",
    )
    p.add_argument("--datasets", help=f"comma-separated subset of: {','.join(bench_data.ALL)} (default: all)")
    p.add_argument("--seeds", help="comma-separated split/initialization seeds (default: 0,1,2)")
    p.add_argument("--sweep-trials", type=int, help="trial budget of each search (default: 20)")
    p.add_argument(
        "--sweep-epochs",
        type=int,
        default=None,
        help="override the sweep YAML's epochs for both searches (default: the YAML's)",
    )
    p.add_argument(
        "--search-seed", type=int, default=None, help="the one seed the searches run on (default: the first of --seeds)"
    )
    p.add_argument("--no-search", action="store_true", help="skip the local sweep and KerasTuner")
    p.add_argument("--no-startup", action="store_true", help="skip the --help / import timings")
    p.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pyinstrument profiles of one recipe train and one hand-written fit on iris "
        "(default: on, off with --quick)",
    )
    p.add_argument("--out", default=str(HERE / "results"), help="directory for <date>.md/.json")
    p.add_argument("--tag", default=None, help="file-name suffix (default: 'quick' with --quick)")
    p.add_argument(
        "--resume",
        metavar="JSON",
        default=None,
        help="continue an interrupted run from its saved JSON: per-seed results and complete searches "
        "already in it are kept (and marked with the session that measured them), the rest runs "
        "now; results are written back to that file and its .md",
    )
    args = p.parse_args(argv)
    args.datasets = (args.datasets or (QUICK["datasets"] if args.quick else ",".join(bench_data.ALL))).split(",")
    unknown = [d for d in args.datasets if d not in bench_data.SPECS]
    if unknown:
        p.error(f"unknown dataset(s) {unknown}; choose from {bench_data.ALL}")
    args.seeds = [int(s) for s in (args.seeds or (QUICK["seeds"] if args.quick else "0,1,2")).split(",")]
    args.sweep_trials = args.sweep_trials or (QUICK["sweep_trials"] if args.quick else 20)
    args.search_seed = args.seeds[0] if args.search_seed is None else args.search_seed
    if args.profile is None:
        args.profile = not args.quick
    if args.tag is None and args.quick:
        args.tag = "quick"
    return args


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def versions() -> dict:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in (
        "kerasrecipes",
        "tensorflow",
        "keras",
        "scikit-learn",
        "numpy",
        "keras-tuner",
        "wandb",
        "pyinstrument",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def machine() -> dict:
    import subprocess

    try:
        commit = (
            subprocess.run(
                ["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            or None
        )
    except OSError:
        commit = None
    try:  # read-only: which library files differ from the commit (others may be editing it)
        dirty = subprocess.run(
            ["git", "-C", str(HERE.parent), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split("\n")
        dirty = [line[3:] for line in dirty if line.strip()]
    except OSError:
        dirty = None
    proc = platform.processor()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                proc = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "processor": proc,
        "cpu_count": os.cpu_count(),
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "git_commit": commit,
        "git_modified": dirty,
    }


def snapshot_library() -> dict:
    """Import every kerasrecipes module now, so the whole run uses one consistent version of the
    library even if its files are edited while the benchmark runs (lazy imports would mix
    versions), and fingerprint the sources that were loaded."""
    import hashlib
    import importlib
    import pkgutil

    import kerasrecipes

    failed = {}
    for module in pkgutil.walk_packages(kerasrecipes.__path__, "kerasrecipes."):
        if module.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(module.name)
        except Exception as exc:  # noqa: BLE001 - recorded; a broken optional module must not stop the run
            failed[module.name] = f"{type(exc).__name__}: {exc}"[:200]
    digest = hashlib.sha256()
    root = Path(kerasrecipes.__path__[0])
    for path in sorted(root.rglob("*.py")) + sorted(root.rglob("*.yaml")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return {"sources_sha256": digest.hexdigest()[:16], "import_failures": failed}


def quiet_tensorflow() -> None:
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices from KerasTuner's models


def warm_up() -> None:
    """Tiny fits, so TensorFlow's (and scikit-learn's OpenMP) one-time start-up is paid before any timed method."""
    import keras
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    HistGradientBoostingClassifier(max_iter=5).fit(rng.normal(size=(200, 4)), rng.integers(0, 3, 200))

    x = np.zeros((64, 4), "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(x, x[:, :2], epochs=2, validation_split=0.25, verbose=0)
    model.predict(x, verbose=0)
    model.evaluate(x, x[:, :2], verbose=0)
    keras.backend.clear_session()


FIT_SECONDS: list = []  # each run's fit (`runs._fit._fit`, on whichever road), timed by main()


def run_recipe(dataset, sp) -> dict:
    import numpy as np

    from kerasrecipes import runs
    from kerasrecipes.runs.fast_road import _traces

    FIT_SECONDS.clear()
    reused = _traces.counts["reused"]
    start = time.perf_counter()
    result = runs.train(dataset, recipe={"seed": sp.seed}, tracking="none", verbose=0)
    seconds = time.perf_counter() - start
    assert np.array_equal(result.data.indices["test"], sp.prepared.indices["test"]), "recipe test rows differ"
    return {
        "score": float(result.test_metrics["score"]),
        "seconds": seconds,
        "fit_seconds": FIT_SECONDS[-1],
        "kept_trace": _traces.counts["reused"]
        > reused,  # a graph this process traced before (runs/fast_road/_traces.py)
        "epochs": len(result.history["loss"]),
        "row": result.scenario.name,
        "road": (result.manifest.get("execution") or {}).get("road", "fit"),
    }


def bench_dataset(name: str, args, results: dict, save) -> None:
    import baselines

    dataset = bench_data.load(name)
    task = bench_data.task_of(dataset)
    session = len(results["meta"]["sessions"]) - 1
    entry = results["datasets"].setdefault(
        name,
        {
            "label": bench_data.SPECS[name][2],
            "task": task,
            "n_rows": int(len(dataset.y)),
            "n_features": int(dataset.X.shape[1]),
            "seeds": {},
        },
    )
    splits = {}
    for seed in args.seeds:  # the baselines of every seed, then the recipe's seeds back to back (see NOTES)
        kept = entry["seeds"].get(str(seed), {})
        if "recipe" in kept:
            log(f"{name} seed {seed}: kept from session {kept.get('session', 0)}")
            continue
        sp = splits[seed] = bench_data.split(dataset, task, seed)
        if "best_keras" in kept:
            log(f"{name} seed {seed} baselines: kept from session {kept.get('session', 0)}")
            continue
        runs = entry["seeds"][str(seed)] = {"session": session}
        for kind in baselines.SKLEARN:
            runs[kind] = baselines.run_sklearn(kind, sp)
            log(f"{name} seed {seed} {kind:10} score {runs[kind]['score']:.4f}  {runs[kind]['seconds']:.2f}s")
        runs["hand_keras"] = baselines.run_hand_keras(sp)
        log(
            f"{name} seed {seed} hand_keras score {runs['hand_keras']['score']:.4f}  "
            f"{runs['hand_keras']['seconds']:.2f}s  {runs['hand_keras']['epochs']} epochs"
        )
        runs["best_keras"] = baselines.run_best_keras(sp)
        log(
            f"{name} seed {seed} best_keras score {runs['best_keras']['score']:.4f}  "
            f"{runs['best_keras']['seconds']:.2f}s  {runs['best_keras']['epochs']} epochs"
        )
        save()
    for seed, sp in splits.items():
        runs = entry["seeds"][str(seed)]
        runs["recipe"] = run_recipe(dataset, sp)
        entry["row"] = runs["recipe"]["row"]
        log(
            f"{name} seed {seed} recipe     score {runs['recipe']['score']:.4f}  {runs['recipe']['seconds']:.2f}s  "
            f"{runs['recipe']['epochs']} epochs ({entry['row']})"
        )
        save()
    if args.no_search:
        return
    import searches

    old = entry.get("search") or {}
    if (
        old.get("seed") == args.search_seed
        and old.get("requested_trials") == args.sweep_trials
        and old.get("epochs_override") == args.sweep_epochs
        and "local" in old
        and "keras_tuner" in old
    ):
        log(f"{name} searches: kept from session {old.get('session', 0)}")
        return

    sp = bench_data.split(dataset, task, args.search_seed)
    subset = bench_data.search_subset(dataset, sp)
    config, yaml_name = searches.sweep_config(task)
    n_trials = searches.budget(config, args.sweep_trials)
    row = entry.get("row") or run_recipe(dataset, sp)["row"]  # the searches run both halves in one session
    search = entry["search"] = {
        "seed": args.search_seed,
        "yaml": yaml_name,
        "method": config.get("method"),
        "budget": n_trials,
        "requested_trials": args.sweep_trials,
        "epochs_override": args.sweep_epochs,
        "row": row,
        "session": session,
    }
    search["local"] = searches.run_local_sweep(
        config, subset, dataset, sp, trials=n_trials, row=row, epochs=args.sweep_epochs
    )
    log(
        f"{name} sweep      {search['local']['trials']} trials {search['local']['seconds']:.1f}s "
        f"({search['local']['trials_per_minute']:.2f}/min) best val_loss {search['local']['best_val_loss']} "
        f"-> test {search['local'].get('score')}"
    )
    save()
    search["keras_tuner"] = searches.run_keras_tuner(
        config, subset, sp, trials=n_trials, row=row, epochs=args.sweep_epochs
    )
    log(
        f"{name} kerastuner {search['keras_tuner']['trials']} trials {search['keras_tuner']['seconds']:.1f}s "
        f"({search['keras_tuner']['trials_per_minute']:.2f}/min) best val_loss "
        f"{search['keras_tuner']['best_val_loss']} -> test {search['keras_tuner'].get('score')}"
    )
    save()


def main(argv=None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    stamp = _dt.date.today().isoformat()
    base = stamp + (f"-{args.tag}" if args.tag else "")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    argv_shown = " ".join(sys.argv[1:] if argv is None else argv)
    now = _dt.datetime.now().isoformat(timespec="seconds")
    if args.resume:
        json_path = Path(args.resume)
        md_path = json_path.with_suffix(".md")
        results = json.loads(json_path.read_text())
        meta = results["meta"]
        meta.setdefault(
            "sessions",
            [
                {
                    "date": meta["date"],
                    "command": meta["command"],
                    "library": meta.get("library"),
                    "machine": dict(meta["machine"]),
                    "total_seconds": meta.get("total_seconds"),
                }
            ],
        )
        meta["datasets"] = list(dict.fromkeys([*meta["datasets"], *args.datasets]))
    else:
        json_path, md_path = out / f"{base}.json", out / f"{base}.md"
        results = {
            "meta": {
                "date": now,
                "command": f"python bench/run.py {argv_shown}".strip(),
                "machine": machine(),
                "versions": versions(),
                "seeds": args.seeds,
                "search_seeds": None if args.no_search else args.search_seed,
                "sweep_trials": args.sweep_trials,
                "sweep_epochs": args.sweep_epochs,
                "datasets": args.datasets,
                "sessions": [],
            },
            "datasets": {},
        }
    session = {"date": now, "command": f"python bench/run.py {argv_shown}".strip(), "machine": machine()}
    results["meta"]["sessions"].append(session)

    def save() -> None:
        json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")

    if not args.no_startup:
        import startup

        results["startup"] = startup.measure()
        log(f"--help {results['startup']['help_seconds']:.3f}s, import {results['startup']['import_seconds']:.3f}s")
    session["library"] = snapshot_library()
    if not args.resume:
        results["meta"]["library"] = session["library"]
    if session["library"]["import_failures"]:
        log(f"library modules that failed to import: {session['library']['import_failures']}")
    quiet_tensorflow()
    warm_up()
    from kerasrecipes.runs import _fit

    bench_data.time_calls(_fit, "_fit", FIT_SECONDS)
    for name in args.datasets:
        t0 = time.perf_counter()
        bench_dataset(name, args, results, save)
        log(f"{name} done in {time.perf_counter() - t0:.0f}s")
    if args.profile:
        import profile_runs

        results["profiles"] = [
            {
                "label": p["label"],
                "seconds": p["seconds"],
                "tree": p["tree"].splitlines()[:60],
                "flat": p["flat"].splitlines()[:40],
                "keras_tree": p["keras_tree"].splitlines()[:80],
            }
            for p in profile_runs.main(base)
        ]
    session["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
    session["total_seconds"] = time.perf_counter() - started
    results["meta"]["machine"]["load_end"] = session["machine"]["load_end"]
    results["meta"]["total_seconds"] = sum(x.get("total_seconds") or 0 for x in results["meta"]["sessions"])
    save()
    import report

    text = report.render(results)
    md_path.write_text(text + "\n")
    print(text)
    log(f"wrote {md_path} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
