"""What the Jacobian costs by each strategy of chapter 3: forward mode, reverse mode, dense product.

Counts are exact numbers of multiply-adds: a matrix ``(r, c)`` times a
vector costs ``r c``, scaling a vector of width ``n`` elementwise costs
``n``; additions without a multiplication (biases, the ReLU's comparison)
are free. An MLP has widths ``sizes = [D_1, ..., D_{L+1}]`` (D = D_1
inputs, M = D_{L+1} outputs): L dense layers ``W_l : (D_{l+1}, D_l)``,
each but the last followed by an activation whose derivative needs no
multiplication (ReLU, identity), as :func:`lecture_code.mlp` builds it;
``activations=False`` counts the bare chain of dense layers.

:func:`jacobian_by` runs each strategy on a network and :func:`count_multiplies`
runs it on arrays that count every scalar multiplication NumPy performs;
:mod:`lecture_code.timing` measures their wall time.
"""

from __future__ import annotations

import numpy as np

from ._validate import one_of, positive_int, shape_str
from .layers import Layer

MODES = ("forward", "reverse", "dense")
ORDERS = ("right", "left")


# -- exact counts from the widths ------------------------------------------------------
def _sizes(sizes) -> list:
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"lecture_code.cost expects a list of at least two layer widths [D, ..., M], got {sizes!r}")
    return [positive_int(s, "lecture_code.cost", f"sizes[{i}]") for i, s in enumerate(sizes)]


def _linear(sizes) -> int:
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def _hidden(sizes, activations) -> int:
    return sum(sizes[1:-1]) if activations else 0


def _mode(mode) -> str:
    return one_of(mode, MODES, "lecture_code.cost", "mode")


def forward_pass(sizes) -> int:
    """Multiply-adds of one evaluation of f: ``sum_l D_l D_{l+1}`` (the products ``W_l x_l``)."""
    return _linear(_sizes(sizes))


def jvps(sizes, k: int = 1, *, activations: bool = True) -> int:
    """Multiply-adds of k JVPs ``J v`` (eq 11) by a forward sweep (eq 13), not counting the forward pass.

    Per tangent: ``W_l v`` costs ``D_{l+1} D_l``, ``phi'(x_l) * v`` costs ``D_l``.
    """
    sizes, k = _sizes(sizes), positive_int(k, "lecture_code.cost", "k")
    return k * (_linear(sizes) + _hidden(sizes, activations))


def vjps(sizes, k: int = 1, *, activations: bool = True, parameters: bool = False) -> int:
    """Multiply-adds of k VJPs ``u^T J`` (eq 9) by a reverse sweep (eq 14), not counting the forward pass.

    Per cotangent: ``u^T W_l`` costs ``D_{l+1} D_l``, ``u * phi'(x_l)`` costs ``D_l``;
    ``parameters=True`` adds the outer products ``u x_l^T`` that :meth:`Layer.vjp`
    also returns (the parameter part, eq 25; for a weight matrix the outer product of
    eq 28), another ``D_{l+1} D_l`` per layer.
    """
    sizes, k = _sizes(sizes), positive_int(k, "lecture_code.cost", "k")
    return k * (_linear(sizes) * (2 if parameters else 1) + _hidden(sizes, activations))


def dense_product(sizes, order: str = "right", *, activations: bool = True) -> int:
    """Multiply-adds of eq 6 as a product of dense matrices, each activation's ``diag(phi')`` included.

    The factors are ``W_1, diag, W_2, diag, ..., W_L`` (forming them is free);
    ``order="right"`` multiplies right to left, ``J_K (... (J_2 J_1))``, costing
    ``D * sum`` of the sizes of every factor but the first; ``"left"`` costs
    ``M * sum`` of every factor but the last.
    """
    sizes = _sizes(sizes)
    one_of(order, ORDERS, "dense_product", "order")
    factors = []  # entries of each factor, in the order they act
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        factors.append(a * b)
        if activations and i < len(sizes) - 2:
            factors.append(b * b)
    if order == "right":
        return sizes[0] * sum(factors[1:])
    return sizes[-1] * sum(factors[:-1])


def jacobian(sizes, mode: str, *, activations: bool = True) -> int:
    """Multiply-adds of the whole Jacobian ``J : (M, D)`` at one x, the forward pass included.

    ``"forward"``: D JVPs, one per input (eq 13); ``"reverse"``: M VJPs, one per
    output (eq 14); ``"dense"``: the product of eq 6, right to left.
    """
    sizes, mode = _sizes(sizes), _mode(mode)
    if mode == "forward":
        extra = jvps(sizes, sizes[0], activations=activations)
    elif mode == "reverse":
        extra = vjps(sizes, sizes[-1], activations=activations)
    else:
        extra = dense_product(sizes, "right", activations=activations)
    return forward_pass(sizes) + extra


