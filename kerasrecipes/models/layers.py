"""Custom layers: `Maxout`, a learned piecewise-linear activation with its own weights,
`PeriodicEmbedding`, learned periodic features of each input (tabular networks), `PackedDense` +
`EnsembleHead`, several dense networks trained at once in one model (a packed ensemble), `EnsembleScaling`,
the per-member input scaling of a TabM-mini ensemble (members sharing one network), `FeatureSlice`,
the part of a row of features one branch of a model reads (`models.text`), and `PixelRandAugment`, Keras'
RandAugment on images the model's preprocessing has scaled (with `pixel_rescaling`, the map between the
scaled images and their pixel values)."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kerasrecipes._validation import Boolean, Interval, check, options
from kerasrecipes.errors import UserError


def _dense_arguments(layer, units, use_bias, kernel_initializer, kernel_regularizer):
    """Check and set the arguments `Maxout` and `PackedDense` share with `keras.layers.Dense`."""
    layer.units = check("units", units, Interval("integer", 1, None))
    layer.use_bias = check("use_bias", use_bias, Boolean())
    layer.kernel_initializer = keras.initializers.get(kernel_initializer)
    layer.kernel_regularizer = keras.regularizers.get(kernel_regularizer)


@keras.saving.register_keras_serializable(package="kerasrecipes")
class Maxout(keras.layers.Layer):
    """Maxout unit (Goodfellow et al., 2013): the maximum of several affine maps.

    For each output unit `j` the layer computes `num_pieces` affine maps of the
    input ("pieces") and keeps the largest::

        f_j(x) = max_k (x @ W_k[:, j] + b_k[j]),  k = 0 .. num_pieces - 1

    A maxout layer therefore replaces a `Dense` layer followed by an activation.
    It generalizes ReLU (`max(x @ w + b, 0)` is two pieces, one of them fixed at
    zero) and leaky ReLU, never saturates, and costs `num_pieces` times the
    parameters of the `Dense` layer it replaces:
    `num_pieces * (input_dim * units + units)` with a bias.

    The kernel has shape `(input_dim, num_pieces * units)`; columns
    `k * units:(k + 1) * units` hold piece `k`. The bias has shape
    `(num_pieces * units,)` with the same layout.

    Args:
        units: Number of output units, an integer >= 1.
        num_pieces: Number of affine pieces per unit, an integer >= 2.
            Defaults to `2`.
        kernel_initializer: Initializer for the kernel (any value accepted by
            `keras.initializers.get`). Defaults to `"glorot_uniform"`.
        use_bias: Whether each piece has a bias. Defaults to `True`.
        kernel_regularizer: Regularizer for the kernel, or `None`.
            Defaults to `None`.
        bias_regularizer: Regularizer for the bias, or `None`. Defaults to `None`.
        **kwargs: Base layer keyword arguments such as `name` and `dtype`.

    Raises:
        ValueError: If `units` < 1 or `num_pieces` < 2.
        TypeError: If `units` or `num_pieces` is not an integer, or `use_bias`
            is not a boolean.

    Examples:
        >>> import numpy as np
        >>> layer = Maxout(4, num_pieces=3)
        >>> tuple(layer(np.zeros((2, 5), dtype="float32")).shape)
        (2, 4)
        >>> layer.count_params()  # 3 * (5 * 4 + 4)
        72
    """

    def __init__(
        self,
        units,
        num_pieces=2,
        kernel_initializer="glorot_uniform",
        use_bias=True,
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _dense_arguments(self, units, use_bias, kernel_initializer, kernel_regularizer)
        self.num_pieces = check("num_pieces", num_pieces, Interval("integer", 2, None))
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise UserError(
                f"The last dimension of the input to `Maxout` must be known. Received: input_shape={input_shape}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.num_pieces * self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.num_pieces * self.units,),
                initializer="zeros",
                regularizer=self.bias_regularizer,
            )
        else:
            self.bias = None
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        z = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            z = ops.add(z, self.bias)
        units = self.units
        outputs = z[..., :units]
        for k in range(1, self.num_pieces):
            outputs = ops.maximum(outputs, z[..., k * units : (k + 1) * units])
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "num_pieces": self.num_pieces,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "use_bias": self.use_bias,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="kerasrecipes")
class PeriodicEmbedding(keras.layers.Layer):
    """Periodic embeddings of numeric features, in the style of RealMLP's PBLD (Holzmueller et al. 2024;
    Gorishniy et al. 2022, "On Embeddings for Numerical Features in Tabular Deep Learning").

    Each embedded input feature x_j gets `frequencies` learned periodic features
    cos(2 pi (w_jk x_j + b_jk)) and a linear map of them to `dims` values (its own weights per feature);
    every input is kept as it is (the "DenseNet" link), so the output is the inputs followed by the
    embeddings, `inputs + features * dims` wide. Keras has no such layer (`keras.layers` embeds
    integer ids, not real values).

    Args:
        frequencies: periodic features per input feature. Defaults to `16`.
        dims: embedding values per input feature. Defaults to `4`.
        sigma: standard deviation of the initial frequencies w (scaled inputs); RealMLP's 0.1 by default.
        features: embed the first `features` inputs only (the numeric columns of a table, which come
            before its missing indicators and one-hot columns), or all of them with `None`. Defaults to `None`.
        **kwargs: base layer keyword arguments such as `name`.

    Examples:
        >>> import numpy as np
        >>> layer = PeriodicEmbedding()
        >>> tuple(layer(np.zeros((2, 3), dtype="float32")).shape)  # 3 * (1 + 4)
        (2, 15)
    """

    def __init__(self, frequencies=16, dims=4, sigma=0.1, features=None, **kwargs):
        super().__init__(**kwargs)
        self.frequencies = check("frequencies", frequencies, Interval("integer", 1, None))
        self.dims = check("dims", dims, Interval("integer", 1, None))
        self.sigma = check("sigma", sigma, Interval("real", 0.0, None, "neither"))
        self.features = check("features", features, Interval("integer", 0, None), allow_none=True)
        self.input_spec = keras.layers.InputSpec(ndim=2)

    def _embedded(self, width):
        return width if self.features is None else min(self.features, width)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise UserError(
                f"The last dimension of the input to `PeriodicEmbedding` must be known. "
                f"Received: input_shape={input_shape}"
            )
        features = self._embedded(input_shape[-1])
        shape = (features, self.frequencies)
        self.frequency = self.add_weight(
            name="frequency", shape=shape, initializer=keras.initializers.RandomNormal(stddev=self.sigma)
        )
        self.phase = self.add_weight(name="phase", shape=shape, initializer=keras.initializers.RandomUniform(-0.5, 0.5))
        limit = 1.0 / self.frequencies**0.5
        self.kernel = self.add_weight(
            name="kernel",
            shape=(features, self.frequencies, self.dims),
            initializer=keras.initializers.RandomUniform(-limit, limit),
        )
        self.bias = self.add_weight(name="bias", shape=(features, self.dims), initializer="zeros")
        self.input_spec = keras.layers.InputSpec(ndim=2, axes={-1: input_shape[-1]})

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        k = self._embedded(x.shape[-1])
        if k == 0:
            return x
        periodic = ops.cos(2.0 * 3.141592653589793 * (x[:, :k, None] * self.frequency + self.phase))
        embedded = ops.einsum("bkf,kfd->bkd", periodic, self.kernel) + self.bias
        return ops.concatenate([x, ops.reshape(embedded, (-1, k * self.dims))], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + self._embedded(input_shape[-1]) * self.dims,)

    def get_config(self):
        return {
            **super().get_config(),
            "frequencies": self.frequencies,
            "dims": self.dims,
            "sigma": self.sigma,
            "features": self.features,
        }


POOLS = ("mean", "sigmoid", "softmax")
AVERAGES = ("pool", "probabilities")
SCALING_INITS = ("random_signs", "ones")


@keras.saving.register_keras_serializable(package="kerasrecipes")
class PackedDense(keras.layers.Layer):
    """`members` independent `Dense` layers computed as one (the members of a packed ensemble).

    Input (batch, features) is shared by every member; input (batch, members, features) gives each
    member its own row. The output is (batch, members, units): member m computes
    `x_m @ kernel[m] + bias[m]`. Each member's kernel is drawn by its own fresh copy of
    `kernel_initializer` on the shape (features, units), so it starts as a `Dense` layer of that
    size would (a (members, features, units) draw would count `members` into the fan-in). A kernel
    regularizer sees the whole kernel, which is the sum of the members' own penalties. Keras has no
    such layer (`EinsumDense` shares one kernel); one einsum keeps the traced graph as small as one
    network's.

    Args:
        units: output units per member, an integer >= 1.
        members: number of members, an integer >= 1.
        kernel_initializer: initializer of each member's kernel (unseeded, so the members differ).
            Defaults to `"glorot_uniform"`.
        use_bias: whether each member has a bias. Defaults to `True`.
        kernel_regularizer: regularizer of the kernel, or `None`.
        **kwargs: base layer keyword arguments such as `name`.

    Examples:
        >>> import numpy as np
        >>> layer = PackedDense(3, members=4)
        >>> tuple(layer(np.zeros((2, 5), dtype="float32")).shape)
        (2, 4, 3)
        >>> layer.count_params()  # 4 * (5 * 3 + 3)
        72
    """

    def __init__(
        self, units, members, kernel_initializer="glorot_uniform", use_bias=True, kernel_regularizer=None, **kwargs
    ):
        super().__init__(**kwargs)
        _dense_arguments(self, units, use_bias, kernel_initializer, kernel_regularizer)
        self.members = check("members", members, Interval("integer", 1, None))
        self.input_spec = keras.layers.InputSpec(min_ndim=2, max_ndim=3)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise UserError(
                f"The last dimension of the input to `PackedDense` must be known. Received: input_shape={input_shape}"
            )
        if len(input_shape) == 3 and input_shape[1] != self.members:
            raise UserError(
                f"`PackedDense` with members={self.members} needs inputs of shape (batch, features) or "
                f"(batch, {self.members}, features). Received: input_shape={input_shape}"
            )
        config = keras.initializers.serialize(self.kernel_initializer)

        def per_member(shape, dtype=None):  # a fresh initializer per member: each draws its own seed
            return ops.stack([keras.initializers.deserialize(config)(shape[1:], dtype=dtype) for _ in range(shape[0])])

        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.members, input_shape[-1], self.units),
            initializer=per_member,
            regularizer=self.kernel_regularizer,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.members, self.units), initializer="zeros")
            if self.use_bias
            else None
        )

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        z = ops.einsum("bi,kio->bko" if len(x.shape) == 2 else "bki,kio->bko", x, self.kernel)
        return z if self.bias is None else z + self.bias

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.members, self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "members": self.members,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        }


@keras.saving.register_keras_serializable(package="kerasrecipes")
class EnsembleScaling(keras.layers.Layer):
    """Each member's own scaling of a shared input: TabM-mini's only per-member weights before the heads.

    TabM-mini (Gorishniy, Kotelnikov, Babenko, "TabM: Advancing Tabular Deep Learning with
    Parameter-Efficient Ensembling", ICLR 2025) makes `members` networks out of one: every member reads
    the same row multiplied elementwise by its own learned vector r_m, then the same hidden layers, then
    its own head (`PackedDense` + `EnsembleHead`). The layer holds the (members, features) tensor R and
    maps input (batch, features) to (batch, members, features), row m being `x * R[m]`; the shared
    layers after it see the members as one more axis. Without R the members would differ by their heads
    only.

    Initialization: random signs, each entry of R +1 or -1 with probability 1/2 (drawn from Keras' seeded
    random state), the paper's choice for TabM-mini on plain features (its package's default
    `start_scaling_init="random-signs"`): the members start as the same network seeing differently
    signed inputs, so they differ from the first step while every input keeps its scale. `"ones"`
    starts every member at the shared network itself (the paper's initialization of TabM's other,
    inner scalings). The paper draws one value per feature for all of a feature's embedding values
    (normal, with numeric embeddings); here each input column gets its own draw.

    Args:
        members: number of members, an integer >= 1.
        scaling_init: `"random_signs"` or `"ones"` (see above). Defaults to `"random_signs"`.
        **kwargs: base layer keyword arguments such as `name`.

    Examples:
        >>> import numpy as np
        >>> layer = EnsembleScaling(4)
        >>> tuple(layer(np.ones((2, 5), dtype="float32")).shape)
        (2, 4, 5)
        >>> sorted(set(np.asarray(layer.scaling).ravel().tolist()))
        [-1.0, 1.0]
    """

    def __init__(self, members, scaling_init="random_signs", **kwargs):
        super().__init__(**kwargs)
        self.members = check("members", members, Interval("integer", 1, None))
        self.scaling_init = check("scaling_init", scaling_init, options(*SCALING_INITS))
        self.input_spec = keras.layers.InputSpec(ndim=2)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise UserError(
                f"The last dimension of the input to `EnsembleScaling` must be known. "
                f"Received: input_shape={input_shape}"
            )

        def random_signs(shape, dtype=None):  # a fresh unseeded draw: Keras' seeded state picks it
            draw = keras.initializers.RandomUniform(-1.0, 1.0)(shape, dtype=dtype)
            return ops.where(draw < 0, -ops.ones_like(draw), ops.ones_like(draw))

        self.scaling = self.add_weight(
            name="scaling",
            shape=(self.members, input_shape[-1]),
            initializer=random_signs if self.scaling_init == "random_signs" else "ones",
        )

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        return ops.expand_dims(x, 1) * self.scaling  # expand_dims: LiteRT has no strided slice adding axes

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.members, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "members": self.members, "scaling_init": self.scaling_init}


@keras.saving.register_keras_serializable(package="kerasrecipes")
class EnsembleHead(keras.layers.Layer):
    """The average of an ensemble's members, trained so that the loss is the mean of the members' own losses.

    Input: the members' head values z, shape (batch, members, units), before the head activation.
    Output: (batch, units), what one network's head would give, averaged the way the loss allows:

    - `pool="softmax"` (categorical cross-entropies): `activation(mean_m z_m)`, the softmax of the
      averaged logits. The mean of the members' cross-entropies is the ensemble's cross-entropy plus
      `mean_m logsumexp(z_m) - logsumexp(mean_m z_m)`, a term without the labels;
    - `pool="sigmoid"` (binary cross-entropies): `activation(mean_m z_m)`; the term is
      `mean_m softplus(z_m) - softplus(mean_m z_m)`, averaged over the units;
    - `pool="mean"` (mean squared error): `mean_m activation(z_m)`; the term is the members'
      variance around that mean, averaged over the units.

    In training the layer adds that term with `add_loss`, so the model's loss on a batch is exactly
    the mean of the members' own losses (with label smoothing too, up to the clipping of
    probabilities that Keras' cross-entropies do); validation and prediction see the ensemble alone.
    Without row weights only: the term cannot see them.

    Gradients (`scale_gradients`): for independent members (a packed ensemble) each member's gradient
    is scaled by `members` (a forward-neutral `z + (members - 1) * (z - stop_gradient(z))`), so it gets
    exactly the gradient it would get trained alone, and its weight penalties keep their weight relative
    to it. For members that share weights (TabM-mini), `scale_gradients=False` keeps the plain gradient
    of the mean loss, as TabM trains: the shared weights get the mean of the members' gradients.

    Validation and prediction (`average`): `"pool"` averages as training does (above);
    `"probabilities"` gives the mean of the members' probabilities, TabM's prediction (for a linear head
    on logits, the logits of that mean: `log mean_m softmax(z_m)`, or `logit(mean_m sigmoid(z_m))`,
    computed in log space). Training always uses the pool, so the training loss stays exact; the same
    for `pool="mean"` either way.

    Args:
        activation: the head activation (`"softmax"`, `"sigmoid"`, `"linear"`, ...).
        pool: `"softmax"`, `"sigmoid"` or `"mean"` (see above; `losses.LOSSES[name].ensemble_pool`).
        scale_gradients: scale each member's gradient by `members` (see above). Defaults to `True`.
        average: `"pool"` or `"probabilities"` (see above). Defaults to `"pool"`.
        **kwargs: base layer keyword arguments such as `name`.

    Examples:
        >>> import numpy as np
        >>> head = EnsembleHead("softmax", pool="softmax")
        >>> tuple(head(np.zeros((2, 4, 3), dtype="float32")).shape)
        (2, 3)
        >>> z = np.array([[[4.0, 0.0], [0.0, 0.0]]], dtype="float32")  # two members, one row
        >>> tabm = EnsembleHead("softmax", pool="softmax", scale_gradients=False, average="probabilities")
        >>> np.round(np.asarray(tabm(z)), 3)  # the mean of softmax([4, 0]) and softmax([0, 0])
        array([[0.741, 0.259]], dtype=float32)
    """

    def __init__(self, activation, pool, scale_gradients=True, average="pool", **kwargs):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)
        self.pool = check("pool", pool, options(*POOLS))
        self.scale_gradients = check("scale_gradients", scale_gradients, Boolean())
        self.average = check("average", average, options(*AVERAGES))
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def call(self, inputs, training=False):
        z = ops.cast(inputs, self.compute_dtype)
        members = z.shape[1]
        if training and members > 1 and self.scale_gradients:  # forward unchanged; member gradients times k
            z = z + (members - 1) * (z - ops.stop_gradient(z))
        if not training and self.average == "probabilities" and self.pool != "mean":
            return self._mean_probabilities(z)
        values = self.activation(z) if self.pool == "mean" else z  # what the ensemble averages
        mean = ops.mean(values, axis=1)
        if training:
            self.add_loss(self._gap(values, mean))
        return mean if self.pool == "mean" else self.activation(mean)

    def _mean_probabilities(self, z):
        """The mean of the members' probabilities (their logits, for a linear head on logits)."""
        if keras.activations.serialize(self.activation) != "linear":
            return ops.mean(self.activation(z), axis=1)
        log_members = math.log(z.shape[1])
        if self.pool == "softmax":
            return ops.logsumexp(ops.log_softmax(z, axis=-1), axis=1) - log_members
        return ops.logsumexp(ops.log_sigmoid(z), axis=1) - ops.logsumexp(ops.log_sigmoid(-z), axis=1)

    def _gap(self, values, mean):
        """The mean of the members' losses minus the ensemble's loss, on a batch (it needs no labels)."""
        if self.pool == "mean":
            return ops.mean(ops.square(values - mean[:, None, :]))
        if self.pool == "softmax":
            return ops.mean(ops.mean(ops.logsumexp(values, axis=-1), axis=1) - ops.logsumexp(mean, axis=-1))
        return ops.mean(ops.mean(ops.softplus(values), axis=1) - ops.softplus(mean))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {
            **super().get_config(),
            "activation": keras.activations.serialize(self.activation),
            "pool": self.pool,
            "scale_gradients": self.scale_gradients,
            "average": self.average,
        }


