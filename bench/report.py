"""Render the benchmark's raw results (the JSON that run.py writes) as one markdown report.

.venv/bin/python bench/report.py bench/results/<date>.json     # re-render a saved run
"""

from __future__ import annotations

import json
import statistics
import sys
from typing import Any

from baselines import SKLEARN, SKLEARN_LABELS

BASELINES = (*SKLEARN, "hand_keras", "best_keras")
LABELS = {**SKLEARN_LABELS, "hand_keras": "hand Keras", "best_keras": "Keras tf.data", "recipe": "recipe"}


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def method_mean(ds: dict, method: str, key: str, seeds: list[str] | None = None) -> float | None:
    """Mean over seeds for scores and epochs; median for times (robust to a burst of load from
    other jobs on a shared machine, which can multiply one seed's time)."""
    runs = ds["seeds"]
    values = [runs[s][method].get(key) for s in (seeds or runs) if method in runs[s]]
    if "seconds" in key:
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None
    return mean(values)


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}s" if value < 10 else f"{value:.1f}s" if value < 100 else f"{value:.0f}s"


def summarize(results: dict) -> dict[str, dict[str, Any]]:
    """Per dataset: mean scores and times, best baseline, ratios, search numbers."""
    rows = {}
    for name, ds in results["datasets"].items():
        if not ds.get("seeds"):
            continue
        row: dict[str, Any] = {
            "label": ds["label"],
            "row": ds.get("row"),
            "task": ds["task"],
            "n_seeds": len(ds["seeds"]),
        }
        for m in (*BASELINES, "recipe"):
            row[m] = {"score": method_mean(ds, m, "score"), "seconds": method_mean(ds, m, "seconds")}
        row["recipe"]["fit_seconds"] = method_mean(ds, "recipe", "fit_seconds")
        row["recipe"]["epochs"] = method_mean(ds, "recipe", "epochs")
        roads = sorted({r["recipe"].get("road", "fit") for r in ds["seeds"].values() if "recipe" in r})
        row["road"] = "/".join(roads)
        for keras_kind in ("hand_keras", "best_keras"):
            row[keras_kind]["epochs"] = method_mean(ds, keras_kind, "epochs")
        best = max(BASELINES, key=lambda m: -1e9 if row[m]["score"] is None else row[m]["score"])
        row["best_baseline"] = best
        row["best_baseline_score"] = row[best]["score"]
        hk, rc = row["hand_keras"], row["recipe"]
        row["time_ratio"] = rc["seconds"] / hk["seconds"] if hk["seconds"] and rc["seconds"] else None
        row["fit_time_ratio"] = rc["fit_seconds"] / hk["seconds"] if hk["seconds"] and rc["fit_seconds"] else None
        row["score_delta_vs_hand"] = rc["score"] - hk["score"] if None not in (rc["score"], hk["score"]) else None
        bk = row["best_keras"]
        row["best_time_ratio"] = rc["seconds"] / bk["seconds"] if bk["seconds"] and rc["seconds"] else None
        traced = [s for s, r in ds["seeds"].items() if r.get("recipe", {}).get("kept_trace") is False]
        if traced and len(traced) < len(ds["seeds"]):  # a run that traced its graph, beside runs that reused it
            rc["traced_seconds"] = method_mean(ds, "recipe", "seconds", traced)
            row["traced_time_ratio"] = rc["traced_seconds"] / bk["seconds"] if bk["seconds"] else None
        row["score_delta_vs_best"] = rc["score"] - bk["score"] if None not in (rc["score"], bk["score"]) else None
        search = ds.get("search")
        if search:
            s = str(search["seed"])
            local, tuner = search.get("local", {}), search.get("keras_tuner", {})
            at_seed = {m: ds["seeds"][s][m]["score"] for m in BASELINES if m in ds["seeds"].get(s, {})}
            best_at = max(at_seed, key=at_seed.get) if at_seed else None
            row["search"] = {
                "seed": search["seed"],
                "yaml": search["yaml"],
                "budget": search["budget"],
                "swept_score": local.get("score"),
                "kt_score": tuner.get("score"),
                "default_score_at_seed": ds["seeds"].get(s, {}).get("recipe", {}).get("score"),
                "best_baseline_at_seed": best_at,
                "best_baseline_score_at_seed": at_seed.get(best_at),
                "sweep_tpm": local.get("trials_per_minute"),
                "kt_tpm": tuner.get("trials_per_minute"),
                "sweep_trials": local.get("trials"),
                "kt_trials": tuner.get("trials"),
                "sweep_seconds": local.get("seconds"),
                "kt_seconds": tuner.get("seconds"),
                "sweep_epochs": local.get("mean_epochs"),
                "kt_epochs": tuner.get("mean_epochs"),
                "sweep_stopped": local.get("stopped_by_hyperband"),
                "kt_tuner": tuner.get("tuner"),
                "sweep_best_val_loss": local.get("best_val_loss"),
                "kt_best_val_loss": tuner.get("best_val_loss"),
                "confirmation": local.get("confirmation"),
            }
            ss = row["search"]
            ss["tpm_ratio"] = ss["sweep_tpm"] / ss["kt_tpm"] if ss["sweep_tpm"] and ss["kt_tpm"] else None
        rows[name] = row
    return rows


