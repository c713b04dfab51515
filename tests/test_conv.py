"""Conv1D and Conv2D (chapter 8): against torch.nn.functional.conv1d/conv2d, their banded structure, bad input.

The generic checks (consistency, finite differences, torch.func) run over these layers in
tests/test_layers.py, whose cases (tests/cases.py) include them."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose

from cases import banded_matrix, flat

import lecture_code as lc
from lecture_code import torch_bridge as tb

TIGHT = dict(rtol=1e-10, atol=1e-12)  # same arithmetic, different order: only rounding may differ


# -- against PyTorch, on every available device -----------------------------------------------------


def test_conv1d_is_torch_functional_conv1d_on_the_unflattened_signal(device):
    """eq 8.1 with PyTorch's layouts: x flattened from (C_in, L) row-major, y from (C_out, L_out)."""
    layer = lc.Conv1D(2, 3, 4, 9, padding=1)
    theta = layer.init(11)
    X = np.random.default_rng(12).normal(size=(5, 2, 9))   # (N, C_in, L)
    want = F.conv1d(tb.to_torch(X, device), tb.to_torch(theta["W"], device), tb.to_torch(theta["b"], device), padding=1)
    got = layer.forward(X.reshape(5, -1), theta)
    assert want.shape == (5, *layer.out_shape) == (5, 3, 8)
    assert_allclose(got.reshape(5, *layer.out_shape), tb.to_numpy(want), **TIGHT, err_msg="F.conv1d")


def test_conv2d_is_torch_functional_conv2d_on_the_unflattened_image(device):
    layer = lc.Conv2D(3, 2, (2, 3), (5, 4), padding=1)
    theta = layer.init(13)
    X = np.random.default_rng(14).normal(size=(4, 3, 5, 4))   # (N, C_in, H, W)
    want = F.conv2d(tb.to_torch(X, device), tb.to_torch(theta["W"], device), tb.to_torch(theta["b"], device), padding=1)
    got = layer.forward(X.reshape(4, -1), theta)
    assert want.shape == (4, *layer.out_shape) == (4, 2, 6, 4)
    assert_allclose(got.reshape(4, *layer.out_shape), tb.to_numpy(want), **TIGHT, err_msg="F.conv2d")


def test_twin_holds_the_same_parameters(device):
    layer = lc.Sequential([lc.Conv1D(2, 3, 3, 7), lc.ReLU(), lc.Linear(15, 1)])
    thetas = layer.init(15)
    module = tb.twin(layer, thetas, device)
    assert isinstance(module[0].inner, torch.nn.Conv1d)
    assert_allclose(flat(tb.thetas_of(layer, module)), flat(thetas), rtol=0, atol=0)
    with pytest.raises(ValueError, match="no gradient yet"):
        tb.thetas_of(layer, module, grad=True)


def test_backprop_through_a_conv_net_matches_torch_and_finite_differences(device):
    """A convolution is one more layer in the same reverse sweep: lc.backprop and check_gradients as for an MLP."""
    net = lc.Sequential([lc.Conv1D(1, 4, 5, 12), lc.Tanh(), lc.Linear(32, 1)])
    thetas = net.init(16)
    rng = np.random.default_rng(17)
    X, Y = rng.normal(size=(6, 12)), rng.normal(size=(6, 1))
    loss = lc.losses.squared_error
    value, grads = lc.backprop(net, thetas, X, Y, loss)
    module = tb.twin(net, thetas, device)
    torch_loss = tb.loss_fn(loss)(module(tb.to_torch(X, device)), tb.to_torch(Y, device))
    torch_loss.backward()
    assert np.isclose(value, torch_loss.item(), rtol=1e-13), "loss"
    assert_allclose(flat(grads), flat(tb.thetas_of(net, module, grad=True)), **TIGHT, err_msg="backprop vs autograd")
    assert lc.check_gradients(net, thetas, X, Y, loss).ok


# -- what a convolution is: a banded, weight-shared linear map --------------------------------------


def test_one_channel_jacobian_is_the_banded_matrix_of_its_kernel():
    layer = lc.Conv1D(1, 1, 3, 10)
    theta = layer.init(18)
    x = np.random.default_rng(19).normal(size=10)
    J = layer.jacobian(x, theta)
    assert_allclose(J, banded_matrix(theta["W"][0, 0], 10), rtol=0, atol=0, err_msg="J is not the kernel's banded matrix")
    assert_allclose(layer.forward(x, theta), J @ x + theta["b"][0], **TIGHT, err_msg="y = J x + b")
    assert_allclose(layer.jacobian(2.0 * x + 1.0, theta), J, rtol=0, atol=0, err_msg="J depends on x")


