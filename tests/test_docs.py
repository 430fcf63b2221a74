"""The documentation stays true: README.md and every page under docs/ run top to bottom as a reader runs
them, and the site builds with `mkdocs build --strict` (a broken link or a renamed function fails).

How a page runs (CONTRIBUTING.md says the same for writers):
- each page runs in a fresh empty folder, its blocks in order;
- ```python blocks run in one namespace per page, in this process (a later block sees an earlier one's names);
- ```sh blocks run with `bash -e -o pipefail` in the same folder, with this Python's `kerasrecipes` on PATH; a block
  of plain `kerasrecipes ...` lines only (no unquoted pipe, redirection or glob, no variable or escape; a quoted
  `"|"` is a plain word) runs each line through the CLI's entry point in this process (`kerasrecipes.cli.main`,
  what the command calls, with the words bash would pass it), so TensorFlow is imported once;
- a block with `title="NAME"` (any language) is a file the reader saves: it is written to NAME, not run;
- a block right after `<!-- not run: REASON -->` is shown only (it needs a W&B server, another machine, or a test it
  names runs the same thing), but its `kerasrecipes` lines must parse and its Python must compile;
- any other language (text, yaml, json, console output) is shown only.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from mkdocs.__main__ import cli as mkdocs_cli

from kerasrecipes import cli
from kerasrecipes.errors import UserError
from kerasrecipes.recipes._recipe import Recipe, parse_overrides

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
RUNNABLE = {"python", "sh"}
FENCE = re.compile(
    r"^(?:<!-- not run: (?P<skip>[^\n]*?) -->\n)?"
    r"(?P<indent>[ ]*)```(?P<lang>[\w-]*)(?P<attrs>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ ]*$",
    flags=re.S | re.M,
)
TITLE = re.compile(r'title="([^"]+)"')
EXPANDED = set("$`\\")  # expanded by bash even inside double quotes
OPERATORS = set("|<>;&()*?[]{}~")  # operators, globs and braces: bash's own unless quoted


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    body: str
    title: str | None
    skip: str | None


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for m in FENCE.finditer(text):
        title = TITLE.search(m["attrs"])
        found.append(
            Block(
                line=text.count("\n", 0, m.start("indent")) + 1,
                lang=m["lang"],
                body=textwrap.dedent(m["body"]) if m["indent"] else m["body"],
                title=title.group(1) if title else None,
                skip=m["skip"],
            )
        )
    return found


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _marks(page: Path):
    """Pages whose blocks train models are `slow` (`make test` runs them; `-m "not slow"` skips them)."""
    return [pytest.mark.slow] if any(b.lang in RUNNABLE and not b.skip for b in blocks(page)) else []


@pytest.mark.parametrize("page", [pytest.param(p, marks=_marks(p), id=_name(p)) for p in PAGES])
def test_page_runs_top_to_bottom(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    namespace = {"__name__": "__docs__"}
    for block in blocks(page):
        where = f"{_name(page)}:{block.line}"
        if block.skip:
            continue
        if block.title:
            target = tmp_path / block.title
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body)
        elif block.lang == "python":
            exec(compile(block.body, where, "exec"), namespace)  # noqa: S102 - the page's own code
        elif block.lang == "sh" and (commands := _plain_commands(block.body)) is not None:
            for args in commands:
                assert _exit_code(args) == 0, f"{where}: `kerasrecipes {shlex.join(args)}` did not exit 0"
        elif block.lang == "sh":
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", block.body],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, (
                f"{where} exited {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
            )


def _plain_commands(body: str) -> list[list[str]] | None:
    """The arguments of each line when every line is a plain `kerasrecipes ...` command; else None."""
    commands = []
    for line in body.splitlines():
        if _needs_bash(line):
            return None
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] != "kerasrecipes":
            return None
        commands.append(words[1:])
    return commands


def _needs_bash(line: str) -> bool:
    """Whether bash would do more with LINE than split it into words, as `shlex.split` does.

    That is an unquoted operator, glob or brace, a `#` inside a word, or a `$`, backquote or backslash
    anywhere outside single quotes. A `#` that starts a word starts a comment: the rest is not read.
    """
    quote = None
    for i, char in enumerate(line):
        if quote == "'":
            quote = None if char == "'" else quote
        elif char in EXPANDED:
            return True
        elif quote == '"':
            quote = None if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "#":
            return i > 0 and not line[i - 1].isspace()
        elif char in OPERATORS:
            return True
    return False


def _exit_code(args: list[str]) -> int:
    """`kerasrecipes ARGS` through the entry point, with argparse's own exits (`--help`, `--version`) as codes."""
    try:
        return cli.main(args)
    except SystemExit as done:
        return done.code or 0


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_block_says_its_language_and_every_skip_its_reason(page):
    for block in blocks(page):
        assert block.lang, f"{_name(page)}:{block.line}: a code block without a language"
        assert block.skip is None or block.skip.strip(), f"{_name(page)}:{block.line}: `not run:` without a reason"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_block_not_run_still_parses(page):
    """What a page shows but does not run is still code that exists: a `python` block compiles, and each
    `kerasrecipes` line of a `sh` block parses, its `--set` fields recipe fields with legal values, so a renamed
    option or field fails here rather than in a reader's terminal."""
    parser = cli.build_parser()
    for block in blocks(page):
        if not block.skip or block.title:
            continue
        where = f"{_name(page)}:{block.line}"
        if block.lang == "python":
            compile(block.body, where, "exec")
        for line in block.body.splitlines() if block.lang == "sh" else []:
            words = [] if _needs_bash(line) else shlex.split(line, comments=True)
            if words[:1] != ["kerasrecipes"]:
                continue
            try:
                args = parser.parse_args(words[1:])
                Recipe.from_dict(parse_overrides(getattr(args, "set", None) or []))
            except UserError as error:
                pytest.fail(f"{where}: `{line}` does not parse: {error}")


