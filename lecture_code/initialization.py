"""Initial parameters: small random values (the lecture's advice), or the Glorot and He scales.

Each layer declares its parameters (``layer.param_spec()``): a weight, with its
fan-in and fan-out, or a bias. Weights are drawn by the scheme, biases start at 0:

- ``"small"``:  W ~ N(0, scale^2), with the ``scale`` you choose (default 0.1)
- ``"glorot"``: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))   (Glorot and Bengio 2010; tanh, sigmoid)
- ``"he"``:     W ~ N(0, 2 / fan_in)                            (He et al. 2015; ReLU)

For a dense layer ``W : (M, D)``, fan_in = D and fan_out = M; for a convolution the
kernel's size multiplies both (PyTorch's convention).
"""

from __future__ import annotations

import numpy as np

from ._validate import one_of, positive_float, rng_from
from .layers import Layer
from .params import tree_map

SCHEMES = ("small", "glorot", "he")


def initialize(net: Layer, rng, scheme: str = "small", scale: float = 0.1):
    """Parameters for ``net`` (shaped like ``net.init``) drawn by ``scheme``; ``scale`` is used by ``"small"``.

    The weights are drawn from ``rng`` one array after the other, in the order of the layers.
    """
    if not isinstance(net, Layer):
        raise ValueError(f"initialize expects a lecture_code Layer, got {type(net).__name__}")
    one_of(scheme, SCHEMES, "initialize", "scheme")
    scale = positive_float(scale, "initialize", "scale")
    gen = rng_from(rng, "initialize")

    def draw(p):
        if p.role == "bias":
            return np.zeros(p.shape)
        if scheme == "small":
            return gen.normal(0.0, scale, size=p.shape)
        if scheme == "glorot":
            bound = np.sqrt(6.0 / (p.fan_in + p.fan_out))
            return gen.uniform(-bound, bound, size=p.shape)
        return gen.normal(0.0, np.sqrt(2.0 / p.fan_in), size=p.shape)

    return tree_map(draw, net.param_spec())
