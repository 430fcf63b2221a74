"""Security: safe YAML only, no pickle of user files, W&B offline by default, no secrets written."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PACKAGE = Path(__file__).parent.parent / "kerasrecipes"
SOURCES = {p: p.read_text() for p in PACKAGE.rglob("*.py")}


def test_yaml_is_only_parsed_with_the_safe_loader():
    for path, text in SOURCES.items():
        assert "yaml.unsafe_load" not in text and "yaml.full_load" not in text, path
        for call in re.findall(r"yaml\.load\((.*)\)", text):
            loader = re.search(r"Loader=(\w+)", call).group(1)
            module = __import__("kerasrecipes.tuning", fromlist=[loader])
            assert issubclass(getattr(module, loader), yaml.SafeLoader), (path, loader)


def test_no_pickle_and_no_eval_of_user_input():
    for path, text in SOURCES.items():
        assert not re.search(r"^\s*import pickle|pickle\.load|allow_pickle=True|\beval\(|cloudpickle", text, re.M), path
        for call in re.findall(r"load_model\((.*)\)", text):
            assert "safe_mode=True" in call, path


def test_numpy_checkpoint_arrays_refuse_pickles(tmp_path):
    """Checkpoint arrays are read with allow_pickle=False: an object array is rejected, not executed."""
    import numpy as np

    np.save(tmp_path / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        np.load(tmp_path / "x.npy", allow_pickle=False)
    assert "allow_pickle=False" in SOURCES[PACKAGE / "runs" / "checkpoints.py"]


SECRETS = {"WANDB_API_KEY": "wandb-secret-0123456789abcdef0123456789abcdef", "MY_SERVICE_TOKEN": "tok-SECRET-42-xyz"}


def _env(**extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **SECRETS, **extra)
    env.pop("WANDB_MODE", None)  # the default must be offline on its own
    env.pop("KERASRECIPES_FAULT", None)
    return env


AUDIT = """
import json, sys, socket
seen = []
def hook(event, args):
    if event == "socket.connect":
        sock, address = args
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not str(address[0]).startswith(("127.", "::1", "localhost")):
            seen.append(address)
sys.addaudithook(hook)
from kerasrecipes import cli
codes = [cli.main(argv) for argv in json.loads(sys.argv[1])]
print("EXTERNAL_CONNECTS", seen)
print("EXIT_CODES", codes)
"""


def _no_network_prefix() -> list[str]:
    """`unshare -rn` (a user and network namespace with no interface up) where this machine allows it."""
    done = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    return ["unshare", "-rn"] if done.returncode == 0 else []


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """One process with secrets in its environment and W&B left to its default, under an audit hook that records
    every outside connection, inside `unshare -rn` where the machine allows it: a default `train` (2 epochs), then a
    confirmed 1-trial `sweep`. Its folder (`run`, `sweep`) and the finished process. The two commands share the
    process (TensorFlow's import is paid once) because what they are checked for, the connections they open and the
    secrets they write, does not depend on the process they run in."""
    folder = tmp_path_factory.mktemp("audited")
    commands = [
        ["train", "--dataset", "iris", "--out", str(folder / "run"), "--quiet", "--set", "epochs=2"],
        ["sweep", "multiclass", "--trials", "1", "--out", str(folder / "sweep"), "--quiet", "--set", "epochs=2"]
        + ["--confirm", "1", "--confirm-seeds", "1", "--cv", "0"],
    ]
    proc = subprocess.run(
        [*_no_network_prefix(), sys.executable, "-c", AUDIT, json.dumps(commands)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return folder, proc


def _secrets_in(folder: Path) -> list[tuple[Path, str]]:
    return [
        (path, value)
        for path in folder.rglob("*")
        if path.is_file()
        for value in SECRETS.values()
        if value.encode() in path.read_bytes()
    ]


def test_default_run_is_offline_needs_no_network_and_writes_no_secret(audited):
    """One default run (offline W&B): it opens no outside connection, completes where there is no network at
    all (inside `unshare -rn` where the machine allows it), and no file it writes holds a secret of the
    environment."""
    folder, proc = audited
    assert "EXIT_CODES [0, 0]" in proc.stdout, proc.stderr
    assert "EXTERNAL_CONNECTS []" in proc.stdout
    out = folder / "run"
    assert (out / "manifest.json").is_file()
    assert list((out / "wandb").glob("offline-run-*")), "W&B ran offline and kept the run on disk"
    assert _secrets_in(out) == []


@pytest.mark.slow
def test_sweep_outputs_hold_no_secret(audited):
    """A confirmed sweep's files (its trial's and retrainings' runs with their offline W&B runs, results, report),
    written with no network, hold no secret of the environment."""
    folder, proc = audited
    assert "EXIT_CODES [0, 0]" in proc.stdout and "EXTERNAL_CONNECTS []" in proc.stdout, proc.stderr
    out = folder / "sweep"
    assert (out / "confirmation.csv").is_file() and list(out.glob("trials/trial-000/wandb/offline-run-*"))
    assert _secrets_in(out) == []