def test_multichannel_jacobian_is_a_grid_of_banded_blocks():
    layer = lc.Conv1D(2, 3, 3, 6)
    theta = layer.init(20)
    J = layer.jacobian(np.zeros(12), theta).reshape(3, 4, 2, 6)   # (C_out, L_out, C_in, L)
    for o in range(3):
        for c in range(2):
            assert_allclose(J[o, :, c, :], banded_matrix(theta["W"][o, c], 6), rtol=0, atol=0, err_msg=f"block ({o}, {c})")


def test_one_channel_vjps_are_a_full_convolution_and_a_correlation():
    """eq 8.2: x_bar = u convolved with w (the kernel flipped), W_bar = x correlated with u."""
    layer = lc.Conv1D(1, 1, 4, 11)
    theta = layer.init(21)
    rng = np.random.default_rng(22)
    x, u = rng.normal(size=11), rng.normal(size=8)
    x_bar, g = layer.vjp(x, theta, u)
    assert_allclose(x_bar, np.convolve(u, theta["W"][0, 0], mode="full"), **TIGHT, err_msg="x_bar")
    assert_allclose(g["W"][0, 0], np.correlate(x, u, mode="valid"), **TIGHT, err_msg="W_bar")
    assert_allclose(g["b"], [u.sum()], **TIGHT, err_msg="b_bar")


def test_conv2d_rows_touch_one_patch_each():
    layer = lc.Conv2D(2, 1, 3, (5, 5))
    J = layer.jacobian(np.zeros(50), layer.init(23))
    assert J.shape == (9, 50)
    assert ((J != 0).sum(axis=1) == 2 * 3 * 3).all(), "each output sees C_in * KH * KW inputs"
    first = np.zeros((2, 5, 5), dtype=bool)
    first[:, :3, :3] = True
    assert ((J[0] != 0).reshape(2, 5, 5) == first).all(), "output (0, 0) sees the top-left 3x3 patch"


def test_padding_adds_zero_inputs_at_both_ends():
    padded, plain = lc.Conv1D(1, 1, 3, 6, padding=1), lc.Conv1D(1, 1, 3, 8)
    theta = padded.init(24)
    x = np.random.default_rng(25).normal(size=6)
    assert padded.out_shape == (1, 6)
    assert_allclose(padded.forward(x, theta), plain.forward(np.r_[0.0, x, 0.0], theta), **TIGHT)


def test_shapes_and_init():
    layer = lc.Conv1D(2, 3, 4, 10, padding=1)
    assert (layer.in_shape, layer.out_shape, layer.d_in, layer.d_out) == ((2, 10), (3, 9), 20, 27)
    assert repr(layer) == "Conv1D(2x10 -> 3x9, Q=4, padding=1)"
    a, b = layer.init(3), layer.init(np.random.default_rng(3))
    assert_allclose(a["W"], b["W"], rtol=0, atol=0)
    assert a["W"].shape == (3, 2, 4) and a["b"].shape == (3,)
    bound = 1 / np.sqrt(2 * 4)   # PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in K
    assert np.abs(a["W"]).max() <= bound and np.abs(a["W"]).max() > 0.5 * bound
    assert not np.allclose(layer.init(4)["W"], a["W"])
    image = lc.Conv2D(1, 2, (3, 2), (6, 5))
    assert (image.in_shape, image.out_shape) == ((1, 6, 5), (2, 4, 4))
    assert repr(image) == "Conv2D(1x6x5 -> 2x4x4, Q=3x2)"


# -- bad input --------------------------------------------------------------------------------------