def test_readme_is_a_landing_page():
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    first = next(b for b in blocks(README) if b.lang == "sh")
    assert [line.split()[:2] for line in first.body.splitlines()[:2]] == [["make", "demo"], ["make", "test"]]
    # no history, no machine's timings, no documents outside the repository
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), "a date: history goes to CHANGELOG.md"
    assert not re.search(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b", text), "a commit hash"
    assert not re.search(r"(?i)\bissue \d+|#\d{2,}\b", text), "an issue number"
    assert not re.search(r"\d\s*(ms|s|seconds|minutes)\b", text), "a timing: measurements go to the docs' benchmarks"
    assert "../shared" not in text and not re.search(r"(?i)\bseed 00\d", text), "a document outside the repository"


def test_readme_links_resolve():
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text()):
        if not re.match(r"[a-z]+://", target):
            assert (ROOT / target).exists(), f"README links to {target}, which does not exist"


@pytest.mark.slow
def test_site_builds_strict(tmp_path, monkeypatch, capsys):
    """`mkdocs build --strict`, through MkDocs' own command line in this process: the site is what is tested, not
    the process (a subprocess would only add Python's and MkDocs' start-up).

    Not `--quiet`: it raises MkDocs' logger to errors only, so strict mode would count no warning at all.
    """
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")  # as `make docs`: Material's notice about MkDocs 2
    with pytest.raises(SystemExit) as done:
        mkdocs_cli.main(["build", "--strict", "--site-dir", str(tmp_path / "site")], prog_name="mkdocs")
    output = capsys.readouterr()
    assert done.value.code == 0, output.out[-3000:] + output.err[-6000:]
    assert (tmp_path / "site" / "reference" / "cli" / "index.html").exists()


def test_every_test_the_docs_cite_exists():
    """The guarantees name the tests that prove them: each `tests/...py::name` must be a test there."""
    cited = {
        (m.group(1), m.group(2).split("[")[0])
        for page in [*PAGES, ROOT / "CONTRIBUTING.md"]
        for m in re.finditer(r"(tests/[\w/]+\.py)::(\w[\w\[\]:.-]*)", page.read_text())
    }
    assert cited, "no test is cited"
    missing = [
        f"{path}::{name}"
        for path, name in sorted(cited)
        if not (ROOT / path).is_file() or not re.search(rf"^def {re.escape(name)}\(", (ROOT / path).read_text(), re.M)
    ]
    assert not missing, f"the docs cite tests that do not exist: {missing}"
