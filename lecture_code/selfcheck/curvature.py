"""Chapter 10 self-checks: the tangent of a tanh layer's VJP, lambda_max by power iteration, the largest stable rate.

- Exercise 1: ``tanh_vjp_tangent(x, u, x_dot, u_dot)`` returns the tangent of x_bar = tanh'(x) u,
  tanh''(x) x_dot u + tanh'(x) u_dot, with tanh'' = -2 tanh (1 - tanh^2).
- Exercise 2: the quadratic f(theta) = 1/2 theta^T A theta - b^T theta with A = QUADRATIC_A,
  b = QUADRATIC_B; its Hessian is A, and lambda_max = 3 + sqrt(3).
- Exercise 3: full-batch gradient descent on the mean squared error 1/(2N) ||X w - y||^2 of a
  linear model without a bias, X = RATE_X, y = RATE_Y; its Hessian is X^T X / N, and the largest
  stable rate is 2 / lambda_max (eq 10.3).

Answers may be numbers, NumPy arrays or PyTorch tensors (on any device).
"""

from __future__ import annotations

import math

import numpy as np

from ..layers import Tanh
from ._report import call, report as _report, require_callable

__all__ = ["tanh_vjp_tangent", "largest_eigenvalue", "largest_stable_rate", "QUADRATIC_A", "QUADRATIC_B",
           "RATE_X", "RATE_Y"]

QUADRATIC_A = np.array([[4.0, 1.0, 0.0],
                        [1.0, 3.0, 1.0],
                        [0.0, 1.0, 2.0]])  #: exercise 2: the Hessian of the quadratic; eigenvalues 3 - sqrt 3, 3, 3 + sqrt 3
QUADRATIC_B = np.array([1.0, -2.0, 0.5])  #: exercise 2: the linear term (it does not change the Hessian)
RATE_X = np.array([[2.0, 1.0],
                   [0.0, 1.0],
                   [1.0, -1.0],
                   [1.0, 3.0]])  #: exercise 3: N = 4 examples of D = 2 inputs; X^T X / N has eigenvalues 3.5 and 1
RATE_Y = np.array([3.0, 1.0, 0.0, 4.0])  #: exercise 3: the targets


def _as_array(value):
    """``value`` (a number, a sequence, an array, a tensor on any device) as a float64 array, or None."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, (str, bytes)):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _as_number(answer, what):
    """``(float, None)`` or ``(None, hint)``: the student's number."""
    a = _as_array(answer)
    if a is None:
        return None, f"give {what} as a number, got {type(answer).__name__}"
    if a.size != 1:
        return None, f"{what} is one number, got an array of shape {a.shape}"
    if not np.isfinite(a).all():
        return None, f"{what} is a finite number, got {float(a.reshape(())):g}"
    return float(a.reshape(())), None


def _near(value, target, rtol=1e-6):
    return abs(value - target) <= rtol * max(abs(target), 1e-12)


# -- exercise 1: the tangent of a tanh layer's VJP ------------------------------------------------------------

def _tanh_mistakes(x, u, x_dot, u_dot):
    """``[(name, wrong answer, hint)]``: the tangents a student typically writes instead."""
    t = np.tanh(x)
    d1, d2 = 1.0 - t**2, -2.0 * t * (1.0 - t**2)  # the first and second derivatives of tanh
    return [
        ("no phi''", d1 * u_dot, "x moves too: x_bar = tanh'(x) u changes through tanh'(x) as well, add "
                                 "tanh''(x) x_dot u"),
        ("no u_dot", d2 * x_dot * u, "the cotangent u moves too (u_dot): add tanh'(x) u_dot"),
        ("sign", -d2 * x_dot * u + d1 * u_dot, "check the sign of tanh'': it is -2 tanh(x) (1 - tanh(x)^2), "
                                               "negative for x > 0"),
        ("factor 2", 0.5 * d2 * x_dot * u + d1 * u_dot, "tanh''(x) = -2 tanh(x) (1 - tanh(x)^2): the factor 2 "
                                                        "is missing"),
        ("no chain rule", -2.0 * t * x_dot * u + d1 * u_dot,
         "you differentiated 1 - t^2 with respect to t = tanh(x): the chain rule multiplies by dt/dx = "
         "1 - tanh(x)^2, so tanh'' = -2 tanh(x) (1 - tanh(x)^2)"),
        ("swapped", d2 * u_dot * u + d1 * x_dot, "x_dot moves tanh'(x), so it goes with tanh''(x); u_dot moves u, "
                                                 "so it goes with tanh'(x)"),
        ("u_dot in both", d2 * x_dot * u_dot + d1 * u_dot,
         "product rule on tanh'(x) u: the first term keeps u, tanh''(x) x_dot u, not u_dot"),
        ("x_bar", d1 * u, "that is x_bar = tanh'(x) u itself: the exercise asks for its tangent"),
        ("tanh for tanh'", d1 * x_dot * u + t * u_dot,
         "tanh'(x) = 1 - tanh(x)^2 and tanh''(x) = -2 tanh(x) (1 - tanh(x)^2): each is one derivative further "
         "than the term it multiplies"),
    ]


