"""Layers: functions y = f(x, theta) with their Jacobian, JVP and VJP side by side.

Shapes (named as in the lecture): one example ``x : (D,)`` or a batch
``x : (N, D)``; the output ``y`` has ``M`` entries per example.

- ``forward(x, theta) -> y``                 y : (M,) or (N, M)
- ``jacobian(x, theta) -> J``                J : (M, D), or (N, M, D) for a batch  (eq 5)
- ``jvp(x, theta, v) -> J v``                v like x              (eq 11)
- ``vjp(x, theta, u) -> (u^T J, u^T df/dtheta)``  u like y         (eq 9, eq 25)

The parameter part of a VJP is a dict shaped like ``theta``, summed over
the batch. When ``x`` is one example, ``v`` may also be a stack ``(K, D)``
of tangents (and ``u`` a stack ``(K, M)`` of cotangents) at that one point:
one call then pushes a whole basis through, which is how
:func:`lecture_code.jacobian_via_jvps` builds a Jacobian. A stack behaves
exactly like ``x`` repeated K times.

Vocabulary, used across the package: ``v`` is a tangent (pushed forward by
a JVP), ``u`` a cotangent (pulled back by a VJP), ``theta`` the parameters.
"""

from __future__ import annotations

import numpy as np

from ._stable import sigmoid, softmax
from ._validate import as_array, param_dict, positive_int, rng_from, shape_str


