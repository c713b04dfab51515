"""Chapter 4 self-checks: the gradients of eq 15 by hand, an activation's VJP, a Linear layer's batch VJP."""

from __future__ import annotations

import numpy as np

from .._stable import sigmoid
from .._validate import one_of
from ._report import call, report as _report, require_callable

__all__ = ["eq15_gradients", "activation_vjp", "batch_linear_vjp"]


def _arrays(result, n, what):
    """``result`` as a tuple of ``n`` float arrays, or ``(None, hint)``."""
    try:
        parts = tuple(np.asarray(r, dtype=np.float64) for r in result)
    except (TypeError, ValueError):
        return None, f"{what} should return {n} arrays, got {type(result).__name__}"
    if len(parts) != n:
        return None, f"{what} should return {n} arrays, got {len(parts)}"
    return parts, None


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-12)


# -- exercise 1: eq 15 by hand ----------------------------------------------------------------------

def _eq15_cases():
    """(W1, W2, x, y) for three shapes, each with at least one ReLU unit switched off."""
    cases = []
    for seed, (d, h, m) in enumerate([(3, 5, 2), (4, 3, 1), (2, 4, 3)]):
        rng = np.random.default_rng(100 + seed)
        W1, W2 = rng.normal(size=(h, d)), rng.normal(size=(m, h))
        x, y = rng.normal(size=d), rng.normal(size=m)
        x2 = W1 @ x
        off = int(np.argmax(np.abs(x2)))
        W1[off] = -np.sign(x) * np.abs(W1[off]) - 0.1 * np.sign(x)  # unit `off` gets W1[off] @ x < 0
        cases.append((W1, W2, x, y))
    return cases


def _eq15_reference(W1, W2, x, y, mask=True):
    """(dL/dW1, dL/dW2) of L = 1/2 ||y - W2 relu(W1 x)||^2 (eqs 26-28)."""
    x2 = W1 @ x
    x3 = np.maximum(x2, 0.0)
    u4 = W2 @ x3 - y
    u2 = (W2.T @ u4) * ((x2 > 0) if mask else 1.0)
    return np.outer(u2, x), np.outer(u4, x3)


def eq15_gradients(grads_fn) -> bool:
    """Does ``grads_fn(W1, W2, x, y) -> (dW1, dW2)`` give the gradients of eq 15 with phi = ReLU?

    L = 1/2 ||y - W2 relu(W1 x)||^2 (no biases); W1 : (H, D), W2 : (M, H), x : (D,),
    y : (M,); dW1 shaped like W1, dW2 like W2 (eqs 25-28).
    """
    require_callable(grads_fn, "eq15_gradients", "grads_fn(W1, W2, x, y) for the gradients")
    for W1, W2, x, y in _eq15_cases():
        result, hint = call(grads_fn, (W1.copy(), W2.copy(), x.copy(), y.copy()), "grads_fn(W1, W2, x, y)")
        if hint is None:
            result, hint = _arrays(result, 2, "grads_fn")
        if hint is not None:
            return _report(False, "", hint)
        dW1, dW2 = result
        ref1, ref2 = _eq15_reference(W1, W2, x, y)
        if _close(dW1, ref1) and _close(dW2, ref2):
            continue
        if dW1.shape == W2.shape and dW2.shape == W1.shape and W1.shape != W2.shape:
            hint = "return (dW1, dW2) in this order: the first gradient is shaped like W1"
        elif dW1.shape == W1.T.shape and dW1.shape != W1.shape or dW2.shape == W2.T.shape and dW2.shape != W2.shape:
            hint = ("a gradient is transposed: dL/dW is shaped like W, so it is the outer product u x^T "
                    "(np.outer(u, x)), not x u^T")
        elif dW1.shape != W1.shape or dW2.shape != W2.shape:
            hint = f"dW1 should have shape {W1.shape} and dW2 {W2.shape}, got {dW1.shape} and {dW2.shape}"
        elif _close(-dW1, ref1) and _close(-dW2, ref2):
            hint = "the sign is flipped: eq 26 gives u4 = x4 - y (prediction minus target), not y - x4"
        elif not _close(dW2, ref2):
            hint = "dW2 is off: it is u4 x3^T with u4 = W2 relu(W1 x) - y (eq 26) and x3 = relu(W1 x) (eq 28)"
        elif _close(dW1, _eq15_reference(W1, W2, x, y, mask=False)[0]):
            hint = ("dW2 is right, dW1 is not: you forgot the ReLU mask; u2 = (W2^T u4) * (x2 > 0), "
                    "so a unit that is off passes nothing back")
        else:
            hint = ("dW2 is right, dW1 is not: go back through W2 (u3 = W2^T u4, eq 27), then through the ReLU "
                    "(u2 = u3 * (x2 > 0)), then dW1 = u2 x^T")
        return _report(False, "", hint)
    return _report(True, "dW2 = u4 x3^T and dW1 = u2 x^T with u2 = (W2^T u4) * relu'(x2), on three networks", "")