def table(rows: dict) -> list[str]:
    head = [
        "dataset",
        "row (recipe's execution road)",
        *(LABELS[m] for m in BASELINES),
        "recipe (default)",
        "best baseline",
        "recipe − best",
        "recipe/hand time",
        "recipe/tf.data time",
        "swept recipe",
        "KT best",
        "sweep / KT trials/min",
    ]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    for r in rows.values():
        cells = [r["label"], f"{r['row'] or '-'} ({r['road']})"]
        for m in (*BASELINES, "recipe"):
            cells.append(f"{fmt(r[m]['score'])} · {secs(r[m]['seconds'])}")
        cells.append(f"{fmt(r['best_baseline_score'])} ({LABELS[r['best_baseline']]})")
        delta = None if r["recipe"]["score"] is None else r["recipe"]["score"] - r["best_baseline_score"]
        cells.append(f"{delta:+.3f}" if delta is not None else "-")
        cells.append(f"{fmt(r['time_ratio'], 2)} (fit {fmt(r['fit_time_ratio'], 2)})")
        cells.append(fmt(r["best_time_ratio"], 2))
        s = r.get("search")
        if s:
            cells.append(f"{fmt(s['swept_score'])} · {s['sweep_trials'] or '-'} tr")
            cells.append(f"{fmt(s['kt_score'])} · {s['kt_trials'] or '-'} tr")
            ratio = "-" if s["tpm_ratio"] is None else f"{s['tpm_ratio']:.2f}x"
            cells.append(f"{fmt(s['sweep_tpm'], 1)} / {fmt(s['kt_tpm'], 1)} = {ratio}")
        else:
            cells += ["-", "-", "-"]
        out.append("| " + " | ".join(cells) + " |")
    return out


def confirmation_cell(c: dict | None) -> str:
    """The local sweep's confirmation (small data): its winner, and the test score the best trial
    of the single validation split would have had instead."""
    if not c:
        return "-"
    single = c.get("single_split_score")
    return f"{c.get('winner') or 'none'}" + ("" if single is None else f" ({fmt(single)})")


def search_table(rows: dict) -> list[str]:
    head = [
        "dataset",
        "space",
        "seed",
        "sweep: trials · s · epochs/trial · hyperband-stopped · best val_loss",
        "KerasTuner: tuner · trials · s · epochs/trial · best val_loss",
        "swept vs best baseline (same seed)",
        "confirmation: winner (single-split best's score)",
    ]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    for name, r in rows.items():
        s = r.get("search")
        if not s:
            continue
        vs = (
            None
            if None in (s["swept_score"], s["best_baseline_score_at_seed"])
            else s["swept_score"] - s["best_baseline_score_at_seed"]
        )
        out.append(
            "| "
            + " | ".join(
                [
                    name,
                    f"{s['yaml']} ({s['budget']} trials)",
                    str(s["seed"]),
                    f"{s['sweep_trials']} · {secs(s['sweep_seconds'])} · {fmt(s['sweep_epochs'], 1)} · {s['sweep_stopped']} · "
                    f"{fmt(s['sweep_best_val_loss'], 4)}",
                    f"{s['kt_tuner']} · {s['kt_trials']} · {secs(s['kt_seconds'])} · {fmt(s['kt_epochs'], 1)} · "
                    f"{fmt(s['kt_best_val_loss'], 4)}",
                    f"{fmt(s['swept_score'])} vs {fmt(s['best_baseline_score_at_seed'])} "
                    f"({LABELS.get(s['best_baseline_at_seed'], '-')}): {'-' if vs is None else f'{vs:+.3f}'}",
                    confirmation_cell(s.get("confirmation")),
                ]
            )
            + " |"
        )
    return out