class Layer:
    """A function ``f(x, theta)``; subclasses fill in ``_forward``, ``_jacobian``, ``_jvp``, ``_vjp``.

    The public methods check their input and call the underscored ones, which
    trust it; a ``Sequential`` checks once at its boundary and then calls the
    underscored methods of its layers.
    """

    d_in: int | None = None  #: input width D, or None if any width is accepted
    d_out: int | None = None  #: output width M, or None if it equals the input width

    # -- sizes and parameters --------------------------------------------------
    def output_size(self, d: int) -> int:
        """The output width M for an input of width ``d`` (a width-preserving layer returns ``d``)."""
        if self.d_in is not None and d != self.d_in:
            raise ValueError(f"{self!r} expects inputs of width {self.d_in}, got {d}")
        return d if self.d_out is None else self.d_out

    def init(self, rng=None) -> dict:
        """Fresh parameters: a dict ``name -> array`` (``{}`` for a layer without parameters)."""
        return {}

    # -- public, checked API ---------------------------------------------------
    def forward(self, x, theta=None) -> np.ndarray:
        """``y = f(x, theta)``; x : (D,) or (N, D) -> y : (M,) or (N, M)."""
        x = self._check_x(x)
        return self._forward(x, self._check_theta(theta))

    def jacobian(self, x, theta=None) -> np.ndarray:
        """``J = df/dx`` (eq 5); x : (D,) -> J : (M, D), x : (N, D) -> J : (N, M, D)."""
        x = self._check_x(x)
        return self._jacobian(x, self._check_theta(theta))

    def jvp(self, x, theta, v) -> np.ndarray:
        """``J v`` (eq 11); v : like x, or (K, D) tangents when x : (D,) -> (K, M)."""
        x = self._check_x(x)
        theta = self._check_theta(theta)
        v = self._check_batch_like(x, v, "v", x.shape[-1], "jvp")
        return self._jvp(x, theta, v)

    def vjp(self, x, theta, u):
        """``(u^T J, u^T df/dtheta)`` (eqs 9, 25); u : like y -> (like x, dict like theta)."""
        x = self._check_x(x)
        theta = self._check_theta(theta)
        u = self._check_batch_like(x, u, "u", self.output_size(x.shape[-1]), "vjp")
        return self._forward_vjp(x, theta)[1](u)

    # -- what a subclass implements (inputs already checked) ---------------------
    def _forward(self, x, theta):
        raise NotImplementedError

    def _jacobian(self, x, theta):
        raise NotImplementedError

    def _jvp(self, x, theta, v):
        raise NotImplementedError

    def _vjp(self, x, theta, u):
        raise NotImplementedError

    def _forward_vjp(self, x, theta):
        """``(y, vjp_fn)``: one forward pass and the VJP at that point, as ``torch.func.vjp`` returns."""
        return self._forward(x, theta), lambda u: self._vjp(x, theta, u)

    # -- checks -----------------------------------------------------------------
    def _check_x(self, x, name: str = "x") -> np.ndarray:
        x = as_array(x, name)
        d = "D" if self.d_in is None else self.d_in
        if x.ndim not in (1, 2) or 0 in x.shape or (self.d_in is not None and x.shape[-1] != self.d_in):
            raise ValueError(
                f"{self!r} expects {name} of shape ({d},) or (N, {d}) with N >= 1, got {shape_str(x.shape)}"
            )
        return x

    def _check_theta(self, theta):
        if theta is None or (isinstance(theta, dict) and not theta):
            return {}
        raise ValueError(f"{self!r} has no parameters: theta must be {{}} or None, got {theta!r:.80}")

    def _check_batch_like(self, x, a, name: str, width: int, method: str) -> np.ndarray:
        """``a`` (a tangent or cotangent of width ``width``) laid out like the batch of ``x``."""
        a = as_array(a, name)
        if x.ndim == 1:
            ok = a.ndim in (1, 2) and a.shape[-1] == width and a.shape[0] >= 1
            expected = f"({width},) or (K, {width})"
        else:
            ok = a.shape == (x.shape[0], width)
            expected = shape_str((x.shape[0], width))
        if not ok:
            raise ValueError(
                f"{self!r}.{method} expects {name} of shape {expected} for x of shape "
                f"{shape_str(x.shape)}, got {shape_str(a.shape)}"
            )
        return a

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Layer):
    """``y = W x + b`` with ``W : (M, D)``, ``b : (M,)`` (eqs 17, 19; PyTorch's layout ``x W^T + b``)."""

    def __init__(self, d_in: int, d_out: int):
        self.d_in = positive_int(d_in, "Linear d_in")
        self.d_out = positive_int(d_out, "Linear d_out")

    def __repr__(self) -> str:
        return f"Linear({self.d_in} -> {self.d_out})"

    def init(self, rng=None) -> dict:
        """W, b ~ U(-1/sqrt(D), 1/sqrt(D)): small values near 0, PyTorch's default for ``nn.Linear``."""
        rng = rng_from(rng)
        bound = 1.0 / np.sqrt(self.d_in)
        return {
            "W": rng.uniform(-bound, bound, size=(self.d_out, self.d_in)),
            "b": rng.uniform(-bound, bound, size=self.d_out),
        }

    def _check_theta(self, theta):
        return param_dict(self, theta, {"W": (self.d_out, self.d_in), "b": (self.d_out,)})

    def _forward(self, x, theta):
        return x @ theta["W"].T + theta["b"]

    def _jacobian(self, x, theta):
        # eq 27: d(Wx + b)/dx = W, the same matrix for every example
        return np.broadcast_to(theta["W"], x.shape[:-1] + theta["W"].shape).copy()

    def _jvp(self, x, theta, v):
        return v @ theta["W"].T

    def _vjp(self, x, theta, u):
        # u^T d(Wx)/dW is the outer product u x^T (eq 28's "x^T"), summed over the batch
        rows = u.reshape(-1, self.d_out)
        xs = np.broadcast_to(x, u.shape[:-1] + (self.d_in,)).reshape(-1, self.d_in)
        return u @ theta["W"], {"W": rows.T @ xs, "b": rows.sum(axis=0)}


class Elementwise(Layer):
    """``y_i = phi(x_i)``: its Jacobian is ``diag(phi'(x))`` (eq 18)."""

    def _phi(self, x):
        raise NotImplementedError

    def _dphi(self, x):
        raise NotImplementedError

    def _forward(self, x, theta):
        return self._phi(x)

    def _jacobian(self, x, theta):
        return self._dphi(x)[..., :, None] * np.eye(x.shape[-1])

    def _jvp(self, x, theta, v):
        return self._dphi(x) * v

    def _vjp(self, x, theta, u):
        return self._dphi(x) * u, {}


class Identity(Elementwise):
    """``y = x``; J = I (an output layer with no activation)."""

    def _phi(self, x):
        return x.copy()

    def _dphi(self, x):
        return np.ones_like(x)


class ReLU(Elementwise):
    """``y = max(x, 0)``; phi'(x) = 1 where x > 0, else 0 (0 at the kink, as PyTorch takes it)."""

    def _phi(self, x):
        return np.maximum(x, 0.0)

    def _dphi(self, x):
        return (x > 0).astype(np.float64)


