"""Test-wide environment: quiet TensorFlow, offline W&B, tiny thread pools on the 2-core CI."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _clear_keras_session():
    """Each test starts from a clean Keras global state (names, seed generators).

    `free_memory=False` skips the full garbage collection (~0.3 s a test); memory is still bounded
    because the session's graph and name registries are dropped.
    """
    yield
    import sys

    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session(free_memory=False)


LONGEST_FIRST = [
    "tests/runs/test_resume.py",
    "tests/tuning/test_runner.py",
    "tests/test_faults.py",
    "tests/test_docs.py",
    "tests/test_tf_internals.py",
    "tests/test_security.py",
    "tests/runs/test_traces.py",
    "tests/tuning/test_sweep_resume.py",
    "tests/runs/test_distribute.py",
    "tests/test_examples.py",
    "tests/runs/test_reproduce.py",
    "tests/runs/test_saved_model.py",
    "tests/test_seeding.py",
    "tests/models/test_backbones.py",
    "tests/runs/test_text_runs.py",
    "tests/models/test_augmentation.py",
    "tests/runs/test_baseline.py",
]
"""Files whose tests take longest, longest first. `make test` gives whole files to its two workers in collection
order (`--dist loadfile`); starting with the longest ones lets both workers finish at about the same time
instead of one running a long file alone at the end. The order of the rest does not matter."""


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order