def goals(rows: dict, startup: dict | None) -> list[str]:
    out = []
    # 1. default recipe >= best baseline - 0.01 everywhere
    deltas = {
        n: r["recipe"]["score"] - r["best_baseline_score"] for n, r in rows.items() if r["recipe"]["score"] is not None
    }
    misses = {n: d for n, d in deltas.items() if d < -0.01}
    out.append(
        f"1. **Default recipe >= best baseline − 0.01 on every dataset**: "
        f"{'MET' if deltas and not misses else 'NOT MET'} (met on {len(deltas) - len(misses)}/{len(deltas)} datasets): "
        + "; ".join(f"{n} {d:+.3f}" for n, d in deltas.items())
    )
    # 2. swept recipe >= best baseline (same seed)
    sw = {
        n: r["search"]["swept_score"] - r["search"]["best_baseline_score_at_seed"]
        for n, r in rows.items()
        if r.get("search") and None not in (r["search"]["swept_score"], r["search"]["best_baseline_score_at_seed"])
    }
    bad = {n: d for n, d in sw.items() if d < 0}
    if sw:
        out.append(
            f"2. **Swept recipe >= best baseline** (one seed per dataset, baselines of that seed): "
            f"{'MET' if not bad else 'NOT MET'} (met on {len(sw) - len(bad)}/{len(sw)} datasets): "
            + "; ".join(f"{n} {d:+.3f}" for n, d in sw.items())
        )
    else:
        out.append("2. **Swept recipe >= best baseline**: not measured")
    # 3. recipe time / hand Keras <= 0.1 (median) at equal or better score
    ratios = [r["time_ratio"] for r in rows.values() if r["time_ratio"] is not None]
    if ratios:
        med = statistics.median(ratios)
        fit_med = statistics.median([r["fit_time_ratio"] for r in rows.values() if r["fit_time_ratio"] is not None])
        equal = [
            n for n, r in rows.items() if r["score_delta_vs_hand"] is not None and r["score_delta_vs_hand"] >= -0.005
        ]
        out.append(
            f"3. **Recipe train time / hand-written Keras <= 0.1 (median) at equal or better score**: "
            f"{'MET' if med <= 0.1 and len(equal) == len(rows) else 'NOT MET'}: median {med:.2f} "
            f"(fit() alone {fit_med:.2f}), {med / 0.1:.1f}x the target; recipe score >= hand Keras − 0.005 "
            f"on {len(equal)}/{len(rows)} datasets ("
            + "; ".join(
                f"{n} {r['score_delta_vs_hand']:+.3f}" for n, r in rows.items() if r["score_delta_vs_hand"] is not None
            )
            + ")"
        )
    # 4. sweep trials/minute >= 2x KerasTuner's
    tpm = {n: r["search"]["tpm_ratio"] for n, r in rows.items() if r.get("search") and r["search"]["tpm_ratio"]}
    if tpm:
        searched = [r["search"] for r in rows.values() if r.get("search") and r["search"]["tpm_ratio"]]
        total = (sum(s["sweep_trials"] for s in searched) / sum(s["sweep_seconds"] for s in searched)) / (
            sum(s["kt_trials"] for s in searched) / sum(s["kt_seconds"] for s in searched)
        )
        med = statistics.median(tpm.values())
        out.append(
            f"4. **Local sweep trials/minute >= 2x KerasTuner's**: "
            f"{'MET' if min(tpm.values()) >= 2 else 'NOT MET'} (met on {sum(v >= 2 for v in tpm.values())}/{len(tpm)} "
            f"datasets); median ratio {med:.2f}x, pooled (all trials / all minutes) {total:.2f}x. "
            + "; ".join(f"{n} {v:.2f}x" for n, v in tpm.items())
        )
    else:
        out.append("4. **Local sweep trials/minute >= 2x KerasTuner's**: not measured")
    if startup:
        h = startup["help_seconds"]
        out.append(
            f"5. **`kerasrecipes --help` under 0.5 s**: {'MET' if h < 0.5 else 'NOT MET'}: {h:.3f} s "
            f"(best of {startup['repeats']}; `import kerasrecipes` {startup['import_seconds']:.3f} s, "
            f"bare `python -c pass` {startup['python_seconds']:.3f} s, `import tensorflow` "
            f"{startup['import_tf_seconds']:.2f} s)"
        )
    else:
        out.append("5. **`kerasrecipes --help` under 0.5 s**: not measured")
    # 6. recipe time / Keras at its best <= 0.25 (median) at equal or better score (issue 15)
    best = [r["best_time_ratio"] for r in rows.values() if r.get("best_time_ratio") is not None]
    if best:
        med = statistics.median(best)
        equal = [
            n for n, r in rows.items() if r["score_delta_vs_best"] is not None and r["score_delta_vs_best"] >= -0.005
        ]
        out.append(
            f"6. **Recipe train time / best-practice Keras (cached tf.data, steps_per_execution) <= 0.25 "
            f"(median) at equal or better score**: {'MET' if med <= 0.25 and len(equal) == len(rows) else 'NOT MET'}: "
            f"median {med:.2f} ({med / 0.25:.1f}x the target); per dataset "
            + "; ".join(f"{n} {r['best_time_ratio']:.2f}" for n, r in rows.items() if r.get("best_time_ratio"))
            + f"; recipe score >= it − 0.005 on {len(equal)}/{len(rows)} datasets ("
            + "; ".join(
                f"{n} {r['score_delta_vs_best']:+.3f}" for n, r in rows.items() if r["score_delta_vs_best"] is not None
            )
            + ")"
        )
        traced = {n: r["traced_time_ratio"] for n, r in rows.items() if r.get("traced_time_ratio") is not None}
        if traced:
            out.append(
                f"   A process traces each graph once (kerasrecipes/runs/fast_road/_traces.py) and keeps TensorFlow's "
                f"kernels from run to run (seeding.fresh_run): the seeds after a dataset's first reuse both, "
                f"and the times above are medians over seeds. The runs that traced (each dataset's first "
                f"seed, after the baselines emptied TensorFlow's kernel cache) alone: median "
                f"{statistics.median(traced.values()):.2f}; " + "; ".join(f"{n} {v:.2f}" for n, v in traced.items())
            )
    return out


