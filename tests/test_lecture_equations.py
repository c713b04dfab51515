"""Equations of the lecture that no other test states on its own, each checked as the slides write it."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import params, training
from lecture_code import torch_bridge as tb


@pytest.fixture
def lecture_net():
    net = lc.mlp([4, 8, 6, 4, 2])
    thetas = net.init(0)
    x = np.random.default_rng(1).normal(size=4)
    return net, thetas, x


def test_eq7_rows_are_output_gradients_and_columns_are_input_derivatives(lecture_net, device):
    net, thetas, x = lecture_net
    J = net.jacobian(x, thetas)
    module = tb.twin(net, thetas, device)
    for i in range(2):  # row i: the gradient of output i, from PyTorch's backward()
        xt = tb.to_torch(x, device, requires_grad=True)
        module(xt)[i].backward()
        assert_allclose(J[i], tb.to_numpy(xt.grad), rtol=1e-12, atol=1e-14, err_msg=f"row {i}")
    for j in range(4):  # column j: how every output moves when x_j alone moves
        e = np.eye(4)[j]
        slope = (net.forward(x + 1e-6 * e, thetas) - net.forward(x - 1e-6 * e, thetas)) / 2e-6
        assert_allclose(J[:, j], slope, rtol=1e-6, atol=1e-9, err_msg=f"column {j}")


def test_eq8_the_gradient_matrix_is_the_transposed_jacobian(lecture_net, device):
    net, thetas, x = lecture_net
    module = tb.twin(net, thetas, device)
    grads = []
    for i in range(2):
        xt = tb.to_torch(x, device, requires_grad=True)
        module(xt)[i].backward()
        grads.append(tb.to_numpy(xt.grad))
    assert_allclose(np.stack(grads, axis=1), net.jacobian(x, thetas).T, rtol=1e-12, atol=1e-14)


def test_eqs10_and_12_one_hot_vectors_pick_rows_and_columns(lecture_net):
    net, thetas, x = lecture_net
    J = net.jacobian(x, thetas)
    for i in range(2):
        assert_allclose(net.vjp(x, thetas, np.eye(2)[i])[0], J[i], rtol=1e-13, atol=1e-15)
    for j in range(4):
        assert_allclose(net.jvp(x, thetas, np.eye(4)[j]), J[:, j], rtol=1e-13, atol=1e-15)


def test_eq24_the_loss_derivative_is_the_transposed_gradient_a_row_of_d_k_entries():
    net = lc.mlp([3, 5, 1])
    thetas = net.init(2)
    X, Y = np.random.default_rng(3).normal(size=(4, 3)), np.random.default_rng(4).normal(size=(4, 1))
    _, grads = lc.backprop(net, thetas, X, Y, lc.losses.squared_error)
    w = params.flatten(thetas)

    def loss_of(v):
        return np.array([lc.losses.squared_error.value(net.forward(X, params.unflatten(v, thetas)), Y)])

    dL_dtheta = lc.numerical_jacobian(loss_of, w)  # shape (1, d): a row vector
    assert dL_dtheta.shape == (1, params.count(thetas))
    assert_allclose(dL_dtheta[0], params.flatten(grads), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("regime,batch_size", [("batch", None), ("stochastic", None), ("minibatch", 3)])
def test_eqs29_30_32_each_update_subtracts_rho_times_the_averaged_gradient(regime, batch_size):
    """eq 29 (all N), eq 30 (one example n), eq 32 (a mini-batch B_t, summing L_n): theta - rho * mean."""
    net = lc.mlp([2, 3, 1], activation="tanh")
    start = net.init(5)
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(7, 2)), rng.normal(size=(7, 1))
    rho = 0.1
    trained, _ = training.train(net, start, X, Y, lc.losses.squared_error, regime=regime, batch_size=batch_size,
                                lr=rho, epochs=1, rng=8)
    thetas = start
    for idx in training.batch_order(7, regime, batch_size, 1, rng=8)[0]:
        per_example = [lc.backprop(net, thetas, X[n], Y[n], lc.losses.squared_error)[1] for n in idx]
        mean = params.unflatten(np.mean([params.flatten(g) for g in per_example], axis=0), thetas)
        thetas = params.tree_map(lambda t, g: t - rho * g, thetas, mean)
    assert_allclose(params.flatten(trained), params.flatten(thetas), rtol=1e-12, atol=1e-14)


def test_eq34_softmax_as_written():
    a = np.array([1.0, -0.5, 2.0])
    assert_allclose(lc.Softmax().forward(a), np.exp(a) / np.exp(a).sum(), rtol=1e-15)


def test_eq35_categorical_cross_entropy_as_written(device):
    a = np.array([[1.0, -0.5, 2.0], [0.3, 0.2, -1.0]])
    y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    p = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    by_hand = np.mean(-(y * np.log(p)).sum(axis=1))  # eq 35 for each example, averaged over the batch
    assert lc.losses.softmax_cross_entropy.value(a, y) == pytest.approx(by_hand, rel=1e-14)
    at = tb.to_torch(a, device)
    assert torch.nn.CrossEntropyLoss()(at, tb.to_torch(y, device)).item() == pytest.approx(by_hand, rel=1e-12)
