"""Sequential as a composition: eq 6's product, the stored activations, and the sizes it infers."""

import numpy as np
import pytest
from cases import chapter1_net
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import torch_bridge as tb


def test_jacobian_is_the_product_of_layer_jacobians():
    """eq 6: J = J_7 J_6 ... J_1 for the flat 4-8-6-4-2 network, each J_k at its own input."""
    net = lc.mlp([4, 8, 6, 4, 2])
    thetas = net.init(0)
    x = np.random.default_rng(1).normal(size=4)
    Js = net.layer_jacobians(x, thetas)
    assert [J.shape for J in Js] == [(8, 4), (8, 8), (6, 8), (6, 6), (4, 6), (4, 4), (2, 4)]
    product = Js[6] @ Js[5] @ Js[4] @ Js[3] @ Js[2] @ Js[1] @ Js[0]
    assert_allclose(net.jacobian(x, thetas), product, rtol=1e-14, atol=1e-16)
    # the ReLU factors are diagonal 0/1 matrices
    for J in Js[1::2]:
        assert np.array_equal(J, np.diag(np.diag(J))) and set(np.diag(J)) <= {0.0, 1.0}


def test_activations_match_the_twin_layer_by_layer(device):
    net = chapter1_net()
    thetas = net.init(2)
    X = np.random.default_rng(3).normal(size=(5, 4))
    xs = net.activations(X, thetas)
    module = tb.twin(net, thetas, device)
    h = tb.to_torch(X, device)
    assert_allclose(xs[0], X, rtol=0, atol=0)
    for k, sub in enumerate(module):
        h = sub(h)
        assert_allclose(xs[k + 1], tb.to_numpy(h), rtol=1e-12, atol=1e-14, err_msg=f"x_{k + 2}")


def test_nesting_does_not_change_the_function():
    nested = chapter1_net()
    thetas = nested.init(4)
    flat = lc.mlp([4, 8, 6, 4, 2])
    flat_thetas = [thetas[0][0], {}, thetas[1][0], {}, thetas[2][0], {}, thetas[3]]
    X = np.random.default_rng(5).normal(size=(3, 4))
    assert np.array_equal(nested.forward(X, thetas), flat.forward(X, flat_thetas))
    assert_allclose(nested.jacobian(X[0], thetas), flat.jacobian(X[0], flat_thetas), rtol=1e-14, atol=1e-16)


def test_sizes_are_inferred_through_width_preserving_layers():
    net = lc.Sequential([lc.Tanh(), lc.Linear(3, 5), lc.ReLU(), lc.Softmax()])
    assert (net.d_in, net.d_out, net.output_size(3)) == (3, 5, 5)
    free = lc.Sequential([lc.ReLU(), lc.Softmax()])
    assert (free.d_in, free.d_out, free.output_size(7)) == (None, None, 7)
    assert len(lc.mlp([2, 3, 4, 1])) == 5
    assert isinstance(lc.mlp([2, 3], output_activation="softmax").layers[-1], lc.Softmax)


@pytest.mark.parametrize("call,pattern", [
    (lambda: lc.mlp([4, 2]).activations(np.ones(5), [lc.Linear(4, 2).init(0)]), r"expects x of shape \(4,\).*got \(5,\)"),
    (lambda: lc.mlp([4, 2]).layer_jacobians(np.ones(4), []), r"list of 1 entries"),
    (lambda: lc.mlp([4, 2]).output_size(3), r"Linear\(4 -> 2\) expects inputs of width 4, got 3"),
])
def test_sequential_extras_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