NOTES = """\
- **Scores**: test accuracy (classification) or R2 in original units (regression), mean over the
  seeds; every method is scored on the same test rows. Cells are `score · wall seconds` (score: mean
  over seeds; seconds: median over seeds, since a burst of load from other jobs can multiply a single
  run's time, e.g. OpenMP-threaded HistGradientBoosting when the 2 cores are oversubscribed).
- **Split** (per seed s): exactly the recipe's own split, `data.prepare(seed=s, test_fraction=0.2,
  validation_fraction=0.2)`: test = 20 % of the rows (stratified for classification), validation =
  20 %, train = 60 %; features standardized with a scaler fitted on the train rows. The recipe
  trains on the train rows and early-stops on the validation rows; the baselines (scikit-learn and
  the hand-written Keras model) fit on train + validation (80 %) with the same scaling, the Keras
  model holding out its own `validation_split=0.2`. The check that `train()`'s test rows equal the
  baselines' runs for every seed.
- **Baselines**: scikit-learn defaults (`LogisticRegression(max_iter=1000)` / `Ridge()`,
  `MLPClassifier/Regressor(random_state=s)`, `HistGradientBoosting*(random_state=s)`); "best
  baseline" is the best mean score among them and the hand-written Keras model.
- **Hand-written Keras**: Dense 64-32 ReLU, Adam, fit on NumPy arrays, `validation_split=0.2`,
  `EarlyStopping(patience=15, restore_best_weights=True)`, up to 200 epochs, batch 32,
  `keras.utils.set_random_seed(s)`, TF op determinism off (a user's default).
- **Keras tf.data** (Keras at its best, issue 15): the same network, early stopping and validation
  rows (the last 20 % of the fit rows, as `validation_split` takes them), but `fit` on
  `Dataset.from_tensor_slices(...).cache().shuffle(n, seed=s).batch(32).prefetch(AUTOTUNE)`,
  validation cached in batches of 4096, `compile(steps_per_execution=32)`, `predict(batch_size=4096)`.
- **Recipe**: `runs.train(dataset, {"seed": s}, tracking="none", verbose=0)`, the default recipe
  of the row the data selects (`row` column). Per dataset, the baselines run first for every seed,
  then the recipe's seeds back to back, as a sweep's trials or cross-validation's folds run: a
  dataset's first seed traces its graph and sets TensorFlow's kernels up again (the baselines'
  `keras.utils.set_random_seed` emptied TensorFlow's kernel cache), the next seeds reuse both
  (`kerasrecipes/runs/fast_road/_traces.py`, `seeding.fresh_run`). The first seeds alone are reported under goal 6.
- **Times**: scikit-learn = fit + predict; hand Keras and Keras tf.data = build + compile + fit + predict (the
  tf.data one also builds its datasets); recipe =
  the whole `train()` call (data preparation, seeding with TF op determinism, build, compile, fit
  with validation each epoch, test evaluation: predict + evaluate, manifest hashes, diagnosis);
  "fit" in the ratio column is the recipe's fit alone (`runs._fit._fit` timed by a wrapper: a
  timing callback would be user code, which makes a run reset TensorFlow's kernel cache)
  over the hand-written model's build + compile + fit + predict. One process, after a warm-up fit,
  so nobody pays TensorFlow's start-up.
- **Searches** (one seed per dataset): the task's bundled sweep YAML with its `scenario` set to the
  dataset's row; the local runner (`run_sweep`, hyperband as in the YAML) and KerasTuner on the
  same space, trial budget, epochs and early stopping, both searching only the train + validation
  rows; the best configuration of each is retrained once on the benchmark split and scored on the
  test rows (retraining is not in the trials/minute). A grid space (multiclass.yaml, 16 points)
  runs 16 trials on both sides (KerasTuner's GridSearch on the same points).
- **Machine**: shared; other jobs may have run concurrently (load averages below).
"""


