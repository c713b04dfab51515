"""Chapter 4's self-checks (lecture_code.selfcheck.backprop)."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import selfcheck
from lecture_code import torch_bridge as tb
from lecture_code.selfcheck import backprop as checks


# -- selfcheck: eq15_gradients -----------------------------------------------------------------------

def _eq15_right(W1, W2, x, y):
    x2 = W1 @ x
    x3 = np.maximum(x2, 0.0)
    u4 = W2 @ x3 - y
    u2 = (x2 > 0) * (W2.T @ u4)
    return np.outer(u2, x), np.outer(u4, x3)


def test_eq15_cases_have_units_on_and_off():
    for W1, W2, x, y in checks._eq15_cases():
        x2 = W1 @ x
        assert (x2 < 0).any() and (x2 > 0).any() and not (x2 == 0).any()


def test_eq15_reference_matches_torch_autograd(device):
    for W1, W2, x, y in checks._eq15_cases():
        net = lc.mlp([W1.shape[1], W1.shape[0], W2.shape[0]])
        thetas = [{"W": W1, "b": np.zeros(W1.shape[0])}, {}, {"W": W2, "b": np.zeros(W2.shape[0])}]
        model = tb.twin(net, thetas, device)
        tb.loss_fn(lc.losses.squared_error)(model(tb.to_torch(x, device)), tb.to_torch(y, device)).backward()
        t_grads = tb.thetas_of(net, model, grad=True)
        dW1, dW2 = checks._eq15_reference(W1, W2, x, y)
        assert_allclose(dW1, t_grads[0]["W"], rtol=1e-12, atol=1e-14, err_msg="dL/dW1 against torch")
        assert_allclose(dW2, t_grads[2]["W"], rtol=1e-12, atol=1e-14, err_msg="dL/dW2 against torch")


def test_eq15_reference_matches_finite_differences():
    for W1, W2, x, y in checks._eq15_cases():
        def loss(w1, w2):
            return 0.5 * np.sum((y - w2 @ np.maximum(w1 @ x, 0.0)) ** 2)

        dW1, dW2 = checks._eq15_reference(W1, W2, x, y)
        assert_allclose(dW1, lc.numerical_jacobian(lambda w: loss(w, W2), W1), rtol=1e-6, atol=1e-8, err_msg="dW1")
        assert_allclose(dW2, lc.numerical_jacobian(lambda w: loss(W1, w), W2), rtol=1e-6, atol=1e-8, err_msg="dW2")


def test_eq15_gradients_accepts_right_answers(capsys):
    assert selfcheck.eq15_gradients(_eq15_right)
    assert capsys.readouterr().out.startswith("Correct:")

    def via_backprop(W1, W2, x, y):
        net = lc.mlp([W1.shape[1], W1.shape[0], W2.shape[0]])
        thetas = [{"W": W1, "b": np.zeros(W1.shape[0])}, {}, {"W": W2, "b": np.zeros(W2.shape[0])}]
        grads = lc.backprop(net, thetas, x, y, lc.losses.squared_error)[1]
        return grads[0]["W"], grads[2]["W"]

    assert selfcheck.eq15_gradients(via_backprop)


def _no_mask(W1, W2, x, y):
    x3 = np.maximum(W1 @ x, 0.0)
    u4 = W2 @ x3 - y
    return np.outer(W2.T @ u4, x), np.outer(u4, x3)


def _wrong_dw1(W1, W2, x, y):
    dW1, dW2 = _eq15_right(W1, W2, x, y)
    return 2 * dW1, dW2


@pytest.mark.parametrize("fn,hint", [
    (lambda *a: _eq15_right(*a)[::-1], "in this order"),
    (lambda *a: tuple(g.T for g in _eq15_right(*a)), "transposed"),
    (lambda *a: tuple(-g for g in _eq15_right(*a)), "sign is flipped"),
    (_no_mask, "forgot the ReLU mask"),
    (lambda *a: (_eq15_right(*a)[0], 2 * _eq15_right(*a)[1]), "dW2 is off"),
    (_wrong_dw1, "go back through W2"),
    (lambda *a: (_eq15_right(*a)[0][:, :1], _eq15_right(*a)[1]), "should have shape"),
    (lambda *a: _eq15_right(*a)[0], "should return 2 arrays"),
    (lambda *a: 3.0, "should return 2 arrays, got float"),
    (lambda *a: 1 / 0, "ZeroDivisionError"),
])
def test_eq15_gradients_rejects_wrong_answers_with_a_hint(fn, hint, capsys):
    assert not selfcheck.eq15_gradients(fn)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


# -- selfcheck: activation_vjp -----------------------------------------------------------------------

def _tanh_vjp(x, u):
    return (1.0 - np.tanh(x) ** 2) * u


def _sigmoid_vjp(x, u):
    s = 1.0 / (1.0 + np.exp(-x))
    return s * (1.0 - s) * u


def test_activation_vjp_accepts_right_answers(capsys):
    assert selfcheck.activation_vjp(_tanh_vjp, "tanh")
    assert selfcheck.activation_vjp(_sigmoid_vjp, "sigmoid")
    assert selfcheck.activation_vjp(lambda x, u: lc.Tanh().vjp(x, {}, u)[0])  # tanh is the default
    assert capsys.readouterr().out.count("Correct:") == 3


@pytest.mark.parametrize("name,fn", [("tanh", torch.tanh), ("sigmoid", torch.sigmoid)])
def test_activation_vjp_accepts_torch_func_vjp(name, fn, device):
    """The reference inside the self-check agrees with torch.func.vjp (float64) on every device."""
    def torch_vjp(x, u):
        _, pullback = torch.func.vjp(fn, tb.to_torch(x, device))
        return tb.to_numpy(pullback(tb.to_torch(u, device))[0])

    assert selfcheck.activation_vjp(torch_vjp, name)


@pytest.mark.parametrize("name,fn,hint", [
    ("tanh", lambda x, u: 1.0 - np.tanh(x) ** 2, "phi'(x) alone"),
    ("tanh", lambda x, u: np.tanh(x) * u, "tanh(x) itself"),
    ("tanh", lambda x, u: (1.0 - x**2) * u, "1 - x^2"),
    ("tanh", lambda x, u: np.sum(_tanh_vjp(x, u), axis=-1), "shaped like u"),
    ("tanh", lambda x, u: 0.5 * _tanh_vjp(x, u), "compare with lc.Tanh().vjp"),
    ("sigmoid", lambda x, u: x * (1.0 - x) * u, "x (1 - x)"),
    ("sigmoid", lambda x, u: _sigmoid_vjp(x, u) / (1.0 - 1.0 / (1.0 + np.exp(-x))), "sigmoid(x) itself"),
    ("sigmoid", lambda x, u: None, "shaped like u"),
    ("sigmoid", lambda x, u: {}["missing"], "KeyError"),
])
def test_activation_vjp_rejects_wrong_answers_with_a_hint(name, fn, hint, capsys):
    assert not selfcheck.activation_vjp(fn, name)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


def test_activation_vjp_from_the_output_accepts_right_answers(capsys):
    """given="output": the answer gets y = phi(x) and writes phi' through it, never calling phi."""
    assert selfcheck.activation_vjp(lambda y, u: (1.0 - y**2) * u, "tanh", given="output")
    assert selfcheck.activation_vjp(lambda y, u: y * (1.0 - y) * u, "sigmoid", given="output")
    assert capsys.readouterr().out.count("from the output y alone") == 2


