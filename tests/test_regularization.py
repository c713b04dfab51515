"""Weight decay, L1, dropout, early stopping and k-fold cross-validation."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import params, training
from lecture_code import regularization as reg
from lecture_code import torch_bridge as tb


def toy(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:3] + 0.1 * rng.normal(size=(n, 1))
    return X, Y


# -- weight decay ---------------------------------------------------------------------------------------


def test_weight_decay_value_and_gradient():
    thetas = lc.mlp([3, 4, 2]).init(0)
    wd = reg.WeightDecay(0.3)
    expected = 0.3 * sum(np.sum(a**2) for _, a in params.leaves(thetas))
    assert wd.value(thetas) == pytest.approx(expected, rel=1e-14)
    assert_allclose(params.flatten(wd.grad(thetas)), 0.6 * params.flatten(thetas), rtol=1e-15)
    numeric = lc.numerical_jacobian(lambda w: np.array(wd.value(params.unflatten(w, thetas))), params.flatten(thetas))
    assert_allclose(params.flatten(wd.grad(thetas)), numeric, rtol=1e-7, atol=1e-9)
    no_bias = reg.WeightDecay(0.3, biases=False)
    assert not no_bias.grad(thetas)[0]["b"].any() and np.array_equal(no_bias.grad(thetas)[2]["W"], 0.6 * thetas[2]["W"])
    assert no_bias.value(thetas) < wd.value(thetas)


@pytest.mark.parametrize("regime,batch_size", [("minibatch", 16), ("batch", None)])
def test_sgd_with_weight_decay_equals_torch_sgd_with_twice_lambda(regime, batch_size, device):
    X, Y = toy()
    net = lc.mlp([3, 8, 1], activation="tanh")
    start, lam = net.init(1), 0.05
    ours, _ = training.train(net, start, X, Y, lc.losses.squared_error, regime=regime, batch_size=batch_size,
                             lr=0.1, epochs=5, rng=3, penalty=reg.WeightDecay(lam))
    order = training.batch_order(80, regime, batch_size, 5, rng=3)
    theirs = tb.sgd_reference(net, start, X, Y, lc.losses.squared_error, order, 0.1, device, weight_decay=2 * lam)
    assert_allclose(params.flatten(ours), params.flatten(theirs), rtol=0, atol=1e-10)
    plain, _ = training.train(net, start, X, Y, lc.losses.squared_error, regime=regime, batch_size=batch_size,
                              lr=0.1, epochs=5, rng=3)
    assert np.linalg.norm(params.flatten(ours)) < np.linalg.norm(params.flatten(plain))


# -- L1 ----------------------------------------------------------------------------------------------------


def test_l1_subgradient_matches_autograd_away_from_zero(device):
    thetas = lc.mlp([3, 5, 2]).init(2)
    l1 = reg.L1(0.2, proximal=False)
    for (name, a), (_, g) in zip(params.leaves(thetas), params.leaves(l1.grad(thetas))):
        t = tb.to_torch(a, device, requires_grad=True)
        (0.2 * t.abs().sum()).backward()
        expected = tb.to_numpy(t.grad) if name.endswith("W") else np.zeros_like(a)
        assert_allclose(g, expected, rtol=1e-15, atol=0, err_msg=name)
    assert l1.value(thetas) == pytest.approx(0.2 * (np.abs(thetas[0]["W"]).sum() + np.abs(thetas[2]["W"]).sum()))


def test_l1_prox_soft_thresholds_to_exact_zeros():
    thetas = [{"W": np.array([[0.5, -0.05, 0.02], [-0.3, 0.0, 0.2]]), "b": np.array([0.01, -0.01])}]
    new = reg.L1(1.0).prox(thetas, 0.1)
    assert_allclose(new[0]["W"], [[0.4, 0.0, 0.0], [-0.2, 0.0, 0.1]], atol=1e-15)
    assert np.array_equal(new[0]["b"], thetas[0]["b"])  # biases are not penalized
    assert reg.sparsity(new) == pytest.approx(3 / 6)


def test_training_with_l1_gives_a_sparse_network():
    X, Y = toy(120)
    net = lc.mlp([3, 16, 1])
    start = net.init(0)
    sparse, _ = training.train(net, start, X, Y, lc.losses.squared_error, lr=0.05, epochs=30, penalty=reg.L1(0.05))
    dense, _ = training.train(net, start, X, Y, lc.losses.squared_error, lr=0.05, epochs=30)
    assert reg.sparsity(dense) == 0.0 and reg.sparsity(sparse) > 0.3


# -- dropout -----------------------------------------------------------------------------------------------


def test_dropout_in_evaluation_mode_is_the_identity():
    layer = lc.Dropout(0.5)
    x = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(layer.forward(x, {}), x) and np.array_equal(layer.jacobian(x[0], {}), np.eye(3))


def test_dropout_mask_is_seeded_inverted_and_drops_about_p():
    layer = lc.Dropout(0.25)
    m = layer.mask(0, (200, 50))["mask"]
    assert set(np.unique(m)) == {0.0, 1 / 0.75}
    assert (m == 0).mean() == pytest.approx(0.25, abs=0.02)
    assert np.array_equal(m, layer.mask(0, (200, 50))["mask"])
    assert m.mean() == pytest.approx(1.0, abs=0.03)  # inverted: the expected activation is unchanged


def test_dropout_with_a_shared_mask_equals_torch(device):
    p = 0.4
    torch.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(6, 5))
    u = np.random.default_rng(1).normal(size=(6, 5))
    mask = tb.to_numpy(F.dropout(torch.ones(6, 5, dtype=torch.float64), p=p, training=True))  # torch's own mask
    theta = {"mask": mask}
    layer = lc.Dropout(p)
    xt = tb.to_torch(x, device, requires_grad=True)
    yt = xt * tb.to_torch(mask, device)  # what F.dropout computed with that mask
    (yt * tb.to_torch(u, device)).sum().backward()
    assert_allclose(layer.forward(x, theta), tb.to_numpy(yt), rtol=1e-15, atol=0)
    assert_allclose(layer.vjp(x, theta, u)[0], tb.to_numpy(xt.grad), rtol=1e-15, atol=0)
    assert layer.vjp(x, theta, u)[1] == {}
    assert_allclose(layer.jvp(x[0], {"mask": mask[0]}, u[0]), mask[0] * u[0], rtol=0, atol=0)
    numeric = lc.numerical_jacobian(lambda z: layer.forward(z, {"mask": mask[0]}), x[0])
    assert_allclose(layer.jacobian(x[0], {"mask": mask[0]}), numeric, rtol=1e-8, atol=1e-9)


def test_dropout_twin_is_the_identity_in_evaluation_mode(device):
    net = lc.Sequential([lc.Linear(3, 4), lc.ReLU(), lc.Dropout(0.5), lc.Linear(4, 1)])
    thetas = net.init(0)
    x = np.random.default_rng(2).normal(size=(5, 3))
    module = tb.twin(net, thetas, device)
    assert not module.training
    assert_allclose(tb.to_numpy(module(tb.to_torch(x, device))), net.forward(x, thetas), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match=r"evaluation mode: pass \{\}, not a mask"):
        tb.twin(net, [thetas[0], {}, lc.Dropout(0.5).mask(0, (5, 4)), thetas[3]], device)


def test_training_with_dropout_draws_masks_and_evaluates_without_them():
    X, Y = toy()
    net = lc.Sequential([lc.Linear(3, 32), lc.ReLU(), lc.Dropout(0.5), lc.Linear(32, 1)])
    start = net.init(0)
    a, ha = training.train(net, start, X, Y, lc.losses.squared_error, lr=0.05, epochs=5, rng=1)
    b, _ = training.train(net, start, X, Y, lc.losses.squared_error, lr=0.05, epochs=5, rng=1)
    assert_allclose(params.flatten(a), params.flatten(b), rtol=0, atol=0)  # seeded
    assert a[2] == {}  # the mask never enters the parameters
    plain = lc.Sequential([lc.Linear(3, 32), lc.ReLU(), lc.Linear(32, 1)])
    c, _ = training.train(plain, [start[0], {}, start[3]], X, Y, lc.losses.squared_error, lr=0.05, epochs=5, rng=1)
    assert not np.allclose(params.flatten(a), params.flatten(c))
    assert ha.train_loss[-1] == pytest.approx(lc.losses.squared_error.value(net.forward(X, a), Y), rel=1e-12)


# -- early stopping and cross-validation ---------------------------------------------------------------------


def test_early_stopping_restores_the_best_epoch():
    h = training.History()
    stopper = reg.EarlyStopping(patience=2, min_delta=0.01)
    losses = [1.0, 0.8, 0.7, 0.695, 0.75, 0.9]
    stops = []
    for epoch, loss in enumerate(losses):
        h.record(epoch, loss, loss, epoch, 0.0)
        if epoch:
            stops.append(stopper(epoch, f"thetas after {epoch}", h))
            if stops[-1]:
                break
    # 0.695 improves on 0.7 by less than min_delta: the wait starts at epoch 3
    assert stops == [False, False, False, True]
    assert stopper.best_epoch == 2 and stopper.best_thetas == "thetas after 2" and stopper.stopped_epoch == 4


def test_early_stopping_with_train():
    X, Y = toy(60)
    Xv, Yv = toy(60, seed=1)
    net = lc.mlp([3, 64, 64, 1])
    stopper = reg.EarlyStopping(patience=3)
    thetas, history = training.train(net, net.init(0), X, Y, lc.losses.squared_error, lr=0.05, epochs=400,
                                     validation=(Xv, Yv), on_epoch_end=stopper)
    assert stopper.stopped_epoch == history.epoch[-1] < 400
    best = min(range(len(history)), key=lambda i: history.val_loss[i])
    assert stopper.best_epoch == history.epoch[best]
    assert lc.losses.squared_error.value(net.forward(Xv, stopper.best_thetas), Yv) == pytest.approx(history.val_loss[best])
    with pytest.raises(ValueError, match=r"pass validation=\(X_val, Y_val\) to train"):
        training.train(net, net.init(0), X, Y, lc.losses.squared_error, epochs=2, on_epoch_end=reg.EarlyStopping(2))


def test_kfold_partitions_the_rows():
    folds = reg.kfold_indices(10, 3, rng=0)
    assert [len(v) for _, v in folds] == [4, 3, 3]
    assert sorted(np.concatenate([v for _, v in folds]).tolist()) == list(range(10))
    for tr, va in folds:
        assert set(tr).isdisjoint(va) and len(tr) + len(va) == 10


def test_cross_validate_scores_each_fold():
    X, Y = toy(40)
    seen = []

    def score(Xtr, Ytr, Xva, Yva):
        seen.append((len(Xtr), len(Xva)))
        return float(np.mean((Yva - Ytr.mean()) ** 2))

    scores = reg.cross_validate(score, X, Y, k=4, rng=0)
    assert scores.shape == (4,) and seen == [(30, 10)] * 4 and (scores > 0).all()


@pytest.mark.parametrize("call,pattern", [
    (lambda: reg.WeightDecay(-0.1), r"lambda must be a finite number >= 0, got -0.1"),
    (lambda: reg.L1(float("inf")), r"lambda must be a finite number >= 0, got inf"),
    (lambda: lc.Dropout(1.0), r"drop probability p in \[0, 1\), got 1.0"),
    (lambda: lc.Dropout(-0.2), r"got -0.2"),
    (lambda: lc.Dropout(0.5).forward(np.ones(3), {"mask": np.array([2.0, 0.5, 0.0])}), r"mask entries 0 or 1/\(1 - p\) = 2"),
    (lambda: lc.Dropout(0.5).forward(np.ones(3), {"mask": np.array([2.0, 0.0])}), r"mask of shape \(2,\) does not match x of shape \(3,\)"),
    (lambda: lc.Dropout(0.5).forward(np.ones(3), {"p": 1}), r"expects theta \{\} \(evaluation\) or \{'mask': m\}"),
    (lambda: lc.Dropout(0.5).mask(0, (0, 3)), r"input shape \(D,\) or \(N, D\), got \(0, 3\)"),
    (lambda: reg.EarlyStopping(patience=0), r"patience must be >= 1, got 0"),
    (lambda: reg.EarlyStopping(min_delta=-1), r"min_delta must be a finite number >= 0, got -1"),
    (lambda: reg.kfold_indices(10, 1), r"2 <= k <= N = 10, got 1"),
    (lambda: reg.kfold_indices(10, 11), r"got 11"),
    (lambda: reg.cross_validate(3, np.ones((4, 2)), np.ones(4)), r"score must be a function"),
    (lambda: reg.cross_validate(lambda *a: 0.0, np.ones((4, 2)), np.ones(3)), r"Y with N rows"),
    (lambda: training.train(lc.mlp([2, 1]), lc.mlp([2, 1]).init(0), np.ones((4, 2)), np.ones((4, 1)),
                            lc.losses.squared_error, batch_size=2, penalty=0.1), r"penalty must have value\(thetas\) and grad\(thetas\)"),
])
def test_regularization_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
