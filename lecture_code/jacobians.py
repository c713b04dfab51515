"""The whole Jacobian from products with one-hot vectors (eqs 10, 12-14).

``J e_j`` is column j (eq 12), so D JVPs give all of J (forward mode);
``e_i^T J`` is row i (eq 10), so M VJPs give all of J (reverse mode).
Here each basis goes through in one pass, as a stack of one-hot vectors
(the identity matrix), not a Python loop over single vectors.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_array, positive_int, shape_str
from .layers import Layer


def _point(f, x, theta, caller):
    """Check ``x`` (one example) for a layer or a callable; returns ``(x, theta)``."""
    if isinstance(f, Layer):
        x = f._check_x(x)
        theta = f._check_theta(theta)
    elif callable(f):
        x = as_array(x, "x")
        if x.ndim != 1 or x.shape[0] < 1:
            raise ValueError(f"{caller} expects x of shape (D,) with D >= 1, got {shape_str(x.shape)}")
    else:
        raise ValueError(f"{caller} expects f to be a Layer or a callable, got {type(f).__name__}")
    if x.ndim != 1:
        raise ValueError(f"{caller} takes a Jacobian at one example: it expects x of shape (D,), got {shape_str(x.shape)}")
    return x, theta


def _result(stack, k, width, what, caller):
    stack = np.asarray(stack, dtype=np.float64)
    if stack.ndim != 2 or stack.shape[0] != k or (width is not None and stack.shape[1] != width):
        want = f"({k}, {width})" if width is not None else f"({k}, ...)"
        raise ValueError(f"{caller} expects {what} of the {k} basis vectors to have shape {want}, got {shape_str(stack.shape)}")
    return stack


def jacobian_via_jvps(f, x, theta=None) -> np.ndarray:
    """J : (M, D) from the D JVPs ``J e_1, ..., J e_D`` (forward mode, eq 13).

    ``f`` is a :class:`Layer` (then ``theta`` are its parameters) or a callable
    ``jvp(V)`` that maps a stack of tangents ``V : (K, D)`` to ``(K, M)``.
    """
    x, theta = _point(f, x, theta, "jacobian_via_jvps")
    d = x.shape[0]
    basis = np.eye(d)  # row j is e_j
    columns = f._jvp(x, theta, basis) if isinstance(f, Layer) else f(basis)
    return _result(columns, d, None, "the JVPs", "jacobian_via_jvps").T


def jacobian_via_vjps(f, x, theta=None, *, n_outputs: int | None = None) -> np.ndarray:
    """J : (M, D) from the M VJPs ``e_1^T J, ..., e_M^T J`` (reverse mode, eq 14).

    ``f`` is a :class:`Layer` (then ``theta`` are its parameters) or a callable
    ``vjp(U)`` that maps a stack of cotangents ``U : (K, M)`` to ``(K, D)``;
    a callable needs ``n_outputs = M``.
    """
    x, theta = _point(f, x, theta, "jacobian_via_vjps")
    if isinstance(f, Layer):
        m = f.output_size(x.shape[0])
        rows = f._vjp_input(x, theta, np.eye(m))  # input parts only: no parameter outer products
    else:
        if n_outputs is None:
            raise ValueError("jacobian_via_vjps expects n_outputs (M) when f is a vjp callable, got None")
        m = positive_int(n_outputs, "jacobian_via_vjps", "n_outputs")
        rows = f(np.eye(m))
    return _result(rows, m, x.shape[0], "the VJPs", "jacobian_via_vjps")