class Sigmoid(Elementwise):
    """``y = 1 / (1 + e^-x)``, computed without overflow; phi' = y (1 - y)."""

    def _phi(self, x):
        return sigmoid(x)

    def _dphi(self, x):
        s = sigmoid(x)
        return s * (1.0 - s)

    def _forward_vjp(self, x, theta):
        s = sigmoid(x)
        return s, lambda u: (u * s * (1.0 - s), {})


class Tanh(Elementwise):
    """``y = tanh(x)``; phi' = 1 - y^2."""

    def _phi(self, x):
        return np.tanh(x)

    def _dphi(self, x):
        return 1.0 - np.tanh(x) ** 2

    def _forward_vjp(self, x, theta):
        t = np.tanh(x)
        return t, lambda u: (u * (1.0 - t**2), {})


class Softmax(Layer):
    """``s = S(x)``, ``s_c = e^{x_c} / sum_c' e^{x_c'}`` (eq 34); J = diag(s) - s s^T."""

    def _forward(self, x, theta):
        return softmax(x)

    def _jacobian(self, x, theta):
        s = softmax(x)
        return s[..., :, None] * np.eye(x.shape[-1]) - s[..., :, None] * s[..., None, :]

    def _jvp(self, x, theta, v):
        s = softmax(x)
        return s * (v - (s * v).sum(axis=-1, keepdims=True))

    def _vjp(self, x, theta, u):
        # J is symmetric, so u^T J = (J u)^T
        return self._jvp(x, theta, u), {}


class Dropout(Layer):
    """Inverted dropout: in training, each unit is kept with probability 1 - p and scaled by 1 / (1 - p).

    Switching a unit off zeroes its activation, and with it every connection
    leaving that unit. ``theta = {}`` is evaluation mode (the identity);
    ``theta = layer.mask(rng, shape)``, a dict holding the mask (entries 0 or
    1 / (1 - p)), is training mode. The mask is an input, not a parameter: the
    VJP multiplies by the same mask and returns no parameter cotangent.
    """

    def __init__(self, p: float):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout expects a drop probability p in [0, 1), got {p!r}")
        self.p = float(p)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"

    def mask(self, rng, shape) -> dict:
        """A training-mode theta: ``{"mask": m}`` with m = (U >= p) / (1 - p), U uniform, for inputs of ``shape``."""
        shape = tuple(shape)
        if len(shape) not in (1, 2) or any(not isinstance(s, (int, np.integer)) or s < 1 for s in shape):
            raise ValueError(f"{self!r}.mask expects the input shape (D,) or (N, D), got {shape!r}")
        keep = rng_from(rng).random(shape) >= self.p
        return {"mask": keep / (1.0 - self.p)}

    def _check_theta(self, theta):
        if theta is None or (isinstance(theta, dict) and not theta):
            return {}
        if not isinstance(theta, dict) or set(theta) != {"mask"}:
            raise ValueError(f"{self!r} expects theta {{}} (evaluation) or {{'mask': m}} (training), got {theta!r:.80}")
        m = as_array(theta["mask"], "theta['mask']")
        scale = 1.0 / (1.0 - self.p)
        if not np.all((m == 0.0) | np.isclose(m, scale, rtol=1e-12, atol=0.0)):
            raise ValueError(f"{self!r} expects mask entries 0 or 1/(1 - p) = {scale:g}, got others")
        return {"mask": m}

    def _masked(self, x, theta, a):
        if not theta:
            return a
        if theta["mask"].shape != x.shape:
            raise ValueError(
                f"{self!r} mask of shape {shape_str(theta['mask'].shape)} does not match x of shape {shape_str(x.shape)}"
            )
        return a * theta["mask"]

    def _forward(self, x, theta):
        return self._masked(x, theta, x.copy())

    def _jacobian(self, x, theta):
        return self._masked(x, theta, np.ones_like(x))[..., :, None] * np.eye(x.shape[-1])

    def _jvp(self, x, theta, v):
        return self._masked(x, theta, np.ones_like(x)) * v

    def _vjp(self, x, theta, u):
        return self._masked(x, theta, np.ones_like(x)) * u, {}
