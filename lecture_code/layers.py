"""Layers: functions y = f(x, theta) with their Jacobian, JVP and VJP side by side.

Shapes (named as in the lecture): one example ``x : (D,)`` or a batch
``x : (N, D)``; the output ``y`` has ``M`` entries per example.

- ``forward(x, theta) -> y``                     y : (M,) or (N, M)
- ``jacobian(x, theta) -> J``                    J : (M, D), or (N, M, D) for a batch  (eq 5)
- ``jvp(x, theta, v) -> y_dot = J v``            v like x              (eq 11)
- ``vjp(x, theta, u) -> (x_bar, theta_bar)``     u like y: u^T J and u^T df/dtheta (eq 9, eq 25)
- ``vjp_input(x, theta, u) -> x_bar``            u^T J alone, without the parameter part

The parameter part ``theta_bar`` is a dict shaped like ``theta``, summed over
the batch. When ``x`` is one example, ``v`` may also be a stack ``(K, D)``
of tangents (and ``u`` a stack ``(K, M)`` of cotangents) at that one point:
one call then pushes a whole basis through, which is how
:func:`lecture_code.jacobian_via_jvps` builds a Jacobian. A stack behaves
exactly like ``x`` repeated K times.

Vocabulary, used across the package: ``v`` is the tangent a JVP pushes
forward and ``u`` the cotangent a VJP pulls back; what they return, and the
tangents and cotangents of values inside a layer, are named after the value
with ``_dot`` (tangent: ``y_dot``, ``h_dot``) or ``_bar`` (cotangent:
``x_bar``, ``theta_bar``, ``W_bar``); ``theta`` holds the parameters.

The contract of a layer
-----------------------
A layer defines three **primitives** (an elementwise activation defines
``_phi`` and ``_dphi`` instead, see :class:`Elementwise`):

- ``_forward(x, theta) -> y``,
- ``_jvp(x, theta, v) -> y_dot``,
- ``_vjp(x, theta, u) -> (x_bar, theta_bar)``,

and, if it has parameters, ``param_spec()`` (the shape and role of each) and
``init(rng)``. Everything else is derived from them in :class:`Layer`:
``_jacobian`` from ``_jvp`` on the identity basis, ``_vjp_input`` from
``_vjp``, ``_forward_vjp`` (one forward pass and the VJP at that point) from
``_forward`` and ``_vjp``. A built-in layer may define these three
**shortcuts** itself, to compute the same thing faster; a subclass that
redefines a primitive gets the derived shortcuts again, unless it also
defines its own, so what a subclass defines is never bypassed. The public
methods check their input and call the underscored ones, which trust it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._stable import sigmoid, softmax
from ._validate import as_array, param_dict, positive_int, probability, rng_from, shape_str

ROLES = ("weight", "bias")


@dataclass(frozen=True)
class Param:
    """What a layer declares about one parameter array: its ``shape`` and its ``role``.

    ``role`` is ``"weight"`` (a matrix or kernel that multiplies the input: penalties
    and initialization schemes act on these) or ``"bias"`` (added to it). A weight's
    shape is laid out ``(outputs, inputs, *kernel)`` as in PyTorch, which gives its
    fan-in and fan-out.
    """

    shape: tuple
    role: str

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"Param expects role to be one of {list(ROLES)}, got {self.role!r}")

    @property
    def fan_in(self) -> int:
        """Inputs feeding one output: ``shape[1] * prod(shape[2:])`` (for a weight)."""
        return int(np.prod(self.shape[1:]))

    @property
    def fan_out(self) -> int:
        """Outputs fed by one input: ``shape[0] * prod(shape[2:])`` (for a weight)."""
        return int(self.shape[0] * np.prod(self.shape[2:]))


class Layer:
    """A function ``f(x, theta)``; see the module docstring for what a subclass defines."""

    d_in: int | None = None  #: input width D, or None if any width is accepted
    d_out: int | None = None  #: output width M, or None if it equals the input width

    _primitives = ("_forward", "_jvp", "_vjp")  #: what a subclass defines
    #: derived from the primitives, or faster versions of the derived; the second-order rules
    #: (forward-over-reverse, chapter 10) cannot be derived, and are missing unless a layer gives them
    _shortcuts = ("_jacobian", "_vjp_input", "_forward_vjp", "_forward_tangent", "_vjp_tangent",
                  "_forward_vjp_tangent")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if any(name in vars(cls) for name in cls._primitives):
            for name in cls._shortcuts:
                if name not in vars(cls):  # an inherited shortcut may not agree with the new primitive
                    setattr(cls, name, next(k._generics[name] for k in cls.__mro__ if name in vars(k).get("_generics", {})))

    # -- sizes and parameters --------------------------------------------------
    def output_size(self, d: int) -> int:
        """The output width M for an input of width ``d`` (a width-preserving layer returns ``d``)."""
        if self.d_in is not None and d != self.d_in:
            raise ValueError(f"{self!r} expects inputs of width {self.d_in}, got {d}")
        return d if self.d_out is None else self.d_out

    def param_spec(self) -> dict:
        """``{name: Param(shape, role)}`` for each parameter (``{}`` for a layer without parameters)."""
        return {}

    def init(self, rng) -> dict:
        """Fresh parameters: a dict ``name -> array`` (``{}`` for a layer without parameters)."""
        rng_from(rng, f"{self!r}.init")
        return {}

    def for_update(self, rng, shape) -> Layer:
        """The function this layer computes in one training update on inputs of ``shape`` ``(N, D)``.

        Most layers compute the same function every time and return themselves; a layer
        with per-update randomness (:class:`Dropout`) returns a copy with that update's
        random inputs drawn from ``rng``. Draws nothing from ``rng`` unless it needs to.
        """
        return self

    # -- visiting the layers of a network --------------------------------------
    def map_leaves(self, fn, theta=None):
        """``fn(layer, theta)`` for every layer that is not a composition, in the order they act.

        A single layer is its own leaf: ``fn(self, theta)``. A :class:`Sequential`
        returns a list shaped like its ``thetas``. ``theta`` may be None.
        """
        return fn(self, theta)

    def leaves(self, theta=None) -> list:
        """``[(layer, theta), ...]``: the leaves of :meth:`map_leaves` in the order they act."""
        found = []
        self.map_leaves(lambda layer, th: found.append((layer, th)), theta)
        return found

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
        """``y_dot = J v`` (eq 11); v : like x, or (K, D) tangents when x : (D,) -> (K, M)."""
        x = self._check_x(x)
        theta = self._check_theta(theta)
        v = self._check_batch_like(x, v, "v", x.shape[-1], "jvp")
        return self._jvp(x, theta, v)

    def vjp(self, x, theta, u):
        """``(x_bar, theta_bar) = (u^T J, u^T df/dtheta)`` (eqs 9, 25); u : like y."""
        x = self._check_x(x)
        theta = self._check_theta(theta)
        u = self._check_batch_like(x, u, "u", self.output_size(x.shape[-1]), "vjp")
        return self._vjp(x, theta, u)

    def vjp_input(self, x, theta, u) -> np.ndarray:
        """``x_bar = u^T J`` (eq 9) alone: the input part of :meth:`vjp`, without the parameter part."""
        x = self._check_x(x)
        theta = self._check_theta(theta)
        u = self._check_batch_like(x, u, "u", self.output_size(x.shape[-1]), "vjp_input")
        return self._vjp_input(x, theta, u)

    # -- the primitives: what a subclass defines (inputs already checked) ------
    def _forward(self, x, theta):
        raise NotImplementedError(f"{type(self).__name__} must define _forward(x, theta)")

    def _jvp(self, x, theta, v):
        raise NotImplementedError(f"{type(self).__name__} must define _jvp(x, theta, v)")

    def _vjp(self, x, theta, u):
        raise NotImplementedError(f"{type(self).__name__} must define _vjp(x, theta, u)")

    # -- the shortcuts, derived from the primitives ------------------------------
    def _jacobian(self, x, theta):
        """J from the JVPs of the identity basis: column j is J e_j (eq 12)."""
        d = x.shape[-1]
        if x.ndim == 1:
            return self._jvp(x, theta, np.eye(d)).T
        n = x.shape[0]
        columns = self._jvp(np.repeat(x, d, axis=0), theta, np.tile(np.eye(d), (n, 1)))
        return columns.reshape(n, d, -1).transpose(0, 2, 1)

    def _vjp_input(self, x, theta, u):
        """u^T J: the input part of the VJP."""
        return self._vjp(x, theta, u)[0]

    def _forward_vjp(self, x, theta):
        """``(y, pullback)``: one forward pass and the VJP at that point, as ``torch.func.vjp`` returns."""
        return self._forward(x, theta), lambda u: self._vjp(x, theta, u)

    # -- second order: the tangents of the forward pass and of the VJP (chapter 10) --------------
    def _forward_tangent(self, x, theta, x_dot, theta_dot):
        """``(y, y_dot)``: the output and its tangent when x moves along x_dot and theta along theta_dot."""
        raise ValueError(f"{self!r} has no second-order rule: forward-over-reverse (lecture_code.curvature) "
                         f"needs _forward_tangent and _vjp_tangent, which {type(self).__name__} does not define")

    def _vjp_tangent(self, x, theta, u, x_dot, theta_dot, u_dot):
        """``(x_bar, theta_bar, x_bar_dot, theta_bar_dot)``: the VJP and its tangent (forward-over-reverse)."""
        raise ValueError(f"{self!r} has no second-order rule: forward-over-reverse (lecture_code.curvature) "
                         f"needs _forward_tangent and _vjp_tangent, which {type(self).__name__} does not define")

    def _forward_vjp_tangent(self, x, theta, x_dot, theta_dot):
        """``(y, y_dot, pullback)``: one forward pass with tangents, and ``pullback(u, u_dot)`` -> ``_vjp_tangent``'s four."""
        y, y_dot = self._forward_tangent(x, theta, x_dot, theta_dot)
        return y, y_dot, lambda u, u_dot: self._vjp_tangent(x, theta, u, x_dot, theta_dot, u_dot)

    # -- checks -----------------------------------------------------------------
    def _input_layout(self) -> str:
        """How a flattened input is laid out, for error messages ("" for plain vectors)."""
        return ""

    def _check_x(self, x, name: str = "x") -> np.ndarray:
        x = as_array(x, name)
        d = "D" if self.d_in is None else self.d_in
        if x.ndim not in (1, 2) or 0 in x.shape or (self.d_in is not None and x.shape[-1] != self.d_in):
            layout = self._input_layout()
            raise ValueError(
                f"{self!r} expects {name} of shape ({d},) or (N, {d}) with N >= 1"
                f"{': ' + layout if layout else ''}, got {shape_str(x.shape)}"
            )
        return x

    def _check_theta(self, theta):
        spec = self.param_spec()
        if spec:
            return param_dict(self, theta, {name: p.shape for name, p in spec.items()})
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


