"""Chapter 8 self-checks: a convolution's matrix, BPTT for a scalar RNN, the RNN's state cotangents, a forget bias,
clipping a gradient by its global norm."""

from __future__ import annotations

import numpy as np

from .._stable import sigmoid
from .._validate import finite_float
from ._report import call, call_array, report as _report, require_callable

__all__ = ["conv_matrix_function", "scalar_bptt_function", "rnn_state_cotangents", "forget_bias_answer",
           "clip_by_norm_function", "FORGET_STEPS", "FORGET_KEEP"]

FORGET_STEPS = 24  #: exercise 4: steps the cell must carry its gradient over ...
FORGET_KEEP = 0.1  #: ... keeping at least this fraction of it


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-12)


# -- exercise 1: the matrix of a one-channel convolution (eq 8.1) ------------------------------------

def _conv_matrix(w, length):
    q = len(w)
    J = np.zeros((length - q + 1, length))
    for t in range(length - q + 1):
        J[t, t:t + q] = w
    return J


def conv_matrix_function(matrix_fn) -> bool:
    """Does ``matrix_fn(w, L)`` return the (L - Q + 1, L) matrix J with y = J x for y_t = sum_q w_q x_{t+q-1}?"""
    require_callable(matrix_fn, "conv_matrix_function", "matrix_fn(w, L)")
    rng = np.random.default_rng(80)
    for q, length in [(3, 8), (1, 4), (4, 4), (2, 9), (5, 7)]:
        w = rng.normal(size=q)
        got, hint = call_array(matrix_fn, (w.copy(), length), "matrix_fn(w, L)")
        if hint is not None:
            return _report(False, "", hint)
        want = _conv_matrix(w, length)
        if _close(got, want):
            continue
        if _close(got, _conv_matrix(w[::-1], length)) and q > 1:
            hint = ("your matrix holds the kernel reversed: that is a true convolution; the layers here "
                    "(and PyTorch's) correlate, y_t = sum_q w_q x_{t+q-1}, so row t reads w_1, ..., w_Q from column t on")
        elif _close(got, want.T):
            m = length - q + 1
            hint = f"your matrix is transposed: J maps x : ({length},) to y : ({m},), so it has shape ({m}, {length})"
        elif got.ndim == 2 and got.shape != want.shape:
            hint = (f"for Q = {q}, L = {length} the matrix should have shape {want.shape} (one row per output "
                    f"position, L - Q + 1 of them without padding), got {got.shape}")
        else:
            hint = f"for Q = {q}, L = {length} row t should hold w at columns t .. t + Q - 1 and zeros elsewhere"
        return _report(False, "", hint)
    return _report(True, "a banded matrix: every row holds the same Q weights, shifted one column per row", "")


# -- exercise 2: BPTT for a scalar linear RNN (eq 8.4) -----------------------------------------------

def _states(w, xs):
    h = [0.0]
    for x in xs:
        h.append(w * h[-1] + x)
    return np.array(h)  # h_0 .. h_T


def _dhT_dw(w, xs):
    h, T = _states(w, xs), len(xs)
    return float(sum(w ** (T - t) * h[t - 1] for t in range(1, T + 1)))


def scalar_bptt_function(grad_fn) -> bool:
    """Does ``grad_fn(w, xs)`` return dh_T/dw for h_t = w h_{t-1} + x_t, h_0 = 0 (a sum over all T steps)?"""
    require_callable(grad_fn, "scalar_bptt_function", "grad_fn(w, xs)")
    rng = np.random.default_rng(81)
    for w, T in [(0.5, 6), (-0.8, 5), (1.2, 4), (0.3, 1), (0.9, 10)]:
        xs = rng.normal(size=T)
        got, hint = call_array(grad_fn, (w, xs.copy()), "grad_fn(w, xs)")
        if hint is not None:
            return _report(False, "", hint)
        if got.size != 1:
            return _report(False, "", f"grad_fn should return one number, got an array of shape {got.shape}")
        got, want, h = float(got.ravel()[0]), _dhT_dw(w, xs), _states(w, xs)
        if np.isclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        if T > 1 and np.isclose(got, h[T - 1], rtol=1e-9, atol=1e-12):
            hint = ("you return only the last step's term h_{T-1}: w is used at every step, so dh_T/dw sums "
                    "u_t h_{t-1} over t = 1..T, with u_t = dh_T/dh_t = w^(T-t)")
        elif T > 1 and np.isclose(got, sum(h[t - 1] for t in range(1, T + 1)), rtol=1e-9, atol=1e-12):
            hint = "you sum h_{t-1} over t but forget the factor u_t = w^(T-t) that carries step t's effect to h_T"
        elif T > 1 and np.isclose(got, w * want, rtol=1e-9, atol=1e-12):
            hint = "one power of w too many: step T's term is h_{T-1} itself (u_T = 1), step t's is w^(T-t) h_{t-1}"
        elif np.isclose(got, h[T], rtol=1e-9, atol=1e-12):
            hint = "you return h_T; the exercise asks for its derivative dh_T/dw"
        else:
            hint = f"for w = {w}, T = {T} dh_T/dw is {want:.6f}, you return {got:.6f}"
        return _report(False, "", hint)
    return _report(True, "dh_T/dw = sum_t w^(T-t) h_{t-1}: one term per step that uses the shared weight", "")


