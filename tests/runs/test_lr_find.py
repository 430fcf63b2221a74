"""The learning-rate range test (issue 30, item 5): `lr_find`, `kerasrecipes lr-find` and `learning_rate="find"`.

The rule is tested on synthetic curves (no training): early spikes change nothing, noise moves the
suggestion little, the suggestion stays in [min_lr, max_lr]. The runs are tiny (iris, 30 steps).
"""

import doctest
import json
import math

import numpy as np
import pytest

import kerasrecipes as kr
from kerasrecipes import cli
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import coerce_value
from kerasrecipes.runs import _lr_find, _lr_range

STEPS = 100
RATES = _lr_range.rates_for(1e-6, 1.0, STEPS)


def _curve(steepest: float = -3.0) -> np.ndarray:
    """A loss that falls fastest at 10**steepest, then rises as the rate grows past 0.1."""
    x = np.log10(RATES)
    return 2.0 - 1.6 / (1 + np.exp(-(x - steepest) / 0.6)) + np.where(x > -1, 10 ** (2 * (x + 1)) - 1, 0)


def test_the_rule_ignores_spikes_in_the_first_steps():
    losses = _curve()
    clean = _lr_range.suggest(RATES, losses, STEPS)
    spiked = losses.copy()
    spiked[[0, 2, 5, 9]] = [80.0, 1e4, 0.0, 30.0]  # within the first 10%
    assert _lr_range.suggest(RATES, spiked, STEPS) == clean
    assert clean[1].startswith("steepest descent of the smoothed loss")
    assert abs(math.log10(clean[0]) + 3) < 0.3


def test_a_spike_after_the_ignored_steps_moves_nothing():
    losses = _curve()
    spiked = losses.copy()
    spiked[30] *= 50  # the running median does not see one batch
    assert _lr_range.suggest(RATES, spiked, STEPS) == _lr_range.suggest(RATES, losses, STEPS)
    stop = _lr_range._DivergenceStop(STEPS)
    assert not any(stop.diverged(loss) for loss in spiked[_lr_range.skipped_steps(STEPS) : 80])


def test_noise_moves_the_suggestion_little():
    """Lightning#1767: suggestions that jump from run to run. With per-batch noise of 15% and a few
    batches at 2-10x the loss, the suggestion is typically within a third of a decade of the steepest
    point, and never a decade off."""
    errors = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        losses = _curve() * (1 + 0.15 * rng.standard_normal(STEPS))
        losses = np.where(rng.random(STEPS) < 0.03, losses * rng.uniform(2, 10, STEPS), losses)
        errors.append(abs(math.log10(_lr_range.suggest(RATES, losses, STEPS)[0]) + 3))
    assert np.median(errors) < 0.35 and max(errors) < 1.0, errors


def test_a_curve_without_a_clear_descent_gets_its_minimum_over_ten():
    losses = 1.0 + 0.02 * (np.log10(RATES) + 2) ** 2 / 16  # a dip of under 5%, lowest at 1e-2
    rate, rule = _lr_range.suggest(RATES, losses, STEPS)
    lowest = RATES[10 + np.argmin(_lr_range.smooth(losses, STEPS)[10:])]
    assert rule.startswith("no clear descent") and rate == lowest / 10 and 1e-3 < lowest < 2e-2
    rate, _ = _lr_range.suggest(RATES[:12], np.ones(12), STEPS)  # a test that stopped early
    assert rate == max(RATES[10] / 10, RATES[0])


@pytest.mark.parametrize("seed", range(5))
def test_the_suggestion_lies_between_min_lr_and_max_lr(seed):
    rng = np.random.default_rng(seed)
    rates = _lr_range.rates_for(1e-4, 0.5, 40)
    n = int(rng.integers(5, 41))
    rate, _ = _lr_range.suggest(rates[:n], rng.lognormal(size=n), 40)
    assert 1e-4 <= rate <= 0.5


def test_lr_find_is_seeded_bit_for_bit():
    first = kr.lr_find("iris", steps=30)
    again = kr.lr_find("iris", steps=30)
    assert np.array_equal(first.losses, again.losses) and np.array_equal(first.rates, again.rates)
    assert first.suggestion == again.suggestion and first.rule == again.rule
    assert 1e-6 <= first.suggestion <= 1.0 and first.rates[0] == 1e-6
    assert first.summary()["steps_run"] == len(first.losses) and first.scenario == "multiclass-less-features"
    other = kr.lr_find("iris", steps=30, seed=1)
    assert not np.array_equal(first.losses, other.losses)


def test_the_cli_writes_the_curve_and_prints_the_suggestion(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lr-find", "--dataset", "iris", "--steps", "20", "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    folder = tmp_path / "runs" / "lr-find-iris"
    png, table = folder / "lr_find.png", folder / "lr_find.csv"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = table.read_text().splitlines()
    assert rows[0] == "step,learning_rate,loss,smoothed" and len(rows) == 1 + summary["steps_run"]
    assert rows[1].endswith(",") and not rows[-1].endswith(",")  # the ignored first step is not smoothed
    assert summary["files"] == {
        "lr_find.csv": str(table.relative_to(tmp_path)),
        "lr_find.png": str(png.relative_to(tmp_path)),
    }
    assert cli.main(["lr-find", "--dataset", "iris", "--steps", "20", "--quiet"]) == 2  # files exist: --overwrite
    assert "pass --overwrite" in capsys.readouterr().err
    assert cli.main(["lr-find", "--dataset", "iris", "--steps", "20", "--quiet", "--overwrite"]) == 0
    out = capsys.readouterr().out
    assert f"learning_rate={summary['suggestion']:.3g}" in out and "kerasrecipes train --dataset iris --set" in out


def test_learning_rate_find_trains_at_the_rate_found_and_reproduces(tmp_path):
    """A second `train` with "find" is not run: the test gives the same rate again (`lr_find`'s, below), and
    training at that rate gives the run's weights bit for bit (the retrain, without the test)."""
    recipe = {"learning_rate": "find", "epochs": 2}
    result = kr.train("iris", recipe=recipe, out=tmp_path / "run", tracking="none", verbose=0)
    found = result.manifest["lr_find"]
    assert set(found) == {"suggestion", "rule", "min_lr", "max_lr", "steps", "steps_run", "stop_reason"}
    assert result.recipe.learning_rate == result.manifest["recipe"]["learning_rate"] == found["suggestion"]
    assert found["suggestion"] == kr.lr_find("iris").suggestion  # the same split, model and seed
    report = kr.reproduce(tmp_path / "run", retrain=True, verbose=0)  # retrains at the number, no test
    assert report.identical, report.reasons


def test_find_is_a_legal_learning_rate_only_where_data_are():
    assert kr.Recipe(learning_rate="find").learning_rate == "find"
    assert coerce_value("learning_rate", "find") == "find"
    with pytest.raises(UserError, match=r"must be a real number > 0\.0 or 'find'\. Received: learning_rate='fnd'"):
        kr.Recipe(learning_rate="fnd")
    with pytest.raises(UserError, match=r"learning_rate='find' is chosen by a range test on training data"):
        kr.build_model(kr.Recipe(learning_rate="find"), (4,), 3)


def test_docstring_examples():
    assert doctest.testmod(_lr_range).failed == 0
    assert doctest.testmod(_lr_find).failed == 0
