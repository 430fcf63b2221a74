"""Custom layers: `Maxout`, a learned piecewise-linear activation with its own weights."""

from __future__ import annotations

import keras
from keras import ops

from kerasrecipes._validation import Boolean, Interval, check
from kerasrecipes.errors import UserError


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

    Example:

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
        self.units = check("units", units, Interval("integer", 1, None))
        self.num_pieces = check("num_pieces", num_pieces, Interval("integer", 2, None))
        self.use_bias = check("use_bias", use_bias, Boolean())
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise UserError(
                "The last dimension of the input to `Maxout` must be known. "
                f"Received: input_shape={input_shape}"
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
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "use_bias": self.use_bias,
                "kernel_regularizer": keras.regularizers.serialize(
                    self.kernel_regularizer
                ),
                "bias_regularizer": keras.regularizers.serialize(
                    self.bias_regularizer
                ),
            }
        )
        return config


__all__ = ["Maxout"]
