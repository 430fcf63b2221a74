"""Hyperparameter tuning with W&B sweeps: the sweep files shipped in the package and their validation.

`tuning._files` finds and reads sweep files (`resolve_sweep_path`, `load_sweep`); `tuning.validate` checks
them (`validate_sweep`, `check_sweep`, `cli_validate`); `tuning.runner` runs them (`run_sweep`). Nothing
imported here imports keras or TensorFlow.

Examples:
    >>> from kerasrecipes.tuning import check_sweep
    >>> check_sweep("binary")["method"]
    'random'
"""

from kerasrecipes.tuning._files import (
    MAX_BYTES,
    MAX_MESSAGE,
    MAX_NODES,
    SWEEP_NAMES,
    _UniqueKeyLoader,
    bundled_sweeps,
    load_sweep,
    resolve_sweep_path,
)
from kerasrecipes.tuning.validate import Problem, check_sweep, cli_validate, validate_sweep

__all__ = [
    "MAX_BYTES",
    "MAX_MESSAGE",
    "MAX_NODES",
    "SWEEP_NAMES",
    "Problem",
    "_UniqueKeyLoader",
    "bundled_sweeps",
    "check_sweep",
    "cli_validate",
    "load_sweep",
    "resolve_sweep_path",
    "validate_sweep",
]
