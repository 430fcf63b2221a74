"""The Recipe: one frozen, serializable object holding every user-settable choice.

Its field names are the project's only vocabulary: sweep YAML parameters, CLI `--set key=value`
and `wandb agent`'s `--key=value` arguments use them unchanged. `None` means "the scenario row's
default"; `Recipe.resolved(row)` fills every `None` from the row (defaults are written once, in
the table module).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kerasrecipes._validation import Boolean, FilePath, Interval, check, invalid, options, unknown_name
from kerasrecipes.data._text import SEQUENCE_RATIO
from kerasrecipes.errors import UserError
from kerasrecipes.recipes import _table

HIDDEN_ACTIVATIONS = (
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "selu",
    "swish",
    "softplus",
    "sigmoid",
    "tanh",
    "linear",
    "maxout",
)
"""The hidden activations (Maxout as a layer). Kept keras-free; `models.activations` agrees."""

LOSSES = (
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "log_cosh",
    "hinge",
    "binary_crossentropy",
    "sigmoid_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "softmax_crossentropy",
    "barron",
)
"""The losses; "auto" takes the scenario row's loss."""

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")
"""The optimizers. Batch, stochastic and mini-batch gradient descent are "sgd" with
`gradient_descent` = "batch" (batch size = n), "stochastic" (1) or "minibatch" (`batch_size`)."""

BACKBONES = (
    "none",
    "mobilenet_v3_small",
    "mobilenet_v3_small_minimalistic",
    "efficientnet_v2_b0",
    "resnet50_v2",
)
"""The image backbones (`backbone`): Keras applications by snake-case name. Kept keras-free;
`models.backbones` agrees."""

ENSEMBLE_KINDS = ("packed", "tabm_mini")
"""How an ensemble's members are built (`ensemble_kind`); `models.dense` builds each."""

