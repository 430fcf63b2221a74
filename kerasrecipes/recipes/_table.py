"""The scenario table of seed 004, as data: one row per (task, data regime).

Seed 004 ends with this table (activation = output activation for the tabular rows, hidden
activation for the deep-learning rows)::

    | Scenario                  | Task                       | Activation  | Loss                      | Optimizer     |
    | More independent features | Regression                 | None / ReLU | Mean Squared Error (MSE)  | Adam, RMSprop |
    | Less independent features | Regression                 | None / ReLU | Mean Squared Error (MSE)  | Adam, SGD     |
    | Large dataset             | Binary Classification      | Sigmoid     | Binary Cross-Entropy      | Adam, RMSprop |
    | Small dataset             | Binary Classification      | Sigmoid     | Binary Cross-Entropy      | Adam, SGD     |
    | More independent features | Multiclass Classification  | Softmax     | Categorical Cross-Entropy | Adam, RMSprop |
    | Less independent features | Multiclass Classification  | Softmax     | Categorical Cross-Entropy | Adam, SGD     |
    | Large dataset             | Deep Learning (CNNs, RNNs) | ReLU        | Cross-Entropy             | Adam, RMSprop |
    | Small dataset             | Deep Learning (CNNs, RNNs) | ReLU        | Cross-Entropy             | Adam, SGD     |

Every row below keeps the seed's optimizer order (the first is the default). The deep-learning
row is split into a CNN and an RNN row each, because they need different builders; their head
follows the target (binary -> sigmoid + binary cross-entropy, multiclass -> softmax + categorical
cross-entropy), which is what the seed's "Cross-Entropy" means for a classifier.

Rows also carry what the seed implies but does not print: metrics, the monitored metric and its
mode, and regime defaults. Seed 003: "If you don't have much training data ... you need
regularization", so small-dataset and less-features rows default to more dropout and L2; seed 001
recommends gradient clipping for RNNs, so the RNN rows clip the global norm by default.

The table splits regression and multiclass by feature count only, but data size matters to them
too: `SIZE_DEFAULTS` gives those rows the size-regime defaults the binary rows have (see
`row_defaults`).
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kerasrecipes._tasks import TARGET_TASKS
from kerasrecipes._validation import Interval, check, invalid, options, unknown_name
from kerasrecipes.data import _prepare
from kerasrecipes.errors import UserError

TASKS = (*TARGET_TASKS, "cnn", "rnn")
"""Closed set of the table's task names: the target tasks (`_tasks.TARGET_TASKS`) plus the deep-learning rows."""

REGIMES = ("more_features", "less_features", "large_dataset", "small_dataset")
_TASK_OPTIONS = options(*TASKS)

MORE_FEATURES_THRESHOLD = 20
"""A tabular problem has "more independent features" when it has at least this many input columns.

20 sits between the bundled small-width sets (iris 4, wine 13, diabetes 10) and the wide ones
(breast_cancer 30, digits 64); override per call with `Thresholds(more_features=...)`."""

LARGE_DATASET_THRESHOLD = 10_000
"""A problem is a "large dataset" when it has at least this many training samples.

Below roughly ten thousand samples a network overfits easily and small-batch SGD is cheap, which
is the seed's reason to prefer Adam/SGD with more regularization; override with
`Thresholds(large_dataset=...)`."""


