"""Distributed training: MirroredStrategy over two logical CPUs and MultiWorkerMirroredStrategy over two
worker processes on 127.0.0.1 end with a single-device run's weights, up to float rounding.

Not bit for bit: the all-reduce adds the replicas' gradients in another order than one device sums a
batch's rows. Measured on iris (8 epochs, Adam, global batch 16 and 13; the tests train 3): at most 1.5e-7 apart; the
tolerance below is rtol 1e-5, atol 1e-6. The logical devices and TF_CONFIG must be in place before
TensorFlow starts, so every distributed run is its own process.
"""

import json
import os
import socket
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from kerasrecipes import cli, runs
from kerasrecipes.runs import distribute

RTOL, ATOL = 1e-5, 1e-6
TIMEOUT = 120  # seconds; a hung collective fails the test instead of hanging the suite
RECIPE = {"epochs": 3, "dropout": 0.0, "units": 16}
ARGS = [
    "train",
    "--dataset",
    "iris",
    "--tracking",
    "none",
    "--quiet",
    "--set",
    "epochs=3",
    "--set",
    "dropout=0",
    "--set",
    "units=16",
    "--set",
    "batch_size=16",
]

MIRRORED = r"""
import json, sys
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from kerasrecipes import runs

where, recipe = sys.argv[1], json.loads(sys.argv[2])
report = {}
for key, batch_size, name, out in [("single16", 16, "none", None), ("mirrored16", 16, "mirrored", "run"),
                                   ("again16", 16, "mirrored", None), ("single13", 13, "none", None),
                                   ("mirrored13", 13, "mirrored", None)]:
    result = runs.train("iris", recipe={**recipe, "batch_size": batch_size, "distribute": name}, tracking="none",
                            verbose=0, out=out and f"{where}/{out}")
    np.savez(f"{where}/{key}.npz", *result.model.get_weights())
    report[key] = {"sha": result.manifest["weights_sha256"], "execution": result.manifest["execution"]}
# TensorFlow has run in this process: a multi-worker strategy is refused (test_multi_worker_needs_a_fresh_process)
import os
from kerasrecipes.runs import distribute

os.environ["TF_CONFIG"] = sys.argv[3]
try:
    distribute.strategy_for("multi_worker")
    report["multi_worker"] = "no error: the strategy was created"
except ValueError as exc:
    report["multi_worker"] = str(exc)
with open(f"{where}/report.json", "w") as fh:
    json.dump(report, fh)
"""
FRESH_PROCESS_CONFIG = json.dumps(
    {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 0}}
)


def _env(**extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **extra)
    for key in ("TF_CONFIG", "KERASRECIPES_FAULT"):
        if key not in extra:
            env.pop(key, None)
    return env


def _weights(path):
    with np.load(path) as arrays:
        return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


def _h5(path):
    found = {}
    with h5py.File(path, "r") as fh:
        fh.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