__all__ = ["EnsembleHead", "EnsembleScaling", "Maxout", "PackedDense", "PeriodicEmbedding"]


@keras.saving.register_keras_serializable(package="kerasrecipes")
class FeatureSlice(keras.layers.Layer):
    """Features `start` .. `stop - 1` of each row (a registered layer: `model.keras` loads in safe mode)."""

    def __init__(self, start: int, stop: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start, self.stop = int(start), int(stop)

    def call(self, inputs: Any) -> Any:
        return inputs[:, self.start : self.stop]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], self.stop - self.start)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "start": self.start, "stop": self.stop}


def pixel_rescaling(
    channel_scaling: Any, channels: int, pixel_range: str = "0-255", *, inverse: bool = False, name: str
) -> keras.layers.Layer:
    """The images as the run's preprocessing scaled them (`(pixels - center) / scale` per channel) -> their
    pixel values in `pixel_range` ("0-255", or "-1-1" for pixels / 127.5 - 1): one affine map per channel, a
    `Rescaling`; `inverse=True` maps pixel values back to the scaled images.

    Args:
        channel_scaling: a channel spec's `center` and `scale` (a mapping); None: the images are pixel values.
        channels: the images' channel count.
        pixel_range: "0-255" or "-1-1". Defaults to "0-255".
        inverse: map pixel values to the scaled images instead. Defaults to False.
        name: the layer's name.
    """
    center = [float(c) for c in channel_scaling["center"]] if channel_scaling else [0.0] * channels
    scale = [float(s) for s in channel_scaling["scale"]] if channel_scaling else [1.0] * channels
    factor, shift = (1.0 / 127.5, -1.0) if pixel_range == "-1-1" else (1.0, 0.0)
    if inverse:  # x = (p - shift) / factor / s - c / s
        return keras.layers.Rescaling(
            scale=[1.0 / (factor * s) for s in scale],
            offset=[-(shift / factor + c) / s for c, s in zip(center, scale, strict=True)],
            name=name,
        )
    return keras.layers.Rescaling(
        scale=[s * factor for s in scale], offset=[c * factor + shift for c in center], name=name
    )


