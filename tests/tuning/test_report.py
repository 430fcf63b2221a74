"""report.html: one self-contained page per sweep, read back with Python's HTML parser."""

import base64
import contextlib
import html.parser
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kerasrecipes import cli
from kerasrecipes.tuning._report import MIN_TRIALS, REPORT, default_command, write_report
from kerasrecipes.tuning._trial import Trial
from kerasrecipes.tuning.runner import SweepResult

SCRIPT = "<script>alert(1)</script>"
SECTIONS = [
    "Summary",
    "Winner against the default recipe",
    "Retrain the winner",
    "Top trials",
    "Learning curves",
    "Parameters against the metric",
    "Parameter importance",
]


class Page(html.parser.HTMLParser):
    """The parts of a page the tests read: headings, tags with their attributes, and the text of each <code>."""

    def __init__(self, text):
        super().__init__()
        self.h2, self.tags, self.code, self.verdict, self._in = [], [], [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = "verdict" if dict(attrs).get("class") == "verdict" else tag

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        {"h2": self.h2, "code": self.code, "verdict": self.verdict}.get(self._in, []).append(data)


@pytest.fixture(scope="module")
def csv_sweep(tmp_path_factory):
    """A 2-trial grid on a small CSV read with data options (a dropped column named like a script), confirmed on 1
    seed, through the CLI: its folder and what it printed. The grid searches the learning rate alone, so the trials,
    the retrainings and the default train one graph, traced once."""
    folder = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=60), rng.normal(size=60)
    frame = pd.DataFrame({"x1": x1, "x2": x2, SCRIPT: 1.0, "y": 2 * x1 - x2 + rng.normal(scale=0.3, size=60)})
    frame.loc[3, "x2"] = np.nan
    frame.to_csv(folder / "data.csv", index=False, na_rep="?")
    (folder / "s.yaml").write_text(
        "method: grid\nmetric: {name: epoch/val_loss, goal: minimize}\nparameters:\n  units: {value: 8}\n"
        "  learning_rate: {values: [0.01, 0.03]}\n  epochs: {value: 2}\n"
    )
    out = folder / "sweep"
    args = ["sweep", str(folder / "s.yaml"), "--csv", str(folder / "data.csv"), "--target", "y"]
    args += ["--drop", SCRIPT, "--na-values", "?", "--confirm", "1", "--confirm-seeds", "1", "--cv", "0"]
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        assert cli.main([*args, "--tracking", "none", "--quiet", "--out", str(out)]) == 0
    return out, printed.getvalue().splitlines()


def test_the_report_is_one_offline_page_with_every_section_and_the_printed_retrain_command(csv_sweep):
    out, printed = csv_sweep
    text = (out / REPORT).read_text()
    page = Page(text)
    assert page.h2 == SECTIONS
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == 2  # the learning curves and the parallel coordinates
    for attrs in images:
        assert attrs["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(attrs["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not {tag for tag, _ in page.tags} & {"script", "link", "iframe", "object", "embed"}
    assert all(set(attrs) <= {"alt", "src", "class", "style", "lang", "charset"} for _, attrs in page.tags)
    assert "http:" not in text and "https:" not in text and text.count("src=") == len(images)
    retrain = next(line for line in printed if line.startswith("retrain "))
    assert page.code == [retrain.split(None, 1)[1]]  # the very command the sweep printed
    assert f"--drop '{SCRIPT}'" in page.code[0] and "--na-values '?'" in page.code[0]
    assert SCRIPT not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # escaped, shown as text
    verdict = next(line for line in printed if line.startswith("default ")).split(None, 1)[1]
    assert page.verdict == [verdict]  # the sweep's own paired comparison
    assert f"Not computed: too few trials (2 finished; it needs {MIN_TRIALS})." in text


def _trials(n):
    """n made-up finished trials: the metric follows `units`, `optimizer` is noise; and one failed trial."""
    rng = np.random.default_rng(1)
    trials = []
    for i in range(n):
        units, optimizer = int(rng.choice([4, 8, 16, 32, 64, 512])), str(rng.choice(["adam", r"sgd $\frac$"]))
        trials.append(Trial(i, i, {"units": units, "optimizer": optimizer}, "finished", 1 / math.log(units), 3))
    return [*trials, Trial(n, n, {"units": 8, "optimizer": "<b>"}, "failed", error="boom <i>")]


def test_many_trials_rank_the_parameters_and_missing_histories_are_said(tmp_path):
    result = SweepResult(_trials(12), None, "epoch/val_loss", "minimize", tmp_path)
    text = write_report(result, "kerasrecipes train --dataset iris").read_text()
    page = Page(text)
    assert page.h2 == SECTIONS
    assert "Permutation importance of a random forest" in text
    table = text.split("<th>parameter</th>", 1)[1]
    assert table.index("<td>units</td>") < table.index("<td>optimizer</td>")  # the metric follows units
    assert "No learning curves" in text and "not compared with the default recipe." in text
    assert "One line per finished trial (12; 1 without a metric left out)" in text
    assert "trial 12: boom &lt;i&gt;" in text and "<i>" not in text  # the first failure, escaped


def test_a_sweep_without_a_finished_trial_still_gets_its_page(tmp_path):
    result = SweepResult(_trials(0), None, "epoch/val_loss", "minimize", tmp_path)
    text = write_report(result, "kerasrecipes train --dataset iris").read_text()
    assert Page(text).h2 == SECTIONS and "no trial produced the metric" in text and "<img" not in text


@pytest.mark.parametrize(
    "source, target, command",
    [
        ("wine", None, "kerasrecipes train --dataset wine --recipe 'my sweep/best_recipe.yaml'"),
        ("a b.csv", "y", "kerasrecipes train --csv 'a b.csv' --target y --recipe 'my sweep/best_recipe.yaml'"),
        (pd.DataFrame(), "y", "kerasrecipes.train(data, recipe=yaml.safe_load(open('my sweep/best_recipe.yaml')))"),
    ],
)
def test_without_the_clis_command_the_report_shows_one_that_retrains(source, target, command):
    assert default_command(source, target, Path("my sweep")).split("  #")[0] == command