Layer._generics = {name: vars(Layer)[name] for name in Layer._shortcuts}


class Linear(Layer):
    """``y = W x + b`` with ``W : (M, D)``, ``b : (M,)`` (eqs 17, 19; PyTorch's layout ``x W^T + b``)."""

    def __init__(self, d_in: int, d_out: int):
        self.d_in = positive_int(d_in, "Linear", "d_in")
        self.d_out = positive_int(d_out, "Linear", "d_out")

    def __repr__(self) -> str:
        return f"Linear({self.d_in} -> {self.d_out})"

    def param_spec(self) -> dict:
        return {"W": Param((self.d_out, self.d_in), "weight"), "b": Param((self.d_out,), "bias")}

    def init(self, rng) -> dict:
        """W, b ~ U(-1/sqrt(D), 1/sqrt(D)): small values near 0, PyTorch's default for ``nn.Linear``."""
        rng = rng_from(rng, f"{self!r}.init")
        bound = 1.0 / np.sqrt(self.d_in)
        return {
            "W": rng.uniform(-bound, bound, size=(self.d_out, self.d_in)),
            "b": rng.uniform(-bound, bound, size=self.d_out),
        }

    def _forward(self, x, theta):
        return x @ theta["W"].T + theta["b"]

    def _jvp(self, x, theta, v):
        return v @ theta["W"].T

    def _vjp(self, x, theta, u):
        # u^T d(Wx)/dW is the outer product u x^T (eq 28 for one output), summed over the batch
        rows = u.reshape(-1, self.d_out)
        xs = np.broadcast_to(x, u.shape[:-1] + (self.d_in,)).reshape(-1, self.d_in)
        return u @ theta["W"], {"W": rows.T @ xs, "b": rows.sum(axis=0)}

    def _jacobian(self, x, theta):
        # eq 27: d(Wx + b)/dx = W, the same matrix for every example
        return np.broadcast_to(theta["W"], x.shape[:-1] + theta["W"].shape).copy()

    def _vjp_input(self, x, theta, u):
        return u @ theta["W"]  # eq 27, without the outer products of the parameter part

    def _forward_tangent(self, x, theta, x_dot, theta_dot):
        W, W_dot = theta["W"], theta_dot["W"]
        return x @ W.T + theta["b"], x_dot @ W.T + x @ W_dot.T + theta_dot["b"]

    def _vjp_tangent(self, x, theta, u, x_dot, theta_dot, u_dot):
        # the VJP (u W, u^T x, sum u) is bilinear: each part's tangent has one term per factor that moves
        x_bar, theta_bar = self._vjp(x, theta, u)
        rows, rows_dot = u.reshape(-1, self.d_out), u_dot.reshape(-1, self.d_out)
        xs = np.broadcast_to(x, u.shape[:-1] + (self.d_in,)).reshape(-1, self.d_in)
        xs_dot = np.broadcast_to(x_dot, u.shape[:-1] + (self.d_in,)).reshape(-1, self.d_in)
        x_bar_dot = u_dot @ theta["W"] + u @ theta_dot["W"]
        theta_bar_dot = {"W": rows_dot.T @ xs + rows.T @ xs_dot, "b": rows_dot.sum(axis=0)}
        return x_bar, theta_bar, x_bar_dot, theta_bar_dot


