"""Chapter 3's self-checks (lecture_code.selfcheck.modes): which answers pass."""

import numpy as np
import pytest

import lecture_code as lc
from lecture_code import selfcheck


# -- self-checks ------------------------------------------------------------------------
def test_products_needed(capsys):
    assert selfcheck.products_needed(784, 10, 784, 10, "reverse")
    assert capsys.readouterr().out.startswith("Correct: reverse mode: 10 VJPs instead of 784 JVPs")
    assert selfcheck.products_needed(16, 784, 16, 784, "Forward mode")
    assert selfcheck.products_needed(5, 5, 5, 5, "either")
    assert selfcheck.products_needed(1, 1, 1, 1, "either")
    assert "1 JVP instead of 1 VJP" not in capsys.readouterr().out  # D = M: "either"
    assert not selfcheck.products_needed(784, 10, 10, 784, "reverse")
    assert "lecture's slip" in capsys.readouterr().out
    assert not selfcheck.products_needed(784, 10, 784, 10, "forward")
    assert "fewer of them" in capsys.readouterr().out
    assert not selfcheck.products_needed(5, 5, 5, 5, "forward")
    assert "'either'" in capsys.readouterr().out
    assert not selfcheck.products_needed(784, 10, 784, 784, "reverse")
    assert "one row" in capsys.readouterr().out
    assert not selfcheck.products_needed(784, 10, 784.0, 10, "reverse")
    assert "integers" in capsys.readouterr().out
    assert not selfcheck.products_needed(784, 10, 784, 10, "backprop!")
    assert "'forward', 'reverse' or 'either'" in capsys.readouterr().out


def test_jacobian_cost(capsys):
    sizes = [3, 5, 1]
    assert selfcheck.jacobian_cost(sizes, "forward", 95) and selfcheck.jacobian_cost(sizes, "reverse", 45)
    assert "the forward pass (20) plus 1 VJP of 25 each" in capsys.readouterr().out
    expected_hints = [
        ("forward", 75, "add the forward pass"),
        ("forward", 45, "other mode's count"),
        ("forward", 20 + 3 * 20, "activations cost too"),
        ("forward", 20 + 25, "other mode's count"),  # for [3, 5, 1] "one product" is reverse mode's count
        ("forward", 20 + 3 * (25 + 5), "dense product of eq 6"),  # factors after W_1: diag (25), W_2 (5)
        ("reverse", 20 + 3 * 25, "other mode's count"),
        ("forward", 7, "count per vector"),
        ("forward", 95.0, "integer"),
    ]
    for mode, answer, hint in expected_hints:
        assert not selfcheck.jacobian_cost(sizes, mode, answer)
        assert hint in capsys.readouterr().out, (mode, answer, hint)
    # the lecture's slip (M JVPs) gives exactly reverse mode's count: one JVP costs what one VJP does
    assert not selfcheck.jacobian_cost([4, 8, 6, 4, 2], "jvp", 112 + 2 * 130)
    assert "slip" in capsys.readouterr().out
    assert not selfcheck.jacobian_cost([4, 8, 6, 4, 2], "forward", 112 + 130)
    assert "needs 4 of them" in capsys.readouterr().out


def test_layer_vjp_accepts_right_functions_and_names_the_mistake(capsys):
    for seed in range(3):
        assert selfcheck.layer_vjp(lc.Linear(3, 5), lambda x, theta, u: u @ theta["W"], rng=seed)
    softmax = lc.Softmax()
    assert selfcheck.layer_vjp(softmax, lambda x, theta, u: softmax.jvp(x, theta, u),  # J is symmetric
                               rng=np.random.default_rng(0))
    capsys.readouterr()
    assert not selfcheck.layer_vjp(lc.Linear(4, 4), lambda x, theta, u: theta["W"] @ u, rng=0)
    assert "that is J u, a JVP" in capsys.readouterr().out
    assert not selfcheck.layer_vjp(lc.Linear(3, 5), lambda x, theta, u: theta["W"] @ u, rng=0)
    assert "raised ValueError" in capsys.readouterr().out
    assert not selfcheck.layer_vjp(lc.Linear(3, 5), lambda x, theta, u: np.outer(u, x), rng=0)
    assert "shape (3,), got (5, 3)" in capsys.readouterr().out
    assert not selfcheck.layer_vjp(lc.Tanh(), lambda x, theta, u: u, rng=0)
    assert "expected" in capsys.readouterr().out


def test_layer_vjp_draws_its_points_from_rng():
    """The same rng gives the same points; the points are the rng's, not a hidden seed's."""
    seen = []

    def spy(x, theta, u):
        seen.append(x.copy())
        return u @ theta["W"]

    for rng in (4, 4, 5):
        assert selfcheck.layer_vjp(lc.Linear(3, 2), spy, rng=rng)
    first, again, other = seen[0:3], seen[3:6], seen[6:9]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not any(np.array_equal(a, b) for a, b in zip(first, other))


@pytest.mark.parametrize("layer", [lc.Linear(3, 5), lc.Tanh(), lc.Softmax(), lc.mlp([3, 4, 2], activation="sigmoid")],
                         ids=repr)
def test_layer_vjp_accepts_torch_func_vjp(layer, device):
    """A VJP computed by torch.func.vjp on the PyTorch twin passes the self-check (float64, every device)."""
    import torch

    from lecture_code import torch_bridge as tb

    def torch_vjp(x, theta, u):
        model = tb.twin(layer, theta, device)
        _, pullback = torch.func.vjp(model, tb.to_torch(x, device))
        return tb.to_numpy(pullback(tb.to_torch(u, device))[0])

    assert selfcheck.layer_vjp(layer, torch_vjp, rng=3)


@pytest.mark.parametrize("call,pattern", [
    (lambda: selfcheck.products_needed(0, 3, 0, 3, "forward"),
     r"products_needed expects D to be an integer >= 1, got 0"),
    (lambda: selfcheck.products_needed(3, "M", 3, 3, "forward"),
     r"products_needed expects M to be an integer >= 1, got 'M'"),
    (lambda: selfcheck.jacobian_cost([4], "forward", 1),
     r"jacobian_cost expects sizes to be a list of at least two layer widths"),
    (lambda: selfcheck.jacobian_cost([4, 2], "dense", 1),
     r"jacobian_cost expects mode to be 'forward' or 'reverse', got 'dense'"),
    (lambda: selfcheck.layer_vjp("Linear", lambda x, t, u: u, rng=0),
     r"layer_vjp expects layer to be a lecture_code layer .*got str"),
    (lambda: selfcheck.layer_vjp(lc.Tanh(), 3, rng=0),
     r"layer_vjp expects your function vjp_fn\(x, theta, u\), got int"),
    (lambda: selfcheck.layer_vjp(lc.Tanh(), lambda x, t, u: u, rng=-1),
     r"layer_vjp expects rng to be a numpy.random.Generator or a seed >= 0, got -1"),
    (lambda: selfcheck.layer_vjp(lc.Tanh(), lambda x, t, u: u, rng="SEED"),
     r"layer_vjp expects rng to be a numpy.random.Generator or a seed >= 0, got 'SEED'"),
])
def test_selfcheck_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
