"""Central finite differences: the independent reference every derivative is checked against."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_array, positive_float, rng_from, shape_str
from .backprop import backprop
from .params import flatten, leaves, unflatten


def numerical_jacobian(f, x, eps: float = 1e-6) -> np.ndarray:
    """``(f(x + eps e_j) - f(x - eps e_j)) / (2 eps)`` for every entry j of x.

    x : any shape S; f(x) : any shape R -> J : R + S (``(M, D)`` for vectors,
    the layout of ``torch.func.jacrev``). Error O(eps^2) plus rounding ~ 1e-16/eps.
    """
    if not callable(f):
        raise ValueError(f"numerical_jacobian expects a callable f, got {type(f).__name__}")
    eps = positive_float(eps, "numerical_jacobian", "eps")
    x = as_array(x, "x")
    y0 = as_array(f(x), "f(x)")
    J = np.empty(y0.shape + x.shape)
    step = np.zeros_like(x)
    for j in np.ndindex(*x.shape):
        step[j] = eps
        y_plus, y_minus = as_array(f(x + step), "f(x + eps)"), as_array(f(x - step), "f(x - eps)")
        if y_plus.shape != y0.shape or y_minus.shape != y0.shape:
            raise ValueError(f"numerical_jacobian expects f to keep its output shape {shape_str(y0.shape)}, "
                             f"got {shape_str(y_plus.shape)}")
        J[(...,) + j] = (y_plus - y_minus) / (2 * eps)
        step[j] = 0.0
    return J


#: The rounding error of a central difference of L is about c * machine-eps * |L| / eps, with c of
#: order one; this is the c that check_gradients allows for (a safety factor of ten and more).
ROUNDING = 16.0


@dataclass
class GradientCheck:
    """Result of :func:`check_gradients`: one row per parameter array, ``ok`` if all agree.

    ``rounding`` is the part of the tolerance that covers the rounding error of the
    difference quotient, ``ROUNDING * machine-eps * |L| / eps``.
    """

    rows: list  # (name, shape, max |analytic - numerical|, worst ratio to the tolerance)
    ok: bool
    rtol: float
    atol: float
    rounding: float = 0.0

    def __str__(self) -> str:
        lines = [f"{'parameter':<16}{'shape':<10}{'max abs error':>14}  agrees"]
        for name, shape, err, ratio in self.rows:
            lines.append(f"{name:<16}{shape_str(shape):<10}{err:>14.1e}  {ratio <= 1.0}")
        lines.append(f"all gradients agree with finite differences: {self.ok}")
        return "\n".join(lines)


def check_gradients(net, thetas, X, Y, loss, grads=None, *, eps: float = 1e-6,
                    rtol: float = 1e-5, atol: float = 1e-8) -> GradientCheck:
    """Compare gradients of the loss with central differences of the loss itself.

    ``grads`` (shaped like ``thetas``) defaults to ``backprop(net, thetas, X, Y, loss)``;
    pass your own to check them. An entry g agrees with its central difference g_num if

        |g - g_num| <= atol + rtol |g_num| + ROUNDING * machine-eps * |L| / eps.

    The last term is the rounding error of the difference quotient: L(theta +- eps) are
    each computed to a relative precision of a few machine-eps, so their difference, divided
    by 2 eps, is uncertain by about machine-eps * |L| / eps. For a loss of order 1 it is
    below ``atol``; for a large loss (a network far from its targets) it is what an exact
    gradient can be off by. It does not grow with the gradient, so a wrong derivative,
    which is off by a fraction of the gradient itself, still fails on ``rtol``.
    """
    rtol = positive_float(rtol, "check_gradients", "rtol")
    atol = positive_float(atol, "check_gradients", "atol")
    eps = positive_float(eps, "check_gradients", "eps")
    value, own = backprop(net, thetas, X, Y, loss)  # also checks net, thetas, X, Y and loss
    grads = own if grads is None else grads
    thetas = net._check_theta(thetas)  # float arrays, each layer's entries in its own order
    params, analytic = leaves(thetas), leaves(grads)
    if [name for name, _ in params] != [name for name, _ in analytic]:
        raise ValueError(
            f"check_gradients expects grads shaped like thetas: entries {[n for n, _ in params]}, "
            f"got {[n for n, _ in analytic]}"
        )
    rounding = ROUNDING * np.finfo(flatten(thetas).dtype).eps * abs(value) / eps  # float32's eps for float32
    flat = flatten(thetas)
    offsets = np.cumsum([0] + [np.size(a) for _, a in params])
    rows, ok = [], True
    for (name, original), (_, given), start, stop in zip(params, analytic, offsets[:-1], offsets[1:]):

        def loss_of(value, start=start, stop=stop):
            w = flat.copy()
            w[start:stop] = np.ravel(value)
            return loss.value(net.forward(X, unflatten(w, thetas)), Y)

        numeric = numerical_jacobian(loss_of, np.asarray(original), eps)
        given = as_array(given, f"grads {name}")
        if given.shape != numeric.shape:
            raise ValueError(f"check_gradients expects grads {name} of shape {shape_str(numeric.shape)}, "
                             f"got {shape_str(given.shape)}")
        err = np.abs(given - numeric)
        ratio = float((err / (atol + rtol * np.abs(numeric) + rounding)).max())
        rows.append((name, numeric.shape, float(err.max()), ratio))
        ok = ok and ratio <= 1.0
    return GradientCheck(rows, ok, rtol, atol, rounding)


def directional_check(f, grad, x, rng, eps: float = 1e-6):
    """``(numeric, analytic)``: the slope of a scalar f along one random unit direction v, two ways.

    x : an array of any shape, or a parameter tree (``thetas``: lists and dicts of
    arrays); grad : the gradient of f at x to be checked, shaped like x; f(x) : a
    scalar. v is Gaussian, scaled to unit length over all entries, drawn from ``rng``
    (a Generator or a seed >= 0). Then

        numeric  = (f(x + eps v) - f(x - eps v)) / (2 eps)    two evaluations of f
        analytic = <grad, v>

    A right gradient agrees to O(eps^2) plus rounding, about machine-eps |f| / eps. A
    wrong one, off by some g_err, agrees only where <g_err, v> = 0: for almost no v.
    """
    if not callable(f):
        raise ValueError(f"directional_check expects a callable f, got {type(f).__name__}")
    eps = positive_float(eps, "directional_check", "eps")
    generator = rng_from(rng, "directional_check")
    tree = isinstance(x, (list, tuple, dict))
    if tree != isinstance(grad, (list, tuple, dict)):
        raise ValueError(f"directional_check expects grad shaped like x: x is "
                         f"{'a parameter tree' if tree else 'an array'}, grad is {type(grad).__name__}")
    if tree:
        points = [(name, as_array(a, f"x {name}")) for name, a in leaves(x)]
        given = [(name, as_array(g, f"grad {name}")) for name, g in leaves(grad)]
        if [n for n, _ in points] != [n for n, _ in given]:
            raise ValueError(f"directional_check expects grad shaped like x: entries {[n for n, _ in points]}, "
                             f"got {[n for n, _ in given]}")
    else:
        points, given = [("", as_array(x, "x"))], [("", as_array(grad, "grad"))]
    for (name, a), (_, g) in zip(points, given):
        if a.shape != g.shape:
            where = f"grad {name}" if name else "grad"
            raise ValueError(f"directional_check expects {where} of shape {shape_str(a.shape)} (like x), "
                             f"got {shape_str(g.shape)}")
    flat = np.concatenate([np.ravel(a) for _, a in points]) if points else np.zeros(0)
    if flat.size == 0:
        raise ValueError("directional_check expects x to have at least one entry, got none")
    shape = points[0][1].shape

    def rebuild(w):
        return unflatten(w, x) if tree else w.reshape(shape)

    def value(w, what):
        out = as_array(f(rebuild(w)), what)
        if out.size != 1:
            raise ValueError(f"directional_check expects f to return a scalar, got shape {shape_str(out.shape)}")
        return float(out.reshape(()))

    v = generator.normal(size=flat.size)
    v /= np.linalg.norm(v)
    numeric = (value(flat + eps * v, "f(x + eps v)") - value(flat - eps * v, "f(x - eps v)")) / (2 * eps)
    analytic = float(np.concatenate([np.ravel(g) for _, g in given]) @ v)
    return numeric, analytic