# -- exercise 2: the VJP of tanh or sigmoid ------------------------------------------------------------

_ACTIVATIONS = {
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "sigmoid": (sigmoid, lambda x: sigmoid(x) * (1.0 - sigmoid(x))),
}


def activation_vjp(vjp_fn, activation: str = "tanh", *, given: str = "input") -> bool:
    """Does ``vjp_fn`` return u^T J = phi'(x) * u for ``activation`` ("tanh" or "sigmoid")?

    ``given="input"``: ``vjp_fn(x, u)`` gets the layer's input x. ``given="output"``:
    ``vjp_fn(y, u)`` gets the layer's output y = phi(x), kept from the forward pass,
    and writes phi' through it (1 - y^2, y (1 - y)) without evaluating phi again.
    x (or y) : (D,) or (N, D), u like it; the answer is shaped like u (eq 18's Jacobian
    diag(phi'(x)) is never formed).
    """
    one_of(activation, sorted(_ACTIVATIONS), "activation_vjp", "activation")
    one_of(given, ["input", "output"], "activation_vjp", "given")
    arguments = "x, u" if given == "input" else "y, u"
    require_callable(vjp_fn, "activation_vjp", f"vjp_fn({arguments}) for the VJP")
    phi, dphi = _ACTIVATIONS[activation]
    rng = np.random.default_rng(7)
    for x in (rng.uniform(-3, 3, size=5), rng.uniform(-3, 3, size=(4, 3))):
        u = rng.normal(size=x.shape)
        a = x if given == "input" else phi(x)  # what vjp_fn gets: x, or y = phi(x)
        result, hint = call(vjp_fn, (a.copy(), u.copy()), f"vjp_fn({arguments})")
        if hint is not None:
            return _report(False, "", hint)
        try:
            got = np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError):
            return _report(False, "", f"vjp_fn should return an array shaped like u, got {type(result).__name__}")
        expected = dphi(x) * u
        if _close(got, expected):
            continue
        if got.shape != u.shape:
            hint = (f"return an array shaped like u, {u.shape}: an elementwise layer's VJP is phi'(x) * u, "
                    f"got shape {got.shape}")
        elif _close(got, dphi(x)):
            hint = "you returned phi'(x) alone: multiply it by the cotangent u"
        elif given == "output":
            hint = _output_hint(activation, got, x, u)
        elif _close(got, phi(x) * u):
            hint = f"you multiplied u by {activation}(x) itself: the VJP needs the derivative phi'(x)"
        elif activation == "tanh" and _close(got, (1.0 - x**2) * u):
            hint = "phi'(x) = 1 - tanh(x)^2: you used 1 - x^2, forgetting to apply tanh first"
        elif activation == "sigmoid" and _close(got, x * (1.0 - x) * u):
            hint = "phi'(x) = s (1 - s) with s = sigmoid(x): you used x (1 - x), forgetting to apply the sigmoid first"
        else:
            layer = f"lc.{activation.capitalize()}()"
            hint = f"expected phi'(x) * u with phi = {activation}; compare with {layer}.vjp(x, {{}}, u)"
        return _report(False, "", hint)
    at = "from the input x" if given == "input" else "from the output y alone"
    return _report(True, f"the VJP of {activation} is phi'(x) * u, {at}, for one example and for a batch", "")