@pytest.mark.parametrize("name,fn", [("tanh", torch.tanh), ("sigmoid", torch.sigmoid)])
def test_activation_vjp_from_the_output_is_what_torch_autograd_computes(name, fn, device):
    """The self-check's expectation, given y, is the gradient autograd gives at the x with phi(x) = y."""
    def torch_vjp(y, u):
        x = np.arctanh(y) if name == "tanh" else np.log(y / (1.0 - y))  # the input that gave this output
        x_t = tb.to_torch(x, device, requires_grad=True)
        fn(x_t).backward(tb.to_torch(u, device))
        return tb.to_numpy(x_t.grad)

    assert selfcheck.activation_vjp(torch_vjp, name, given="output")


@pytest.mark.parametrize("name,fn,hint", [
    ("tanh", lambda y, u: (1.0 - np.tanh(y) ** 2) * u, "applied tanh to y again"),
    ("sigmoid", lambda y, u: _sigmoid_vjp(y, u), "applied sigmoid to y again"),
    ("tanh", lambda y, u: y * u, "the output y itself"),
    ("sigmoid", lambda y, u: y * (1.0 - y), "phi'(x) alone"),
    ("tanh", lambda y, u: (1.0 - y) * u, "phi' = 1 - y^2 written through the output"),
    ("sigmoid", lambda y, u: (y * (1.0 - y) * u)[..., :1], "shaped like u"),
])
def test_activation_vjp_from_the_output_rejects_wrong_answers_with_a_hint(name, fn, hint, capsys):
    assert not selfcheck.activation_vjp(fn, name, given="output")
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