# -- the strategies, run --------------------------------------------------------------
def _run(leaves, x, mode, wrap, unwrap):
    """J : (M, D) by one strategy; ``wrap`` makes the arrays it computes with, ``unwrap`` plain views."""
    if mode == "forward":  # D JVPs as one stack: the one-hot tangents e_1..e_D go right to left (eq 13)
        V = wrap(np.eye(x.shape[0]))
        for layer, theta in leaves:
            V = layer._jvp(x, theta, V)
            x = layer._forward(x, theta)
        return V.T
    xs = [x]  # the forward pass, keeping every layer's input
    for layer, theta in leaves:
        xs.append(layer._forward(xs[-1], theta))
    pairs = list(zip(leaves, xs[:-1]))
    if mode == "reverse":  # M VJPs as one stack: e_1^T..e_M^T go left to right (eq 14), input part only
        U = wrap(np.eye(xs[-1].shape[0]))
        for (layer, theta), xk in reversed(pairs):
            U = layer._vjp_input(xk, theta, U)
        return U
    # dense (eq 6): form every layer Jacobian (free), then multiply them right to left
    Js = [wrap(layer._jacobian(unwrap(xk), {k: unwrap(v) for k, v in theta.items()})) for (layer, theta), xk in pairs]
    J = Js[0]
    for Jk in Js[1:]:
        J = Jk @ J
    return J


def _checked(net, thetas, x, mode):
    if not isinstance(net, Layer):
        raise ValueError(f"lecture_code.cost expects a lecture_code Layer (a Sequential, say), got {type(net).__name__}")
    x = net._check_x(x)
    if x.ndim != 1:
        raise ValueError(f"lecture_code.cost takes a Jacobian at one example: it expects x of shape (D,), "
                         f"got {shape_str(x.shape)}")
    return net.leaves(net._check_theta(thetas)), x, _mode(mode)


def jacobian_by(net, thetas, x, mode: str) -> np.ndarray:
    """J : (M, D) of ``net`` at x : (D,) by ``mode``: ``"forward"`` (D JVPs, eq 13), ``"reverse"`` (M VJPs, eq 14), ``"dense"`` (eq 6).

    Forward and reverse mode push a whole one-hot basis through in one sweep and
    never form a layer Jacobian; reverse mode skips the parameter part of each
    linear layer's VJP, which the input Jacobian does not need.
    """
    leaves, x, mode = _checked(net, thetas, x, mode)
    return _run(leaves, x, mode, lambda a: a, lambda a: a)


class _Counting(np.ndarray):
    """An array that adds the scalar multiplications of every ``@`` and ``*`` it takes part in to a shared tally."""

    def __array_finalize__(self, obj):
        self.tally = getattr(obj, "tally", None)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        tally = next(a.tally for a in inputs + kwargs.get("out", ()) if isinstance(a, _Counting))
        plain = [a.view(np.ndarray) if isinstance(a, _Counting) else a for a in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, _Counting) else o for o in kwargs["out"])
        result = getattr(ufunc, method)(*plain, **kwargs)
        if method == "__call__" and ufunc is np.matmul:
            tally[0] += np.size(result) * np.shape(plain[0])[-1]  # every output entry sums that many products
        elif method == "__call__" and ufunc is np.multiply:
            tally[0] += np.size(result)
        if isinstance(result, tuple):
            return tuple(_counting(r, tally) for r in result)
        return _counting(result, tally)


def _counting(a, tally):
    out = np.asarray(a).view(_Counting)
    out.tally = tally
    return out


def count_multiplies(net, thetas, x, mode: str):
    """``(J, n)``: :func:`jacobian_by` run on arrays that count the scalar multiplications NumPy performs.

    ``n`` counts every product in ``@`` (``result.size * inner size``) and ``*``;
    forming the layer Jacobians for ``"dense"`` is not counted. For a ReLU or
    identity MLP, ``n == jacobian(sizes, mode)``.
    """
    leaves, x, mode = _checked(net, thetas, x, mode)
    tally = [0]

    def wrap(a):
        return _counting(a, tally)

    leaves = [(layer, {k: wrap(v) for k, v in theta.items()}) for layer, theta in leaves]
    J = _run(leaves, wrap(x), mode, wrap, lambda a: np.asarray(a).view(np.ndarray))
    return np.array(J.view(np.ndarray)), int(tally[0])
