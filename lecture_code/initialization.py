"""Initial parameters: small random values (the lecture's advice), or the Glorot and He scales.

For a dense layer with ``fan_in`` inputs and ``fan_out`` outputs (biases start at 0):

- ``"small"``:  W ~ N(0, scale^2), with the ``scale`` you choose (default 0.1)
- ``"glorot"``: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))   (Glorot and Bengio 2010; tanh, sigmoid)
- ``"he"``:     W ~ N(0, 2 / fan_in)                            (He et al. 2015; ReLU)
"""

from __future__ import annotations

import numpy as np

from ._validate import positive_float, rng_from
from .layers import Layer, Linear
from .sequential import Sequential

SCHEMES = ("small", "glorot", "he")


def initialize(net: Layer, rng=None, scheme: str = "small", scale: float = 0.1):
    """Parameters for ``net`` (shaped like ``net.init``) drawn by ``scheme``; ``scale`` is used by ``"small"``."""
    if not isinstance(net, Layer):
        raise ValueError(f"initialize expects a lecture_code Layer, got {type(net).__name__}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    scale = positive_float(scale, "scale")
    return _draw(net, rng_from(rng), scheme, scale)


def _draw(layer, rng, scheme, scale):
    if isinstance(layer, Sequential):
        return [_draw(sub, rng, scheme, scale) for sub in layer.layers]
    if not isinstance(layer, Linear):
        return layer.init(rng)
    shape = (layer.d_out, layer.d_in)
    if scheme == "small":
        W = rng.normal(0.0, scale, size=shape)
    elif scheme == "glorot":
        bound = np.sqrt(6.0 / (layer.d_in + layer.d_out))
        W = rng.uniform(-bound, bound, size=shape)
    else:
        W = rng.normal(0.0, np.sqrt(2.0 / layer.d_in), size=shape)
    return {"W": W, "b": np.zeros(layer.d_out)}