_TANH_SHAPES = [(5,), (4, 3), (1,), (1, 1)]


def tanh_vjp_tangent(tangent_fn) -> bool:
    """Does ``tangent_fn(x, u, x_dot, u_dot)`` return the tangent of x_bar = tanh'(x) u?

    The VJP of y = tanh(x) is x_bar = tanh'(x) u; when x moves along x_dot and u along u_dot,
    x_bar moves along tanh''(x) x_dot u + tanh'(x) u_dot. The answer may also be the pair
    ``(x_bar, x_bar_dot)``, as ``Elementwise._vjp_tangent`` returns them. Checked on one example and
    on batches, against ``lc.Tanh()``'s second-order rule; arrays or PyTorch tensors.
    """
    require_callable(tangent_fn, "tanh_vjp_tangent", "tangent_fn(x, u, x_dot, u_dot)")
    reference = Tanh()
    for seed, shape in enumerate(_TANH_SHAPES):
        rng = np.random.default_rng(100 + seed)
        x, u, x_dot, u_dot = (rng.uniform(-1.5, 1.5, size=shape) for _ in range(4))
        what = f"tangent_fn(x, u, x_dot, u_dot) for x of shape {shape}"
        given = [a.copy() for a in (x, u, x_dot, u_dot)]
        result, hint = call(tangent_fn, tuple(given), what)
        if hint is not None:
            return _report(False, "", hint)
        if any(not np.array_equal(g, a) for g, a in zip(given, (x, u, x_dot, u_dot))):
            return _report(False, "", "your function changed one of its inputs in place: build new arrays")
        x_bar, _, right, _ = reference._vjp_tangent(x, {}, u, x_dot, {}, u_dot)
        if isinstance(result, (tuple, list)) and len(result) == 2:
            first, got = _as_array(result[0]), _as_array(result[1])
            if first is None or first.shape != shape or not np.allclose(first, x_bar, rtol=1e-10, atol=1e-12):
                return _report(False, "", "as a pair, return (x_bar, x_bar_dot) with x_bar = tanh'(x) u; the first "
                                          "entry is not x_bar")
        else:
            got = _as_array(result)
        if got is None:
            return _report(False, "", f"{what} should return an array shaped like x, got {type(result).__name__}")
        if got.shape != shape:
            return _report(False, "", f"{what} should return an array of shape {shape} (like x), got {got.shape}")
        if np.allclose(got, right, rtol=1e-10, atol=1e-12):
            continue
        for _, wrong, mistake in _tanh_mistakes(x, u, x_dot, u_dot):
            if np.allclose(got, wrong, rtol=1e-10, atol=1e-12):
                return _report(False, "", mistake)
        return _report(False, "", "x_bar = tanh'(x) u has two factors that move: its tangent is "
                                  "tanh''(x) x_dot u + tanh'(x) u_dot, with tanh''(x) = -2 tanh(x) (1 - tanh(x)^2)")
    return _report(True, "the tangent of x_bar = tanh'(x) u is tanh''(x) x_dot u + tanh'(x) u_dot, with "
                         "tanh'' = -2 tanh (1 - tanh^2): right on one example and on batches", "")


# -- exercise 2: lambda_max by power iteration ----------------------------------------------------------------

def _orthogonal_to_ones():
    """A symmetric matrix whose top eigenvector (1, -1, 0)/sqrt 2 is orthogonal to the vector of ones.

    Its entries are small integers, so that A (1, 1, 1) = 2 (1, 1, 1) holds exactly in floating point:
    a power iteration started at (1, 1, 1) stays there, as it would in exact arithmetic.
    """
    return np.array([[4.0, -2.0, 0.0], [-2.0, 4.0, 0.0], [0.0, 0.0, 2.0]])