@dataclass(frozen=True)
class Thresholds:
    """Regime thresholds. Defaults to the named module constants.

    Args:
        more_features: minimum input-feature count of the "more independent features" regime.
            Defaults to `MORE_FEATURES_THRESHOLD` (20).
        large_dataset: minimum sample count of the "large dataset" regime. Defaults to
            `LARGE_DATASET_THRESHOLD` (10000).
    """

    more_features: int = MORE_FEATURES_THRESHOLD
    large_dataset: int = LARGE_DATASET_THRESHOLD

    def __post_init__(self) -> None:
        check("more_features", self.more_features, Interval("integer", 1))
        check("large_dataset", self.large_dataset, Interval("integer", 1))


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Scenario:
    """One row of the scenario table.

    Attributes:
        name: unique row name, e.g. "binary-small-dataset".
        task: one of `TASKS`.
        regime: one of `REGIMES`.
        seed_scenario: the seed's own wording of the regime ("Small dataset").
        builder: the model builder the row uses: "dense", "cnn" or "rnn".
        output_activation: the head activation ("linear", "sigmoid", "softmax"), or "target" for
            the deep-learning rows whose head follows the target.
        output_activation_choices: every head activation the seed allows for the row, first is the
            default ("None / ReLU" -> ("linear", "relu")).
        loss: the loss name ("mean_squared_error", "binary_crossentropy",
            "categorical_crossentropy", or "crossentropy" for the deep rows: binary or categorical
            by class count). Categorical cross-entropy is compiled in its sparse form for integer
            labels and dense form for one-hot labels.
        optimizers: the seed's optimizer choices in its order; the first is the default.
        metrics: Keras metric names compiled with the model.
        monitor: metric watched by early stopping and checkpoints.
        mode: "min" or "max", the direction of `monitor`.
        defaults: this row's recipe defaults (field name -> value); merged over `BASE_DEFAULTS`.
    """

    name: str
    task: str
    regime: str
    seed_scenario: str
    builder: str
    output_activation: str
    output_activation_choices: tuple[str, ...]
    loss: str
    optimizers: tuple[str, ...]
    metrics: tuple[str, ...]
    monitor: str = "val_loss"
    mode: str = "min"
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def optimizer(self) -> str:
        return self.optimizers[0]

    def as_row(self) -> dict[str, str]:
        """The row as printable strings (used by `kerasrecipes recipes`)."""
        return {
            "name": self.name,
            "task": self.task,
            "regime": self.seed_scenario,
            "output": " / ".join(self.output_activation_choices),
            "loss": self.loss,
            "optimizers": ", ".join(self.optimizers),
            "metrics": ", ".join(self.metrics),
            "monitor": f"{self.monitor} ({self.mode})",
        }


# Recipe defaults shared by every row; a row overrides only what its regime changes.
BASE_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "api": "sequential",
        "num_layers": 2,
        "units": 64,
        "units_decay": 0.5,
        "activation": "relu",
        "kernel_initializer": "auto",
        "use_bias": True,
        "maxout_pieces": 2,
        "embedding": "none",
        "embedding_sigma": 0.1,
        "ensemble": 1,
        "ensemble_kind": "packed",
        "l1": 0.0,
        "l2": 0.0,
        "elastic_net": 0.0,
        "elastic_net_beta": 0.5,
        "dropout": 0.0,
        "batch_norm": False,
        "filters": 32,
        "kernel_size": 3,
        "conv_blocks": 2,
        "pooling": "max",
        "cnn_top": "flatten",
        "residual": False,
        "backbone": "none",
        "backbone_weights": "none",
        "fine_tune_epochs": 0,
        "augment_flip": "none",
        "augment_rotation": 0.0,
        "augment_zoom": 0.0,
        "augment_translation": 0.0,
        "augment_contrast": 0.0,
        "augment_randaugment": 0.0,
        "augment_noise": 0.0,
        "rnn_cell": "lstm",
        "recurrent_layers": 1,
        "bidirectional": False,
        "momentum": 0.9,
        "weight_decay": 0.0,
        "lr_schedule": "constant",
        "lr_decay_rate": 0.5,
        "lr_decay_epochs": 50,
        "gradient_descent": "minibatch",
        "batch_size": 32,
        "epochs": 200,
        "execution": "auto",
        "distribute": "none",
        "clipping": "none",
        "clip_value": 1.0,
        "clip_percentile": 10.0,
        "clip_window": 0,
        "early_stopping": True,
        "patience": 20,
        "min_delta": 0.0,
        "start_from_epoch": 0,
        "huber_delta": 1.0,
        "barron_alpha": 1.0,
        "barron_scale": 1.0,
        "label_smoothing": 0.0,
        "validation_fraction": _prepare.DEFAULTS["validation_fraction"],
        "test_fraction": _prepare.DEFAULTS["test_fraction"],
        "scaling": _prepare.DEFAULTS["scaling"],
        "imputation": _prepare.DEFAULTS["imputation"],
        "imbalance": _prepare.DEFAULTS["imbalance"],
        "text": _prepare.DEFAULTS["text"],
        "text_max_tokens": _prepare.DEFAULTS["text_max_tokens"],
        "text_length": _prepare.DEFAULTS["text_length"],
        "text_ngrams": _prepare.DEFAULTS["text_ngrams"],
        "text_embedding_dim": 64,
        "output_activation": "auto",
        "loss": "auto",
        "seed": _prepare.DEFAULTS["seed"],
    }
)