def test_activation_vjp_input_and_output_answers_are_not_interchangeable(capsys):
    assert not selfcheck.activation_vjp(lambda y, u: (1.0 - y**2) * u, "tanh")  # 1 - x^2 at the input
    assert not selfcheck.activation_vjp(_tanh_vjp, "tanh", given="output")      # tanh applied twice
    assert capsys.readouterr().out.count("Not yet:") == 2


def test_activation_vjp_checks_a_batch_too(capsys):
    def single_only(x, u):
        if x.ndim == 2:
            return u
        return _tanh_vjp(x, u)

    assert not selfcheck.activation_vjp(single_only, "tanh")


# -- selfcheck: batch_linear_vjp ---------------------------------------------------------------------

def _linear_right(X, W, U):
    return U @ W, U.T @ X, U.sum(axis=0)


def test_batch_linear_vjp_accepts_right_answers(capsys):
    assert selfcheck.batch_linear_vjp(_linear_right)

    def via_layer(X, W, U):
        layer = lc.Linear(W.shape[1], W.shape[0])
        U_in, g = layer.vjp(X, {"W": W, "b": np.zeros(W.shape[0])}, U)
        return U_in, g["W"], g["b"]

    assert selfcheck.batch_linear_vjp(via_layer)
    assert capsys.readouterr().out.count("Correct:") == 2


def test_batch_linear_vjp_accepts_torch_autograd(device):
    """The self-check's expectation is what torch.autograd computes for X W^T + b with cotangent U."""
    def torch_vjp(X, W, U):
        X_t, W_t = tb.to_torch(X, device, requires_grad=True), tb.to_torch(W, device, requires_grad=True)
        b_t = tb.to_torch(np.zeros(W.shape[0]), device, requires_grad=True)
        (X_t @ W_t.T + b_t).backward(tb.to_torch(U, device))
        return tb.to_numpy(X_t.grad), tb.to_numpy(W_t.grad), tb.to_numpy(b_t.grad)

    assert selfcheck.batch_linear_vjp(torch_vjp)


@pytest.mark.parametrize("fn,hint", [
    (lambda X, W, U: (U @ W.T, U.T @ X, U.sum(0)) if W.shape[0] == W.shape[1] else _linear_right(X, W, U),
     "only runs silently when W is square"),
    (lambda X, W, U: (X, U.T @ X, U.sum(0)), "U_in should be U @ W"),
    (lambda X, W, U: (U @ W, X.T @ U, U.sum(0)), "dW is transposed"),
    (lambda X, W, U: (U @ W, U.T @ X / len(X), U.sum(0)), "divided by N once too often"),
    (lambda X, W, U: (U @ W, 2 * U.T @ X, U.sum(0)), "U.T @ X (eq 28"),
    (lambda X, W, U: (U @ W, U.T @ X, U), "a row per example"),
    (lambda X, W, U: (U @ W, U.T @ X, U.mean(0)), "db is averaged"),
    (lambda X, W, U: (U @ W, U.T @ X, U.sum(1)), "not axis 1"),
    (lambda X, W, U: (U @ W, U.T @ X, 2 * U.sum(0)), "dy/db = I"),
    (lambda X, W, U: (U @ W, U.T @ X), "should return 3 arrays, got 2"),
    (lambda X, W, U: 1 / 0, "ZeroDivisionError"),
])
def test_batch_linear_vjp_rejects_wrong_answers_with_a_hint(fn, hint, capsys):
    assert not selfcheck.batch_linear_vjp(fn)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


# -- selfcheck bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("call,pattern", [
    (lambda: selfcheck.eq15_gradients("dW"),
     r"eq15_gradients expects your function grads_fn\(W1, W2, x, y\) .*got str"),
    (lambda: selfcheck.activation_vjp(_tanh_vjp, "relu"),
     r"activation_vjp expects activation to be one of \['sigmoid', 'tanh'\], got 'relu'"),
    (lambda: selfcheck.activation_vjp(_tanh_vjp, "tanh", given="x"),
     r"activation_vjp expects given to be one of \['input', 'output'\], got 'x'"),
    (lambda: selfcheck.activation_vjp(None, "tanh", given="output"),
     r"activation_vjp expects your function vjp_fn\(y, u\) for the VJP, got NoneType"),
    (lambda: selfcheck.activation_vjp(None, "tanh"),
     r"activation_vjp expects your function vjp_fn\(x, u\) for the VJP, got NoneType"),
    (lambda: selfcheck.batch_linear_vjp(np.ones(3)),
     r"batch_linear_vjp expects your function vjp_fn\(X, W, U\) for the VJP, got ndarray"),
])
def test_selfcheck_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