class Elementwise(Layer):
    """``y_i = phi(x_i)``: its Jacobian is ``diag(phi'(x))`` (eq 18).

    A subclass defines ``_phi(x)`` and ``_dphi(x)`` (the derivative, elementwise);
    the forward pass, the JVP ``phi'(x) * v`` and the VJP ``phi'(x) * u`` follow.
    """

    _primitives = Layer._primitives + ("_phi", "_dphi")
    _shortcuts = Layer._shortcuts + ("_d2phi",)

    def _phi(self, x):
        raise NotImplementedError(f"{type(self).__name__} must define _phi(x)")

    def _dphi(self, x):
        raise NotImplementedError(f"{type(self).__name__} must define _dphi(x)")

    def _d2phi(self, x):
        """phi''(x), for the second-order rules; a subclass that redefines _phi or _dphi defines it too."""
        raise ValueError(f"{self!r} has no second derivative: define _d2phi(x) for forward-over-reverse "
                         f"(lecture_code.curvature)")

    def _forward_tangent(self, x, theta, x_dot, theta_dot):
        return self._phi(x), self._dphi(x) * x_dot

    def _vjp_tangent(self, x, theta, u, x_dot, theta_dot, u_dot):
        # x_bar = phi'(x) u, so x_bar_dot = phi''(x) x_dot u + phi'(x) u_dot
        d = self._dphi(x)
        return d * u, {}, self._d2phi(x) * x_dot * u + d * u_dot, {}

    def _forward(self, x, theta):
        return self._phi(x)

    def _jvp(self, x, theta, v):
        return self._dphi(x) * v

    def _vjp(self, x, theta, u):
        return self._dphi(x) * u, {}


