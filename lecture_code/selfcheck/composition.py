"""Chapter 1 self-checks: parameter counts, composition order, batch shapes."""

from __future__ import annotations

import numpy as np

from .._validate import _is_int, positive_int
from ._report import report as _report, require_callable, sizes as _sizes

__all__ = ["parameter_count", "composition", "batch_shapes"]


def parameter_count(sizes, answer) -> bool:
    """Is ``answer`` the number of weights and biases of an MLP with widths ``sizes``?"""
    sizes = _sizes(sizes, "parameter_count")
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    total = weights + sum(sizes[1:])
    if not _is_int(answer):
        return _report(False, "", f"give the count as an integer, got {answer!r}")
    if answer == weights:
        hint = "that counts the weights only; every unit after the input also has a bias"
    elif answer == total - sizes[-1] or answer == weights + sum(sizes[:-1]):
        hint = "close: count one bias per unit of every layer after the input (and none for the input)"
    else:
        hint = "layer l has a matrix W_l of shape (d_out, d_in) and a bias b_l of length d_out"
    return _report(answer == total, f"{total} parameters for widths {sizes}", hint)


def composition(compose) -> bool:
    """Does ``compose(f_K, ..., f_2, f_1)`` return x -> f_K(...f_2(f_1(x))), as eq 2 writes it?"""
    require_callable(compose, "composition", "compose(f_K, ..., f_1)")

    def add_one(x):
        return x + 1.0

    def double(x):
        return 2.0 * x

    def square(x):
        return x**2

    x = np.array([1.0, -2.0, 3.0])
    try:
        result = np.asarray(compose(square, double, add_one)(x))
        single = np.asarray(compose(double)(x))
    except Exception as error:  # a student's function may fail in any way: report it
        return _report(False, "", f"calling compose(square, double, add_one)(x) raised {type(error).__name__}: {error}")
    expected = square(double(add_one(x)))  # add_one first: it is the rightmost factor
    if result.shape == expected.shape and np.allclose(result, expected) and np.allclose(single, double(x)):
        return _report(True, "compose applies the rightmost function first, as in f4(f3(f2(f1(x))))", "")
    if result.shape == expected.shape and np.allclose(result, add_one(double(square(x)))):
        return _report(False, "", "the order is reversed: in f4 o f3 o f2 o f1 the function written last, f1, acts first")
    return _report(False, "", f"compose(square, double, add_one)(x) gave {result}, expected {expected}")


def batch_shapes(sizes, n, answer) -> bool:
    """Are ``answer`` the shapes of X_1, X_2, ..., X_{K+1} for a batch of ``n`` examples through widths ``sizes``?"""
    sizes = _sizes(sizes, "batch_shapes")
    n = positive_int(n, "batch_shapes", "n")
    expected = [(n, s) for s in sizes]
    try:
        given = [tuple(int(d) for d in shape) for shape in answer]
    except (TypeError, ValueError):
        return _report(False, "", f"give a list of shape tuples such as [(32, 4), ...], got {answer!r:.60}")
    if given == expected:
        return _report(True, f"a batch keeps its N = {n} rows through every layer: {expected}", "")
    if given == [(s, n) for s in sizes]:
        hint = "examples are rows here (X has shape (N, D), as in PyTorch), so N comes first"
    elif len(given) != len(expected):
        hint = f"there are {len(expected)} arrays, the input and one per layer, got {len(given)}"
    else:
        hint = "layer l maps (N, d_l) to (N, d_(l+1)): only the width changes"
    return _report(False, "", hint)
