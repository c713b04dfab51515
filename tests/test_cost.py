"""lecture_code.cost: exact multiply-add counts of forward mode, reverse mode and the dense product of eq 6."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import cost

from cases import chapter1_net

LECTURE = [4, 8, 6, 4, 2]
RNG_SIZES = [[1, 1], [1, 5, 1], [3, 1, 4], [7, 2, 9, 3], [4, 8, 6, 4, 2], [2, 3, 3, 3, 3, 6], [10, 1]]


def setup(sizes, seed=0, activation="relu"):
    net = lc.mlp(sizes, activation=activation)
    rng = np.random.default_rng(seed)
    thetas = net.init(rng)
    return net, thetas, rng.normal(size=sizes[0])


# -- the formulas, against counts done by hand ------------------------------------------
def test_lecture_network_counts_by_hand():
    assert cost.forward_pass(LECTURE) == 32 + 48 + 24 + 8 == 112
    assert cost.jvps(LECTURE) == cost.vjps(LECTURE) == 112 + 8 + 6 + 4 == 130
    assert cost.jvps(LECTURE, 4) == 520 and cost.vjps(LECTURE, 2) == 260
    assert cost.jacobian(LECTURE, "forward") == 112 + 4 * 130
    assert cost.jacobian(LECTURE, "reverse") == 112 + 2 * 130
    # dense factors, in the order they act: W1 32, diag 64, W2 48, diag 36, W3 24, diag 16, W4 8
    assert cost.dense_product(LECTURE, "right") == 4 * (64 + 48 + 36 + 24 + 16 + 8)
    assert cost.dense_product(LECTURE, "left") == 2 * (32 + 64 + 48 + 36 + 24 + 16)
    assert cost.jacobian(LECTURE, "dense") == 112 + 784


def test_parameter_part_doubles_the_linear_work_and_bare_chains_drop_the_masks():
    assert cost.vjps(LECTURE, 3, parameters=True) == 3 * (2 * 112 + 18)
    assert cost.jvps(LECTURE, 2, activations=False) == cost.vjps(LECTURE, 2, activations=False) == 2 * 112
    # bare chain [2, 3, 4, 5]: factors of 6, 12, 20 entries
    assert cost.dense_product([2, 3, 4, 5], "right", activations=False) == 2 * (12 + 20)
    assert cost.dense_product([2, 3, 4, 5], "left", activations=False) == 5 * (6 + 12)


@pytest.mark.parametrize("d,h,m", [(1, 1, 1), (4, 8, 2), (1000, 100, 1), (3, 7, 11)])
def test_closed_forms_for_one_hidden_layer(d, h, m):
    one = d * h + h + h * m
    assert cost.jacobian([d, h, m], "forward") == d * h + h * m + d * one
    assert cost.jacobian([d, h, m], "reverse") == d * h + h * m + m * one
    assert cost.jacobian([d, h, m], "dense") == d * h + h * m + d * (h * h + h * m)


def test_modes_cross_exactly_at_d_equals_m():
    for n in (1, 10, 999, 1000, 1001, 3000):
        fwd, rev = cost.jacobian([1000, 50, n], "forward"), cost.jacobian([1000, 50, n], "reverse")
        assert (rev < fwd) == (n < 1000) and (rev == fwd) == (n == 1000), n


def test_dense_product_counts_a_real_matrix_chain():
    """Multiply random dense factors in either order and count r*c*k for every product made."""
    sizes = [3, 5, 2, 4]
    rng = np.random.default_rng(0)
    factors = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        factors.append(rng.normal(size=(b, a)))
        factors.append(np.diag(rng.normal(size=b)))
    factors.pop()  # no activation after the last layer
    right, n_right = factors[0], 0
    for F in factors[1:]:
        n_right += F.shape[0] * F.shape[1] * right.shape[1]
        right = F @ right
    left, n_left = factors[-1], 0
    for F in reversed(factors[:-1]):
        n_left += left.shape[0] * F.shape[0] * F.shape[1]
        left = left @ F
    assert_allclose(left, right, rtol=1e-12, err_msg="both orders give the same product")
    assert cost.dense_product(sizes, "right") == n_right
    assert cost.dense_product(sizes, "left") == n_left


# -- the formulas, against the multiplications NumPy performs --------------------------
@pytest.mark.parametrize("sizes", RNG_SIZES, ids=str)
@pytest.mark.parametrize("mode", cost.MODES)
def test_count_multiplies_equals_the_formula_for_relu_mlps(sizes, mode):
    net, thetas, x = setup(sizes)
    J, n = cost.count_multiplies(net, thetas, x, mode)
    assert n == cost.jacobian(sizes, mode), f"{mode} on {sizes}: NumPy did {n}"
    assert type(J) is np.ndarray
    assert_allclose(J, net.jacobian(x, thetas), rtol=1e-12, atol=1e-14, err_msg=f"{mode} Jacobian on {sizes}")


@pytest.mark.parametrize("mode", cost.MODES)
def test_count_multiplies_for_a_bare_chain_and_a_nested_network(mode):
    chain = lc.Sequential([lc.Linear(4, 8), lc.Linear(8, 6), lc.Linear(6, 2)])
    thetas = chain.init(1)
    _, n = cost.count_multiplies(chain, thetas, np.ones(4), mode)
    assert n == cost.jacobian([4, 8, 6, 2], mode, activations=False)
    nested = chapter1_net()  # f4 o f3 o f2 o f1, each f_l a Sequential of its own
    thetas = nested.init(0)
    x = np.random.default_rng(1).normal(size=4)
    J, n = cost.count_multiplies(nested, thetas, x, mode)
    assert n == cost.jacobian(LECTURE, mode)
    assert_allclose(J, nested.jacobian(x, thetas), rtol=1e-12, atol=1e-14, err_msg=mode)


def test_count_multiplies_of_one_linear_layer():
    layer = lc.Linear(3, 5)
    theta = layer.init(0)
    # forward pass 15, then D = 3 JVPs (15 each) or M = 5 VJPs (15 each); dense: nothing to multiply
    assert cost.count_multiplies(layer, theta, np.ones(3), "forward")[1] == 15 + 3 * 15
    assert cost.count_multiplies(layer, theta, np.ones(3), "reverse")[1] == 15 + 5 * 15
    J, n = cost.count_multiplies(layer, theta, np.ones(3), "dense")
    assert n == 15
    assert_allclose(J, theta["W"], rtol=0, atol=0, err_msg="a linear layer's Jacobian is W")


# -- the strategies, run --------------------------------------------------------------
@pytest.mark.parametrize("activation,out", [("relu", None), ("tanh", None), ("sigmoid", "softmax")])
@pytest.mark.parametrize("mode", cost.MODES)
def test_jacobian_by_equals_eq6_and_finite_differences(activation, out, mode):
    net = lc.mlp([3, 5, 4, 3], activation=activation, output_activation=out)
    rng = np.random.default_rng(2)
    thetas = net.init(rng)
    x = rng.normal(size=3)
    J = cost.jacobian_by(net, thetas, x, mode)
    assert J.shape == (3, 3)
    assert_allclose(J, net.jacobian(x, thetas), rtol=1e-12, atol=1e-14, err_msg=f"{mode} vs eq 6")
    J_num = lc.numerical_jacobian(lambda z: net.forward(z, thetas), x)
    assert_allclose(J, J_num, rtol=1e-6, atol=1e-8, err_msg=f"{mode} vs finite differences")


def test_jacobian_by_leaves_its_inputs_alone():
    net, thetas, x = setup([4, 6, 3])
    before = [dict((k, v.copy()) for k, v in th.items()) for th in thetas], x.copy()
    for mode in cost.MODES:
        cost.jacobian_by(net, thetas, x, mode)
    assert np.array_equal(x, before[1])
    for th, th0 in zip(thetas, before[0]):
        for key in th:
            assert np.array_equal(th[key], th0[key])


@pytest.mark.parametrize("mode", cost.MODES)
def test_jacobian_by_against_torch(mode, device):
    import torch

    from lecture_code import torch_bridge as tb

    net, thetas, x = setup([5, 7, 3, 2], seed=4)
    model = tb.twin(net, thetas, device)
    x_t = tb.to_torch(x, device)
    J_fwd = tb.to_numpy(torch.func.jacfwd(model)(x_t))
    J_rev = tb.to_numpy(torch.func.jacrev(model)(x_t))
    J = cost.jacobian_by(net, thetas, x, mode)
    assert_allclose(J, J_fwd, rtol=1e-12, atol=1e-14, err_msg=f"{mode} vs torch.func.jacfwd on {device}")
    assert_allclose(J, J_rev, rtol=1e-12, atol=1e-14, err_msg=f"{mode} vs torch.func.jacrev on {device}")


# -- bad input ------------------------------------------------------------------------
NET, THETAS, X = setup([4, 3, 2])


@pytest.mark.parametrize("call,pattern", [
    (lambda: cost.forward_pass([4]), r"at least two layer widths \[D, \.\.\., M\], got \[4\]"),
    (lambda: cost.jvps([4, 0, 2]), r"lecture_code.cost expects sizes\[1\] to be an integer >= 1, got 0"),
    (lambda: cost.jvps(LECTURE, 0), r"expects k to be an integer >= 1, got 0"),
    (lambda: cost.vjps(LECTURE, 2.5), r"expects k to be an integer >= 1, got 2.5"),
    (lambda: cost.dense_product(LECTURE, "middle"), r"dense_product expects order to be one of \['right', 'left'\], got 'middle'"),
    (lambda: cost.jacobian(LECTURE, "sideways"), r"expects mode to be one of \['forward', 'reverse', 'dense'\], got 'sideways'"),
    (lambda: cost.jacobian("4-8-2", "forward"), r"at least two layer widths"),
    (lambda: cost.jacobian_by(NET, THETAS, np.ones((2, 4)), "forward"), r"takes a Jacobian at one example: it expects x of shape \(D,\), got \(2, 4\)"),
    (lambda: cost.jacobian_by(NET, THETAS, np.ones(3), "forward"), r"expects x of shape \(4,\) or \(N, 4\).*got \(3,\)"),
    (lambda: cost.jacobian_by(NET, THETAS[:1], X, "reverse"), r"expects thetas as a list of 3 entries"),
    (lambda: cost.jacobian_by(np.tanh, {}, X, "reverse"), r"expects a lecture_code Layer .*got ufunc"),
    (lambda: cost.count_multiplies(NET, THETAS, X, "both"), r"expects mode to be one of"),
    (lambda: cost.count_multiplies(NET, THETAS, np.array([1.0, np.nan, 0, 0]), "dense"), r"x must be finite"),
])
def test_cost_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
