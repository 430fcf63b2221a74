"""The `kerasrecipes` command line. Thin: parse, look up, run.

User errors print one line to stderr and exit 2 (no traceback unless --debug); internal bugs exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence

EXIT_USAGE = 2


class UserError(Exception):
    """A problem with what the user gave us: reported in one line, exit code 2."""


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
    t = _table.DEFAULT_THRESHOLDS
    print(f"\nregimes: more features = n_features >= {t.more_features}; "
          f"large dataset = n_samples >= {t.large_dataset}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from kerasrecipes import demo

    return demo.main(args)


def build_parser() -> argparse.ArgumentParser:
    from kerasrecipes import __version__

    parser = argparse.ArgumentParser(
        prog="kerasrecipes",
        description="Seed 004's scenario table as Keras 3 recipes: pick the head, loss and optimizer, "
        "train reproducibly, tune with W&B sweeps.",
    )
    parser.add_argument("--version", action="version", version=f"kerasrecipes {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("recipes", help="print the scenario table (or the recipe fields)")
    p.add_argument("--task", choices=["regression", "binary", "multiclass", "cnn", "rnn"],
                   help="only the rows of this task")
    p.add_argument("--fields", action="store_true", help="list every recipe field with its legal values")
    p.set_defaults(func=_cmd_recipes)

    p = sub.add_parser("demo", help="build a model for every scenario row on bundled data and summarize")
    p.add_argument("--quick", action="store_true", help="fewer epochs (used by tests)")
    p.set_defaults(func=_cmd_demo)
    return parser




def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(func(args) or 0)
    except (UserError, ValueError, TypeError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        if args.debug:
            raise
        print(f"kerasrecipes: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kerasrecipes: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())
