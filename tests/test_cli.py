"""The command line: answers, exit codes, one-line errors, and nothing of the user's is touched."""

import json
import os
import subprocess
import sys

import _runs
import pytest

from kerasrecipes import cli
from kerasrecipes.recipes import list_scenarios


def run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_help_does_not_import_tensorflow():  # what keeps it fast; bench/startup.py measures the time
    proc = subprocess.run([sys.executable, "-m", "kerasrecipes", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "train" in proc.stdout and "recipes" in proc.stdout
    probe = "import sys, kerasrecipes as kr; kr.Recipe; kr.list_scenarios(); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "False False"


def test_recipes_prints_every_row(capsys):
    code, out, _ = run(["recipes"], capsys)
    assert code == 0
    for name in list_scenarios():
        assert name in out
    assert "n_features >= 20" in out
    assert "small dataset -> dropout=0.1, l2=0.0001; large dataset -> batch_size=128, patience=10" in out


def test_recipes_filter_and_fields(capsys):
    code, out, _ = run(["recipes", "--task", "rnn"], capsys)
    assert code == 0 and "rnn-small-dataset" in out and "binary" not in out
    code, out, _ = run(["recipes", "--fields"], capsys)
    assert code == 0 and "learning_rate" in out and "elastic_net_beta" in out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "wine"
    code = cli.main(
        [
            "train",
            "--dataset",
            "wine",
            "--out",
            str(out),
            "--tracking",
            "none",
            "--quiet",
            "--set",
            "epochs=6",
            "--units=16",
        ]
    )  # --units=16 is how `wandb agent` passes fields
    assert code == 0
    return out


def test_train_writes_run_with_overrides(trained):
    manifest = json.loads((trained / "manifest.json").read_text())
    assert manifest["recipe"]["epochs"] == 6 and manifest["recipe"]["units"] == 16
    assert manifest["scenario"] == "multiclass-less-features"


def test_train_summary_is_the_result_on_stdout(tmp_path, capsys):
    code, out, _ = run(
        ["train", "--dataset", "iris", "--out", str(tmp_path / "r"), "--tracking", "none", "--set", "epochs=2"], capsys
    )
    assert code == 0
    for word in ("task", "scenario", "test", "diagnosis", "run"):
        assert word in out
    assert "\nbaseline   " in out and "(majority class 0, the first of classes tied in the training rows)" in out
    assert "\nmetrics    score = accuracy\n" in out


@pytest.mark.slow
def test_quiet_is_silent_and_json_is_the_only_stdout(tmp_path):
    """In a real process (pytest's log capture replaces the package's stderr handler in process). One process
    runs both commands, a line on both streams between them: --quiet first, so that it meets whatever a fresh
    process prints (TensorFlow's import, the first traces), then --json through the console command's own
    end (`cli.run`, as `python -m kerasrecipes`)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    base = ["train", "--dataset", "iris", "--tracking", "none", "--set", "epochs=3"]
    script = (
        "import sys\nfrom kerasrecipes import cli\n"
        "code = cli.main([*sys.argv[1:], '--out', 'q', '--quiet'])\n"
        "for stream in (sys.stdout, sys.stderr):\n"
        "    print(f'=== quiet exited {code} ===', file=stream, flush=True)\n"
        "sys.argv = ['kerasrecipes', *sys.argv[1:], '--out', 'j', '--json']\n"
        "cli.run()\n"
    )
    both = subprocess.run([sys.executable, "-c", script, *base], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert both.returncode == 0, both.stderr
    quiet_out, json_out = both.stdout.split("=== quiet exited 0 ===\n")
    quiet_err, json_err = both.stderr.split("=== quiet exited 0 ===\n")
    assert quiet_out == "" and quiet_err == ""
    summary = json.loads(json_out)  # nothing else on stdout
    assert summary["scenario"] == "multiclass-less-features" and summary["epochs_run"] == 3
    assert summary["run_dir"] == "j" and set(summary["test_metrics"]) >= {"accuracy", "score"}
    manifest = json.loads((tmp_path / "j" / "manifest.json").read_text())
    assert summary["best_epoch"] == manifest["training"]["best_epoch"]  # both 0-based
    assert "kerasrecipes: epochs 3/3" in json_err  # progress, logged (stderr is not a terminal)
    assert "whole numbers" in json_err  # the target note, through the logger
    assert (tmp_path / "q" / "manifest.json").is_file()


def test_recipe_file_is_accepted(tmp_path, trained, capsys):
    code, _, _ = run(
        [
            "train",
            "--dataset",
            "wine",
            "--recipe",
            str(trained / "recipe.yaml"),
            "--out",
            str(tmp_path / "again"),
            "--tracking",
            "none",
            "--quiet",
        ],
        capsys,
    )
    assert code == 0
    first = json.loads((trained / "manifest.json").read_text())["weights_sha256"]
    assert json.loads((tmp_path / "again" / "manifest.json").read_text())["weights_sha256"] == first


def test_reproduce_exit_codes(trained, tmp_path, capsys):
    import shutil

    code, out, _ = run(["reproduce", str(trained)], capsys)
    assert code == 0 and "identical" in out
    altered = tmp_path / "altered"
    shutil.copytree(trained, altered)
    data = bytearray((altered / "model.weights.h5").read_bytes())
    import h5py
    import numpy as np

    with h5py.File(altered / "model.weights.h5", "r+") as fh:

        def bump(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "f" and obj.size > 1:
                obj[...] = np.asarray(obj) * 1.5

        fh.visititems(bump)
    assert (altered / "model.weights.h5").read_bytes() != bytes(data)
    code, _, err = run(["reproduce", str(altered)], capsys)  # changed after it was written: refused
    assert code == 2 and "altered/model.weights.h5 does not match the sha256 in manifest.json" in err
    _runs.reseal(altered)  # consistent files whose weights are not the run's: checked, and found to differ
    code, out, _ = run(["reproduce", str(altered)], capsys)
    assert code == 1 and "The loaded weights do not hash to the manifest's weights_sha256" in out


@pytest.mark.parametrize(
    "argv,match",
    [
        (["train"], "exactly one of --dataset NAME, --csv PATH --target COLUMN or --images DIR"),
        (["train", "--dataset", "iris", "--csv", "x.csv"], "exactly one of"),
        (["train", "--csv", "x.csv"], "--csv needs --target"),
        (["train", "--dataset", "irs"], "Unknown dataset 'irs'. Did you mean 'iris'"),
        (["train", "--dataset", "iris", "--set", "unitz=3"], "Unknown recipe field 'unitz'. Did you mean 'units'"),
        (["train", "--dataset", "iris", "--set", "dropout=2"], r"`dropout` must be a real number in \[0.0, 1.0\)"),
        (["train", "--dataset", "iris", "--set", "units"], "Expected key=value"),
        (["train", "--dataset", "iris", "--recipe", "missing.yaml"], "does not exist"),
        (["reproduce", "no-such-dir"], "is not a run directory"),
        (["train", "--dataset", "iris", "--seed", "-1"], r"`seed` must be an integer in \[0, 4294967295\]"),
    ],
)
def test_user_errors_exit_2_with_one_line(argv, match, capsys, tmp_path, monkeypatch):
    import re

    monkeypatch.chdir(tmp_path)
    code, _, err = run(argv + ["--tracking", "none"] if argv[0] == "train" and len(argv) > 1 else argv, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kerasrecipes: error: ")
    assert re.search(match, lines[0]), lines[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "content,match",
    [
        (b"", "is empty"),
        (b"- 1\n- 2\n", "must hold a mapping"),
        (b"units: [1\n", "not valid YAML"),
        (b"\xff\xfe\x00garbage", "not a text"),
    ],
)
def test_bad_recipe_files(content, match, tmp_path, capsys):
    path = tmp_path / "recipe.yaml"
    path.write_bytes(content)
    code, _, err = run(["train", "--dataset", "iris", "--recipe", str(path), "--tracking", "none"], capsys)
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == content


@pytest.fixture
def broken_inputs(trained, tmp_path, monkeypatch):
    """In tmp_path (the working directory): an invalid sweep YAML, a run whose weights file was cut short, a CSV."""
    import shutil

    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text("method: random\nparameters: [\n")
    shutil.copytree(trained, tmp_path / "run")
    weights = tmp_path / "run" / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:1000])
    (tmp_path / "d.csv").write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(20)))
    return tmp_path


EARLY_ERRORS = [
    (["train", "--dataset", "irs", "--tracking", "none"], "Unknown dataset 'irs'. Did you mean 'iris'?"),
    (["sweep", "s.yaml", "--tracking", "none"], "s.yaml: invalid YAML at line 3"),
    (["reproduce", "run"], "run/model.weights.h5 does not match the sha256 in manifest.json"),
    (["predict", "run", "d.csv", "--out", "p.csv"], "run/model.weights.h5 does not match the sha256"),
]


def test_recipes_sweep_validation_and_user_errors_in_the_arguments_do_not_import_tensorflow(broken_inputs):
    """In a fresh process (this one has imported TensorFlow): `recipes` and `sweep --validate` read YAML only,
    and a user error found from the arguments or the files they name exits 2 with its one line before
    TensorFlow's import (seconds)."""
    probe = (
        "import contextlib, io, json, sys\nfrom kerasrecipes import cli\n"
        "assert cli.main(['recipes']) == 0 and cli.main(['sweep', 'binary', '--validate']) == 0\nanswers = []\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        answers.append([cli.main(argv), err.getvalue()])\n"
        "print(json.dumps([answers, 'tensorflow' in sys.modules, 'keras' in sys.modules]))\n"
    )
    argv = json.dumps([a for a, _ in EARLY_ERRORS])
    done = subprocess.run([sys.executable, "-c", probe, argv], capture_output=True, text=True, cwd=broken_inputs)
    assert done.returncode == 0, done.stderr
    answers, tensorflow, keras = json.loads(done.stdout.strip().splitlines()[-1])
    for (code, err), (_, said) in zip(answers, EARLY_ERRORS):
        assert code == 2 and err.startswith(f"kerasrecipes: error: {said}") and err.count("\n") == 1, err
    assert (tensorflow, keras) == (False, False)


@pytest.mark.parametrize(
    "argv",
    [
        *(a for a, _ in EARLY_ERRORS),
        ["train", "--dataset", "irs", "--set", "unitz=3"],  # two errors: the one the command finds first
        ["train", "--dataset", "irs", "--recipe", "missing.yaml"],
        ["train", "--dataset", "irs", "--seed", "-1"],
        ["train", "--dataset", "irs", "--cv", "1000"],
        ["train", "--dataset", "irs", "--cv", "3"],
        ["train", "--dataset", "irs", "--checkpoint-every", "-1"],
        ["train", "--dataset", "irs", "--csv", "d.csv"],
        ["train", "--dataset", "irs", "--image-size", "8"],
        ["train", "--dataset", "d.csv"],
        ["lr-find", "--dataset", "irs", "--steps", "3"],
        ["sweep", "s.yaml", "--validate"],
        ["sweep", "multiclass", "--dataset", "irs", "--set", "unitz=3"],
        ["reproduce", "missing"],
        ["reproduce", "run", "--data", "missing.csv"],
        ["predict", "run", "missing.csv", "--out", "p.csv"],
        ["predict", "run", "d.csv", "--out", "-", "--on-error", "skip"],
    ],
)
def test_the_early_checks_report_what_the_command_would(argv, broken_inputs, monkeypatch, capsys):
    """The checks before TensorFlow's import are the commands' own first steps: the same exit code and line
    as the command without them, also where a command line holds two errors."""
    argv = [*argv, "--tracking", "none"] if argv[0] in ("train", "sweep") and "--tracking" not in argv else argv
    early = run(argv, capsys)
    monkeypatch.setattr(cli, "_check_before_tensorflow", lambda args: None)
    assert early[0] == 2 and run(argv, capsys) == early
    assert sorted(p.name for p in broken_inputs.iterdir()) == ["d.csv", "run", "s.yaml"]


def test_existing_run_is_refused_and_untouched(trained, capsys):
    before = {p.name: p.read_bytes() for p in trained.iterdir() if p.is_file()}
    code, _, err = run(["train", "--dataset", "wine", "--out", str(trained), "--tracking", "none"], capsys)
    assert code == 2 and "--overwrite" in err
    assert before == {p.name: p.read_bytes() for p in trained.iterdir() if p.is_file()}


def test_unknown_extra_argument_is_a_usage_error(capsys):
    code, _, err = run(["recipes", "--bogus=1"], capsys)
    assert (
        code == 2
        and err.strip() == "kerasrecipes: error: unrecognized arguments: --bogus=1 (see `kerasrecipes --help`)"
    )


@pytest.mark.slow
def test_demo_quick(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["demo", "--quick"], capsys)
    assert code == 0
    for name in list_scenarios():
        assert name in out
    assert out.count("identical") == 3
    assert "confirmed with 3 more seeds each (wine is small)" in out


def test_a_csv_from_the_environment_without_a_target_names_the_variable(tmp_path, monkeypatch, capsys):
    (tmp_path / "d.csv").write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(20)))
    monkeypatch.setenv("KERASRECIPES_CSV", str(tmp_path / "d.csv"))
    monkeypatch.delenv("KERASRECIPES_TARGET", raising=False)
    code, _, err = run(["train", "--tracking", "none"], capsys)
    assert code == 2 and "--csv needs --target COLUMN" in err and "give --target or KERASRECIPES_TARGET" in err