def _assert_close(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    where = tmp_path_factory.mktemp("mirrored")
    proc = subprocess.run(
        [sys.executable, "-c", MIRRORED, str(where), json.dumps(RECIPE), FRESH_PROCESS_CONFIG],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return where, json.loads((where / "report.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("batch_size", [16, 13])  # 13: every batch splits unevenly (6 + 7 rows)
def test_mirrored_two_cpus_matches_one_device(mirrored, batch_size):
    where, report = mirrored
    _assert_close(_weights(where / f"mirrored{batch_size}.npz"), _weights(where / f"single{batch_size}.npz"))
    assert report[f"single{batch_size}"]["execution"]["road"] == "fast"
    execution = report[f"mirrored{batch_size}"]["execution"]
    assert execution["road"] == "distributed"
    assert "MirroredStrategy: 2 replicas on 1 worker;" in execution["why"]


@pytest.mark.slow
def test_mirrored_runs_are_seeded_and_write_their_run(mirrored):
    where, report = mirrored
    assert report["mirrored16"]["sha"] == report["again16"]["sha"]
    manifest = json.loads((where / "run" / "manifest.json").read_text())
    assert manifest["recipe"]["distribute"] == "mirrored" and manifest["recipe"]["batch_size"] == 16
    assert manifest["weights_sha256"] == report["mirrored16"]["sha"]
    assert not (where / "run.partial").exists()


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_multi_worker_two_processes_match_one_device_and_only_the_chief_writes(tmp_path, monkeypatch):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    command = [sys.executable, "-m", "kerasrecipes", *ARGS]
    procs, dirs = [], []
    try:
        for index in (0, 1):
            cwd = tmp_path / f"worker{index}"
            cwd.mkdir()
            config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            procs.append(
                subprocess.Popen(
                    [*command, "--set", "distribute=multi_worker", "--out", str(cwd / "run")],
                    cwd=cwd,
                    env=_env(TF_CONFIG=config),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            dirs.append(cwd)
        # the single-device reference: the same command, in this process while the workers train (a run after
        # others in one process has a fresh process' weights: tests/test_seeding.py)
        for key in ("TF_CONFIG", "KERASRECIPES_FAULT"):
            monkeypatch.delenv(key, raising=False)
        assert cli.main([*ARGS, "--out", str(tmp_path / "reference")]) == 0
        deadline = time.monotonic() + TIMEOUT
        outputs = [p.communicate(timeout=max(1.0, deadline - time.monotonic())) for p in procs]
    finally:
        for p in procs:  # a failed or hung worker must not leave the others waiting on a collective
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-3000:]
    assert [p.name for p in dirs[0].iterdir()] == ["run"]  # the chief wrote its run directory, nothing else
    assert list(dirs[1].iterdir()) == []  # the other worker trained and wrote nothing
    chief, reference = _h5(dirs[0] / "run" / "model.weights.h5"), _h5(tmp_path / "reference" / "model.weights.h5")
    assert sorted(chief) == sorted(reference)  # weights and optimizer slots
    _assert_close([chief[k] for k in sorted(chief)], [reference[k] for k in sorted(reference)])
    manifest = json.loads((dirs[0] / "run" / "manifest.json").read_text())
    assert manifest["recipe"]["distribute"] == "multi_worker"
    assert "MultiWorkerMirroredStrategy: 2 replicas on 2 workers;" in manifest["execution"]["why"]


@pytest.mark.parametrize(
    ("tf_config", "expected"),
    [
        ("", True),
        ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}', True),
        ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}', False),
        ('{"cluster": {"chief": ["a:1"], "worker": ["b:2"]}, "task": {"type": "chief", "index": 0}}', True),
        ('{"cluster": {"chief": ["a:1"], "worker": ["b:2"]}, "task": {"type": "worker", "index": 0}}', False),
        ('{"cluster": {"worker": ["a:1"], "evaluator": ["b:2"]}, "task": {"type": "evaluator", "index": 0}}', False),
    ],
)
def test_is_chief_reads_tf_config(tf_config, expected, monkeypatch):
    assert distribute.is_chief(tf_config) is expected
    monkeypatch.setenv("TF_CONFIG", tf_config)
    assert distribute.is_chief() is expected


def test_bad_tf_config_and_strategy_names_are_one_line_errors():
    with pytest.raises(ValueError, match="^`TF_CONFIG` must be a JSON object"):
        distribute.is_chief("worker 0")
    with pytest.raises(ValueError, match=r"^`distribute` must be one of: .*Received: distribute='mirror'"):
        distribute.strategy_for("mirror")
    assert distribute.strategy_for("none") is None and distribute.replicas(None) == 1


def test_distributed_runs_refuse_keras_fit_and_per_batch_callbacks():
    from kerasrecipes.callbacks import GradientMonitor

    with pytest.raises(ValueError, match="execution='fit' cannot be distributed"):
        runs.train(
            "iris", recipe={"epochs": 1, "distribute": "mirrored", "execution": "fit"}, tracking="none", verbose=0
        )
    with pytest.raises(ValueError, match="distribute='mirrored' cannot run GradientMonitor"):
        runs.train(
            "iris",
            recipe={"epochs": 1, "distribute": "mirrored"},
            tracking="none",
            verbose=0,
            callbacks=[GradientMonitor(verbose=0)],
        )


def test_multi_worker_needs_a_fresh_process(mirrored):
    """A process that has already used TensorFlow (the mirrored runs' process, which then names a cluster in
    TF_CONFIG and asks for the strategy) is refused with the one-line error."""
    _, report = mirrored
    assert "must create its strategy before TensorFlow starts" in report["multi_worker"], report["multi_worker"]


def test_one_replica_is_the_fast_road_bit_for_bit():
    """Mirrored over this process's single CPU device: the distributed loop with nothing to split."""
    from tensorflow.python.framework import ops

    fast = runs.train("iris", recipe={"epochs": 3}, tracking="none", verbose=0)
    registered = set(ops._gradient_registry._registry)
    one = runs.train("iris", recipe={"epochs": 3, "distribute": "mirrored"}, tracking="none", verbose=0)
    assert set(ops._gradient_registry._registry) == registered  # its graph's custom gradients released (_traces)
    assert "1 replica on 1 worker;" in one.manifest["execution"]["why"]
    assert one.manifest["weights_sha256"] == fast.manifest["weights_sha256"]
    assert one.test_metrics == fast.test_metrics