OPTIMIZER_LEARNING_RATES: Mapping[str, float] = MappingProxyType(
    {
        "sgd": 1e-2,
        "momentum": 1e-2,
        "nesterov": 1e-2,
        "adagrad": 1e-2,
        "adadelta": 1.0,
        "rmsprop": 1e-3,
        "adam": 1e-3,
    }
)
"""Default learning rate per optimizer at `REFERENCE_BATCH_SIZE`, used when a recipe does not set
`learning_rate` (see `default_learning_rate`). Adadelta's 1.0 follows its paper (seed 004: "no need
to set a default learning rate"); Keras' own 0.001 makes it barely move."""

REFERENCE_BATCH_SIZE = 32
"""The batch size `OPTIMIZER_LEARNING_RATES` are meant for (Keras' default batch size)."""

SQRT_SCALED_OPTIMIZERS = ("adam", "rmsprop")
"""Optimizers whose default learning rate follows the square-root scaling rule for adaptive
methods (Malladi et al. 2022): `lr * sqrt(batch_size / REFERENCE_BATCH_SIZE)`."""


def default_learning_rate(optimizer: str, batch_size: int, gradient_descent: str = "minibatch") -> float:
    """The learning rate a recipe gets when it does not set one.

    The optimizer's `OPTIMIZER_LEARNING_RATES` entry, scaled for Adam and RMSprop mini-batches by
    `sqrt(batch_size / 32)`: a larger batch averages out gradient noise, and adaptive optimizers
    keep the same training dynamics when the learning rate grows with its square root. So the
    large-dataset batch of 128 trains at 2e-3 with Adam: on the large benchmark sets, fewer epochs
    to the same or a better score (README, Performance). Batch 32 keeps the table's value;
    SGD-family optimizers, Adagrad, Adadelta, and full-batch or stochastic descent are not scaled.
    The batch size is the recipe's, resolved before the data are seen: a `batch_size` above the
    number of training rows scales by its nominal value.

    Examples:
        >>> default_learning_rate("adam", 128)
        0.002
    """
    lr = OPTIMIZER_LEARNING_RATES[optimizer]
    if optimizer in SQRT_SCALED_OPTIMIZERS and gradient_descent == "minibatch":
        lr = lr * math.sqrt(batch_size / REFERENCE_BATCH_SIZE)  # exactly lr at the reference batch
    return lr


_SMALL_DATA = {"dropout": 0.1, "l2": 1e-4}  # seed 003: little data -> regularize
_LARGE_DATA = {"batch_size": 128, "patience": 10}  # many steps per epoch: larger batches, shorter patience

SIZE_DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "small_dataset": MappingProxyType(dict(_SMALL_DATA)),
        "large_dataset": MappingProxyType(dict(_LARGE_DATA)),
    }
)
"""Defaults by dataset size for the rows the table splits by feature count (regression, multiclass),
under the row's own defaults: a small dataset is regularized like the small-dataset rows, a large one
trains with the large-dataset rows' batch size and patience. The benchmark pages of the docs show
what each default does to scores and time."""
USES: tuple[tuple[str, str, str], ...] = (
    ("a number from a table", "--csv F --target COL", "regression-*"),
    ("one of two classes from a table", "--csv F --target COL", "binary-*"),
    ("one of several classes from a table", "--csv F --target COL", "multiclass-*"),
    ("several labels per row (multi-label)", "--csv F --target a,b,c  (or --label-sep '|')", "multilabel-*"),
    ("image classification", "--images DIR, or --csv F --target COL --image-column PATHS", "cnn-*"),
    ("sequence classification or regression", "--csv F --target COL --sequence [--channels a,b]", "rnn-*"),
    ("forecasting a long series", "--csv F --target COL --forecast --time T --window N --horizon H", "rnn-*"),
    ("text classification", "--texts DIR, or --csv F --target COL [--text COL]", "binary-*, multiclass-*"),
    ("text as token ids (many rows of short texts)", "... --set text=sequence", "rnn-*"),
)
"""What users train, the data options that say so, and the rows it takes (the target then picks the head)."""