Elementwise._generics = {name: vars(Elementwise)[name] for name in ("_forward_tangent", "_vjp_tangent", "_d2phi")}


class Identity(Elementwise):
    """``y = x``; J = I (an output layer with no activation)."""

    def _phi(self, x):
        return x.copy()

    def _dphi(self, x):
        return np.ones_like(x)

    def _d2phi(self, x):
        return np.zeros_like(x)


class ReLU(Elementwise):
    """``y = max(x, 0)``; phi'(x) = 1 where x > 0, else 0 (0 at the kink, as PyTorch takes it)."""

    def _phi(self, x):
        return np.maximum(x, 0.0)

    def _dphi(self, x):
        return (x > 0).astype(x.dtype)

    def _d2phi(self, x):
        return np.zeros_like(x)  # 0 away from the kink (and taken as 0 there)


class Sigmoid(Elementwise):
    """``y = 1 / (1 + e^-x)``, computed without overflow; phi' = y (1 - y)."""

    def _phi(self, x):
        return sigmoid(x)

    def _dphi(self, x):
        s = sigmoid(x)
        return s * (1.0 - s)

    def _d2phi(self, x):
        s = sigmoid(x)
        return s * (1.0 - s) * (1.0 - 2.0 * s)

    def _forward_vjp(self, x, theta):
        s = sigmoid(x)  # computed once, for y and for phi' = y (1 - y)
        d = s * (1.0 - s)
        return s, lambda u: (d * u, {})


class Tanh(Elementwise):
    """``y = tanh(x)``; phi' = 1 - y^2."""

    def _phi(self, x):
        return np.tanh(x)

    def _dphi(self, x):
        return 1.0 - np.tanh(x) ** 2

    def _d2phi(self, x):
        t = np.tanh(x)
        return -2.0 * t * (1.0 - t**2)

    def _forward_vjp(self, x, theta):
        t = np.tanh(x)  # computed once, for y and for phi' = 1 - y^2
        d = 1.0 - t**2
        return t, lambda u: (d * u, {})


