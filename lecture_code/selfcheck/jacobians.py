"""Chapter 2 self-checks: the Jacobians of softmax, of an activation, of a linear+ReLU layer, and eq 6."""

from __future__ import annotations

import numpy as np

from .._stable import sigmoid as _sigmoid, softmax as _softmax
from .._validate import as_array, one_of, shape_str
from ._report import report as _report, require_callable

__all__ = ["softmax_jacobian", "activation_jacobian", "linear_relu_jacobian", "chain_jacobian"]

_CLOSE = dict(rtol=1e-8, atol=1e-10)


def _call(fn, *args):
    """``(result as a float array, None, None)`` or ``(None, hint, error)`` when the student's function fails."""
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # NaN/inf get their own hint
            result = np.asarray(fn(*args), dtype=np.float64)
    except Exception as error:  # a student's function may fail in any way: report it
        return None, f"calling your function raised {type(error).__name__}: {error}", error
    return result, None, None


def _close(a, b) -> bool:
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and np.allclose(a, b, **_CLOSE)


def softmax_jacobian(fn) -> bool:
    """Does ``fn(x)``, x : (C,), return the softmax Jacobian diag(s) - s s^T : (C, C) (eq 34)?

    Checked at a few points, including large logits where a naive e^x overflows.
    """
    require_callable(fn, "softmax_jacobian", "fn(x) for the softmax Jacobian")
    points = [np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 3.0, 0.0]), np.array([0.3, -0.3]),
              np.array([1000.0, 1001.0, 999.0])]
    for x in points:
        got, failure, _ = _call(fn, x.copy())
        if failure:
            return _report(False, "", failure)
        s = _softmax(x)
        want = np.diag(s) - np.outer(s, s)
        if _close(got, want):
            continue
        c = x.shape[0]
        if got.shape != (c, c):
            hint = (f"for x of shape ({c},) the Jacobian is ({c}, {c}), got {shape_str(got.shape)}; "
                    "a vector is only its diagonal")
        elif not np.all(np.isfinite(got)) and np.abs(x).max() > 700:
            hint = (f"at x = {x} your Jacobian has NaN or inf entries: e^1000 overflows; subtract max(x) "
                    "before exponentiating (softmax does not change when every x_c shifts by the same amount)")
        elif _close(got, np.diag(s)):
            hint = "that is diag(s) only: s_i depends on every x_j through the sum, so subtract s s^T"
        elif _close(got, np.diag(s * (1 - s))):
            hint = ("the diagonal s_i (1 - s_i) is right, but the off-diagonal entries are not zero: "
                    "ds_i/dx_j = -s_i s_j for i != j")
        elif _close(got, -want):
            hint = "the sign is flipped: the diagonal entries s_i (1 - s_i) are positive, J = diag(s) - s s^T"
        elif _close(got, np.eye(c) - np.outer(s, s)):
            hint = "ds_i/dx_j = s_i (delta_ij - s_j): the identity's 1s must be multiplied by s_i, giving diag(s)"
        else:
            hint = f"at x = {x} expected\n{want}\ngot\n{got}\n(ds_i/dx_j = s_i (delta_ij - s_j))"
        return _report(False, "", hint)
    return _report(True, "J = diag(s) - s s^T: symmetric, and its rows sum to 0", "")


_ACTIVATIONS = {
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2, "1 - tanh(x)^2"),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)), "s (1 - s), s = sigma(x)"),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(np.float64), "1 where x > 0, else 0"),
}


def activation_jacobian(fn, activation: str = "tanh") -> bool:
    """Does ``fn(x)``, x : (D,), return diag(phi'(x)) : (D, D), the Jacobian of ``activation`` (eq 18)?

    ``activation`` is one of ``"tanh"``, ``"sigmoid"``, ``"relu"``.
    """
    require_callable(fn, "activation_jacobian", f"fn(x) for the {activation!r} Jacobian")
    one_of(activation, sorted(_ACTIVATIONS), "activation_jacobian", "activation")
    phi, dphi, formula = _ACTIVATIONS[activation]
    for x in [np.array([0.5, -1.2, 2.0, -0.3]), np.array([-0.7]), np.array([1.5, 0.2, -2.5])]:
        got, failure, _ = _call(fn, x.copy())
        if failure:
            return _report(False, "", failure)
        want = np.diag(dphi(x))
        if _close(got, want):
            continue
        d = x.shape[0]
        if got.shape == (d,) and _close(got, dphi(x)):
            hint = (f"that is phi'(x), the right numbers, but the Jacobian of a map R^{d} -> R^{d} is a "
                    f"({d}, {d}) matrix: put them on the diagonal with np.diag")
        elif got.shape != (d, d):
            hint = f"for x of shape ({d},) the Jacobian is ({d}, {d}), got {shape_str(got.shape)}"
        elif _close(np.diag(np.diag(got)), want):
            hint = "the diagonal is right, but y_i depends on x_i alone: every off-diagonal entry is 0"
        elif _close(got, np.diag(phi(x))):
            hint = f"that is diag(phi(x)), the activation itself; its derivative is {formula}"
        elif activation == "tanh" and _close(got, np.diag(1.0 - x**2)):
            hint = "1 - y^2 holds with y = tanh(x), not with x itself: use 1 - tanh(x)^2"
        elif activation == "tanh" and _close(got, np.diag(1.0 - np.tanh(x))):
            hint = "the derivative of tanh is 1 - tanh(x)^2: the square is missing"
        elif activation == "sigmoid" and _close(got, np.diag(x * (1.0 - x))):
            hint = "s (1 - s) holds with s = sigma(x), not with x itself"
        else:
            hint = f"at x = {x} expected diag({dphi(x)}), got\n{got}\n(phi'(x) = {formula})"
        return _report(False, "", hint)
    return _report(True, f"the {activation} Jacobian is diag(phi'(x)), phi'(x) = {formula}", "")


