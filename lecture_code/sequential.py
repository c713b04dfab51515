"""Composition (eq 2): ``f = f_K o ... o f_2 o f_1`` is itself a layer.

Its parameters ``thetas`` are a list, one entry per layer. Its Jacobian is
the product of the layer Jacobians (eq 6), its JVP a forward sweep that
pushes a tangent through ``f_1`` first (eq 13, read right to left), its VJP
a reverse sweep that pulls a cotangent back through ``f_K`` first (eq 14,
read left to right). Neither sweep forms a layer Jacobian.
"""

from __future__ import annotations

import numpy as np

from ._validate import one_of, positive_int, rng_from, shape_str
from .layers import Identity, Layer, Linear, ReLU, Sigmoid, Softmax, Tanh


class Sequential(Layer):
    """``Sequential([f_1, ..., f_K])`` computes ``f_K(...f_2(f_1(x)))`` (eq 3).

    A composition is itself a layer: its primitives run the layers in order
    (forward mode) and in reverse order (reverse mode), and its shortcuts do
    the same with the layers' own shortcuts.
    """

    def __init__(self, layers):
        layers = list(layers) if isinstance(layers, (list, tuple)) else layers
        if not isinstance(layers, list) or not layers:
            raise ValueError(f"Sequential expects a non-empty list of layers, got {layers!r:.80}")
        width = None  # the width flowing between layers, once a sized layer fixes it
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValueError(f"Sequential expects Layer objects, got {type(layer).__name__} at position {i}")
            if layer.d_in is not None and width is not None and layer.d_in != width:
                raise ValueError(
                    f"layer {i}, {layer!r}, expects inputs of width {layer.d_in}, "
                    f"but the layers before it output width {width}"
                )
            if layer.d_in is not None and self.d_in is None and width is None:
                self.d_in = layer.d_in
            width = layer.d_out if width is None else layer.output_size(width)
        self.layers = layers
        self.d_out = width

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(map(repr, self.layers)) + "])"

    def __len__(self) -> int:
        return len(self.layers)

    def output_size(self, d: int) -> int:
        for layer in self.layers:
            d = layer.output_size(d)
        return d

    # -- parameters, randomness and visiting: mapped over the layers -------------
    def param_spec(self) -> list:
        """One ``{name: Param}`` dict per layer, shaped like ``thetas``."""
        return [layer.param_spec() for layer in self.layers]

    def init(self, rng) -> list:
        """One parameter dict per layer, drawn in order from one generator."""
        rng = rng_from(rng, "Sequential.init")
        return [layer.init(rng) for layer in self.layers]

    def for_update(self, rng, shape) -> Sequential:
        """Each layer's function for one update, for the input shape that reaches it (see :meth:`Layer.for_update`)."""
        shape = tuple(shape)
        updated = []
        for layer in self.layers:
            updated.append(layer.for_update(rng, shape))
            shape = shape[:-1] + (layer.output_size(shape[-1]),)
        return self if all(a is b for a, b in zip(updated, self.layers)) else Sequential(updated)

    def map_leaves(self, fn, thetas=None) -> list:
        thetas = [None] * len(self.layers) if thetas is None else thetas
        return [layer.map_leaves(fn, theta) for layer, theta in zip(self.layers, thetas)]

    def _check_theta(self, thetas):
        if not isinstance(thetas, (list, tuple)) or len(thetas) != len(self.layers):
            got = f"{type(thetas).__name__} of length {len(thetas)}" if isinstance(thetas, (list, tuple)) else repr(thetas)[:80]
            raise ValueError(
                f"Sequential of {len(self.layers)} layers expects thetas as a list of "
                f"{len(self.layers)} entries (one per layer, {{}} for a layer without parameters), got {got}"
            )
        return [layer._check_theta(theta) for layer, theta in zip(self.layers, thetas)]

    def _check_x(self, x, name: str = "x") -> np.ndarray:
        x = super()._check_x(x, name)
        try:
            self.output_size(x.shape[-1])
        except ValueError:
            raise ValueError(
                f"{self!r} cannot take {name} of shape {shape_str(x.shape)}: its layers do not chain from width {x.shape[-1]}"
            ) from None
        return x

    # -- public extras ----------------------------------------------------------
    def activations(self, x, thetas) -> list:
        """``[x_1, x_2, ..., x_{K+1}]``: the input, each layer's output, and ``f(x)`` last."""
        return self._trace(self._check_x(x), self._check_theta(thetas))

    def layer_jacobians(self, x, thetas) -> list:
        """``[J_1, ..., J_K]`` with ``J_k = df_k/dx_k`` at ``x_k`` (the factors of eq 6)."""
        x, thetas = self._check_x(x), self._check_theta(thetas)
        xs = self._trace(x, thetas)
        return [layer._jacobian(xk, theta) for layer, xk, theta in zip(self.layers, xs, thetas)]

    def _trace(self, x, thetas):
        xs = [x]
        for layer, theta in zip(self.layers, thetas):
            xs.append(layer._forward(xs[-1], theta))
        return xs

    # -- primitives ---------------------------------------------------------------
    def _forward(self, x, thetas):
        for layer, theta in zip(self.layers, thetas):
            x = layer._forward(x, theta)
        return x

    def _jvp(self, x, thetas, v):
        # forward mode (eq 13): v -> J_1 v -> J_2 J_1 v -> ..., alongside the forward pass
        for layer, theta in zip(self.layers, thetas):
            v = layer._jvp(x, theta, v)
            x = layer._forward(x, theta)
        return v

    def _vjp(self, x, thetas, u):
        return self._sweep(x, thetas)[1](u)

    def _sweep(self, x, thetas):
        # the forward pass, keeping each layer's VJP at its own input x_k ...
        pullbacks = []
        for layer, theta in zip(self.layers, thetas):
            x, pullback = layer._forward_vjp(x, theta)
            pullbacks.append(pullback)

        def pullback(u):
            # ... then reverse mode (eq 14, eq 25): u_k^T = u_{k+1}^T J_k, from the last layer back
            theta_bars = [None] * len(pullbacks)
            for k in reversed(range(len(pullbacks))):
                u, theta_bars[k] = pullbacks[k](u)
            return u, theta_bars

        return x, pullback

    # -- shortcuts ----------------------------------------------------------------
    def _jacobian(self, x, thetas):
        # eq 6: J = J_K ... J_2 J_1, each factor taken at that layer's own input x_k
        J = None
        for layer, xk, theta in zip(self.layers, self._trace(x, thetas), thetas):
            Jk = layer._jacobian(xk, theta)
            J = Jk if J is None else Jk @ J
        return J

    def _vjp_input(self, x, thetas, u):
        # reverse mode without the parameter parts: u_k^T = u_{k+1}^T J_k only
        xs = self._trace(x, thetas)
        for k in reversed(range(len(self.layers))):
            u = self.layers[k]._vjp_input(xs[k], thetas[k], u)
        return u

    _forward_vjp = _sweep

    # -- second order: forward-over-reverse, composed (chapter 10) ---------------------------------
    def _forward_tangent(self, x, thetas, x_dot, theta_dots):
        for layer, theta, theta_dot in zip(self.layers, thetas, theta_dots):
            x, x_dot = layer._forward_tangent(x, theta, x_dot, theta_dot)
        return x, x_dot

    def _vjp_tangent(self, x, thetas, u, x_dot, theta_dots, u_dot):
        return self._sweep_tangent(x, thetas, x_dot, theta_dots)[2](u, u_dot)

    def _sweep_tangent(self, x, thetas, x_dot, theta_dots):
        # the forward pass with tangents, keeping each layer's second-order pullback ...
        pullbacks = []
        for layer, theta, theta_dot in zip(self.layers, thetas, theta_dots):
            x, x_dot, pullback = layer._forward_vjp_tangent(x, theta, x_dot, theta_dot)
            pullbacks.append(pullback)

        def pullback(u, u_dot):
            # ... then the reverse sweep carries the cotangent u and its tangent u_dot back together
            bars, bar_dots = [None] * len(pullbacks), [None] * len(pullbacks)
            for k in reversed(range(len(pullbacks))):
                u, bars[k], u_dot, bar_dots[k] = pullbacks[k](u, u_dot)
            return u, bars, u_dot, bar_dots

        return x, x_dot, pullback

    _forward_vjp_tangent = _sweep_tangent


ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}


def mlp(sizes, activation: str = "relu", output_activation: str | None = None) -> Sequential:
    """A multilayer perceptron ``Linear, act, Linear, act, ..., Linear`` for widths ``sizes``.

    ``mlp([4, 8, 6, 4, 2])`` is the lecture's network: D = 4 inputs, hidden
    widths 8, 6, 4 and M = 2 outputs, with no activation after the last layer
    unless ``output_activation`` names one (``"softmax"`` among them).
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"mlp expects a list of at least two layer widths, e.g. [4, 8, 2], got {sizes!r}")
    sizes = [positive_int(s, "mlp", f"sizes[{i}]") for i, s in enumerate(sizes)]
    one_of(activation, sorted(ACTIVATIONS), "mlp", "activation")
    outputs = {**ACTIVATIONS, "softmax": Softmax}
    one_of(output_activation, [None, *sorted(outputs)], "mlp", "output_activation")
    layers = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(d_in, d_out))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    if output_activation is not None:
        layers.append(outputs[output_activation]())
    return Sequential(layers)