class Softmax(Layer):
    """``s = S(x)``, ``s_c = e^{x_c} / sum_c' e^{x_c'}`` (eq 34); J = diag(s) - s s^T."""

    def _forward(self, x, theta):
        return softmax(x)

    def _jvp(self, x, theta, v):
        s = softmax(x)
        return s * (v - (s * v).sum(axis=-1, keepdims=True))

    def _vjp(self, x, theta, u):
        # J is symmetric, so u^T J = (J u)^T: the same formula as the JVP
        s = softmax(x)
        return s * (u - (s * u).sum(axis=-1, keepdims=True)), {}

    def _jacobian(self, x, theta):
        s = softmax(x)
        return s[..., :, None] * np.eye(x.shape[-1]) - s[..., :, None] * s[..., None, :]

    def _forward_tangent(self, x, theta, x_dot, theta_dot):
        s = softmax(x)
        return s, s * (x_dot - (s * x_dot).sum(axis=-1, keepdims=True))

    def _vjp_tangent(self, x, theta, u, x_dot, theta_dot, u_dot):
        # x_bar = s * (u - <s, u>); its tangent moves s (by s_dot) and u (by u_dot)
        s, s_dot = self._forward_tangent(x, theta, x_dot, theta_dot)
        su = (s * u).sum(axis=-1, keepdims=True)
        x_bar = s * (u - su)
        su_dot = (s_dot * u + s * u_dot).sum(axis=-1, keepdims=True)
        return x_bar, {}, s_dot * (u - su) + s * (u_dot - su_dot), {}


class Dropout(Layer):
    """Inverted dropout: in training, each unit is kept with probability 1 - p and scaled by 1 / (1 - p).

    Switching a unit off zeroes its activation, and with it every connection
    leaving that unit. The random mask is an input of the function, not a
    parameter (theta is always ``{}``): ``Dropout(p)`` is evaluation mode, the
    identity; ``Dropout(p, mask=m)`` is training mode with the mask ``m`` (entries
    0 or 1 / (1 - p), shaped like the input ``(D,)`` or ``(N, D)``), ``y = m * x``,
    and its JVP and VJP multiply by the same mask. Training draws a fresh mask for
    every update with :meth:`for_update`.
    """

    def __init__(self, p: float, mask=None):
        self.p = probability(p, "Dropout", "the drop probability p", one=False)
        self.mask = None if mask is None else self._check_mask(mask)

    def __repr__(self) -> str:
        mask = "" if self.mask is None else f", mask of shape {shape_str(self.mask.shape)}"
        return f"Dropout(p={self.p:g}{mask})"

    def draw_mask(self, rng, shape) -> np.ndarray:
        """A mask for inputs of ``shape`` (D,) or (N, D): m = (U >= p) / (1 - p), U uniform on [0, 1)."""
        shape = tuple(shape)
        if len(shape) not in (1, 2) or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
                                           for s in shape):
            raise ValueError(f"{self!r}.draw_mask expects the input shape (D,) or (N, D), got {shape!r}")
        keep = rng_from(rng, f"{self!r}.draw_mask").random(shape) >= self.p
        return keep / (1.0 - self.p)

    def for_update(self, rng, shape) -> Dropout:
        """``Dropout(p, mask=m)`` with a fresh mask m for inputs of ``shape``, drawn from ``rng``."""
        return Dropout(self.p, self.draw_mask(rng, shape))

    def _check_mask(self, mask):
        m = as_array(mask, "Dropout mask")
        scale = 1.0 / (1.0 - self.p)
        if m.ndim not in (1, 2) or 0 in m.shape:
            raise ValueError(f"Dropout expects a mask of shape (D,) or (N, D), got {shape_str(m.shape)}")
        if not np.all((m == 0.0) | np.isclose(m, scale, rtol=1e-12, atol=0.0)):
            raise ValueError(f"Dropout(p={self.p:g}) expects mask entries 0 or 1/(1 - p) = {scale:g}, got others")
        return m

    def _scale(self, x):
        """The mask (the identity's 1 in evaluation mode), checked against the input x."""
        if self.mask is None:
            return 1.0
        if self.mask.shape != x.shape:
            raise ValueError(
                f"{self!r} was given x of shape {shape_str(x.shape)}: the mask and the input must have the same shape"
            )
        return self.mask

    def _forward(self, x, theta):
        return self._scale(x) * x

    def _jvp(self, x, theta, v):
        return self._scale(x) * v

    def _vjp(self, x, theta, u):
        return self._scale(x) * u, {}

    def _jacobian(self, x, theta):
        return (self._scale(x) * np.ones_like(x))[..., :, None] * np.eye(x.shape[-1])

    def _forward_tangent(self, x, theta, x_dot, theta_dot):
        return self._scale(x) * x, self._scale(x) * x_dot

    def _vjp_tangent(self, x, theta, u, x_dot, theta_dot, u_dot):
        m = self._scale(x)
        return m * u, {}, m * u_dot, {}
