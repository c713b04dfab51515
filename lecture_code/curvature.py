"""Curvature: Hessian-vector products by forward-over-reverse, the Gauss-Newton product, the spectrum.

The Hessian of the loss is the Jacobian of its gradient, H = d(grad L)/d(theta). Its
product with a direction v is the JVP of the gradient along v (the JAX cookbook's
``jvp(grad(f))``): run the reverse sweep of backprop *and* its tangent, as theta moves
along v. Every layer provides both (``_forward_tangent``, ``_vjp_tangent``), and so does
every loss (``grad_tangent``):

    forward:  x_{k+1} = f_k(x_k, theta_k),      x_dot_{k+1} = J_k x_dot_k + (df_k/dtheta_k) v_k
    loss:     u = dL/dy_hat,                    u_dot = H_L y_hat_dot                       (eq 10.2)
    reverse:  (x_bar_k, theta_bar_k) = VJP_k(u), and the tangents of both
              (x_bar_dot_k, theta_bar_dot_k) = d/de VJP_k at (x_k + e x_dot_k, theta_k + e v_k, u + e u_dot)

and the tangents of the parameter cotangents are H v (eq 10.1). It costs one forward pass
and one reverse sweep, each carrying a tangent: for a dense layer 9 matrix products where a
gradient takes 3, so about three gradients, for any number of parameters, where forming H
takes one HVP per parameter.

The Gauss-Newton product G v = J^T H_L J v keeps only the curvature of the loss (no second
derivatives of the layers): the tangent of the prediction, the loss's Hessian, and one
ordinary reverse sweep. For a linear model with squared error, G = H.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_array, positive_int, rng_from, shape_str
from .backprop import checked_problem
from .layers import Layer
from .losses import Loss
from .params import flatten, leaves, tree_map, unflatten

__all__ = ["hvp", "hvp_input", "gauss_newton_product", "hessian", "top_eigenvalues", "power_iteration"]


def _checked(net, thetas, X, Y, loss, caller):
    """(thetas, X, targets) checked as backprop checks them, without computing anything."""
    thetas, X = checked_problem(net, thetas, X, Y, loss, caller)
    return thetas, X, loss.targets(Y, net.output_size(X.shape[-1]))


def _tangent_like(v, like, caller, name):
    found, wanted = leaves(v) if isinstance(v, (dict, list, tuple)) else None, leaves(like)
    if found is None or [n for n, _ in found] != [n for n, _ in wanted]:
        raise ValueError(f"{caller} expects {name} shaped like thetas (entries {[n for n, _ in wanted]}), "
                         f"got {[n for n, _ in found] if found is not None else type(v).__name__}")
    for (n, a), (_, b) in zip(found, wanted):
        a = as_array(a, f"{name} {n}")
        if a.shape != np.shape(b):
            raise ValueError(f"{caller} expects {name} {n} of shape {shape_str(np.shape(b))}, got {shape_str(a.shape)}")
    return tree_map(lambda a: as_array(a, name), v)


def _second_order(net, thetas, X2, T, loss, x_dot, theta_dot):
    """``(theta_bar_dot, x_bar_dot)``: the tangents of backprop's cotangents, on checked 2-d data."""
    y_hat, y_dot, pullback = net._forward_vjp_tangent(X2, thetas, x_dot, theta_dot)  # one forward pass
    _, u = loss._batch(y_hat, T)
    u_dot = loss._grad_tangent(y_hat, T, y_dot)
    _, _, x_bar_dot, theta_bar_dot = pullback(u, u_dot)
    return theta_bar_dot, x_bar_dot


def hvp(net: Layer, thetas, X, Y, loss: Loss, v):
    """H v, with H the Hessian of ``backprop``'s mean loss with respect to the parameters (eq 10.1).

    ``v`` and the result are shaped like ``thetas``. Forward-over-reverse: the tangent of
    the reverse sweep as the parameters move along v.
    """
    thetas, X, T = _checked(net, thetas, X, Y, loss, "hvp")
    v = _tangent_like(v, thetas, "hvp", "v")
    X2 = np.atleast_2d(X)
    return _second_order(net, thetas, X2, T, loss, np.zeros_like(X2), v)[0]


def hvp_input(net: Layer, thetas, x, Y, loss: Loss, v) -> np.ndarray:
    """H_x v, with H_x the Hessian of the mean loss with respect to the input x : (D,) or (N, D); v like x."""
    thetas, X, T = _checked(net, thetas, x, Y, loss, "hvp_input")
    v = as_array(v, "v")
    if v.shape != X.shape:
        raise ValueError(f"hvp_input expects v shaped like x {shape_str(X.shape)}, got {shape_str(v.shape)}")
    X2 = np.atleast_2d(X)
    zero = tree_map(np.zeros_like, thetas)
    x_bar_dot = _second_order(net, thetas, X2, T, loss, np.atleast_2d(v), zero)[1]
    return x_bar_dot.reshape(X.shape)