_REGRESSION_METRICS = ("mean_absolute_error", "root_mean_squared_error")
_BINARY_METRICS = ("accuracy", "auc")
_MULTICLASS_METRICS = ("accuracy",)

_REGISTRY: dict[str, Scenario] = {}


def register_scenario(builder_fn: Callable[[], Scenario]) -> Callable[[], Scenario]:
    """Register the row returned by `builder_fn`, keyed on the row name. Duplicates raise."""
    row = builder_fn()
    if row.name in _REGISTRY:
        raise UserError(f"Scenario {row.name!r} is already registered; row names must be unique.")
    if row.task not in TASKS:
        raise UserError(invalid("task", f"one of: {', '.join(TASKS)}", row.task))
    unknown = set(row.defaults) - set(BASE_DEFAULTS)
    if unknown:
        raise UserError(f"Scenario {row.name!r} sets unknown recipe fields: {sorted(unknown)}")
    _REGISTRY[row.name] = row
    return builder_fn


def _row(**kwargs: Any) -> Callable[[], Scenario]:
    return register_scenario(lambda: Scenario(**kwargs))


_row(
    name="regression-more-features",
    task="regression",
    regime="more_features",
    seed_scenario="More independent features",
    builder="dense",
    output_activation="linear",
    output_activation_choices=("linear", "relu"),
    loss="mean_squared_error",
    optimizers=("adam", "rmsprop"),
    metrics=_REGRESSION_METRICS,
    defaults={"units": 128},
)
_row(
    name="regression-less-features",
    task="regression",
    regime="less_features",
    seed_scenario="Less independent features",
    builder="dense",
    output_activation="linear",
    output_activation_choices=("linear", "relu"),
    loss="mean_squared_error",
    optimizers=("adam", "sgd"),
    metrics=_REGRESSION_METRICS,
    defaults=dict(_SMALL_DATA),
)
_row(
    name="binary-large-dataset",
    task="binary",
    regime="large_dataset",
    seed_scenario="Large dataset",
    builder="dense",
    output_activation="sigmoid",
    output_activation_choices=("sigmoid",),
    loss="binary_crossentropy",
    optimizers=("adam", "rmsprop"),
    metrics=_BINARY_METRICS,
    # dropout as the CNN/RNN large rows; checked by bench_lever_scores.py --datasets large-binary
    defaults={"units": 128, "dropout": 0.1, **_LARGE_DATA},
)
_row(
    name="binary-small-dataset",
    task="binary",
    regime="small_dataset",
    seed_scenario="Small dataset",
    builder="dense",
    output_activation="sigmoid",
    output_activation_choices=("sigmoid",),
    loss="binary_crossentropy",
    optimizers=("adam", "sgd"),
    metrics=_BINARY_METRICS,
    defaults=dict(_SMALL_DATA),
)
_row(
    name="multilabel-large-dataset",
    task="multilabel",
    regime="large_dataset",
    seed_scenario="Large dataset",
    builder="dense",
    output_activation="sigmoid",
    output_activation_choices=("sigmoid",),
    loss="binary_crossentropy",
    optimizers=("adam", "rmsprop"),
    metrics=_BINARY_METRICS,
    # the binary rows' head and loss once per label: k sigmoid units, binary cross-entropy averaged over labels
    defaults={"units": 128, "dropout": 0.1, **_LARGE_DATA},
)
_row(
    name="multilabel-small-dataset",
    task="multilabel",
    regime="small_dataset",
    seed_scenario="Small dataset",
    builder="dense",
    output_activation="sigmoid",
    output_activation_choices=("sigmoid",),
    loss="binary_crossentropy",
    optimizers=("adam", "sgd"),
    metrics=_BINARY_METRICS,
    defaults=dict(_SMALL_DATA),
)
_row(
    name="multiclass-more-features",
    task="multiclass",
    regime="more_features",
    seed_scenario="More independent features",
    builder="dense",
    output_activation="softmax",
    output_activation_choices=("softmax",),
    loss="categorical_crossentropy",
    optimizers=("adam", "rmsprop"),
    metrics=_MULTICLASS_METRICS,
    defaults={"units": 128},
)
_row(
    name="multiclass-less-features",
    task="multiclass",
    regime="less_features",
    seed_scenario="Less independent features",
    builder="dense",
    output_activation="softmax",
    output_activation_choices=("softmax",),
    loss="categorical_crossentropy",
    optimizers=("adam", "sgd"),
    metrics=_MULTICLASS_METRICS,
    defaults=dict(_SMALL_DATA),
)
for _task, _builder, _extra in (
    ("cnn", "cnn", {"batch_norm": True, "num_layers": 1, "units": 64, "epochs": 50}),
    ("rnn", "rnn", {"num_layers": 0, "units": 32, "epochs": 50, "clipping": "global_norm"}),
):
    _row(
        name=f"{_task}-large-dataset",
        task=_task,
        regime="large_dataset",
        seed_scenario="Large dataset",
        builder=_builder,
        output_activation="target",
        output_activation_choices=("sigmoid", "softmax"),
        loss="crossentropy",
        optimizers=("adam", "rmsprop"),
        metrics=("accuracy",),
        defaults={**_extra, "dropout": 0.1, "batch_size": 128, "patience": 10},
    )
    _row(
        name=f"{_task}-small-dataset",
        task=_task,
        regime="small_dataset",
        seed_scenario="Small dataset",
        builder=_builder,
        output_activation="target",
        output_activation_choices=("sigmoid", "softmax"),
        loss="crossentropy",
        optimizers=("adam", "sgd"),
        metrics=("accuracy",),
        defaults={**_extra, "dropout": 0.25, "l2": 1e-4},
    )


