"""The learning-rate range test on a run's prepared data: the loss at growing rates, and a rate read off it.

A throwaway copy of the run's model (the resolved recipe's, built and seeded as `train` builds it)
trains `steps` mini-batches of the training split at a learning rate that grows exponentially from
`min_lr` to `max_lr`, one compiled fast-road step per batch (`engine.Program`: the run's shuffle,
step code and row weights), and the loss of each batch is kept. The curve is then smoothed and one
rate is suggested by a rule that early spikes cannot fool (`suggest`). `lr_find` runs it on the data
`train` takes; `train` runs it first when the recipe's `learning_rate` is "find" (`find_rate`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from kerasrecipes._io import atomic_path, atomic_write_text
from kerasrecipes._log import get_logger
from kerasrecipes._validation import Interval, check, invalid
from kerasrecipes.errors import UserError
from kerasrecipes.runs import _fit
from kerasrecipes.runs.fast_road import _traces, engine

logger = get_logger(__name__)

MIN_LR = 1e-6
"""The smallest rate tried (the first step's)."""
MAX_LR = 1.0
"""The largest rate tried (the last step's, unless the loss diverges first)."""
STEPS = 100
"""Mini-batches in a range test (the data repeat, reshuffled, when one epoch holds fewer)."""
SKIP_FRACTION = 0.1
"""The share of the first steps left out of the smoothing, the suggestion and the divergence stop."""
SMOOTHING_FRACTION = 0.2
"""The share of the steps one running median spans (an odd number of steps, at least 3)."""
WINDOW_FRACTION = 0.2
"""The share of the steps one descent window spans (at least 2 steps)."""
DIVERGENCE = 4.0
"""The test stops once the median of the last losses exceeds this many times its smallest value so far."""
CLEAR_DESCENT = 0.05
"""The smoothed loss must fall by this share of its first value before its minimum, or the curve has no clear descent."""
CSV_NAME, PNG_NAME = "lr_find.csv", "lr_find.png"


def skipped_steps(steps: int) -> int:
    """How many of the first steps the rule ignores: `SKIP_FRACTION` of them, at least 1."""
    return max(1, math.ceil(SKIP_FRACTION * steps))


def window_steps(steps: int) -> int:
    """The width of a descent window, in steps: `WINDOW_FRACTION` of them, at least 2."""
    return max(2, round(WINDOW_FRACTION * steps))


def median_steps(steps: int) -> int:
    """The steps one running median spans: `SMOOTHING_FRACTION` of them, odd, at least 3."""
    return max(3, 2 * round(SMOOTHING_FRACTION * steps / 2) + 1)


def rates_for(min_lr: float, max_lr: float, steps: int) -> np.ndarray:
    """The rate of each step: `min_lr * (max_lr / min_lr) ** (i / (steps - 1))`, i = 0 .. steps - 1."""
    return min_lr * (max_lr / min_lr) ** (np.arange(steps) / (steps - 1))


class _DivergenceStop:
    """The online divergence check: the median of the last `median_steps` losses (the skipped ones left
    out; once half of them are in) against the smallest such median so far. A median, unlike a mean,
    does not move for a spike."""

    def __init__(self, steps: int) -> None:
        self.span, self.recent, self.best = median_steps(steps), [], math.inf

    def diverged(self, loss: float) -> bool:
        self.recent = [*self.recent[1 - self.span :], loss]
        if len(self.recent) <= self.span // 2:
            return False
        median = float(np.median(self.recent))
        self.best = min(self.best, median)
        return median > DIVERGENCE * self.best


def smooth(losses: Any, steps: int) -> np.ndarray:
    """The smoothed curve: NaN for the first `skipped_steps(steps)` steps, then at each step the median of
    the losses within `median_steps(steps) // 2` steps of it (fewer at the ends; the skipped ones never
    count). Centred, so the curve does not lag behind the rate, and a median, so a spike moves nothing."""
    losses = np.asarray(losses, dtype=float)
    skip, half = skipped_steps(steps), median_steps(steps) // 2
    out = np.full(len(losses), np.nan)
    for i in range(skip, len(losses)):
        out[i] = np.median(losses[max(skip, i - half) : i + half + 1])
    return out


def suggest(rates: Any, losses: Any, steps: int) -> tuple[float, str]:
    """The suggested learning rate of a range test's curve, and the rule that chose it, in one line.

    The rule, robust to early spikes and to the noise of single batches:

    1. the first `skipped_steps(steps)` (10%) losses are ignored: a spike there, or the steep fall of a
       fresh model, weighs on nothing;
    2. the rest is smoothed by a centred running median over `median_steps(steps)` (20%) steps
       (`smooth`): it does not lag behind the rate, as an exponential moving average does, and one
       spike does not move it;
    3. among the windows of `window_steps(steps)` (20%) consecutive steps that end at or before the
       smoothed minimum, the one over which the smoothed loss falls most is the steepest descent (a
       slope over a window, not between neighbouring points, which noise would decide); the
       suggestion is the rate at its middle;
    4. without a clear descent (no window falls, or the smoothed loss falls by less than 5% of its
       first value before its minimum) the suggestion is the minimum's rate / 10 (at least the first rate).

    Args:
        rates: the learning rate of each recorded step (`rates_for`).
        losses: the training loss of each recorded step (finite).
        steps: the steps the test was planned with (they fix the shares above).

    Returns:
        (suggested rate, rule text).

    Example:
        >>> rates = rates_for(1e-6, 1.0, 100)
        >>> losses = 2 - np.tanh(np.log10(rates) + 3)  # falls fastest at 1e-3
        >>> losses[:5] = 50.0  # an early spike
        >>> rate, rule = suggest(rates, losses, 100)
        >>> f"{rate:.2g}", rule.split(":")[0]
        ('0.0011', 'steepest descent of the smoothed loss')
    """
    rates, losses = np.asarray(rates, dtype=float), np.asarray(losses, dtype=float)
    skip, width = skipped_steps(steps), window_steps(steps)
    smoothed = smooth(losses, steps)
    how = f"running median of {median_steps(steps)} steps, the first {skip} of {steps} ignored"
    best = skip + int(np.argmin(smoothed[skip:]))
    if best - skip >= width:
        drops = smoothed[skip + width : best + 1] - smoothed[skip : best + 1 - width]
        start = skip + int(np.argmin(drops))
        fell = smoothed[skip] - smoothed[best]
        if drops[start - skip] < 0 and fell > CLEAR_DESCENT * abs(smoothed[skip]):
            middle = start + width // 2
            return float(rates[middle]), (
                f"steepest descent of the smoothed loss: {rates[middle]:.3g}, the middle of the {width}-step "
                f"window over which it falls most before its minimum ({how})"
            )
    rate = max(float(rates[best]) / 10, float(rates[0]))
    return rate, (
        f"no clear descent: the smoothed loss's minimum is at {rates[best]:.3g}, and a tenth of it is {rate:.3g} ({how})"
    )


@dataclasses.dataclass
class LRFindResult:
    """What a learning-rate range test found (`lr_find`, or `train` with `learning_rate="find"`).

    Attributes:
        rates: the learning rate of each step run.
        losses: the training loss of each step run (one mini-batch each).
        smoothed: the smoothed losses (`smooth`: a centred running median; NaN for the skipped first steps).
        suggestion: the suggested learning rate, in [min_lr, max_lr].
        rule: the rule that chose it, in one line (see `suggest`).
        min_lr: the first step's rate.
        max_lr: the last planned step's rate.
        steps: the planned steps.
        stop_reason: why the test ended: "max_lr reached", or the divergence that stopped it.
        seed: the seed of the model's initialization and the shuffle.
        scenario: the scenario-table row of the model tested.
        files: name -> path of each file `write` wrote.
    """

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    rule: str
    min_lr: float
    max_lr: float
    steps: int
    stop_reason: str
    seed: int
    scenario: str
    files: dict[str, str] = dataclasses.field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """What a run's manifest keeps of the test (`manifest["lr_find"]`)."""
        return {
            "suggestion": self.suggestion,
            "rule": self.rule,
            "min_lr": self.min_lr,
            "max_lr": self.max_lr,
            "steps": self.steps,
            "steps_run": len(self.losses),
            "stop_reason": self.stop_reason,
        }

    def summary(self) -> dict[str, Any]:
        """The record, the seed, the row and the files written, as JSON values."""
        return {**self.record(), "seed": self.seed, "scenario": self.scenario, "files": dict(self.files)}

    def __repr__(self) -> str:
        return (
            f"LRFindResult(suggestion={self.suggestion:.3g}, steps_run={len(self.losses)}, "
            f"stop_reason={self.stop_reason!r}, rule={self.rule!r})"
        )

    def write(self, out: str | os.PathLike) -> None:
        """Write `lr_find.csv` (step, learning_rate, loss, smoothed) and `lr_find.png` into folder `out`, each atomically."""
        out = Path(out)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["step", "learning_rate", "loss", "smoothed"])
        for i, (rate, loss, smoothed) in enumerate(zip(self.rates, self.losses, self.smoothed)):
            writer.writerow(
                [i, repr(float(rate)), repr(float(loss)), "" if np.isnan(smoothed) else repr(float(smoothed))]
            )
        atomic_write_text(out / CSV_NAME, text.getvalue())
        self._plot(out / PNG_NAME)
        self.files = {CSV_NAME: str(out / CSV_NAME), PNG_NAME: str(out / PNG_NAME)}

    def _plot(self, path: Path) -> None:
        """The loss against the rate (log scale): each batch's, the smoothed curve, the skipped steps and the suggestion."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.4, 4.0))
        figure.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.91)
        axes = figure.subplots()
        skip = skipped_steps(self.steps)
        axes.plot(self.rates, self.losses, color="0.7", linewidth=0.8, label="loss of each batch")
        axes.plot(self.rates, self.smoothed, color="C0", label="smoothed")
        if len(self.rates) > skip:
            axes.axvspan(self.rates[0], self.rates[skip], color="0.92", label=f"first {skip} steps, ignored")
        axes.axvline(self.suggestion, color="C3", linestyle="--", label=f"suggestion {self.suggestion:.3g}")
        kept = self.smoothed[np.isfinite(self.smoothed)]
        if len(kept):  # the divergence at the end and the ignored start off the scale
            low, high = float(np.min(kept)), float(np.max(kept))
            margin = 0.1 * (high - low) or 0.1 * abs(high) or 0.1
            axes.set_ylim(low - margin, high + margin)
        axes.set(xscale="log", xlabel="learning rate", ylabel="training loss", title="learning-rate range test")
        axes.legend(fontsize="small")
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format="png", dpi=100)


def check_arguments(min_lr: Any, max_lr: Any, steps: Any) -> None:
    """One-line errors for a range test's arguments."""
    check("min_lr", min_lr, Interval("real", 0.0, None, "neither"))
    check("max_lr", max_lr, Interval("real", 0.0, None, "neither"))
    check("steps", steps, Interval("integer", 10, 100_000))
    if min_lr >= max_lr:
        raise UserError(
            invalid("min_lr", f"less than max_lr={max_lr!r} (the rate grows from min_lr to max_lr)", min_lr)
        )


