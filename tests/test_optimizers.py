"""lecture_code.optimizers: every update rule's trajectory equals torch.optim's, on every device."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import optimizers as opt
from lecture_code import params, training
from lecture_code import torch_bridge as tb

L = lc.losses


def problem(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    Y = np.sin(X[:, :1]) + 0.5 * X[:, 1:2] * X[:, 2:3] + 0.1 * rng.normal(size=(n, 1))
    return X, Y


CONFIGS = {
    "SGD momentum": (opt.SGD(momentum=0.9), 0.02),
    "SGD Nesterov": (opt.SGD(momentum=0.9, nesterov=True), 0.02),
    "SGD momentum, dampening, decay": (opt.SGD(momentum=0.8, dampening=0.1, weight_decay=0.01), 0.03),
    "RMSprop": (opt.RMSprop(), 0.002),
    "RMSprop momentum, decay": (opt.RMSprop(alpha=0.9, momentum=0.5, weight_decay=0.01), 0.001),
    "Adam": (opt.Adam(), 0.005),
    "Adam L2 decay": (opt.Adam(weight_decay=0.01), 0.005),
    "AdamW": (opt.AdamW(), 0.005),
    "AdamW strong decay, other betas": (opt.AdamW(betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), 0.005),
    "Adam with 1/r schedule": (opt.Adam(), training.inverse(0.02)),
    "SGD Nesterov with 1/r schedule": (opt.SGD(momentum=0.9, nesterov=True), training.inverse(0.1)),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_trajectory_equals_torch_optim(name, device):
    """30 epochs of 8 mini-batches: 240 updates from the same start in the same order."""
    optimizer, lr = CONFIGS[name]
    X, Y = problem()
    net = lc.mlp([4, 8, 8, 1], activation="tanh")
    start = net.init(1)
    ours, history = training.train(net, start, X, Y, L.squared_error, batch_size=8, lr=lr, epochs=30, rng=5,
                                   optimizer=optimizer)
    order = training.batch_order(64, "minibatch", 8, 30, rng=5)
    theirs = tb.train_reference(net, start, X, Y, L.squared_error, order, lr, optimizer, device)
    assert history.updates[-1] == 240
    assert_allclose(params.flatten(ours), params.flatten(theirs), rtol=0, atol=1e-10,
                    err_msg=f"{name} on {device}")
    assert np.abs(params.flatten(ours) - params.flatten(start)).max() > 1e-2  # it did move


@pytest.mark.parametrize("clip", [{"clip_norm": 0.5}, {"clip_value": 0.05}])
@pytest.mark.parametrize("optimizer", [None, opt.Adam()], ids=["SGD", "Adam"])
def test_clipped_training_equals_torch_with_clip_grad(clip, optimizer, device):
    X, Y = problem()
    Y = 20 * Y  # large residuals: the gradients are clipped in most updates
    net = lc.mlp([4, 8, 1], activation="tanh")
    start = net.init(2)
    ours, _ = training.train(net, start, X, Y, L.squared_error, batch_size=16, lr=0.05, epochs=10, rng=3,
                             optimizer=optimizer, **clip)
    order = training.batch_order(64, "minibatch", 16, 10, rng=3)
    theirs = tb.train_reference(net, start, X, Y, L.squared_error, order, 0.05, optimizer, device, **clip)
    assert_allclose(params.flatten(ours), params.flatten(theirs), rtol=0, atol=1e-10)
    unclipped, _ = training.train(net, start, X, Y, L.squared_error, batch_size=16, lr=0.05, epochs=10, rng=3,
                                  optimizer=optimizer)
    assert np.abs(params.flatten(unclipped) - params.flatten(ours)).max() > 1e-3  # clipping did something


def test_clipping_equals_torch_on_a_parameter_tree(device):
    rng = np.random.default_rng(4)
    grads = [{"W": 3 * rng.normal(size=(4, 3)), "b": rng.normal(size=4)}, {}, {"W": rng.normal(size=(1, 4))}]
    for max_norm in (0.1, 1.0, 100.0):
        clipped, norm = opt.clip_grad_norm(grads, max_norm)
        tensors = [tb.to_torch(g, device, requires_grad=True) for _, g in params.leaves(grads)]
        for t in tensors:
            t.grad = t.detach().clone()
        torch_norm = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
        assert norm == pytest.approx(torch_norm.item(), rel=1e-14)
        assert_allclose(params.flatten(clipped), np.concatenate([tb.to_numpy(t.grad).ravel() for t in tensors]),
                        rtol=1e-14, atol=0)
        assert opt.global_norm(clipped) == pytest.approx(min(norm, max_norm), rel=1e-5)
    clipped = opt.clip_grad_value(grads, 0.5)
    tensors = [tb.to_torch(g, device, requires_grad=True) for _, g in params.leaves(grads)]
    for t in tensors:
        t.grad = t.detach().clone()
    torch.nn.utils.clip_grad_value_(tensors, 0.5)
    assert_allclose(params.flatten(clipped), np.concatenate([tb.to_numpy(t.grad).ravel() for t in tensors]),
                    rtol=0, atol=0)


def test_the_default_step_is_plain_gradient_descent():
    X, Y = problem()
    net = lc.mlp([4, 8, 1])
    start = net.init(0)
    plain, _ = training.train(net, start, X, Y, L.squared_error, lr=0.05, epochs=3, rng=0)
    sgd, _ = training.train(net, start, X, Y, L.squared_error, lr=0.05, epochs=3, rng=0, optimizer=opt.SGD())
    assert np.array_equal(params.flatten(plain), params.flatten(sgd))


def test_adamw_decouples_what_adam_adds_to_the_gradient():
    """With weight decay, Adam's L2 term is rescaled by the adaptive denominator; AdamW's decay is not."""
    thetas = [{"W": np.array([[1.0, -2.0]]), "b": np.array([0.5])}]
    zero = [{"W": np.zeros((1, 2)), "b": np.zeros(1)}]
    adam, adamw = opt.Adam(weight_decay=0.1), opt.AdamW(weight_decay=0.1)
    after_adam, _ = adam.step(thetas, zero, adam.init(thetas), 0.01)
    after_adamw, _ = adamw.step(thetas, zero, adamw.init(thetas), 0.01)
    # zero data gradient: AdamW shrinks by exactly (1 - lr wd); Adam moves each weight by about lr, whatever its size
    assert_allclose(after_adamw[0]["W"], thetas[0]["W"] * (1 - 0.01 * 0.1), rtol=1e-15)
    assert_allclose(np.abs(after_adam[0]["W"] - thetas[0]["W"]), [[0.01, 0.01]], rtol=1e-6)
    same_a, _ = opt.Adam().step(thetas, thetas, opt.Adam().init(thetas), 0.01)
    same_w, _ = opt.AdamW(weight_decay=0.0).step(thetas, thetas, opt.AdamW().init(thetas), 0.01)
    assert np.array_equal(params.flatten(same_a), params.flatten(same_w))  # without decay they are one rule


def test_steps_are_pure():
    thetas = [{"W": np.ones((2, 2)), "b": np.zeros(2)}]
    grads = [{"W": np.full((2, 2), 0.5), "b": np.ones(2)}]
    for optimizer in (opt.SGD(momentum=0.9), opt.RMSprop(momentum=0.5), opt.Adam(), opt.AdamW()):
        state = optimizer.init(thetas)
        frozen = params.flatten(thetas), params.flatten(grads)
        new, new_state = optimizer.step(thetas, grads, state, 0.1)
        assert np.array_equal(params.flatten(thetas), frozen[0]) and np.array_equal(params.flatten(grads), frozen[1])
        assert state["step"] == 0 and new_state["step"] == 1
        again, _ = optimizer.step(thetas, grads, state, 0.1)  # the same state twice: the same step
        assert np.array_equal(params.flatten(new), params.flatten(again))


@pytest.mark.parametrize("call, message", [
    (lambda: opt.SGD(momentum=-0.1), r"SGD expects momentum to be a finite number >= 0, got -0.1"),
    (lambda: opt.SGD(momentum=0.9, nesterov=True, dampening=0.1), r"SGD expects nesterov=True with momentum > 0 and dampening 0"),
    (lambda: opt.SGD(nesterov=True), r"nesterov=True with momentum > 0"),
    (lambda: opt.SGD(dampening=1.5), r"SGD expects dampening to be a probability in \[0, 1\], got 1.5"),
    (lambda: opt.RMSprop(alpha=1.0), r"RMSprop expects alpha to be a probability in \[0, 1\), got 1.0"),
    (lambda: opt.RMSprop(eps=0.0), r"RMSprop expects eps to be a finite number > 0, got 0.0"),
    (lambda: opt.Adam(betas=(0.9, 1.0)), r"Adam expects beta2 to be a probability in \[0, 1\), got 1.0"),
    (lambda: opt.Adam(betas=(-0.1, 0.9)), r"Adam expects beta1 to be a probability in \[0, 1\), got -0.1"),
    (lambda: opt.Adam(betas=0.9), r"Adam expects betas as a pair \(beta1, beta2\)"),
    (lambda: opt.AdamW(weight_decay=-1), r"AdamW expects weight_decay to be a finite number >= 0, got -1"),
    (lambda: opt.Adam(eps=float("nan")), r"Adam expects eps to be a finite number > 0, got nan"),
    (lambda: opt.Adam().step([{"W": np.ones(2)}], [{"W": np.ones(2)}], opt.Adam().init([{"W": np.ones(2)}]), -0.1),
     r"Adam.step expects lr \(the learning rate of this update\) to be a finite number > 0, got -0.1"),
    (lambda: opt.SGD().step([{"W": np.ones(2)}], [{"b": np.ones(2)}], {"step": 0, "buffer": None}, 0.1),
     r"SGD.step expects grads shaped like thetas"),
    (lambda: opt.clip_grad_norm([{"W": np.ones(2)}], 0), r"clip_grad_norm expects max_norm to be a finite number > 0"),
    (lambda: opt.clip_grad_value([{"W": np.ones(2)}], -1), r"clip_grad_value expects clip_value to be a finite number > 0"),
    (lambda: training.train(lc.mlp([4, 1]), lc.mlp([4, 1]).init(0), *problem(8), L.squared_error, rng=0, batch_size=4,
                            optimizer="adam"), r"train expects an optimizer with init\(thetas\) and step"),
    (lambda: training.train(lc.mlp([4, 1]), lc.mlp([4, 1]).init(0), *problem(8), L.squared_error, rng=0, batch_size=4,
                            clip_norm=-1.0), r"train expects clip_norm to be a finite number > 0, got -1.0"),
])
def test_bad_hyperparameters_raise_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
