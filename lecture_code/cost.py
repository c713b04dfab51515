"""What the Jacobian costs by each strategy of chapter 3: forward mode, reverse mode, dense product.

Counts are exact numbers of multiply-adds: a matrix ``(r, c)`` times a
vector costs ``r c``, scaling a vector of width ``n`` elementwise costs
``n``; additions without a multiplication (biases, the ReLU's comparison)
are free. An MLP has widths ``sizes = [D_1, ..., D_{L+1}]`` (D = D_1
inputs, M = D_{L+1} outputs): L dense layers ``W_l : (D_{l+1}, D_l)``,
each but the last followed by an activation whose derivative needs no
multiplication (ReLU, identity), as :func:`lecture_code.mlp` builds it;
``activations=False`` counts the bare chain of dense layers.

:func:`jacobian_by` runs each strategy on a network, :func:`count_multiplies`
runs it on arrays that count every scalar multiplication NumPy performs,
and :func:`time_jacobians` measures their wall time.
"""

from __future__ import annotations

import json
import numbers
import os
import subprocess
import sys
import time

import numpy as np

from ._validate import positive_int, shape_str
from .layers import Layer, Linear
from .sequential import Sequential

MODES = ("forward", "reverse", "dense")
ORDERS = ("right", "left")


# -- exact counts from the widths ------------------------------------------------------
def _sizes(sizes) -> list:
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"expected a list of at least two layer widths [D, ..., M], got {sizes!r}")
    return [positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]


def _linear(sizes) -> int:
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def _hidden(sizes, activations) -> int:
    return sum(sizes[1:-1]) if activations else 0


def _mode(mode) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    return mode


def forward_pass(sizes) -> int:
    """Multiply-adds of one evaluation of f: ``sum_l D_l D_{l+1}`` (the products ``W_l x_l``)."""
    return _linear(_sizes(sizes))


def jvps(sizes, k: int = 1, *, activations: bool = True) -> int:
    """Multiply-adds of k JVPs ``J v`` (eq 11) by a forward sweep (eq 13), not counting the forward pass.

    Per tangent: ``W_l v`` costs ``D_{l+1} D_l``, ``phi'(x_l) * v`` costs ``D_l``.
    """
    sizes, k = _sizes(sizes), positive_int(k, "k")
    return k * (_linear(sizes) + _hidden(sizes, activations))


def vjps(sizes, k: int = 1, *, activations: bool = True, parameters: bool = False) -> int:
    """Multiply-adds of k VJPs ``u^T J`` (eq 9) by a reverse sweep (eq 14), not counting the forward pass.

    Per cotangent: ``u^T W_l`` costs ``D_{l+1} D_l``, ``u * phi'(x_l)`` costs ``D_l``;
    ``parameters=True`` adds the outer products ``u x_l^T`` that :meth:`Layer.vjp`
    also returns (the parameter part, eq 25), another ``D_{l+1} D_l`` per layer.
    """
    sizes, k = _sizes(sizes), positive_int(k, "k")
    return k * (_linear(sizes) * (2 if parameters else 1) + _hidden(sizes, activations))


def dense_product(sizes, order: str = "right", *, activations: bool = True) -> int:
    """Multiply-adds of eq 6 as a product of dense matrices, each activation's ``diag(phi')`` included.

    The factors are ``W_1, diag, W_2, diag, ..., W_L`` (forming them is free);
    ``order="right"`` multiplies right to left, ``J_K (... (J_2 J_1))``, costing
    ``D * sum`` of the sizes of every factor but the first; ``"left"`` costs
    ``M * sum`` of every factor but the last.
    """
    sizes = _sizes(sizes)
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
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
def _leaves(layer, theta):
    """``[(layer, theta), ...]`` with nested ``Sequential``s flattened, in the order the layers act."""
    if isinstance(layer, Sequential):
        return [leaf for sub, th in zip(layer.layers, theta) for leaf in _leaves(sub, th)]
    return [(layer, theta)]


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
            U = U @ theta["W"] if isinstance(layer, Linear) else layer._vjp(xk, theta, U)[0]
        return U
    # dense (eq 6): form every layer Jacobian (free), then multiply them right to left
    Js = [wrap(layer._jacobian(unwrap(xk), {k: unwrap(v) for k, v in theta.items()})) for (layer, theta), xk in pairs]
    J = Js[0]
    for Jk in Js[1:]:
        J = Jk @ J
    return J


def _checked(net, thetas, x, mode):
    if not isinstance(net, Layer):
        raise ValueError(f"expected a lecture_code Layer (a Sequential, say), got {type(net).__name__}")
    x = net._check_x(x)
    if x.ndim != 1:
        raise ValueError(f"a Jacobian is taken at one example x of shape (D,), got {shape_str(x.shape)}")
    return _leaves(net, net._check_theta(thetas)), x, _mode(mode)


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


def time_jacobians(sizes_list, modes=("forward", "reverse"), repeat: int = 3, threads: int = 1, seed: int = 0) -> dict:
    """Seconds of :func:`jacobian_by` on ``mlp(sizes)`` for each widths list: ``{mode: [best of repeat, ...]}``.

    Timed in a fresh Python process whose BLAS may use ``threads`` threads (one by
    default): on a machine shared with other work, a multithreaded matrix product
    waits for busy cores, and its timings say more about the load than about the
    algorithm. The modes alternate within each repeat; x and the parameters are
    drawn with ``seed``.
    """
    if not isinstance(sizes_list, (list, tuple)) or not sizes_list:
        raise ValueError(f"expected a non-empty list of widths lists, got {sizes_list!r:.80}")
    if not isinstance(modes, (list, tuple)) or not modes:
        raise ValueError(f"modes must be a non-empty list drawn from {list(MODES)}, got {modes!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    job = {
        "sizes_list": [_sizes(sizes) for sizes in sizes_list],
        "modes": [_mode(mode) for mode in modes],
        "repeat": positive_int(repeat, "repeat"),
        "seed": int(seed),
    }
    n = str(positive_int(threads, "threads"))
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # so the child imports this lecture_code
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n)
    done = subprocess.run(
        [sys.executable, "-c", "from lecture_code.cost import _time_main; _time_main()"],
        input=json.dumps(job), capture_output=True, text=True, env=env, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the timing process failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _time_main():
    """Run in the timing process: read the job from stdin, print ``{mode: [seconds, ...]}`` as JSON."""
    from .sequential import mlp

    job = json.loads(sys.stdin.read())
    times = {mode: [] for mode in job["modes"]}
    for sizes in job["sizes_list"]:
        net = mlp(sizes)
        thetas = net.init(job["seed"])
        x = np.random.default_rng(job["seed"]).normal(size=sizes[0])
        leaves, x, _ = _checked(net, thetas, x, "forward")
        best = {mode: float("inf") for mode in job["modes"]}
        for _ in range(job["repeat"]):
            for mode in job["modes"]:
                start = time.perf_counter()
                _run(leaves, x, mode, lambda a: a, lambda a: a)
                best[mode] = min(best[mode], time.perf_counter() - start)
        for mode in job["modes"]:
            times[mode].append(best[mode])
    print(json.dumps(times))
