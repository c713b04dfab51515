"""Chapter 10's self-checks (lecture_code.selfcheck.curvature): right answers pass, typical mistakes get their hint."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import curvature as cv
from lecture_code import selfcheck
from lecture_code import torch_bridge as tb
from lecture_code.selfcheck import curvature as checks


def verdict(capsys):
    return capsys.readouterr().out


def passes(check, answer, capsys):
    ok = check(answer)
    out = verdict(capsys)
    assert ok is True and out.startswith("Correct:"), out
    return out


def fails(check, answer, capsys, hint):
    ok = check(answer)
    out = verdict(capsys)
    assert ok is False and out.startswith("Not yet:") and hint in out, out
    return out


# -- exercise 1: tanh_vjp_tangent -----------------------------------------------------------------------------

def tangent(x, u, x_dot, u_dot):
    t = np.tanh(x)
    return -2 * t * (1 - t**2) * x_dot * u + (1 - t**2) * u_dot


def torch_tangent(device):
    """The same tangent computed by PyTorch: forward mode over the VJP of tanh, on ``device``."""
    def fn(x, u, x_dot, u_dot):
        def vjp(x, u):
            return torch.func.vjp(torch.tanh, x)[1](u)[0]
        args = [tb.to_torch(a, device) for a in (x, u, x_dot, u_dot)]
        return torch.func.jvp(vjp, tuple(args[:2]), tuple(args[2:]))[1]  # a tensor on the device
    return fn


def test_the_reference_tangent_is_the_tangent_of_tanh_s_vjp(device):
    rng = np.random.default_rng(0)
    x, u, x_dot, u_dot = (rng.normal(size=(3, 4)) for _ in range(4))
    ours = lc.Tanh()._vjp_tangent(x, {}, u, x_dot, {}, u_dot)[2]
    assert_allclose(ours, tangent(x, u, x_dot, u_dot), rtol=1e-14)
    assert_allclose(ours, tb.to_numpy(torch_tangent(device)(x, u, x_dot, u_dot)), rtol=1e-12)
    eps = 1e-6   # and central differences of x_bar = tanh'(x) u along (x_dot, u_dot)
    x_bar = [(1 - np.tanh(x + s * x_dot) ** 2) * (u + s * u_dot) for s in (eps, -eps)]
    assert_allclose(ours, (x_bar[0] - x_bar[1]) / (2 * eps), rtol=1e-6, atol=1e-9)


def test_tanh_vjp_tangent_accepts_the_right_answer_in_any_form(capsys, device):
    passes(selfcheck.tanh_vjp_tangent, tangent, capsys)
    passes(selfcheck.tanh_vjp_tangent, torch_tangent(device), capsys)
    passes(selfcheck.tanh_vjp_tangent, lambda x, u, xd, ud: ((1 - np.tanh(x) ** 2) * u, tangent(x, u, xd, ud)),
           capsys)
    passes(selfcheck.tanh_vjp_tangent,
           lambda x, u, xd, ud: lc.Tanh()._vjp_tangent(x, {}, u, xd, {}, ud)[2], capsys)


def _t(x):
    return np.tanh(x)


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, u, xd, ud: (1 - _t(x) ** 2) * ud, "x moves too"),
    (lambda x, u, xd, ud: -2 * _t(x) * (1 - _t(x) ** 2) * xd * u, "u moves too (u_dot)"),
    (lambda x, u, xd, ud: 2 * _t(x) * (1 - _t(x) ** 2) * xd * u + (1 - _t(x) ** 2) * ud, "check the sign"),
    (lambda x, u, xd, ud: -_t(x) * (1 - _t(x) ** 2) * xd * u + (1 - _t(x) ** 2) * ud, "factor 2"),
    (lambda x, u, xd, ud: -2 * _t(x) * xd * u + (1 - _t(x) ** 2) * ud, "the chain rule"),
    (lambda x, u, xd, ud: -2 * _t(x) * (1 - _t(x) ** 2) * ud * u + (1 - _t(x) ** 2) * xd, "x_dot moves tanh'(x)"),
    (lambda x, u, xd, ud: -2 * _t(x) * (1 - _t(x) ** 2) * xd * ud + (1 - _t(x) ** 2) * ud, "keeps u"),
    (lambda x, u, xd, ud: (1 - _t(x) ** 2) * u, "that is x_bar"),
    (lambda x, u, xd, ud: (1 - _t(x) ** 2) * xd * u + _t(x) * ud, "one derivative further"),
    (lambda x, u, xd, ud: tangent(x, u, xd, ud) + 0.1, "two factors that move"),
    (lambda x, u, xd, ud: tangent(x, u, xd, ud).sum(), "of shape"),
    (lambda x, u, xd, ud: "x_bar_dot", "should return an array"),
    (lambda x, u, xd, ud: 1 / 0, "raised ZeroDivisionError"),
    (lambda x, u, xd: x, "raised TypeError"),
    (lambda x, u, xd, ud: (u, tangent(x, u, xd, ud)), "the first entry is not x_bar"),
])
def test_tanh_vjp_tangent_rejects_typical_mistakes_with_their_hint(wrong, hint, capsys):
    fails(selfcheck.tanh_vjp_tangent, wrong, capsys, hint)


def test_tanh_vjp_tangent_rejects_an_answer_that_changes_its_inputs(capsys):
    def in_place(x, u, x_dot, u_dot):
        u *= 1 - np.tanh(x) ** 2
        return tangent(x, u, x_dot, u_dot)
    fails(selfcheck.tanh_vjp_tangent, in_place, capsys, "changed one of its inputs in place")


def test_tanh_vjp_tangent_needs_a_function():
    with pytest.raises(ValueError, match=r"tanh_vjp_tangent expects your function tangent_fn\(x, u, x_dot, u_dot\), "
                                         r"got ndarray"):
        selfcheck.tanh_vjp_tangent(np.ones(3))


# -- exercise 2: largest_eigenvalue ---------------------------------------------------------------------------

def power(A, iterations, start=None):
    v = np.random.default_rng(1).normal(size=A.shape[0]) if start is None else start(A.shape[0])
    v = v / np.linalg.norm(v)
    for _ in range(iterations):
        w = A @ v
        v = w / np.linalg.norm(w)
    return v @ (A @ v)


def test_the_exercise_quadratic_has_the_stated_eigenvalues():
    assert_allclose(np.linalg.eigvalsh(checks.QUADRATIC_A), [3 - math.sqrt(3), 3, 3 + math.sqrt(3)], rtol=1e-14)
    assert_allclose(np.linalg.eigvalsh(checks._orthogonal_to_ones()), [2, 2, 6], rtol=1e-14)
    assert_allclose(checks._orthogonal_to_ones() @ np.ones(3), 2 * np.ones(3), rtol=0, atol=0)  # exactly


def test_largest_eigenvalue_accepts_a_power_iteration_and_the_number(capsys, device):
    passes(selfcheck.largest_eigenvalue, power, capsys)
    passes(selfcheck.largest_eigenvalue,   # the library's, through an HVP-style matvec
           lambda A, it: cv.power_iteration(lambda v: A @ v, A.shape[0], rng=0, iterations=it, tol=1e-15)[0], capsys)
    passes(selfcheck.largest_eigenvalue,   # a torch one, returning a 0-d tensor on the device
           lambda A, it: torch.linalg.eigvalsh(tb.to_torch(A, device))[-1], capsys)
    for number in (3 + math.sqrt(3), np.array([3 + math.sqrt(3)]),
                   tb.to_torch(np.linalg.eigvalsh(checks.QUADRATIC_A)[-1], device)):
        passes(selfcheck.largest_eigenvalue, number, capsys)


def _unnormalized(A, iterations):
    v = np.ones(A.shape[0])
    for _ in range(2000):
        v = (A @ v) * 1e3
    return v @ (A @ v) / (v @ v)


@pytest.mark.parametrize("answer, hint", [
    (lambda A, it: power(A, it, start=lambda n: np.eye(n)[0]), "a start such as e_1"),
    (lambda A, it: power(A, it, start=np.ones), "orthogonal to (1, 1, 1)"),
    (lambda A, it: np.linalg.eigvalsh(A)[0], "smallest eigenvalue"),
    (lambda A, it: np.max(np.diag(A)), "largest diagonal entry"),
    (lambda A, it: np.trace(A), "the trace"),
    (lambda A, it: np.linalg.eigh(A)[1][:, -1], "returned a vector"),
    (_unnormalized, "divide v by its norm"),
    (lambda A, it: power(A, 3), "not within 1e-6"),
    (lambda A, it: 1.0, "start from a random unit v"),
    (lambda A, it: [1.0, 2.0], "one number"),
    (lambda A, it: {"lambda": 1.0}, "a number, got dict"),
    (lambda A: 1.0, "raised TypeError"),
    (3 - math.sqrt(3), "smallest eigenvalue"),
    (2 * (3 + math.sqrt(3)), "not 2 A"),
    ((3 + math.sqrt(3)) / 2, "do not halve"),
    (2 / (3 + math.sqrt(3)), "largest stable learning rate"),
    (4.0, "largest diagonal entry"),
    (9.0, "the trace"),
    (5.0, "Gershgorin"),
    (math.sqrt(33.0), "Frobenius"),
    (3.0, "middle eigenvalue"),
    (4.7, "is not lambda_max"),
    (np.ones(2), "shape (2,)"),
    ("4.73", "got str"),
    (np.inf, "finite"),
])
def test_largest_eigenvalue_rejects_typical_mistakes_with_their_hint(answer, hint, capsys):
    fails(selfcheck.largest_eigenvalue, answer, capsys, hint)


# -- exercise 3: largest_stable_rate --------------------------------------------------------------------------

def test_the_exercise_data_have_the_stated_hessian_and_an_exact_fit():
    H = checks.RATE_X.T @ checks.RATE_X / 4
    assert_allclose(H, [[1.5, 1.0], [1.0, 3.0]], rtol=0, atol=0)
    assert_allclose(np.linalg.eigvalsh(H), [1.0, 3.5], rtol=1e-14)
    assert_allclose(checks.RATE_X @ np.ones(2), checks.RATE_Y, rtol=0, atol=0)  # w* = (1, 1), L* = 0


def test_gradient_descent_on_the_exercise_converges_just_below_the_answer_and_diverges_just_above():
    X, y = checks.RATE_X, checks.RATE_Y
    final = {}
    for factor in (0.99, 1.01):
        w = np.zeros(2)
        for _ in range(2000):
            w = w - factor * (4 / 7) * X.T @ (X @ w - y) / 4
        final[factor] = 0.5 * np.mean((X @ w - y) ** 2)
    assert final[0.99] < 1e-20 and final[1.01] > 1e10


def test_largest_stable_rate_accepts_two_over_lambda_max(capsys, device):
    lam = torch.linalg.eigvalsh(tb.to_torch(checks.RATE_X.T @ checks.RATE_X / 4, device))[-1]
    for rate in (4 / 7, np.float64(4 / 7), np.array([4 / 7]), 2 / lam):
        passes(selfcheck.largest_stable_rate, rate, capsys)


@pytest.mark.parametrize("rate, hint", [
    (2 / 7, "1 / lambda_max is stable"),
    (1 / 7, "Hessian is X^T X / N, not X^T X"),
    (2.0, "smallest eigenvalue"),
    (1.0, "smallest eigenvalue; every eigenvalue"),
    (3.5, "lambda_max itself"),
    (7.0, "a division"),
    (2 / 4.5, "the trace"),
    (2 / math.sqrt(14.0), "largest singular value"),
    (2 / math.sqrt(3.5), "not its square root"),
    (2 / 3.0, "largest diagonal entry"),
    (0.6, "diverges"),
    (0.3, "stable but not the largest"),
    (-0.5, "a number > 0"),
    (0, "a number > 0"),
    ("4/7", "got str"),
    (np.nan, "finite"),
    ([0.5, 0.6], "shape (2,)"),
])
def test_largest_stable_rate_rejects_typical_mistakes_with_their_hint(rate, hint, capsys):
    fails(selfcheck.largest_stable_rate, rate, capsys, hint)


def test_largest_stable_rate_names_a_forgotten_missing_bias(capsys):
    X = np.hstack([checks.RATE_X, np.ones((4, 1))])
    fails(selfcheck.largest_stable_rate, 2 / np.linalg.eigvalsh(X.T @ X / 4)[-1], capsys, "has no bias")