@keras.saving.register_keras_serializable(package="kerasrecipes")
class PixelRandAugment(keras.layers.Layer):
    """Keras' `RandAugment` on images a model's preprocessing scaled per channel, in training only.

    While training, the images go back to their pixel values (`pixel_rescaling` with the preprocessing's
    `center` and `scale`), are clipped to [0, 255], take `num_ops` random RandAugment operations of strength
    `factor` (`keras.layers.RandAugment(value_range=(0, 255))`), and are scaled again. At inference the
    layer returns its inputs unchanged. Its random draws come from a seed generator made with the layer,
    so setting Keras' random seed before building the model makes a rerun draw the same.

    Args:
        factor: RandAugment's strength, a real in (0, 1].
        num_ops: how many operations each image takes. Defaults to 2.
        center: the preprocessing's center per channel; None: the images are pixel values. Defaults to None.
        scale: the preprocessing's scale per channel; None: the images are pixel values. Defaults to None.
        **kwargs: base layer keyword arguments such as `name`.
    """

    def __init__(
        self,
        factor: float,
        num_ops: int = 2,
        center: list[float] | None = None,
        scale: list[float] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.factor = check("factor", factor, Interval("real", 0.0, 1.0, closed="right"))
        self.num_ops = check("num_ops", num_ops, Interval("integer", 1, None))
        self.center = None if center is None else [float(c) for c in center]
        self.scale = None if scale is None else [float(s) for s in scale]
        spec = None if center is None else {"center": self.center, "scale": self.scale}
        channels = 1 if center is None else len(self.center)
        self.to_pixels = pixel_rescaling(spec, channels, name="to_pixels")
        self.clip = keras.layers.ReLU(max_value=255.0, name="clip")
        self.rand_augment = keras.layers.RandAugment(
            value_range=(0, 255), num_ops=self.num_ops, factor=self.factor, name="rand_augment"
        )
        self.from_pixels = pixel_rescaling(spec, channels, inverse=True, name="from_pixels")

    def build(self, input_shape: Any) -> None:
        self.rand_augment.build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training:
            return inputs
        pixels = self.clip(self.to_pixels(inputs))
        return self.from_pixels(self.rand_augment(pixels, training=True))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "num_ops": self.num_ops,
            "center": self.center,
            "scale": self.scale,
        }