def run(
    recipe: Any,
    row: Any,
    info: Any,
    source: Any,
    prepared: Any,
    *,
    min_lr: float = MIN_LR,
    max_lr: float = MAX_LR,
    steps: int = STEPS,
    verbose: int = 0,
) -> LRFindResult:
    """The range test of a resolved recipe on prepared data (see the module docstring).

    The model is built as `train` builds it (`_fit._build`, after `seeding.fresh_run(recipe.seed)`), at a
    constant rate that each step sets; it is thrown away afterwards. The test stops after `steps` steps,
    at a loss that is not finite, or once past the skipped steps when the median of the last losses
    exceeds `DIVERGENCE` times its smallest value (`_DivergenceStop`). The same call gives the same
    curve bit for bit.
    """
    import tensorflow as tf

    from kerasrecipes.models.optimizers import effective_batch_size
    from kerasrecipes.seeding import fresh_run

    probe = recipe.replace(learning_rate=float(min_lr), lr_schedule="constant")
    plan = _fit.Plan(recipe=probe, row=row, info=info, source=source, prepared=prepared)
    fresh_run(recipe.seed, keep_kernels=_fit._own_code_only(plan))
    batch_size = effective_batch_size(probe.gradient_descent, probe.batch_size, prepared.n_rows["train"])
    model = _fit._build(plan, batch_size)
    program, batches = _batches(model, prepared, batch_size, recipe.seed)
    step = tf.function(program.step, reduce_retracing=True, autograph=False)
    rates, losses, stop, skip = rates_for(min_lr, max_lr, steps), [], _DivergenceStop(steps), skipped_steps(steps)
    stop_reason = "max_lr reached"
    if verbose:
        logger.info(f"learning-rate range test: {steps} steps from {min_lr:g} to {max_lr:g}")
    for i, batch in zip(range(steps), batches):
        model.optimizer.learning_rate = float(rates[i])
        loss = float(step(*batch)[0])
        if not math.isfinite(loss):
            stop_reason = f"the loss was not finite at {rates[i]:.3g} (step {i + 1})"
            break
        losses.append(loss)
        if i >= skip and stop.diverged(loss):
            stop_reason = (
                f"the median of the last losses passed {DIVERGENCE:g}x its minimum at {rates[i]:.3g} (step {i + 1})"
            )
            break
    _traces.release_custom_gradients(step)
    if len(losses) <= skip:
        raise UserError(
            f"The learning-rate range test stopped at step {len(losses) + 1} of {steps} ({stop_reason}), before "
            f"the first {skip} steps it ignores were over. Lower min_lr (now {min_lr:g}), or check the data."
        )
    rates = rates[: len(losses)]
    suggestion, rule = suggest(rates, losses, steps)
    return LRFindResult(
        rates=rates,
        losses=np.asarray(losses),
        smoothed=smooth(losses, steps),
        suggestion=suggestion,
        rule=rule,
        min_lr=float(min_lr),
        max_lr=float(max_lr),
        steps=int(steps),
        stop_reason=stop_reason,
        seed=recipe.seed,
        scenario=row.name,
    )