def _power_cases():
    """``[(name, A, hint if only this case fails)]``: the matrices a power iteration is checked on."""
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    return [
        ("QUADRATIC_A", QUADRATIC_A, None),
        ("diag(1, 5, 2)", np.diag([1.0, 5.0, 2.0]),
         "on diag(1, 5, 2) your iteration missed 5: a start such as e_1 = (1, 0, 0) is an eigenvector itself, "
         "and a start with no part along the top eigenvector never finds it; start from a random vector"),
        ("a matrix whose top eigenvector is orthogonal to (1, 1, 1)", _orthogonal_to_ones(),
         "on a matrix whose top eigenvector (1, -1, 0)/sqrt 2 is orthogonal to (1, 1, 1), your iteration missed "
         "6: a start with no part along the top eigenvector never finds it; start from a random vector"),
        ("[[3]]", np.array([[3.0]]), None),
        ("a random 6 x 6", Q @ np.diag([9.0, 4.0, 3.0, 2.0, 1.0, 0.5]) @ Q.T, None),
    ]


_ITERATIONS = 200


def _check_power_iteration(power_fn) -> bool:
    for name, A, special in _power_cases():
        exact = float(np.linalg.eigvalsh(A)[-1])
        result, hint = call(power_fn, (A.copy(), _ITERATIONS), f"power_iteration(A, {_ITERATIONS}) for A = {name}")
        if hint is not None:
            return _report(False, "", hint)
        a = _as_array(result)
        if a is None:
            return _report(False, "", f"power_iteration should return lambda_max, a number, got "
                                      f"{type(result).__name__}")
        if a.size == A.shape[0] and a.size > 1:
            return _report(False, "", "power_iteration returned a vector: return the eigenvalue, a number, such "
                                      "as the Rayleigh quotient v . (A v) of the unit vector v")
        if a.size != 1:
            return _report(False, "", f"power_iteration should return one number, got shape {a.shape}")
        value = float(a.reshape(()))
        if not math.isfinite(value):
            return _report(False, "", f"power_iteration(A, {_ITERATIONS}) gave {value}: divide v by its norm "
                                      f"after every product A v, or it overflows")
        if _near(value, exact):
            continue
        if special is not None:
            return _report(False, "", special)
        eig = np.linalg.eigvalsh(A)
        if _near(value, eig[0]):
            hint = f"for A = {name} you found the smallest eigenvalue {eig[0]:.6g}; repeated products A v " \
                   f"grow fastest along the largest, {exact:.6g}"
        elif _near(value, float(np.max(np.diag(A)))):
            hint = "the largest diagonal entry is not the largest eigenvalue: iterate v <- A v / ||A v||"
        elif _near(value, float(np.trace(A))):
            hint = "the trace is the sum of all eigenvalues, not the largest: iterate v <- A v / ||A v||"
        elif _near(value, exact, rtol=1e-2):
            hint = f"close to {exact:.6g} but not within 1e-6: iterate until the estimate stops changing (the " \
                   f"check passes iterations = {_ITERATIONS}), and use the Rayleigh quotient v . (A v)"
        else:
            hint = f"for A = {name} power_iteration gave {value:.6g}, but lambda_max = {exact:.6g}: start from a " \
                   f"random unit v, repeat v <- A v / ||A v||, and return v . (A v)"
        return _report(False, "", hint)
    return _report(True, f"your power iteration finds lambda_max on {len(_power_cases())} symmetric matrices, "
                         f"including two where an unlucky start misses it", "")


def largest_eigenvalue(answer) -> bool:
    """Is ``answer`` lambda_max of exercise 2's quadratic, or a function ``power_iteration(A, iterations)`` for it?

    A number (or one-entry array, or tensor) is compared with lambda_max of QUADRATIC_A, the
    Hessian of f(theta) = 1/2 theta^T A theta - b^T theta, which is 3 + sqrt(3). A function is
    called as ``power_iteration(A, 200)`` on five symmetric matrices and must return lambda_max
    of each to 1e-6.
    """
    if callable(answer):
        return _check_power_iteration(answer)
    value, hint = _as_number(answer, "lambda_max")
    if hint is not None:
        return _report(False, "", hint)
    A = QUADRATIC_A
    eig = np.linalg.eigvalsh(A)
    exact = float(eig[-1])
    if _near(value, exact):
        return _report(True, f"lambda_max = 3 + sqrt(3) = {exact:.6f}: the Hessian of 1/2 theta^T A theta - "
                             f"b^T theta is A itself", "")
    mistakes = [
        (eig[0], "that is the smallest eigenvalue, 3 - sqrt(3); the largest is what limits the learning rate"),
        (2 * exact, "the Hessian of 1/2 theta^T A theta is A, not 2 A: the 1/2 cancels the 2 of the derivative"),
        (exact / 2, "the Hessian of 1/2 theta^T A theta is A itself: do not halve its eigenvalue"),
        (2 / exact, "that is 2 / lambda_max, the largest stable learning rate (exercise 3's kind of answer): "
                    "give lambda_max itself"),
        (float(np.max(np.diag(A))), "the largest diagonal entry is not the largest eigenvalue"),
        (float(np.trace(A)), "the trace is the sum of all eigenvalues, not the largest"),
        (float(np.abs(A).sum(axis=1).max()), "the largest row sum bounds lambda_max from above (Gershgorin), but "
                                              "is not it"),
        (float(np.linalg.norm(A)), "the Frobenius norm is sqrt(sum of lambda^2), not lambda_max"),
        (eig[1], "3 is the middle eigenvalue; the largest is 3 + sqrt(3)"),
    ]
    for wrong, mistake in mistakes:
        if _near(value, float(wrong)):
            return _report(False, "", mistake)
    return _report(False, "", f"{value:.6g} is not lambda_max: run a power iteration with A v (the HVP of this "
                              f"quadratic), or check it with np.linalg.eigvalsh(lc.selfcheck.QUADRATIC_A)")


