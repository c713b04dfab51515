"""lecture_code.checks: the chapters' one comparison, on arrays, numbers and parameter trees."""

import numpy as np
import pytest

import lecture_code as lc
from lecture_code import checks


def tree(shift=0.0):
    return [{"W": np.arange(6.0).reshape(2, 3) + shift, "b": np.zeros(2)}, {}, {"W": np.full((1, 2), 1e3)}]


def test_equal_trees_agree_and_a_single_changed_entry_does_not():
    assert checks.agree(tree(), tree()) and checks.max_difference(tree(), tree()) == 0.0
    changed = tree()
    changed[2]["W"][0, 1] += 1e-6
    assert not checks.agree(changed, tree(), tol=1e-12)
    assert checks.max_difference(changed, tree()) == pytest.approx(1e-6, rel=1e-6)


def test_the_tolerance_is_relative_with_an_absolute_floor_of_tol():
    assert checks.agree(1e3 + 1e-10, 1e3, tol=1e-12), "1e-10 on 1e3 is 1e-13 relative"
    assert not checks.agree(1e-3 + 1e-11, 1e-3, tol=1e-12), "near zero the floor is absolute"
    assert checks.agree(1e-13, 0.0, tol=1e-12) and not checks.agree(2e-12, 0.0, tol=1e-12)
    assert checks.agree(np.array([1.0, 2.0]), np.array([1.0, 2.0]), tol=0)


def test_a_nan_or_an_infinity_never_agrees():
    assert not checks.agree(np.array([np.nan]), np.array([np.nan]))
    assert not checks.agree(np.inf, np.inf)


def test_compare_prints_the_verdict_and_where_it_failed(capsys):
    assert checks.compare("ours and theirs", tree(), tree(1e-14))
    assert capsys.readouterr().out == "ours and theirs agree to 1e-12: True\n"
    wrong = tree()
    wrong[0]["b"][1] = 0.5
    assert not checks.compare("ours and theirs", wrong, tree(), tol=1e-10)
    out = capsys.readouterr().out
    assert out.startswith("ours and theirs agree to 1e-10: False (worst at ours[0]['b']: scaled difference 0.5)")
    assert not checks.compare("x", np.array([np.nan]), np.array([0.0]))
    assert "not finite" in capsys.readouterr().out


def test_torch_tensors_can_be_compared_with_arrays():
    torch = pytest.importorskip("torch")
    assert checks.agree(torch.arange(3, dtype=torch.float64), np.arange(3.0))


@pytest.mark.parametrize("call, message", [
    (lambda: checks.agree(np.ones(2), np.ones(3)), r"expects ours to have the reference's shape \(3,\), got \(2,\)"),
    (lambda: checks.agree({"W": 1.0}, {"b": 1.0}), r"expects ours to be a dict with the keys \['b'\], got \['W'\]"),
    (lambda: checks.agree([1.0], [1.0, 2.0]), r"expects ours\s+to be a sequence of length 2, got length 1"),
    (lambda: checks.agree([{"W": np.ones(2)}], [{"W": np.ones((2, 1))}]),
     r"expects ours\[0\]\['W'\] to have the reference's shape \(2, 1\), got \(2,\)"),
    (lambda: checks.agree("1.0", 1.0), r"expects ours to be an array or a number .* got str"),
    (lambda: checks.agree(np.array(["a"]), np.array(["a"])), r"expects ours to hold numbers, got dtype <U1"),
    (lambda: checks.agree(1.0, 1.0, tol=-1e-3), r"expects tol to be a number in \[0, 1\), got -0.001"),
    (lambda: checks.agree(1.0, 1.0, tol=np.nan), r"expects tol to be a number in \[0, 1\), got nan"),
    (lambda: checks.compare("", 1.0, 1.0), r"expects a label \(a non-empty str\) first, got ''"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_backprop_reference_is_what_backprop_computes(device):
    tb = pytest.importorskip("lecture_code.torch_bridge")
    net = lc.mlp([3, 4, 2], "tanh")
    thetas = net.init(0)
    rng = np.random.default_rng(1)
    X, labels = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    for loss, Y in ((lc.losses.squared_error, rng.normal(size=(5, 2))), (lc.losses.softmax_cross_entropy, labels)):
        value, grads = lc.backprop(net, thetas, X, Y, loss)
        t_value, t_grads = tb.backprop_reference(net, thetas, X, Y, loss, device)
        assert checks.agree(value, t_value) and checks.agree(grads, t_grads)
    with pytest.raises(ValueError, match="backprop_reference expects a lecture_code loss, got function"):
        tb.backprop_reference(net, thetas, X, labels, lambda a, b: 0.0, device)