def _output_hint(activation, got, x, u):
    """The hint for a wrong VJP written through the output y = phi(x)."""
    phi, dphi = _ACTIVATIONS[activation]
    y = phi(x)
    through_y = "1 - y^2" if activation == "tanh" else "y (1 - y)"
    if _close(got, y * u):
        return f"you multiplied u by the output y itself: the VJP needs the derivative phi' = {through_y}"
    if _close(got, dphi(y) * u):
        return (f"you applied {activation} to y again: y is already {activation}(x), "
                f"so phi' = {through_y} needs no {activation}")
    return f"expected phi' * u with phi' = {through_y} written through the output y = {activation}(x)"


# -- exercise 3: a Linear layer's VJP for a batch ------------------------------------------------------

def batch_linear_vjp(vjp_fn) -> bool:
    """Does ``vjp_fn(X, W, U) -> (U_in, dW, db)`` give the VJP of Y = X W^T + b for a batch?

    X : (N, D), W : (M, D), U : (N, M) the cotangents of the outputs (rows u_n,
    already carrying the loss's 1/N). Expected: U_in = U W : (N, D) (eq 27),
    dW = sum_n u_n x_n^T = U^T X : (M, D) (eq 28), db = sum_n u_n : (M,).
    """
    require_callable(vjp_fn, "batch_linear_vjp", "vjp_fn(X, W, U) for the VJP")
    rng = np.random.default_rng(8)
    for n, d, m in [(5, 3, 2), (4, 3, 3), (1, 2, 4)]:
        X, W, U = rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=(n, m)) / n
        result, hint = call(vjp_fn, (X.copy(), W.copy(), U.copy()), "vjp_fn(X, W, U)")
        if hint is None:
            result, hint = _arrays(result, 3, "vjp_fn")
        if hint is not None:
            return _report(False, "", hint)
        U_in, dW, db = result
        if _close(U_in, U @ W) and _close(dW, U.T @ X) and _close(db, U.sum(axis=0)):
            continue
        if not _close(U_in, U @ W):
            if m == d and _close(U_in, U @ W.T):
                hint = ("U_in uses W^T where it needs W: u^T (dWx/dx) = u^T W (eq 27), so for row vectors "
                        "U_in = U @ W (this mistake only runs silently when W is square)")
            else:
                hint = f"U_in should be U @ W, shape ({n}, {d}) like X (eq 27); got shape {U_in.shape}"
        elif not _close(dW, U.T @ X):
            if _close(dW, X.T @ U) or _close(dW.T, U.T @ X):
                hint = "dW is transposed: it is shaped like W (M, D), sum_n u_n x_n^T = U.T @ X"
            elif n > 1 and _close(dW, U.T @ X / n):
                hint = "dW is divided by N once too often: the 1/N is already in U (it came from the loss)"
            else:
                hint = "dW should be sum_n u_n x_n^T = U.T @ X (eq 28, summed over the batch)"
        elif db.shape == U.shape:
            hint = "db still has a row per example: sum the rows of U over the batch, db = U.sum(axis=0)"
        elif n > 1 and _close(db, U.mean(axis=0)):
            hint = "db is averaged: the 1/N is already in U (it came from the loss), so sum over the batch"
        elif db.shape == (n,):
            hint = f"db should have one entry per output unit, shape ({m},): sum over axis 0 (the batch), not axis 1"
        else:
            hint = "the bias enters as y = W x + b, so dy/db = I and db = sum_n u_n = U.sum(axis=0)"
        return _report(False, "", hint)
    return _report(True, "U_in = U W, dW = U^T X and db = the sum of the rows of U (batches of 5, 4 and 1)", "")