def _batches(model: Any, prepared: Any, batch_size: int, seed: int) -> tuple[Any, Any]:
    """The fast road's program for `model`, and an endless iterator of (x, y, row weights) batches.

    In memory: the run's own shuffle (epoch e permuted from (seed, e)), epoch after epoch. Streamed:
    the training pipeline's batches, pass after pass, weighted by the class weights.
    """
    import tensorflow as tf

    arrays = prepared.arrays()
    if arrays is not None:
        weights = engine.expand_sample_weight(arrays["y"], arrays["class_weight"], arrays["sample_weight"])
        validation = (arrays["x_val"], arrays["y_val"])
        program = engine.Program(model, arrays["x"], arrays["y"], validation, batch_size, seed, weights)

        def shuffled():
            for epoch in itertools.count():
                perm = program.permutation(tf.constant(epoch, tf.int64), program.seed, program.n)
                for k in range(program.steps):
                    yield program.batch(perm, k, program.x, program.y, program.w)

        return program, shuffled()
    train, _ = prepared.datasets(batch_size, seed)
    x, y = (np.asarray(t) for t in next(iter(train)))
    program = engine.Program(model, x, y, (x, y), batch_size, seed, None)  # the step's code; its tensors unused

    def streamed():
        for _ in itertools.count():
            for x, y in train:
                yield x, y, engine.expand_sample_weight(np.asarray(y), prepared.class_weight, None)

    return program, streamed()


def find_rate(
    recipe: Any, row: Any, info: Any, source: Any, prepared: Any, verbose: int = 0
) -> tuple[Any, dict | None]:
    """A resolved recipe whose `learning_rate` is "find", with the range test's suggestion in its place
    (defaults `MIN_LR`, `MAX_LR`, `STEPS`), and the test's record for the manifest; any other recipe as it
    is, with None."""
    if recipe.learning_rate != "find":
        return recipe, None
    found = run(recipe, row, info, source, prepared, verbose=verbose)
    if verbose:
        logger.info(f"learning_rate={found.suggestion:.3g} found by the range test ({found.rule})")
    return recipe.replace(learning_rate=found.suggestion), found.record()