# -- exercise 3: the state cotangents of lc.RNN by hand (eq 8.4) -------------------------------------

def _cotangents(h, W_hh, u_T, *, derivative=True, shift=1, transpose=True):
    T = h.shape[0]
    u = np.zeros_like(h)
    u[-1] = u_T
    W = W_hh.T if transpose else W_hh
    for t in range(T - 2, -1, -1):
        d = (1 - h[min(t + shift, T - 1)] ** 2) if derivative else 1.0
        u[t] = W @ (d * u[t + 1])
    return u


def rnn_state_cotangents(cotangents_fn) -> bool:
    """Does ``cotangents_fn(h, W_hh, u_T)`` return u : (T, H), u_t = dL/dh_t, for an RNN whose loss sees only h_T?

    ``h : (T, H)`` holds h_1 .. h_T (``lc.RNN(...).states(x, theta)["h"]``); ``u_T = dL/dh_T : (H,)``.
    """
    require_callable(cotangents_fn, "rnn_state_cotangents", "cotangents_fn(h, W_hh, u_T)")
    rng = np.random.default_rng(82)
    for T, H in [(5, 3), (4, 1), (1, 2), (7, 4)]:
        h = np.tanh(rng.normal(size=(T, H)))
        W_hh, u_T = rng.normal(size=(H, H)), rng.normal(size=H)
        got, hint = call_array(cotangents_fn, (h.copy(), W_hh.copy(), u_T.copy()), "cotangents_fn(h, W_hh, u_T)")
        if hint is not None:
            return _report(False, "", hint)
        want = _cotangents(h, W_hh, u_T)
        if _close(got, want):
            continue
        if got.shape != want.shape:
            hint = f"for T = {T}, H = {H} return an array of shape ({T}, {H}), row t - 1 holding u_t, got {got.shape}"
        elif _close(got, want[::-1]):
            hint = "your rows are in reverse order: row 0 should hold u_1, the last row u_T"
        elif _close(got, _cotangents(h, W_hh, u_T, derivative=False)):
            hint = ("you skip tanh': going back from h_{t+1} to h_t passes through tanh, "
                    "so multiply by (1 - h_{t+1}^2) first")
        elif _close(got, _cotangents(h, W_hh, u_T, shift=0)):
            hint = "tanh' belongs to the later step: u_t = W_hh^T ((1 - h_{t+1}^2) * u_{t+1}), not (1 - h_t^2)"
        elif _close(got, _cotangents(h, W_hh, u_T, transpose=False)):
            hint = "a VJP multiplies by the transposed matrix: u_t = W_hh^T (...), not W_hh (...)"
        else:
            hint = "start from u_T and apply u_t = W_hh^T ((1 - h_{t+1}^2) * u_{t+1}) for t = T-1 down to 1"
        return _report(False, "", hint)
    return _report(True, "u_t = W_hh^T ((1 - h_{t+1}^2) * u_{t+1}): BPTT is the reverse sweep through the "
                         "unrolled cell", "")


# -- exercise 4: the forget bias that keeps the gradient ---------------------------------------------

def _logit(p):
    return float(np.log(p) - np.log1p(-p))


def forget_bias_answer(b) -> bool:
    """Is ``b`` the smallest forget-gate bias with sigmoid(b)^FORGET_STEPS >= FORGET_KEEP (to within 0.01)?"""
    b = finite_float(b, "forget_bias_answer", "b (your answer)")
    gate = FORGET_KEEP ** (1 / FORGET_STEPS)
    want = _logit(gate)
    if abs(b - want) <= 0.01:
        return _report(True, f"b = {want:.3f}: the gate f = sigmoid(b) = {gate:.4f}, "
                             f"and {gate:.4f}^{FORGET_STEPS} = {FORGET_KEEP}", "")
    if abs(b - gate) <= 0.01:
        hint = f"{b:.4f} is the gate value f that is needed; the bias b is the z_f that gives it: b = log(f / (1 - f))"
    elif abs(b - _logit(FORGET_KEEP)) <= 0.01:
        hint = (f"the gradient is multiplied by f at each of the {FORGET_STEPS} steps: "
                f"solve f^{FORGET_STEPS} = {FORGET_KEEP} for f first")
    else:
        kept = float(sigmoid(np.array(b)) ** FORGET_STEPS)
        if kept < FORGET_KEEP:
            hint = f"too small: sigmoid({b:.3f})^{FORGET_STEPS} = {kept:.4f} < {FORGET_KEEP}"
        else:
            hint = f"that is enough but not the smallest: sigmoid({b:.3f})^{FORGET_STEPS} = {kept:.4f} > {FORGET_KEEP}"
    return _report(False, "", hint)