BAD = [
    ("x of the wrong width", lambda: lc.Conv1D(2, 3, 3, 10).forward(np.ones(19), lc.Conv1D(2, 3, 3, 10).init(0)),
     r"Conv1D\(2x10 -> 3x8, Q=3\) expects x of shape \(20,\) or \(N, 20\) with N >= 1: signals \(C_in, L\) = \(2, 10\) "
     r"flattened row-major, got \(19,\)"),
    ("x unflattened", lambda: lc.Conv1D(2, 3, 3, 10).forward(np.ones((1, 2, 10)), lc.Conv1D(2, 3, 3, 10).init(0)),
     r"expects x of shape \(20,\) or \(N, 20\).*got \(1, 2, 10\)"),
    ("image of the wrong size", lambda: lc.Conv2D(1, 1, 2, (3, 4)).forward(np.ones(16), lc.Conv2D(1, 1, 2, (3, 4)).init(0)),
     r"expects x of shape \(12,\) or \(N, 12\) with N >= 1: images \(C_in, H, W\) = \(1, 3, 4\) flattened row-major, got \(16,\)"),
    ("non-finite x", lambda: lc.Conv1D(1, 1, 2, 3).forward([1.0, np.nan, 0.0], lc.Conv1D(1, 1, 2, 3).init(0)),
     r"x must be finite"),
    ("kernel longer than the signal", lambda: lc.Conv1D(1, 1, 5, 3),
     r"Conv1D kernel_size \(5,\) does not fit the input of size \(3,\) padded by 0 to \(3,\)"),
    ("kernel longer than the padded signal", lambda: lc.Conv1D(1, 1, 6, 3, padding=1),
     r"kernel_size \(6,\) does not fit the input of size \(3,\) padded by 1 to \(5,\)"),
    ("kernel taller than the image", lambda: lc.Conv2D(1, 1, (4, 2), (3, 5)),
     r"Conv2D kernel_size \(4, 2\) does not fit the input of size \(3, 5\)"),
    ("zero channels", lambda: lc.Conv1D(0, 1, 1, 3), r"Conv1D expects in_channels to be an integer >= 1, got 0"),
    ("kernel size zero", lambda: lc.Conv1D(1, 1, 0, 3), r"Conv1D expects kernel_size to be an integer >= 1, got 0"),
    ("float length", lambda: lc.Conv1D(1, 1, 2, 3.0), r"Conv1D expects the input size to be an integer >= 1, got 3.0"),
    ("negative padding", lambda: lc.Conv1D(1, 1, 2, 3, padding=-1), r"Conv1D expects padding to be an integer >= 0, got -1"),
    ("bool padding", lambda: lc.Conv1D(1, 1, 2, 3, padding=True), r"expects padding to be an integer >= 0, got True"),
    ("Conv2D kernel of three sizes", lambda: lc.Conv2D(1, 1, (2, 2, 2), (4, 4)),
     r"Conv2D expects kernel_size Q or \(Q_H, Q_W\) and size \(H, W\), got kernel_size=\(2, 2, 2\)"),
    ("Conv2D size of one number", lambda: lc.Conv2D(1, 1, 2, 4), r"and size \(H, W\), got kernel_size=2, size=4"),
    ("kernel of the wrong shape", lambda: lc.Conv1D(2, 3, 3, 10).forward(np.ones(20), {"W": np.ones((3, 2, 4)), "b": np.ones(3)}),
     r"expects theta\['W'\] of shape \(3, 2, 3\), got \(3, 2, 4\)"),
    ("kernel in the wrong layout", lambda: lc.Conv1D(2, 3, 3, 10).forward(np.ones(20), {"W": np.ones((2, 3, 3)), "b": np.ones(3)}),
     r"expects theta\['W'\] of shape \(3, 2, 3\), got \(2, 3, 3\)"),
    ("missing bias", lambda: lc.Conv1D(1, 1, 2, 3).forward(np.ones(3), {"W": np.ones((1, 1, 2))}),
     r"expects theta as a dict with keys \['W', 'b'\], got \['W'\]"),
    ("cotangent of the wrong shape", lambda: lc.Conv1D(1, 2, 2, 4).vjp(np.ones(4), lc.Conv1D(1, 2, 2, 4).init(0), np.ones(8)),
     r"vjp expects u of shape \(6,\) or \(K, 6\) for x of shape \(4,\), got \(8,\)"),
    ("a Sequential whose widths do not chain", lambda: lc.Sequential([lc.Conv1D(1, 2, 3, 8), lc.Linear(16, 1)]),
     r"layer 1, Linear\(16 -> 1\), expects inputs of width 16, but the layers before it output width 12"),
]


@pytest.mark.parametrize("what, call, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_a_clear_error(what, call, message):
    with pytest.raises(ValueError, match=message):
        call()