def test_json_output_is_strict_json_with_null_for_nan():
    """`--json` once printed Python's NaN token (not JSON) for the AUC of a one-class test split."""
    text = cli._json({"test_metrics": {"auc": float("nan"), "accuracy": 1.0}, "runs": [float("inf"), 2]})
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}")) == {
        "test_metrics": {"auc": None, "accuracy": 1.0},
        "runs": [None, 2],
    }


def test_the_console_command_ends_at_once_after_what_a_normal_exit_does():
    """`cli.run` (the `kerasrecipes` command) skips Python's teardown, not the exit code, the output
    still buffered for a pipe, other threads or `atexit` handlers."""
    code = (
        "import atexit, sys, threading, time\n"
        "from kerasrecipes import cli\n"
        "atexit.register(lambda: print('atexit ran'))\n"
        "threading.Thread(target=lambda: (time.sleep(0.5), print('thread ran'))).start()\n"
        "sys.argv = ['kerasrecipes', *sys.argv[1:]]\n"
        "cli.run()\n"
    )
    ok = subprocess.run([sys.executable, "-c", code, "recipes"], capture_output=True, text=True)
    assert ok.returncode == 0 and "multiclass-less-features" in ok.stdout
    assert ok.stdout.rstrip().endswith("atexit ran") and "thread ran" in ok.stdout
    bad = subprocess.run([sys.executable, "-c", code, "recipes", "--task", "nonsense"], capture_output=True, text=True)
    assert bad.returncode == 2 and "atexit ran" in bad.stdout and "error" in bad.stderr