INITIALIZERS = ("auto", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_normal", "lecun_uniform")

_INT = lambda lo=None, hi=None: Interval("integer", lo, hi)  # noqa: E731
_REAL = lambda lo=None, hi=None, closed="both": Interval("real", lo, hi, closed)  # noqa: E731
_BOOL = Boolean()
MAX_SEED = 2**32 - 1

# name -> (constraint, one-line documentation). The order is the order of `Recipe`'s fields.
FIELDS: dict[str, tuple[Any, str]] = {
    # what to build
    "task": (
        options("auto", *_table.TASKS),
        "regression|binary|multiclass|multilabel|cnn|rnn, or auto (inferred from the data)",
    ),
    "scenario": (options(*_table.list_scenarios()), "scenario-table row; default: chosen by task and data regime"),
    "seed": (_INT(0, MAX_SEED), "seed for Python, NumPy, TensorFlow and, unless split_seed is set, the data split"),
    "split_seed": (
        _INT(0, MAX_SEED),
        "seed of the data split alone (train/validation/test rows, downsampling, a synthetic dataset's rows); "
        "unset = seed. A sweep sets it to the sweep seed, so every trial sees the same split",
    ),
    "folds": (
        _INT(2, 100),
        "cross-validation: the rows left after the test split are cut into this many folds (stratified by class, "
        "drawn by split_seed) and fold `fold` validates (validation_fraction unused); unset = one validation split. "
        "`sweep --cv K` and `train --cv K` train every fold",
    ),
    "fold": (_INT(0, 99), "the fold that validates when `folds` is set, 0 to folds - 1; unset = 0"),
    # architecture
    "api": (options("sequential", "functional"), "Keras API used to build dense networks"),
    "num_layers": (_INT(0, 64), "number of hidden Dense layers"),
    "units": (_INT(1, 65536), "units of the first hidden layer (and of recurrent layers)"),
    "units_decay": (
        _REAL(0.0, 1.0, "right"),
        "each further hidden layer has this fraction of the previous layer's units",
    ),
    "activation": (options(*HIDDEN_ACTIVATIONS), "hidden-layer activation"),
    "output_activation": (
        options("auto", "linear", "relu", "sigmoid", "softmax", "tanh"),
        "head activation; auto = the row's (checked against the loss)",
    ),
    "kernel_initializer": (
        options(*INITIALIZERS),
        "weight initializer; auto = He for ReLU-like, LeCun for SELU, Glorot otherwise",
    ),
    "use_bias": (_BOOL, "whether hidden layers have a bias"),
    "maxout_pieces": (_INT(2, 16), "affine pieces per Maxout unit"),
    "embedding": (
        options("none", "periodic"),
        "dense networks: periodic embeddings of each numeric input feature "
        "(a table's numeric columns) before the hidden layers (RealMLP's PBLD: cos(2 pi (w x + b)), a "
        "linear map per feature, the value kept)",
    ),
    "embedding_sigma": (
        _REAL(0.0, None, "neither"),
        "standard deviation of the periodic embeddings' initial frequencies",
    ),
    "ensemble": (
        _INT(1, 64),
        "dense networks: train this many networks (members) at once as one model, each on its "
        "own loss, and predict with their average (built as ensemble_kind says; 1 = one network)",
    ),
    "ensemble_kind": (
        options(*ENSEMBLE_KINDS),
        "with ensemble > 1, how the members are built: packed (independent networks side by side) or "
        "tabm_mini (TabM-mini, Gorishniy et al. 2025: the members share one network, each scaling the inputs "
        "by its own learned vector and having its own head; trained on the mean of their losses, predicting "
        "the mean of their probabilities)",
    ),
    # regularization
    "l1": (_REAL(0.0), "L1 penalty rate on kernels"),
    "l2": (_REAL(0.0), "L2 penalty rate on kernels"),
    "elastic_net": (_REAL(0.0), "elastic-net rate lambda: lambda*sum(beta*|w| + (1-beta)/2*w^2)"),
    "elastic_net_beta": (_REAL(0.0, 1.0), "elastic-net mixing beta (1 = pure L1, 0 = pure L2)"),
    "dropout": (_REAL(0.0, 1.0, "left"), "dropout rate after each hidden layer (spatial dropout in CNN blocks)"),
    "batch_norm": (_BOOL, "batch normalization after each hidden layer"),
    # convolutional and recurrent builders
    "filters": (_INT(1, 4096), "filters of the first Conv2D block (doubling per block)"),
    "kernel_size": (_INT(1, 15), "Conv2D kernel size"),
    "conv_blocks": (_INT(1, 8), "number of Conv2D + pooling blocks"),
    "pooling": (options("max", "avg"), "pooling after each conv block"),
    "cnn_top": (
        options("flatten", "global_average"),
        "CNN: how the last conv block's maps feed the dense layers: flatten (every position and filter a "
        "feature) or global_average (each filter's mean over the image, GlobalAveragePooling2D: far fewer "
        "weights on large images)",
    ),
    "residual": (
        _BOOL,
        "CNN: each conv block a residual block (Conv2D, [batch norm], activation, Conv2D, [batch norm], added "
        "to the block's input, through a 1x1 Conv2D when the filter count changes); the network is then "
        "Functional even with api=sequential (a Sequential model cannot hold the skip connections)",
    ),
    "backbone": (
        options(*BACKBONES),
        "images: a Keras application (keras.applications, include_top=False, global average pooling) as the "
        "network's body in place of the Conv2D blocks, before the dense hidden layers; none = the Conv2D blocks",
    ),
    "backbone_weights": (
        FilePath((".h5", ".hdf5", ".keras")),
        "images: the backbone's starting weights, from a local file (Keras' ImageNet no-top .h5 file, or "
        "weights saved from the same application); the backbone is then frozen for `epochs` (fine-tuned "
        "after, see fine_tune_epochs). none = random initialization, trained from the start. Nothing is "
        "downloaded",
    ),
    "fine_tune_epochs": (
        _INT(0, 100000),
        "with backbone_weights: epochs of a second phase that trains the backbone too (its batch "
        "normalization kept in inference mode) at a tenth of learning_rate; 0 = no second phase",
    ),
    # augmentation: random layers inside the model, active only while training, seeded with the run
    "augment_flip": (
        options("none", "horizontal", "vertical", "horizontal_and_vertical"),
        "images: random flips (RandomFlip)",
    ),
    "augment_rotation": (_REAL(0.0, 0.5), "images: random rotation, up to this fraction of a full turn each way"),
    "augment_zoom": (_REAL(0.0, 0.9, "left"), "images: random zoom in or out, up to this fraction"),
    "augment_translation": (_REAL(0.0, 0.5), "images: random shift, up to this fraction of the height and width"),
    "augment_contrast": (_REAL(0.0, 1.0, "left"), "images: random contrast change, up to this factor"),
    "augment_randaugment": (
        _REAL(0.0, 1.0),
        "images: RandAugment (keras.layers.RandAugment, 2 random operations per image on its pixel values) of "
        "this strength; 0 = off",
    ),
    "augment_noise": (_REAL(0.0), "images and sequences: Gaussian noise of this standard deviation on the inputs"),
    "rnn_cell": (options("lstm", "gru", "simple"), "recurrent cell"),
    "recurrent_layers": (_INT(1, 8), "number of stacked recurrent layers"),
    "bidirectional": (_BOOL, "wrap recurrent layers in Bidirectional"),
    # free text (a table's text columns, text folders)
    "text": (
        options("auto", "sequence", "ngrams"),
        "free text: token ids through an Embedding and the recurrent layers (sequence, the RNN rows), or a "
        "bag of word n-grams the dense layers read (ngrams: multi-hot, the strong baseline on short texts); "
        f"auto = sequence when the training rows number {SEQUENCE_RATIO} times a text's median words or more, "
        "else ngrams",
    ),
    "text_max_tokens": (_INT(3, 1_000_000), "free text: vocabulary size per text column (training rows only)"),
    "text_length": (
        _INT(0, 100_000),
        "free text, sequence: token ids per text (longer texts cut); 0 = the training texts' 95th-percentile "
        "word count, at most 400",
    ),
    "text_ngrams": (_INT(1, 5), "free text, ngrams: longest word n-gram (2 = words and pairs of words)"),
    "text_embedding_dim": (_INT(1, 4096), "free text, sequence: width of the word embedding"),
    # loss
    "loss": (options("auto", *LOSSES), "loss; auto = the row's (checked against the head and labels)"),
    "huber_delta": (_REAL(0.0, None, "neither"), "delta of the Huber loss"),
    "barron_alpha": (
        _REAL(-1e6, 1e6),
        "alpha of Barron's robust loss (2 = L2, 1 = pseudo-Huber, 0 = Cauchy, -2 = Geman-McClure)",
    ),
    "barron_scale": (_REAL(0.0, None, "neither"), "scale c of Barron's robust loss"),
    "label_smoothing": (
        _REAL(0.0, 1.0, "left"),
        "classifiers' cross-entropy: targets smoothed toward uniform, (1 - e) * onehot + e / classes (0 = off)",
    ),
    # optimization
    "optimizer": (options("auto", *OPTIMIZERS), "optimizer; auto = the row's first choice"),
    "learning_rate": (
        Interval("real", 0.0, None, "neither", words=("find",)),
        "initial learning rate; find = chosen by a learning-rate range test on the training split before the run "
        "(`kerasrecipes lr-find`), the rate found recorded in the manifest and the recipe",
    ),
    "momentum": (_REAL(0.0, 1.0, "left"), "momentum coefficient of the momentum and nesterov optimizers"),
    "weight_decay": (
        _REAL(0.0),
        "decoupled weight decay (Keras' optimizer `weight_decay`: w -= lr * weight_decay * w "
        "each step, AdamW for adam; 0 = off)",
    ),
    "lr_schedule": (options("constant", "exponential", "step", "cosine", "inverse_time"), "learning-rate schedule"),
    "lr_decay_rate": (_REAL(0.0, 1.0, "right"), "decay factor of the schedule"),
    "lr_decay_epochs": (_INT(1), "epochs per decay period (cosine: epochs to decay over)"),
    "gradient_descent": (
        options("minibatch", "batch", "stochastic"),
        "batch size n (batch), 1 (stochastic) or batch_size (minibatch)",
    ),
    "batch_size": (_INT(1), "mini-batch size"),
    "epochs": (_INT(1, 100000), "maximum number of epochs"),
    "execution": (
        options("auto", "fast", "fit"),
        "auto/fast: whole epochs in one compiled call (fit when a callback needs per-batch hooks); fit: Keras model.fit",
    ),
    "distribute": (
        options("none", "mirrored", "multi_worker"),
        "tf.distribute strategy: none (one device), mirrored (this host's GPUs, else its logical CPUs) or multi_worker (the hosts in TF_CONFIG, one process each); batch_size is then the global batch, split across all replicas",
    ),
    # gradient clipping
    "clipping": (options("none", "norm", "value", "global_norm", "autoclip"), "gradient clipping mode"),
    "clip_value": (_REAL(0.0, None, "neither"), "threshold of norm/value/global_norm clipping"),
    "clip_percentile": (_REAL(0.0, 100.0, "right"), "AutoClip percentile p of past gradient norms"),
    "clip_window": (_INT(0), "AutoClip history window in steps (0 = all steps)"),
    # early stopping
    "early_stopping": (_BOOL, "stop when the monitored metric stops improving (best weights restored)"),
    "patience": (_INT(0), "epochs without improvement before stopping"),
    "min_delta": (_REAL(0.0), "smallest change that counts as an improvement"),
    "start_from_epoch": (_INT(0), "epochs to wait before early stopping may trigger"),
    # data preparation
    "validation_fraction": (_REAL(0.0, 0.5, "neither"), "fraction of the data held out for validation"),
    "test_fraction": (_REAL(0.0, 0.5, "neither"), "fraction of the data held out for the final test"),
    "scaling": (
        options("standard", "minmax", "none", "robust"),
        "feature scaling: standardization, normalization, none, or robust (median/IQR, then smooth "
        "clipping to (-3, 3) as in RealMLP)",
    ),
    "imputation": (
        options("median", "mean", "most_frequent", "drop"),
        "imputation of missing numeric values (drop = eliminate rows with missing values)",
    ),
    "imbalance": (
        options("none", "class_weight", "downsample"),
        "class imbalance: class weights or downsampling+upweighting",
    ),
}

OPTIONAL_FIELDS = frozenset({"split_seed", "folds", "fold"})
"""Fields whose None stays None in a resolved recipe: `split_seed` None means "the recipe's `seed`"; `folds` None
means one validation split (and `fold` None fold 0)."""


def _field_list() -> list[tuple[str, Any, Any]]:
    return [(name, Any, dataclasses.field(default=None)) for name in FIELDS]


_NUMBER = re.compile(r"^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def numeric_text(value: Any) -> tuple[str, bool] | None:
    """For a string that looks like a number ('1e-5', '8'): (how to write it as a YAML number, whether
    it only needs its quotes removed); None for anything else.

    PyYAML reads YAML 1.1, where a float needs a dot and a signed exponent, so `1e-5` is text; the fix
    is `1.0e-5` (or `!!float 1e-5` when no plain spelling works).
    """
    if not isinstance(value, str) or not _NUMBER.match(value.strip()):
        return None
    import yaml

    text = value.strip()
    if isinstance(yaml.safe_load(text), (int, float)):
        return text, True
    mantissa, _, exponent = text.lower().partition("e")
    exponent = f"e{'' if exponent[0] in '+-' else '+'}{exponent}" if exponent else ""
    fix = mantissa + ("" if "." in mantissa else ".0") + exponent
    return (fix if isinstance(yaml.safe_load(fix), float) else f"!!float {text}"), False


def _validate_value(name: str, value: Any) -> Any:
    constraint = FIELDS[name][0]
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()  # numpy scalars from sweeps
    number = numeric_text(value) if isinstance(constraint, Interval) else None
    if number is not None:  # e.g. `learning_rate: 1e-5` in a YAML recipe file is a string
        fix, quoted = number
        how = (
            f"It is text, not a number; write {fix} without quotes"
            if quoted
            else f"It is text, not a number (YAML 1.1 floats need a dot and a signed exponent); write {fix}"
        )
        raise UserError(invalid(name, constraint.describe(), value, fix=how))
    return check(name, value, constraint)


class _RecipeBase:
    """Methods of `Recipe` (the fields are generated from `FIELDS`)."""

    def __post_init__(self) -> None:
        for name in FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _validate_value(name, value))
        if (self.elastic_net or 0) > 0 and ((self.l1 or 0) > 0 or (self.l2 or 0) > 0):
            raise UserError(
                "Only one of `l1`/`l2` and `elastic_net` can be set. Received: "
                f"l1={self.l1}, l2={self.l2}, elastic_net={self.elastic_net}. An elastic net already has an L1 and "
                "an L2 term: set `elastic_net_beta` to mix them and drop `l1`/`l2`, or drop `elastic_net`."
            )
        total = (self.validation_fraction or 0.0) + (self.test_fraction or 0.0)
        if total >= 0.9:
            raise UserError(
                invalid("validation_fraction + test_fraction", "< 0.9 so training keeps data", round(total, 6))
            )
        if self.fold is not None and (self.folds is None or self.fold >= self.folds):
            raise UserError(
                invalid(
                    "fold",
                    "an integer in [0, folds - 1] (the fold that validates), with `folds` set",
                    self.fold,
                    fix=f"Set folds (e.g. folds={max(2, self.fold + 1)}) or leave out fold",
                )
            )
        if self.task not in (None, "auto") and self.scenario is not None:
            row = _table.get_scenario(self.scenario)
            if row.task != self.task:
                raise UserError(
                    f"`scenario` {self.scenario!r} is a {row.task!r} row but `task` is {self.task!r}. "
                    "Set one of them only, or make them agree."
                )

    # -- serialization -------------------------------------------------------------------
    def to_dict(self, *, drop_none: bool = False) -> dict[str, Any]:
        """Every field as plain JSON/YAML types, in declaration order."""
        out = {name: getattr(self, name) for name in FIELDS}
        if drop_none:
            out = {k: v for k, v in out.items() if v is not None}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recipe:
        """Build a recipe from a mapping; unknown keys and bad values raise with the field named."""
        if not isinstance(data, Mapping):
            raise UserError(invalid("recipe", "a mapping of field names to values", type(data).__name__))
        for key in data:
            if key not in FIELDS:
                raise UserError(unknown_name("recipe field", key, FIELDS))
        return cls(**dict(data))

    def replace(self, **changes: Any) -> Recipe:
        """A copy with `changes` applied (None values are dropped: they mean "keep")."""
        for key in changes:
            if key not in FIELDS:
                raise UserError(unknown_name("recipe field", key, FIELDS))
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def resolved(self, scenario: str | _table.Scenario, *, dataset_size: str | None = None) -> Recipe:
        """Fill every `None` with the row's default; record the row and its task.

        `dataset_size` ("large_dataset" / "small_dataset", from `dataset_size(n_samples)`) adds the
        size defaults of the rows split by feature count (`SIZE_DEFAULTS`); None adds none.
        """
        row = _table.get_scenario(scenario)
        if self.task not in (None, "auto") and self.task != row.task:
            raise UserError(f"The recipe's task {self.task!r} does not match scenario {row.name!r} ({row.task!r}).")
        defaults = _table.row_defaults(row, dataset_size)
        values = {name: getattr(self, name) for name in FIELDS}
        if (self.elastic_net or 0) > 0:  # the user's elastic net replaces the row's default L1/L2
            defaults.update(l1=0.0, l2=0.0)
        elif (self.l1 or 0) > 0 or (self.l2 or 0) > 0:
            defaults.update(elastic_net=0.0)
        for name, value in values.items():
            if value is None and name in defaults and name != "learning_rate":
                values[name] = defaults[name]
        if values["optimizer"] == "auto":
            values["optimizer"] = row.optimizer
        if values["learning_rate"] is None:  # the default of the optimizer and batch size actually used
            values["learning_rate"] = _table.default_learning_rate(
                values["optimizer"], values["batch_size"], values["gradient_descent"]
            )
        values["scenario"] = row.name
        values["task"] = row.task
        return type(self)(**values)

    @property
    def is_resolved(self) -> bool:
        return all(getattr(self, name) is not None for name in FIELDS if name not in OPTIONAL_FIELDS)


Recipe = dataclasses.make_dataclass(
    "Recipe",
    _field_list(),
    bases=(_RecipeBase,),
    frozen=True,
    kw_only=True,
    namespace={"__module__": __name__},
)
_dataclass_init = Recipe.__init__


def _checked_init(self, *args: Any, **fields: Any) -> None:
    """The generated __init__, with one-line errors for positional arguments and unknown (misspelled) fields."""
    if args:
        raise UserError(
            f"Recipe takes recipe fields as keyword arguments only, e.g. Recipe(units=32). "
            f"Received {len(args)} positional argument(s): {', '.join(repr(a) for a in args)[:100]}"
        )
    for key in fields:
        if key not in FIELDS:
            raise UserError(unknown_name("recipe field", key, FIELDS))
    _dataclass_init(self, **fields)


_checked_init.__signature__ = inspect.signature(_dataclass_init)  # help(Recipe) lists the fields
Recipe.__init__ = _checked_init
Recipe.__doc__ = (
    "Every user-settable choice of one model and its training, frozen and serializable.\n\n"
    "All fields default to None, meaning \"the scenario row's default\". Fields:\n\n"
    + "\n".join(f"    {name}: {doc}." for name, (_, doc) in FIELDS.items())
    + "\n\nExample:\n    >>> r = Recipe(units=32, dropout=0.2)\n    >>> Recipe.from_dict(r.to_dict()) == r\n    True\n"
)


# -- strings from the CLI, wandb agent and YAML ---------------------------------------------
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def coerce_value(name: str, text: Any) -> Any:
    """Convert a command-line string to the field's type (YAML-1.1 traps such as '1e-5' handled)."""
    if name not in FIELDS:
        raise UserError(unknown_name("recipe field", name, FIELDS))
    if not isinstance(text, str):
        return _validate_value(name, text)
    raw = text.strip()
    if raw.lower() in ("none", "null", "~", ""):
        return None
    constraint = FIELDS[name][0]
    try:
        if isinstance(constraint, Interval) and raw in constraint.words:
            value: Any = raw
        elif isinstance(constraint, Interval) and constraint.kind == "integer":
            value = int(raw) if raw.lstrip("+-").isdigit() else float(raw)
        elif isinstance(constraint, Interval):
            value = float(raw)
        elif isinstance(constraint, Boolean):
            low = raw.lower()
            if low not in _TRUE | _FALSE:
                raise ValueError
            value = low in _TRUE
        else:
            value = raw
    except ValueError:
        raise UserError(invalid(name, constraint.describe(), raw)) from None
    return _validate_value(name, value)


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """Parse `key=value` strings (CLI `--set`, wandb agent `--key=value`) into typed values."""
    out: dict[str, Any] = {}
    for item in items:
        text = item[2:] if item.startswith("--") else item
        if "=" not in text:
            raise UserError(f"Expected key=value, e.g. learning_rate=0.01. Received: {item!r}")
        key, value = text.split("=", 1)
        out[key.strip()] = coerce_value(key.strip(), value)
    return out
