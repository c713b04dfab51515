"""Chapter 3 self-checks: how many JVPs or VJPs, what they cost, a VJP of your own."""

from __future__ import annotations

import numpy as np

from .. import cost
from .._validate import _is_int, positive_int, rng_from
from ..layers import Layer
from ._report import report as _report, require_callable, sizes as _sizes

__all__ = ["products_needed", "jacobian_cost", "layer_vjp"]

_ALIASES = {"forward": "forward", "jvp": "forward", "jvps": "forward",
            "reverse": "reverse", "vjp": "reverse", "vjps": "reverse", "backward": "reverse",
            "either": "either", "same": "either", "equal": "either", "both": "either"}


def _mode_name(answer):
    """'forward' / 'reverse' / 'either' from a student's word for it, else None."""
    if not isinstance(answer, str):
        return None
    return _ALIASES.get(answer.strip().lower().replace(" mode", "").replace("-mode", ""))


def products_needed(D, M, n_jvps, n_vjps, cheaper) -> bool:
    """For ``J : (M, D)``: is the whole Jacobian ``n_jvps`` JVPs or ``n_vjps`` VJPs, and is ``cheaper`` the mode to use?

    ``cheaper`` is ``"forward"``, ``"reverse"`` or ``"either"`` (when D = M).
    """
    D, M = positive_int(D, "products_needed", "D"), positive_int(M, "products_needed", "M")
    if not (_is_int(n_jvps) and _is_int(n_vjps)):
        return _report(False, "", f"give the numbers of JVPs and VJPs as integers, got {n_jvps!r} and {n_vjps!r}")
    best = "forward" if D < M else "reverse" if M < D else "either"
    said = _mode_name(cheaper)
    if (n_jvps, n_vjps) == (M, D) and D != M:
        return _report(False, "", "the counts are swapped, as in the lecture's slip: J e_j is one column and J has D "
                                  "columns (one per input), so D JVPs; e_i^T J is one row, and there are M rows")
    if n_jvps != D or n_vjps != M:
        return _report(False, "", f"one JVP gives one column of J, one VJP one row; J has {D} columns and {M} rows")
    if said is None:
        return _report(False, "", f"say which mode is cheaper as 'forward', 'reverse' or 'either', got {cheaper!r}")
    if said != best:
        hint = ("with D = M both modes need the same number of products of the same cost: answer 'either'"
                if best == "either" else
                "each product costs about the same in both modes, so the mode that needs fewer of them wins")
        return _report(False, "", hint)
    def n(k, what):
        return f"{k:,} {what}" + ("" if k == 1 else "s")

    words = {"forward": f"forward mode: {n(D, 'JVP')} instead of {n(M, 'VJP')}",
             "reverse": f"reverse mode: {n(M, 'VJP')} instead of {n(D, 'JVP')}",
             "either": f"either mode: {n(D, 'product')} both ways"}
    return _report(True, words[best], "")


def jacobian_cost(sizes, mode, answer) -> bool:
    """Is ``answer`` the number of multiply-adds of the whole Jacobian of ``mlp(sizes)`` by ``mode``, forward pass included?"""
    sizes = _sizes(sizes, "jacobian_cost")
    name = _mode_name(mode)
    if name not in ("forward", "reverse"):
        raise ValueError(f"jacobian_cost expects mode to be 'forward' or 'reverse', got {mode!r}")
    if not _is_int(answer):
        return _report(False, "", f"give the count as an integer, got {answer!r}")
    right = cost.jacobian(sizes, name)
    D, M = sizes[0], sizes[-1]
    P = cost.forward_pass(sizes)
    product = cost.jvps if name == "forward" else cost.vjps
    k = D if name == "forward" else M
    if answer == right:
        what = ("JVP" if name == "forward" else "VJP") + ("" if k == 1 else "s")
        return _report(True, f"{right:,} multiply-adds: the forward pass ({P:,}) plus {k:,} {what} "
                             f"of {product(sizes):,} each", "")
    hints = [
        (right - P, f"add the forward pass: the sweep needs every x_l, which costs sum D_l D_(l+1) = {P}"),
        (cost.jacobian(sizes, "reverse" if name == "forward" else "forward"),
         "that is the other mode's count (the lecture's slip swaps them too): forward mode pushes D one-hot "
         "tangents, one per input; reverse mode pulls back M cotangents, one per output"),
        (P + product(sizes, k, activations=False),
         "the activations cost too: multiplying by phi'(x_l) is one multiply per unit, per vector"),
        (cost.jacobian(sizes, "dense"), "that is the dense product of eq 6; the sweeps never form a layer Jacobian"),
        (product(sizes, 1) + P, f"that is one product; the whole Jacobian needs {k} of them"),
    ]
    hint = next((h for value, h in hints if answer == value and value != right),
                "count per vector: D_(l+1) D_l for each W_l, one per unit for each activation; "
                "multiply by the number of vectors, then add one forward pass")
    return _report(False, "", hint)


def layer_vjp(layer, vjp_fn, *, rng) -> bool:
    """Does ``vjp_fn(x, theta, u)`` return ``u^T J`` of ``layer`` (eq 9), shape (D,), at random x : (D,), u : (M,)?

    Compared with ``layer.jacobian(x, theta).T @ u`` at three random points drawn
    from ``rng`` (a Generator or a seed >= 0).
    """
    if not isinstance(layer, Layer):
        raise ValueError(f"layer_vjp expects layer to be a lecture_code layer such as lc.Linear(3, 5), "
                         f"got {type(layer).__name__}")
    require_callable(vjp_fn, "layer_vjp", "vjp_fn(x, theta, u)")
    rng = rng_from(rng, "layer_vjp")
    d = layer.d_in if layer.d_in is not None else 4
    for _ in range(3):
        theta = layer.init(rng)
        x = rng.normal(size=d)
        J = layer.jacobian(x, theta)
        u = rng.normal(size=J.shape[0])
        try:
            got = np.asarray(vjp_fn(x.copy(), theta, u.copy()), dtype=np.float64)
        except Exception as error:  # a student's function may fail in any way: report it
            return _report(False, "", f"vjp_fn raised {type(error).__name__}: {error}. u has M = {J.shape[0]} entries "
                                      f"and J is {J.shape[0]} x {J.shape[1]}: u^T J = J^T u has D = {J.shape[1]}")
        want = J.T @ u
        if got.shape != want.shape:
            return _report(False, "", f"u^T J has one entry per input: shape {want.shape}, got {got.shape}")
        if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
            if J.shape[0] == J.shape[1] and np.allclose(got, J @ u, rtol=1e-10, atol=1e-12):
                hint = "that is J u, a JVP; the VJP multiplies by the transpose: u^T J = J^T u"
            else:
                hint = f"at x = {np.round(x, 3)} and u = {np.round(u, 3)} expected {np.round(want, 4)}, got {np.round(got, 4)}"
            return _report(False, "", hint)
    return _report(True, f"your VJP equals u^T J of {layer!r} at three random points", "")