@pytest.mark.parametrize(
    "data",
    [
        ["--dataset", "iris"],
        ["--csv", "my data.csv", "--target", "v", "--forecast", "--time", "step", "--window", "10", "--horizon", "2"],
        ["--images", "img", "--image-size", "16", "--color", "rgb"],
        ["--csv", "m.csv", "--target", "a,b", "--na-values", "?", "--drop", "id", "--label-sep", "|"],
        ["--csv", "s.csv", "--target", "y", "--sequence", "--channels", "temp,hum"],
    ],
)
def test_the_sweeps_retrain_hint_repeats_its_data_options(data):
    """`kerasrecipes sweep` ends with the train command that retrains the best recipe on the same data."""
    import shlex

    parser = cli.build_parser()
    sweep = parser.parse_args(["sweep", "s.yaml", *data])
    hint = cli._data_args(sweep, "iris")
    train = parser.parse_args(["train", *shlex.split(hint)])
    keys = ("dataset", "csv", "target", "images", "image_size", "color", "forecast", "time", "window", "horizon")
    keys += ("na_values", "drop", "label_sep", "sequence", "channels")
    assert {k: getattr(train, k) for k in keys} == {k: getattr(sweep, k) for k in keys}


@pytest.mark.parametrize("how", ["flag", "agent"])
def test_train_leaves_the_test_rows_unscored_with_no_test_score_and_under_wandb_agent(
    tmp_path, capsys, monkeypatch, how
):
    """`--no-test-score`, or `wandb agent`'s WANDB_SWEEP_ID (each of its runs is a sweep trial): the summary says
    the test rows are not scored, and the manifest records it."""
    argv = ["train", "--dataset", "iris", "--out", str(tmp_path / "r"), "--tracking", "none", "--set", "epochs=1"]
    if how == "flag":
        argv.append("--no-test-score")
    else:
        monkeypatch.setenv("WANDB_SWEEP_ID", "sweep1")
    code, out, _ = run(argv, capsys)
    assert code == 0 and "\ntest       not scored: a sweep trial" in out
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["test_scored"] is False