# -- exercise 3: the largest stable learning rate -------------------------------------------------------------

def _rate_hessian(X=RATE_X):
    return X.T @ X / X.shape[0]


def largest_stable_rate(rate) -> bool:
    """Is ``rate`` the largest stable learning rate of full-batch gradient descent on exercise 3's loss?

    The loss is 1/(2N) ||X w - y||^2 with X = RATE_X (no bias); its Hessian is X^T X / N, and
    gradient descent converges for every start exactly when rate < 2 / lambda_max (eq 10.3). The
    answer is that bound, a number.
    """
    value, hint = _as_number(rate, "the rate")
    if hint is not None:
        return _report(False, "", hint)
    if value <= 0:
        return _report(False, "", f"a learning rate is a number > 0 (a step against the gradient), got {value:g}")
    X, n = RATE_X, RATE_X.shape[0]
    eig = np.linalg.eigvalsh(_rate_hessian())
    lam = float(eig[-1])
    if _near(value, 2 / lam):
        return _report(True, f"H = X^T X / N has lambda_max = {lam:g}, so gradient descent converges exactly for "
                             f"rates below 2 / lambda_max = {2 / lam:.6g}", "")
    with_bias = np.hstack([X, np.ones((n, 1))])
    mistakes = [
        (1 / lam, "1 / lambda_max is stable (it removes the top direction's error in one step), but rates up to "
                  "twice that converge too: |1 - rho lambda| < 1 allows rho < 2 / lambda_max"),
        (2 / (n * lam), "the loss is a mean over the N = 4 examples: its Hessian is X^T X / N, not X^T X"),
        (2 / float(eig[0]), "that uses the smallest eigenvalue; the largest one is the first to go unstable"),
        (1 / float(eig[0]), "that uses the smallest eigenvalue; every eigenvalue needs |1 - rho lambda| < 1, and "
                            "the largest sets the bound 2 / lambda_max"),
        (lam, "that is lambda_max itself; the rate is bounded by 2 / lambda_max"),
        (2 * lam, "the bound is 2 / lambda_max, a division"),
        (2 / float(np.trace(_rate_hessian())), "the trace is the sum of the eigenvalues: 2 / trace is a safe rate, "
                                               "but not the largest"),
        (2 / float(np.linalg.svd(X, compute_uv=False)[0]),
         "the largest singular value of X is sqrt(N lambda_max): use the eigenvalue of X^T X / N"),
        (2 / math.sqrt(lam), "lambda_max is an eigenvalue of X^T X / N, not its square root"),
        (2 / float(np.max(np.diag(_rate_hessian()))), "the largest diagonal entry of X^T X / N is not its "
                                                      "largest eigenvalue"),
        (2 / float(np.linalg.eigvalsh(with_bias.T @ with_bias / n)[-1]),
         "this model has no bias: the Hessian is X^T X / N without a column of ones"),
    ]
    for wrong, mistake in mistakes:
        if _near(value, float(wrong)):
            return _report(False, "", mistake)
    if value > 2 / lam:
        return _report(False, "", f"at {value:.6g} gradient descent diverges: the error along the top eigenvector "
                                  f"is multiplied by |1 - rho lambda_max| > 1 at every step")
    return _report(False, "", f"{value:.6g} is stable but not the largest stable rate: form H = X^T X / N, find its "
                              f"largest eigenvalue and take 2 / lambda_max")
