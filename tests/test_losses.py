"""Losses: value and gradient against PyTorch and finite differences; stable at logits of +-1000."""

import warnings

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import torch_bridge as tb

L = lc.losses
REGRESSION = {"squared_error": L.squared_error, "mae": L.mae, "huber(0.5)": L.huber(0.5), "huber(2)": L.huber(2.0)}


def regression_data(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=shape)


def classification_data(n, c, seed=0):
    rng = np.random.default_rng(seed)
    return 3 * rng.normal(size=(n, c)), rng.integers(0, c, size=n)


def torch_value_and_grad(loss, y_hat, y, device, labels=False):
    yt = tb.to_torch(y_hat, device, requires_grad=True)
    target = torch.as_tensor(y, device=tb.pick_device(device)) if labels else tb.to_torch(y, device)
    value = tb.loss_fn(loss)(yt, target)
    value.backward()
    return value.item(), tb.to_numpy(yt.grad)


@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("shape", [(5, 3), (1, 1), (4,), (7, 1)])
def test_regression_losses_match_torch(name, shape, device):
    loss = REGRESSION[name]
    y_hat, y = regression_data(shape)
    value, grad = loss(y_hat, y)
    t_value, t_grad = torch_value_and_grad(loss, y_hat, y, device)
    assert np.isclose(value, t_value, rtol=1e-12), f"{name}: value {value} vs torch {t_value}"
    assert_allclose(grad, t_grad, rtol=1e-12, atol=1e-15, err_msg=f"{name}: gradient")


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_gradients_match_finite_differences(name):
    loss = REGRESSION[name]
    y_hat, y = regression_data((4, 3), seed=1)
    numeric = lc.numerical_jacobian(lambda z: np.array(loss.value(z, y)), y_hat)
    assert_allclose(loss.grad(y_hat, y), numeric, rtol=1e-6, atol=1e-9)


def test_squared_error_is_half_the_squared_norm_and_its_gradient_is_the_residual():
    """eqs 20 and 26 on one example."""
    y_hat, y = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    value, grad = L.squared_error(y_hat, y)
    assert value == pytest.approx(0.5 * (0.25 + 9.0), rel=1e-15)
    assert_allclose(grad, y_hat - y, rtol=0, atol=0)


def test_batch_losses_are_means_over_examples():
    y_hat, y = regression_data((6, 2), seed=2)
    for loss in REGRESSION.values():
        per_example = [loss.value(y_hat[n], y[n]) for n in range(6)]
        assert loss.value(y_hat, y) == pytest.approx(np.mean(per_example), rel=1e-13)
        assert_allclose(loss.grad(y_hat, y), np.stack([loss.grad(y_hat[n], y[n]) for n in range(6)]) / 6,
                        rtol=1e-13)


def test_huber_is_quadratic_inside_delta_and_linear_outside():
    loss = L.huber(1.0)
    assert loss.value(np.array([0.5]), np.array([0.0])) == pytest.approx(0.125)
    assert loss.value(np.array([3.0]), np.array([0.0])) == pytest.approx(2.5)
    assert_allclose(loss.grad(np.array([3.0, -3.0, 0.2]), np.zeros(3)), [1.0, -1.0, 0.2])


def test_mae_gradient_is_zero_where_prediction_equals_target():
    assert_allclose(L.mae.grad(np.array([1.0, 2.0, 0.0]), np.array([1.0, 0.0, 3.0])), [0.0, 1.0, -1.0])


@pytest.mark.parametrize("n,c", [(6, 4), (1, 3), (5, 1), (3, 2)])
def test_cross_entropy_matches_torch_with_labels_and_one_hot(n, c, device):
    logits, labels = classification_data(n, c, seed=n)
    loss = L.softmax_cross_entropy
    value, grad = loss(logits, labels)
    t_value, t_grad = torch_value_and_grad(loss, logits, labels, device, labels=True)
    assert np.isclose(value, t_value, rtol=1e-12, atol=1e-15)
    assert_allclose(grad, t_grad, rtol=1e-12, atol=1e-15)
    one_hot = np.eye(c)[labels]
    value_oh, grad_oh = loss(logits, one_hot)
    assert value_oh == pytest.approx(value, rel=1e-14) and np.allclose(grad_oh, grad, rtol=0, atol=1e-16)


def test_cross_entropy_with_soft_targets_matches_torch(device):
    logits, _ = classification_data(4, 3, seed=3)
    targets = np.random.default_rng(4).dirichlet(np.ones(3), size=4)
    value, grad = L.softmax_cross_entropy(logits, targets)
    t_value, t_grad = torch_value_and_grad(L.softmax_cross_entropy, logits, targets, device)
    assert np.isclose(value, t_value, rtol=1e-12)
    assert_allclose(grad, t_grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_gradient_is_softmax_minus_target_over_n():
    logits, labels = classification_data(5, 3, seed=5)
    expected = (lc.Softmax().forward(logits) - np.eye(3)[labels]) / 5
    assert_allclose(L.softmax_cross_entropy.grad(logits, labels), expected, rtol=1e-14, atol=1e-16)
    numeric = lc.numerical_jacobian(lambda z: np.array(L.softmax_cross_entropy.value(z, labels)), logits)
    assert_allclose(expected, numeric, rtol=1e-6, atol=1e-9)


def test_cross_entropy_of_one_example_takes_a_scalar_label():
    logits = np.array([2.0, -1.0, 0.5])
    value, grad = L.softmax_cross_entropy(logits, 0)
    assert value == pytest.approx(-np.log(np.exp(2.0) / np.exp(logits).sum()), rel=1e-14)
    assert grad.shape == (3,)


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_extreme_logits_give_finite_values_and_gradients_without_warnings(scale, device):
    logits = np.array([[scale, 0.0, -scale], [scale, scale, 0.0], [-scale, -scale, -scale]])
    labels = np.array([2, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            value, grad = L.softmax_cross_entropy(logits, labels)
    assert np.isfinite(value) and np.isfinite(grad).all()
    t_value, t_grad = torch_value_and_grad(L.softmax_cross_entropy, logits, labels, device, labels=True)
    assert np.isclose(value, t_value, rtol=1e-12)
    assert_allclose(grad, t_grad, rtol=1e-12, atol=1e-15)


def test_loss_objects_have_readable_names():
    assert repr(L.squared_error) == "squared_error" and repr(L.huber(0.5)) == "huber(delta=0.5)"
