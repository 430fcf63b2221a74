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