def list_scenarios(pattern: str = "*", *, task: str | None = None) -> list[str]:
    """Sorted row names matching a shell-style `pattern`, optionally of one `task`.

    Examples:
        >>> list_scenarios("binary-*")
        ['binary-large-dataset', 'binary-small-dataset']
    """
    if task is not None:
        check("task", task, _TASK_OPTIONS)
    return sorted(
        name
        for name, row in _REGISTRY.items()
        if fnmatch.fnmatchcase(name, pattern) and (task is None or row.task == task)
    )


def get_scenario(name: str | Scenario) -> Scenario:
    """The row called `name`. Unknown names raise ValueError listing the valid ones."""
    if isinstance(name, Scenario):
        return name
    if not isinstance(name, str) or name not in _REGISTRY:
        raise UserError(unknown_name("scenario", name, _REGISTRY))
    return _REGISTRY[name]


def scenario_for(task: str, regime: str) -> Scenario:
    """The row for a (task, regime) pair, e.g. ("binary", "small_dataset")."""
    check("task", task, _TASK_OPTIONS)
    for row in _REGISTRY.values():
        if row.task == task and row.regime == regime:
            return row
    valid = sorted(r.regime for r in _REGISTRY.values() if r.task == task)
    raise UserError(invalid("regime", f"one of: {', '.join(valid)} for task {task!r}", regime))


def regime_axis(task: str) -> str:
    """Which quantity decides the regime of `task`: "features" or "samples" (per the seed's table)."""
    regimes = {r.regime for r in _REGISTRY.values() if r.task == task}
    return "features" if "more_features" in regimes else "samples"


def dataset_size(n_samples: int, thresholds: Thresholds | None = None) -> str:
    """ "large_dataset" or "small_dataset" for `n_samples` rows under `thresholds`."""
    return "large_dataset" if n_samples >= (thresholds or DEFAULT_THRESHOLDS).large_dataset else "small_dataset"


def row_defaults(scenario: str | Scenario, dataset_size: str | None = None) -> dict[str, Any]:
    """`BASE_DEFAULTS`, then `SIZE_DEFAULTS[dataset_size]` for a row split by feature count, then
    the row's own defaults.

    Args:
        scenario: a row or its name.
        dataset_size: "large_dataset", "small_dataset", or None (unknown: no size defaults).
    """
    row = get_scenario(scenario)
    merged = dict(BASE_DEFAULTS)
    if dataset_size is not None:
        check("dataset_size", dataset_size, options(*SIZE_DEFAULTS))
        if regime_axis(row.task) == "features":
            merged.update(SIZE_DEFAULTS[dataset_size])
    merged.update(row.defaults)
    merged["optimizer"] = row.optimizer
    merged["learning_rate"] = default_learning_rate(row.optimizer, merged["batch_size"], merged["gradient_descent"])
    return merged
