"""Pages generated from the code at build time (mkdocs-gen-files runs this), so they cannot drift from it.

- reference/api.md: the Python API, from `kerasrecipes.__all__` and the public subpackages' `__all__`
- reference/cli.md: every command's `--help`, from the argument parser
- reference/recipe-fields.md: the recipe fields, from their constraint table
- reference/scenario-table.md: the scenario table, from its data
- benchmarks/: the latest table of each benchmark in bench/results (date, machine and commit are in each)
- changelog.md, contributing.md: CHANGELOG.md and CONTRIBUTING.md of the repository root
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import mkdocs_gen_files

import kerasrecipes
from kerasrecipes import cli
from kerasrecipes.recipes import _recipe, _table

ROOT = Path(__file__).parent.parent
RESULTS = ROOT / "bench" / "results"
PUBLIC_PACKAGES = ["kerasrecipes.callbacks", "kerasrecipes.data", "kerasrecipes.streaming"]
MODEL_MODULES = [
    "dense",
    "conv",
    "recurrent",
    "layers",
    "losses",
    "metrics",
    "regularizers",
    "activations",
    "optimizers",
    "reference",
    "end_to_end",
]


def _write(path: str, text: str) -> None:
    with mkdocs_gen_files.open(path, "w") as fh:
        fh.write(text)


def api_page() -> str:
    out = [
        "# Python API",
        "",
        "Generated from the docstrings. `import kerasrecipes as kr` gives the names of the first section; "
        "it does not import TensorFlow until one of them is used.",
        "",
        "## `kerasrecipes`",
        "",
    ]
    for name in kerasrecipes.__all__:
        if name.startswith("__"):
            continue
        out += [f"::: {kerasrecipes._EXPORTS[name]}.{name}", "    options:", "      heading_level: 3", ""]
    for package in PUBLIC_PACKAGES:
        out += [
            f"## `{package}`",
            "",
            f"::: {package}",
            "    options:",
            "      show_root_heading: false",
            "      heading_level: 3",
            "      members: " + repr(_public_names(package)),
            "",
        ]
    out += ["## `kerasrecipes.models`", ""]
    for module in MODEL_MODULES:
        out += [f"::: kerasrecipes.models.{module}", "    options:", "      heading_level: 3", ""]
    return "\n".join(out)


def _public_names(package: str) -> list[str]:
    """A public subpackage's `__all__`, read from its source: importing it would import TensorFlow."""
    tree = ast.parse((ROOT / package.replace(".", "/") / "__init__.py").read_text())
    names = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]
    )
    return list(ast.literal_eval(names))


def cli_page() -> str:
    parser = cli.build_parser()
    out = [
        "# Command line",
        "",
        "Generated from the argument parser. Exit codes: 0 success; 1 an internal bug (with a traceback) or "
        "`reproduce` found differences; 2 a user error (one line on standard error naming the problem and a "
        "fix); 3 training diverged; 141 standard output's reader left early.",
        "",
        "## `kerasrecipes`",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # argparse's own
    for name, sub in commands.choices.items():
        out += [f"## `kerasrecipes {name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(out)


def fields_page() -> str:
    out = [
        "# Recipe fields",
        "",
        "Generated from the constraint table that validates them. A recipe field has the same name as a "
        "`Recipe` attribute, a `--set NAME=VALUE` of `kerasrecipes train`, a key of a `--recipe` YAML file "
        "and a parameter of a sweep YAML.",
        "",
        "| field | allowed values | meaning |",
        "|---|---|---|",
    ]
    for name, (constraint, doc) in _recipe.FIELDS.items():
        out.append(f"| `{name}` | {_cell(constraint.describe())} | {_cell(doc)} |")
    return "\n".join(out) + "\n"


def scenario_page() -> str:
    rows = [_table.get_scenario(n).as_row() for n in _table.list_scenarios()]
    cols = list(rows[0])
    t = _table.DEFAULT_THRESHOLDS
    out = [
        "# Scenario table",
        "",
        "Generated from the table's data (`kerasrecipes recipes` prints the same). A row gives a task and a "
        "data regime its output activation, loss, optimizers (the first is the default), metrics and the "
        "monitored metric.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    out += ["| " + " | ".join(_cell(r[c]) for c in cols) + " |" for r in rows]
    out += ["", "## Uses", "", "| what you train | data options | rows |", "|---|---|---|"]
    out += [f"| {use} | `{_cell(how)}` | `{row}` |" for use, how, row in _table.USES]
    out += [
        "",
        "## Regimes",
        "",
        f"- more features: `n_features >= {t.more_features}` (`MORE_FEATURES_THRESHOLD`)",
        f"- large dataset: `n_samples >= {t.large_dataset}` (`LARGE_DATASET_THRESHOLD`)",
        "- both are overridable per call with `kerasrecipes.Thresholds(more_features=..., large_dataset=...)`",
        "",
        "## Size defaults of the regression and multiclass rows",
        "",
    ]
    for size, values in _table.SIZE_DEFAULTS.items():
        out.append(f"- {size.replace('_', ' ')}: " + ", ".join(f"`{k}={v}`" for k, v in values.items()))
    out += [
        "",
        f"## Default learning rates (at batch size {_table.REFERENCE_BATCH_SIZE})",
        "",
        "| optimizer | learning rate |",
        "|---|---|",
    ]
    out += [f"| {k} | {v:g} |" for k, v in _table.OPTIMIZER_LEARNING_RATES.items()]
    out += [
        "",
        " and ".join(_table.SQRT_SCALED_OPTIMIZERS) + f" scale their rate by "
        f"`sqrt(batch_size / {_table.REFERENCE_BATCH_SIZE})` (adam at batch 128: "
        f"{_table.default_learning_rate('adam', 128):g}).",
    ]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def benchmark_pages() -> None:
    """One page per result file; the index shows the newest result of each benchmark, newest first."""
    latest: dict[str, Path] = {}
    for path in sorted(RESULTS.glob("*.md")):
        match = re.match(r"(\d{4}-\d{2}-\d{2})-(.+)\.md$", path.name)
        if not match:
            continue
        family = match.group(2)
        _write(f"benchmarks/results/{path.name}", _demote(path.read_text()))
        if family not in latest or path.name > latest[family].name:
            latest[family] = path
    out = [
        "# Performance",
        "",
        "Every table here was measured by a script in `bench/` and kept in `bench/results/`; each says its date, "
        "machine, command and, where recorded, its commit. `make bench` reruns the main ones. This page is "
        "generated: the newest result of each benchmark, newest first.",
        "",
    ]
    for path in sorted(latest.values(), key=lambda p: p.name, reverse=True):
        title = path.read_text().splitlines()[0].lstrip("# ").strip()
        out.append(f"- [{title}](results/{path.name}) (`bench/results/{path.name}`)")
    _write("benchmarks/index.md", "\n".join(out) + "\n")


def _demote(text: str) -> str:
    """A result file's links to its neighbours stay inside the site; nothing else changes."""
    return re.sub(r"\]\((?!https?://)([^)\s]+?)\.json\)", r"](\1.md)", text)


_write("reference/api.md", api_page())
_write("reference/cli.md", cli_page())
_write("reference/recipe-fields.md", fields_page())
_write("reference/scenario-table.md", scenario_page())
benchmark_pages()
for name in ("CHANGELOG.md", "CONTRIBUTING.md"):
    _write(name.lower(), (ROOT / name).read_text())