# -- exercise 5: clipping a gradient by its global norm ----------------------------------------------

_CLIP_LAYERS = [{"W": (3, 2), "b": (3,)}, {"W": (1, 3), "b": (1,)}]


def _global_norm(grads):
    return float(np.sqrt(sum(np.sum(a ** 2) for layer in grads for a in layer.values())))


def _as_grads(result, like):
    """``result`` as a list of dicts of float arrays shaped like ``like``, or None if it is not one."""
    if not isinstance(result, (list, tuple)) or len(result) != len(like):
        return None
    out = []
    for layer, want in zip(result, like):
        if not isinstance(layer, dict) or set(layer) != set(want):
            return None
        try:
            arrays = {k: np.asarray(layer[k], dtype=np.float64) for k in want}
        except (TypeError, ValueError):
            return None
        if any(arrays[k].shape != want[k].shape for k in want):
            return None
        out.append(arrays)
    return out


def _grads_close(a, b):
    # rtol 1e-5 accepts c / ||g|| as well as PyTorch's c / (||g|| + 1e-6) for the norms used here (> 0.3)
    return all(np.allclose(x[k], y[k], rtol=1e-5, atol=1e-12) for x, y in zip(a, b) for k in x)


def clip_by_norm_function(clip_fn) -> bool:
    """Does ``clip_fn(grads, c)`` scale the whole gradient by min(1, c / ||g||), ||g|| its global norm?

    ``grads`` is a list with one dict of arrays per layer, as ``lc.backprop`` returns it; the
    answer returns a new list of the same structure and leaves ``grads`` as it was.
    """
    require_callable(clip_fn, "clip_by_norm_function", "clip_fn(grads, c)")
    rng = np.random.default_rng(83)
    for scale, c in [(2.0, 1.0), (0.1, 1.0), (1.0, 0.5), (3.0, 20.0)]:
        grads = [{k: scale * rng.normal(size=shape) for k, shape in layer.items()} for layer in _CLIP_LAYERS]
        grads[0]["W"][0, 0] = 4 * scale  # one large entry, so that clipping by value turns the gradient
        given = [{k: a.copy() for k, a in layer.items()} for layer in grads]
        result, hint = call(clip_fn, (given, c), "clip_fn(grads, c)")
        if hint is not None:
            return _report(False, "", hint)
        if isinstance(result, tuple) and len(result) == 2 and _as_grads(result[0], grads) is not None:
            return _report(False, "", "return only the clipped gradient, not a pair (clipped, norm) "
                                      "as lc.optimizers.clip_grad_norm does")
        got = _as_grads(result, grads)
        if got is None:
            return _report(False, "", "return the gradient in the structure of grads: a list with one dict per "
                                      "layer, the same keys, arrays of the same shapes")
        norm = _global_norm(grads)
        want = [{k: a * min(1.0, c / norm) for k, a in layer.items()} for layer in grads]
        if _grads_close(got, want):
            if not all(np.array_equal(given[i][k], grads[i][k]) for i in range(len(grads)) for k in grads[i]):
                return _report(False, "", "your function changed grads in place; return a new list and leave "
                                          "the input as it was (as lc.optimizers.clip_grad_norm does)")
            continue
        if norm < c and _grads_close(got, [{k: a * c / norm for k, a in layer.items()} for layer in grads]):
            hint = (f"a gradient shorter than c must be left alone: here ||g|| = {norm:.3f} < c = {c}, and you "
                    f"lengthened it to c; the factor is min(1, c / ||g||)")
        elif _grads_close(got, [{k: np.clip(a, -c, c) for k, a in layer.items()} for layer in grads]):
            hint = ("you clip each entry to [-c, c]: that is clipping by value, which changes the direction; "
                    "clipping by norm scales the whole gradient by one factor")
        elif _grads_close(got, [{k: a * min(1.0, c / float(np.linalg.norm(a))) for k, a in layer.items()}
                                for layer in grads]):
            hint = ("you clip each array by its own norm, so each gets its own factor and the step turns; "
                    "the threshold is on the global norm of all arrays of all layers together")
        elif _grads_close(got, [{k: a * min(1.0, c / float(np.sqrt(sum(np.sum(b ** 2) for b in layer.values()))))
                                 for k, a in layer.items()} for layer in grads]):
            hint = ("you clip each layer by its own norm; the threshold is on the global norm of the whole "
                    "gradient, all layers together, and one factor scales every array")
        elif norm > c and _grads_close(got, [{k: a * min(1.0, c / norm ** 2) for k, a in layer.items()}
                                             for layer in grads]):
            hint = "||g|| is the square root of the sum of all squared entries: you divide by its square"
        else:
            hint = (f"for ||g|| = {norm:.3f} and c = {c} every array should be multiplied by "
                    f"min(1, c / ||g||) = {min(1.0, c / norm):.4f}")
        return _report(False, "", hint)
    return _report(True, "one factor min(1, c / ||g||) for the whole gradient: its direction is kept, "
                         "its length capped at c", "")
