"""The one user-error type: a problem the user can fix, reported in one line.

Like scikit-learn's `InvalidParameterError`, `UserError` subclasses `ValueError` (and `TypeError`), so
a caller's `except ValueError` keeps working. Everything kerasrecipes raises about what a user gave it
(arguments, recipe fields, data files, sweep YAMLs, run directories, rows to predict) is a `UserError`
whose message names the problem, what was expected and the fix. The command line maps exactly this
type (and argparse's errors) to one line on stderr and exit code 2; anything else is a bug in
kerasrecipes or below it and exits 1 with its traceback.

Examples:
    >>> try:
    ...     raise UserError("`units` must be an integer >= 1. Received: units=0")
    ... except ValueError as exc:  # still a ValueError
    ...     print(type(exc).__name__, exc)
    UserError `units` must be an integer >= 1. Received: units=0
"""

from __future__ import annotations


class UserError(ValueError, TypeError):
    """A problem with what the user gave kerasrecipes (CLI exit code 2); see the module docstring."""