def linear_relu_jacobian(W, b, x, answer) -> bool:
    """Is ``answer`` the Jacobian of x -> relu(W x + b) at ``x``? W : (M, D), b : (M,), x : (D,) -> J : (M, D).

    The right answer is diag(1[W x + b > 0]) W: row i of W, or zeros where unit i is off (eqs 6, 18, 27).
    """
    W, b, x = as_array(W, "W"), as_array(b, "b"), as_array(x, "x")
    if W.ndim != 2 or b.shape != (W.shape[0],) or x.shape != (W.shape[1],):
        raise ValueError(f"linear_relu_jacobian expects W : (M, D), b : (M,), x : (D,) that fit together, "
                         f"got W {shape_str(W.shape)}, b {shape_str(b.shape)}, x {shape_str(x.shape)}")
    z = W @ x + b
    if np.any(z == 0):
        raise ValueError(f"linear_relu_jacobian expects a point where no entry of W x + b is 0 (relu has no "
                         f"derivative there), got W x + b = {z} with an entry exactly 0: choose another x")
    try:
        got = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return _report(False, "", f"give J as a matrix (a nested list or an array), got {answer!r:.60}")
    on = (z > 0).astype(np.float64)
    want = on[:, None] * W
    m, d = W.shape
    if _close(got, want):
        units = [int(i) + 1 for i in np.flatnonzero(on)]
        return _report(True, f"units {units} are on, so J keeps rows {units} of W; the other rows are 0", "")
    if got.shape == (d, m) and _close(got.T, want):
        hint = f"that is J^T: J has one row per output ({m}) and one column per input ({d})"
    elif got.shape != (m, d):
        hint = f"J has one row per output and one column per input: shape ({m}, {d}), got {shape_str(got.shape)}"
    elif _close(got, W):
        hint = ("that is W, the Jacobian of the linear part alone; the ReLU then zeroes the rows of units "
                "with W x + b <= 0")
    elif _close(got, W * (x > 0)[None, :]):
        hint = "you zeroed columns where x_j <= 0; the ReLU acts on z = W x + b, so zero the rows where z_i <= 0"
    elif _close(got, (W @ x > 0)[:, None] * W):
        hint = "the units' on/off pattern uses z = W x + b: the bias is missing"
    elif _close(got, (1.0 - on)[:, None] * W):
        hint = "the pattern is inverted: a unit with z_i > 0 passes its row of W, one with z_i <= 0 gives zeros"
    else:
        hint = f"first compute z = W x + b = {z}; then row i of J is row i of W if z_i > 0, else zeros"
    return _report(False, "", hint)


def chain_jacobian(fn) -> bool:
    """Does ``fn([J_1, ..., J_K])`` return the product J_K ... J_2 J_1 of eq 6?

    The factors come in the order the layers act (J_1 first), as
    ``net.layer_jacobians`` lists them; J_k : (D_(k+1), D_k).
    """
    require_callable(fn, "chain_jacobian", "fn([J_1, ..., J_K]) for the chain-rule product")
    rng = np.random.default_rng(2)
    cases = [[rng.normal(size=(5, 3)), rng.normal(size=(4, 5)), rng.normal(size=(2, 4))],  # widths 3-5-4-2
             [rng.normal(size=(3, 3)) for _ in range(3)],  # square: a wrong order gives no shape error
             [rng.normal(size=(2, 6))]]
    for Js in cases:
        got, failure, error = _call(fn, [J.copy() for J in Js])
        if failure:
            if isinstance(error, ValueError):
                failure += ("\nIf the shapes do not fit, check the order: J_1 acts first, so it stands "
                            "rightmost, J = J_K @ ... @ J_2 @ J_1")
            return _report(False, "", failure)
        want = Js[0]
        for J in Js[1:]:
            want = J @ want
        if _close(got, want):
            continue
        backwards = Js[0]
        for J in Js[1:]:
            backwards = backwards @ J if backwards.shape[1] == J.shape[0] else np.full((1, 1), np.nan)
        if _close(got, backwards):
            hint = "the order is reversed: J_1 acts first, so it is the rightmost factor, J = J_K ... J_2 J_1"
        elif got.shape != want.shape:
            hint = (f"for factors of shapes {[J.shape for J in Js]} the product is {shape_str(want.shape)} "
                    f"(outputs x inputs), got {shape_str(got.shape)}")
        elif len({J.shape for J in Js}) == 1 and _close(got, np.prod(Js, axis=0)):
            hint = "that multiplies entry by entry (*); the chain rule needs matrix products (@)"
        elif len({J.shape for J in Js}) == 1 and _close(got, np.sum(Js, axis=0)):
            hint = "the chain rule multiplies the Jacobians (matrix products with @), it does not add them"
        else:
            hint = "multiply with matrix products (@), starting from J_1: J = J_K @ ... @ J_2 @ J_1"
        return _report(False, "", hint)
    return _report(True, "J = J_K ... J_2 J_1, the first layer's Jacobian rightmost (eq 6)", "")