def gauss_newton_product(net: Layer, thetas, X, Y, loss: Loss, v):
    """G v = J^T H_L J v, J the Jacobian of the predictions with respect to the parameters; v like thetas.

    The tangent of the prediction (J v), the loss's Hessian (H_L), then one ordinary reverse
    sweep (J^T): the curvature of the loss alone, without the layers' second derivatives.
    """
    thetas, X, T = _checked(net, thetas, X, Y, loss, "gauss_newton_product")
    v = _tangent_like(v, thetas, "gauss_newton_product", "v")
    X2 = np.atleast_2d(X)
    y_hat, y_dot = net._forward_tangent(X2, thetas, np.zeros_like(X2), v)
    u_dot = loss._grad_tangent(y_hat, T, y_dot)
    return net._forward_vjp(X2, thetas)[1](u_dot)[1]


def hessian(net: Layer, thetas, X, Y, loss: Loss) -> np.ndarray:
    """The dense Hessian (P, P), P = number of parameters (``params.flatten`` order): one HVP per column.

    For small networks only: P HVPs and P^2 entries.
    """
    thetas, X, T = _checked(net, thetas, X, Y, loss, "hessian")
    X2 = np.atleast_2d(X)
    p = flatten(thetas).size
    columns = []
    for j in range(p):
        e = np.zeros(p)
        e[j] = 1.0
        columns.append(flatten(_second_order(net, thetas, X2, T, loss, np.zeros_like(X2), unflatten(e, thetas))[0]))
    return np.stack(columns, axis=1)


def power_iteration(matvec, dim: int, *, rng, iterations: int = 100, tol: float = 1e-10):
    """``(lambda, v)``: the eigenvalue of largest magnitude of a symmetric operator and its unit eigenvector.

    ``matvec(v) -> A v`` for vectors of length ``dim``; repeated multiplication from a random start,
    the Rayleigh quotient v^T A v as the estimate, stopping when it changes by less than ``tol``
    (relative) or after ``iterations`` products.
    """
    if not callable(matvec):
        raise ValueError(f"power_iteration expects a function v -> A v, got {type(matvec).__name__}")
    dim = positive_int(dim, "power_iteration", "dim")
    iterations = positive_int(iterations, "power_iteration", "iterations")
    v = rng_from(rng, "power_iteration").normal(size=dim)
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(iterations):
        w = as_array(matvec(v), "A v")
        if w.shape != (dim,):
            raise ValueError(f"power_iteration expects A v of shape ({dim},), got {shape_str(w.shape)}")
        new = float(v @ w)
        norm = np.linalg.norm(w)
        if norm == 0.0:
            return 0.0, v
        v = w / norm
        if abs(new - estimate) <= tol * max(abs(new), 1e-300):
            return new, v
        estimate = new
    return estimate, v


def top_eigenvalues(net: Layer, thetas, X, Y, loss: Loss, k: int = 1, which: str = "LA") -> np.ndarray:
    """The k largest (``which="LA"``) or largest-magnitude (``"LM"``) eigenvalues of H, in decreasing order.

    Lanczos through ``scipy.sparse.linalg.eigsh`` on a ``LinearOperator`` whose product is :func:`hvp`:
    the Hessian is never formed.
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    thetas, X, T = _checked(net, thetas, X, Y, loss, "top_eigenvalues")
    if which not in ("LA", "LM"):
        raise ValueError(f"top_eigenvalues expects which to be one of ['LA', 'LM'], got {which!r}")
    X2 = np.atleast_2d(X)
    p = flatten(thetas).size
    k = positive_int(k, "top_eigenvalues", "k")
    if k >= p:
        raise ValueError(f"top_eigenvalues expects k < P = {p} (the number of parameters), got {k}")

    def matvec(w):
        tangent = unflatten(np.ravel(w), thetas)
        return flatten(_second_order(net, thetas, X2, T, loss, np.zeros_like(X2), tangent)[0])

    start = np.random.default_rng(0).normal(size=p)  # a fixed start: the same answer every run
    values = eigsh(LinearOperator((p, p), matvec=matvec, dtype=np.float64), k=k, which=which, v0=start,
                   return_eigenvectors=False)
    return np.sort(values)[::-1]
