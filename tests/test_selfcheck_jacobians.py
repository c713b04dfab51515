"""Chapter 2's self-checks (lecture_code.selfcheck.jacobians): which answers to its exercises pass."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import selfcheck
from lecture_code import torch_bridge as tb

TIGHT = dict(rtol=1e-12, atol=1e-14)


# -- self-checks ---------------------------------------------------------------------------------


def stable_softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def test_softmax_jacobian_accepts_the_formula_and_names_the_usual_mistakes(capsys):
    def right(x):
        s = stable_softmax(x)
        return np.diag(s) - np.outer(s, s)

    assert selfcheck.softmax_jacobian(right)
    assert capsys.readouterr().out.startswith("Correct:")
    mistakes = {
        "diag(s) only": lambda x: np.diag(stable_softmax(x)),
        "off-diagonal entries are not zero": lambda x: np.diag(stable_softmax(x) * (1 - stable_softmax(x))),
        "sign is flipped": lambda x: -right(x),
        "is only its diagonal": lambda x: stable_softmax(x) * (1 - stable_softmax(x)),
        "subtract max(x)": lambda x: right(x) if x.max() < 100 else np.full((3, 3), np.nan),
        "raised ZeroDivisionError": lambda x: 1 / 0,
    }
    for hint, wrong in mistakes.items():
        assert not selfcheck.softmax_jacobian(wrong), hint
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and hint in out, out


def test_softmax_jacobian_reports_overflow_without_a_warning(capsys):
    def naive(x):  # overflows at x = 1000: must give a hint, not a RuntimeWarning (an error under pytest)
        e = np.exp(x)
        s = e / e.sum()
        return np.diag(s) - np.outer(s, s)

    assert not selfcheck.softmax_jacobian(naive)
    assert "subtract max(x)" in capsys.readouterr().out


def test_softmax_jacobian_agrees_with_torch(device, capsys):
    def from_torch(x):
        return tb.to_numpy(torch.func.jacrev(lambda t: torch.softmax(t, dim=-1))(tb.to_torch(x, device)))

    assert selfcheck.softmax_jacobian(from_torch), capsys.readouterr().out


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_activation_jacobian_agrees_with_torch_and_with_the_layers(activation, device, capsys):
    fn = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
    layer = {"tanh": lc.Tanh(), "sigmoid": lc.Sigmoid(), "relu": lc.ReLU()}[activation]

    def from_torch(x):
        return tb.to_numpy(torch.func.jacfwd(fn)(tb.to_torch(x, device)))

    assert selfcheck.activation_jacobian(from_torch, activation), capsys.readouterr().out
    assert selfcheck.activation_jacobian(lambda x: layer.jacobian(x), activation)
    assert selfcheck.activation_jacobian(lambda x: lc.numerical_jacobian(layer.forward, x), activation)


def test_activation_jacobian_names_the_usual_mistakes(capsys):
    mistakes = {
        "np.diag": lambda x: 1 - np.tanh(x) ** 2,
        "not with x itself": lambda x: np.diag(1 - x**2),
        "the square is missing": lambda x: np.diag(1 - np.tanh(x)),
        "the activation itself": lambda x: np.diag(np.tanh(x)),
        "every off-diagonal entry is 0": lambda x: np.diag(1 - np.tanh(x) ** 2) + 0.1 * (1 - np.eye(x.size)),
        "the Jacobian is (4, 4), got (2, 2)": lambda x: np.eye(2),
    }
    for hint, wrong in mistakes.items():
        assert not selfcheck.activation_jacobian(wrong, "tanh"), hint
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and hint in out, out
    assert not selfcheck.activation_jacobian(lambda x: np.diag(x * (1 - x)), "sigmoid")
    assert "not with x itself" in capsys.readouterr().out
    assert not selfcheck.activation_jacobian(lambda x: np.diag(1 - np.tanh(x) ** 2), "relu")
    assert "1 where x > 0" in capsys.readouterr().out


W = np.array([[1.0, 2.0], [-3.0, 1.0], [0.5, -1.0]])
B = np.array([2.0, 2.0, 0.0])
X = np.array([1.0, -1.0])
J_RIGHT = np.array([[1.0, 2.0], [0.0, 0.0], [0.5, -1.0]])  # z = (1, -2, 1.5): unit 2 is off


def test_linear_relu_jacobian_accepts_the_hand_answer_and_matches_torch(device, capsys):
    assert selfcheck.linear_relu_jacobian(W, B, X, J_RIGHT.tolist())
    assert "units [1, 3] are on, so J keeps rows [1, 3] of W" in capsys.readouterr().out

    W_t, B_t = tb.to_torch(W, device), tb.to_torch(B, device)  # outside f: jacrev forbids requires_grad_ inside

    def f(t):
        return torch.relu(t @ W_t.T + B_t)

    J_torch = tb.to_numpy(torch.func.jacrev(f)(tb.to_torch(X, device)))
    assert_allclose(J_torch, J_RIGHT, **TIGHT, err_msg="the hand answer is torch's Jacobian")
    assert selfcheck.linear_relu_jacobian(W, B, X, J_torch)


def test_linear_relu_jacobian_names_the_usual_mistakes(capsys):
    mistakes = {
        "that is J^T": J_RIGHT.T,
        "Jacobian of the linear part alone": W,
        "you zeroed columns": W * (X > 0)[None, :],
        "the bias is missing": (W @ X > 0)[:, None] * W,
        "the pattern is inverted": (W @ X + B <= 0)[:, None] * W,
        "shape (3, 2)": np.zeros((2, 2)),
        "first compute z": J_RIGHT + 1.0,
        "give J as a matrix": "no idea",
    }
    for hint, wrong in mistakes.items():
        assert not selfcheck.linear_relu_jacobian(W, B, X, wrong), hint
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and hint in out, out


def test_chain_jacobian_accepts_eq6_and_rejects_a_reversed_order(capsys):
    def right(Js):
        J = Js[0]
        for Jk in Js[1:]:
            J = Jk @ J
        return J

    def reversed_order(Js):
        J = Js[0]
        for Jk in Js[1:]:
            J = J @ Jk
        return J

    def square(Js):
        return all(J.shape[0] == J.shape[1] for J in Js)

    def reversed_but_fitting(Js):  # wrong only where no shape error can reveal it: square factors
        return reversed_order(Js) if square(Js) else right(Js)

    assert selfcheck.chain_jacobian(right)
    assert capsys.readouterr().out.startswith("Correct:")
    assert not selfcheck.chain_jacobian(reversed_order)
    assert "check the order" in capsys.readouterr().out
    assert not selfcheck.chain_jacobian(reversed_but_fitting)
    assert "the order is reversed" in capsys.readouterr().out
    assert not selfcheck.chain_jacobian(lambda Js: np.prod(Js, axis=0) if square(Js) else right(Js))
    assert "entry by entry" in capsys.readouterr().out
    assert not selfcheck.chain_jacobian(lambda Js: right(Js).T)
    assert "outputs x inputs" in capsys.readouterr().out


def test_chain_jacobian_matches_the_networks_jacobian():
    net = lc.mlp([4, 8, 6, 4, 2], activation="tanh")
    thetas = net.init(rng=3)
    x = np.random.default_rng(4).normal(size=4)
    Js = net.layer_jacobians(x, thetas)
    product = Js[0]
    for Jk in Js[1:]:
        product = Jk @ product
    assert_allclose(product, net.jacobian(x, thetas), **TIGHT)
    assert selfcheck.chain_jacobian(lambda factors: np.linalg.multi_dot(factors[::-1]) if len(factors) > 1
                                    else factors[0])


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("call,pattern", [
    (lambda: selfcheck.softmax_jacobian(3),
     r"softmax_jacobian expects your function fn\(x\) for the softmax Jacobian, got int"),
    (lambda: selfcheck.activation_jacobian(np.tanh, "gelu"),
     r"activation_jacobian expects activation to be one of \['relu', 'sigmoid', 'tanh'\], got 'gelu'"),
    (lambda: selfcheck.activation_jacobian(None),
     r"activation_jacobian expects your function fn\(x\) for the 'tanh' Jacobian, got NoneType"),
    (lambda: selfcheck.linear_relu_jacobian(W, B, np.ones(3), J_RIGHT),
     r"linear_relu_jacobian expects W : \(M, D\), b : \(M,\), x : \(D,\) that fit together, got W \(3, 2\), b "
     r"\(3,\), x \(3,\)"),
    (lambda: selfcheck.linear_relu_jacobian(W, np.zeros(3), np.zeros(2), J_RIGHT),
     r"linear_relu_jacobian expects a point where no entry of W x \+ b is 0 .*entry exactly 0"),
    (lambda: selfcheck.chain_jacobian("J"),
     r"chain_jacobian expects your function fn\(\[J_1, ..., J_K\]\) for the chain-rule product, got str"),
])
def test_selfcheck_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