def render(results: dict) -> str:
    meta = results["meta"]
    rows = summarize(results)
    lines = [f"# kerasrecipes baseline benchmark ({meta['date']})", ""]
    lines.append(
        f"`{meta['command']}` on {meta['machine']['platform']}, {meta['machine']['cpu_count']} CPUs "
        f"({meta['machine'].get('processor') or 'unknown cpu'}); load average at start "
        f"{meta['machine'].get('load_start')}, at end {meta['machine'].get('load_end')}; "
        f"total {meta.get('total_seconds', 0) / 60:.1f} min."
    )
    m = meta["machine"]
    if m.get("git_commit"):
        lib = meta.get("library", {})
        lines.append(
            f"Library: git commit {m['git_commit']}"
            + (f" with uncommitted changes in {', '.join(m['git_modified'])}" if m.get("git_modified") else "")
            + (f"; sources imported at start: sha256 {lib['sources_sha256']}" if lib.get("sources_sha256") else "")
            + "."
        )
    sessions = meta.get("sessions") or []
    if len(sessions) > 1:
        lines.append(
            f"Measured in {len(sessions)} sessions (the run was resumed with --resume after an "
            "interruption; every per-seed result and every search pair comes whole from one session): "
            + "; ".join(
                f"session {i}: {x['date']}, load {x['machine'].get('load_start')}→"
                f"{x['machine'].get('load_end')}, sources sha256 "
                f"{(x.get('library') or {}).get('sources_sha256')}"
                for i, x in enumerate(sessions)
            )
            + "."
        )
    lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".")
    lines.append(
        f"Seeds {meta['seeds']}; searches on seed {meta['search_seeds']} with {meta['sweep_trials']} trials"
        + (f", epochs overridden to {meta['sweep_epochs']}" if meta.get("sweep_epochs") else "")
        + "."
    )
    lines += ["", *table(rows), ""]
    if any(r.get("search") for r in rows.values()):
        lines += ["Searches:", "", *search_table(rows), ""]
    lines += ["## Goals", "", *goals(rows, results.get("startup")), "", "## Notes", "", NOTES]
    if results.get("profiles"):
        lines += [
            "## Profiles",
            "",
            "pyinstrument, one `runs.train(\"iris\", {\"seed\": 0})` and one hand-written fit "
            "on the same split, after a warm-up (bench/profile_runs.py), with Keras' trainer, tf.data iterator and "
            "autograph frames shown, nodes >= 2 % (full text with a flat self-time list in "
            "bench/results/profile-*.txt):",
            "",
        ]
        for prof in results["profiles"]:
            tree = [
                line[:160]
                for line in prof.get("keras_tree") or prof.get("tree", [])
                if line.strip() and not line.lstrip().startswith(("_", "/", "Profile at"))
            ]
            lines += [f"{prof['label']}: {prof['seconds']:.2f} s", "", "```", *tree[:34], "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(json.loads(open(sys.argv[1]).read())))
