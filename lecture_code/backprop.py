"""Backpropagation (eqs 21-25): one forward pass, then one reverse sweep of VJPs."""

from __future__ import annotations

from ._validate import as_array, shape_str
from .layers import Layer
from .losses import Loss, check_loss


def checked_problem(net, thetas, X, Y, loss, caller: str):
    """``(thetas, X)`` checked for ``caller`` (backprop and the functions that take the same arguments):
    a Layer, a lecture_code loss, parameters and inputs the network accepts, one target per example."""
    if not isinstance(net, Layer):
        raise ValueError(f"{caller} expects a Layer (e.g. a Sequential) as net, got {type(net).__name__}")
    check_loss(loss, caller)
    X = net._check_x(X, "X")
    thetas = net._check_theta(thetas)
    Y_arr = as_array(Y, "Y")
    if X.ndim == 2 and (Y_arr.ndim == 0 or Y_arr.shape[0] != X.shape[0]):
        raise ValueError(
            f"{caller} expects as many targets as examples: X has shape {shape_str(X.shape)} "
            f"(N = {X.shape[0]}), Y has shape {shape_str(Y_arr.shape)}"
        )
    return thetas, X


def backprop(net: Layer, thetas, X, Y, loss: Loss):
    """``(L, grads)``: the batch-mean loss and dL/dtheta for every parameter of ``net``.

    X : (N, D) or (D,); Y : targets for ``loss`` (N rows); grads is shaped like
    ``thetas``. The sweep starts from u = dL/dy_hat (eq 26) and applies
    u_k^T = u_{k+1}^T df_k/dx_k and dL/dtheta_k = u_{k+1}^T df_k/dtheta_k (eq 25).
    """
    thetas, X = checked_problem(net, thetas, X, Y, loss, "backprop")
    y_hat, vjp_fn = net._forward_vjp(X, thetas)
    value, u = loss(y_hat, Y)
    _, grads = vjp_fn(u)
    return value, grads
