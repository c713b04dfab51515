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
    net = lc.mlp([3, 4, 2])
    thetas = net.init(0)
    wd = reg.WeightDecay(0.3)
    expected = 0.3 * sum(np.sum(a**2) for _, a in params.leaves(thetas))
    assert wd.value(net, thetas) == pytest.approx(expected, rel=1e-14)
    assert_allclose(params.flatten(wd.grad(net, thetas)), 0.6 * params.flatten(thetas), rtol=1e-15)
    numeric = lc.numerical_jacobian(lambda w: np.array(wd.value(net, params.unflatten(w, thetas))),
                                    params.flatten(thetas))
    assert_allclose(params.flatten(wd.grad(net, thetas)), numeric, rtol=1e-7, atol=1e-9)
    no_bias = reg.WeightDecay(0.3, biases=False)
    grads = no_bias.grad(net, thetas)
    assert not grads[0]["b"].any() and np.array_equal(grads[2]["W"], 0.6 * thetas[2]["W"])
    assert no_bias.value(net, thetas) < wd.value(net, thetas)


@pytest.mark.parametrize("layer", [lc.RNN(2, 3, 4), lc.LSTM(2, 3, 4), lc.Conv1D(2, 3, 3, 6)], ids=repr)
def test_penalties_read_the_roles_each_layer_declares(layer):
    """W_ih and W_hh of a recurrent layer are weights, as W of a convolution: every penalty sees them."""
    net = lc.Sequential([layer, lc.Linear(layer.d_out, 1)])
    thetas = net.init(1)
    weights = {name for name, p in layer.param_spec().items() if p.role == "weight"}
    assert weights == ({"W"} if isinstance(layer, lc.Conv1D) else {"W_ih", "W_hh"})
    wd = reg.WeightDecay(0.1, biases=False).grad(net, thetas)
    for name, a in thetas[0].items():
        assert_allclose(wd[0][name], 0.2 * a if name in weights else 0 * a, rtol=1e-15, atol=0, err_msg=name)
    w_sum = sum(np.abs(thetas[0][name]).sum() for name in weights) + np.abs(thetas[1]["W"]).sum()
    assert reg.L1(0.1).value(net, thetas) == pytest.approx(0.1 * w_sum, rel=1e-14)
    sq_sum = sum(np.sum(thetas[0][name] ** 2) for name in weights) + np.sum(thetas[1]["W"] ** 2)
    assert reg.WeightDecay(0.1, biases=False).value(net, thetas) == pytest.approx(0.1 * sq_sum, rel=1e-14)
    big = {name: a + (0.5 if name in weights else 0.0) for name, a in thetas[0].items()}
    shrunk = reg.L1(1.0).prox(net, [big, thetas[1]], 0.5)
    for name in thetas[0]:
        if name in weights:
            assert_allclose(shrunk[0][name], np.sign(big[name]) * np.maximum(np.abs(big[name]) - 0.5, 0), atol=1e-15)
        else:
            assert np.array_equal(shrunk[0][name], big[name]), name  # biases untouched
    zeros = reg.L1(1.0).prox(net, thetas, 10.0)  # a threshold larger than every weight: all weights become 0
    assert reg.sparsity(net, zeros) == 1.0 and reg.sparsity(net, thetas) == 0.0
    assert any(zeros[0][name].any() for name in thetas[0] if name not in weights)  # ... but no bias


def _toy_sequences():
    rng = np.random.default_rng(5)
    return rng.normal(size=(80, 4 * 2)), rng.normal(size=(80, 1))


@pytest.mark.parametrize("make_net, make_data", [
    (lambda: lc.mlp([3, 8, 8, 1], activation="tanh"), toy),
    (lambda: lc.Sequential([lc.RNN(2, 3, 4), lc.Linear(3, 1)]), _toy_sequences),
], ids=["mlp", "rnn"])
def test_weights_only_decay_equals_torch_sgd_with_two_parameter_groups(make_net, make_data, device):
    X, Y = make_data()
    net = make_net()
    start, lam = net.init(4), 0.05
    ours, _ = training.train(net, start, X, Y, lc.losses.squared_error, batch_size=16, lr=0.1, epochs=5, rng=3,
                             penalty=reg.WeightDecay(lam, biases=False))
    order = training.batch_order(80, "minibatch", 16, 5, rng=3)
    theirs = tb.sgd_reference(net, start, X, Y, lc.losses.squared_error, order, 0.1, device,
                              weight_decay=2 * lam, decay_biases=False)
    assert_allclose(params.flatten(ours), params.flatten(theirs), rtol=0, atol=1e-10)
    everything = tb.sgd_reference(net, start, X, Y, lc.losses.squared_error, order, 0.1, device, weight_decay=2 * lam)
    assert np.abs(params.flatten(everything) - params.flatten(ours)).max() > 1e-4  # the groups matter


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
    net = lc.mlp([3, 5, 2])
    thetas = net.init(2)
    l1 = reg.L1(0.2, proximal=False)
    for (name, a), (_, g) in zip(params.leaves(thetas), params.leaves(l1.grad(net, thetas))):
        t = tb.to_torch(a, device, requires_grad=True)
        (0.2 * t.abs().sum()).backward()
        expected = tb.to_numpy(t.grad) if name.endswith("W") else np.zeros_like(a)
        assert_allclose(g, expected, rtol=1e-15, atol=0, err_msg=name)
    assert l1.value(net, thetas) == pytest.approx(0.2 * (np.abs(thetas[0]["W"]).sum() + np.abs(thetas[2]["W"]).sum()))


def test_l1_prox_soft_thresholds_to_exact_zeros():
    net = lc.Sequential([lc.Linear(3, 2)])
    thetas = [{"W": np.array([[0.5, -0.05, 0.02], [-0.3, 0.0, 0.2]]), "b": np.array([0.01, -0.01])}]
    new = reg.L1(1.0).prox(net, thetas, 0.1)
    assert_allclose(new[0]["W"], [[0.4, 0.0, 0.0], [-0.2, 0.0, 0.1]], atol=1e-15)
    assert np.array_equal(new[0]["b"], thetas[0]["b"])  # biases are not penalized
    assert reg.sparsity(net, new) == pytest.approx(3 / 6)
    assert reg.L1(1.0).prox(lc.Linear(3, 2), thetas[0], 0.1)["W"][0, 0] == pytest.approx(0.4)  # a single layer too


def test_training_with_l1_gives_a_sparse_network():
    X, Y = toy(120)
    net = lc.mlp([3, 16, 1])
    start = net.init(0)
    sparse, _ = training.train(net, start, X, Y, lc.losses.squared_error, lr=0.05, epochs=30, rng=0,
                               penalty=reg.L1(0.05))
    dense, _ = training.train(net, start, X, Y, lc.losses.squared_error, lr=0.05, epochs=30, rng=0)
    assert reg.sparsity(net, dense) == 0.0 and reg.sparsity(net, sparse) > 0.3


# -- dropout -----------------------------------------------------------------------------------------------


def test_dropout_in_evaluation_mode_is_the_identity():
    layer = lc.Dropout(0.5)
    x = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(layer.forward(x, {}), x) and np.array_equal(layer.jacobian(x[0], {}), np.eye(3))
    assert layer.param_spec() == {} and layer.init(0) == {}


def test_dropout_mask_is_seeded_inverted_and_drops_about_p():
    layer = lc.Dropout(0.25)
    m = layer.draw_mask(0, (200, 50))
    assert set(np.unique(m)) == {0.0, 1 / 0.75}
    assert (m == 0).mean() == pytest.approx(0.25, abs=0.02)
    assert np.array_equal(m, layer.draw_mask(0, (200, 50)))
    assert m.mean() == pytest.approx(1.0, abs=0.03)  # inverted: the expected activation is unchanged
    drawn = layer.for_update(np.random.default_rng(0), (200, 50))
    assert isinstance(drawn, lc.Dropout) and drawn.p == 0.25 and np.array_equal(drawn.mask, m)
    assert layer.mask is None  # for_update returns a new layer; the layer itself stays in evaluation mode


def test_dropout_with_a_shared_mask_equals_torch(device):
    p = 0.4
    torch.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(6, 5))
    u = np.random.default_rng(1).normal(size=(6, 5))
    mask = tb.to_numpy(F.dropout(torch.ones(6, 5, dtype=torch.float64), p=p, training=True))  # torch's own mask
    layer = lc.Dropout(p, mask=mask)
    xt = tb.to_torch(x, device, requires_grad=True)
    yt = xt * tb.to_torch(mask, device)  # what F.dropout computed with that mask
    (yt * tb.to_torch(u, device)).sum().backward()
    assert_allclose(layer.forward(x, {}), tb.to_numpy(yt), rtol=1e-15, atol=0)
    assert_allclose(layer.vjp(x, {}, u)[0], tb.to_numpy(xt.grad), rtol=1e-15, atol=0)
    assert layer.vjp(x, {}, u)[1] == {}
    one = lc.Dropout(p, mask=mask[0])
    assert_allclose(one.jvp(x[0], {}, u[0]), mask[0] * u[0], rtol=0, atol=0)
    numeric = lc.numerical_jacobian(lambda z: one.forward(z, {}), x[0])
    assert_allclose(one.jacobian(x[0], {}), numeric, rtol=1e-8, atol=1e-9)
    assert_allclose(tb.to_numpy(tb.twin(layer, {}, device)(tb.to_torch(x, device))), tb.to_numpy(yt), rtol=0, atol=0)


def test_a_fixed_mask_is_an_input_so_the_gradient_check_sees_only_parameters():
    net = lc.Sequential([lc.Linear(3, 6), lc.ReLU(), lc.Dropout(0.5), lc.Linear(6, 2)])
    thetas = net.init(0)
    X, Y = np.random.default_rng(3).normal(size=(4, 3)), np.random.default_rng(4).normal(size=(4, 2))
    fixed = net.for_update(np.random.default_rng(5), X.shape)
    assert fixed.layers[2].mask.shape == (4, 6) and fixed.layers[0] is net.layers[0]
    report = lc.check_gradients(fixed, thetas, X, Y, lc.losses.squared_error)
    assert report.ok and [row[0] for row in report.rows] == ["0.W", "0.b", "3.W", "3.b"]
    _, grads = lc.backprop(fixed, thetas, X, Y, lc.losses.squared_error)
    assert grads[2] == {}
    one = lc.Sequential([*net.layers[:2], lc.Dropout(0.5, mask=fixed.layers[2].mask[0]), net.layers[3]])
    _, g1 = lc.backprop(one, thetas, X[0], Y[0], lc.losses.squared_error)
    off = fixed.layers[2].mask[0] == 0  # a unit switched off gets no gradient into its weights, nor out of them
    assert off.any() and not g1[0]["W"][off].any() and not g1[0]["b"][off].any() and not g1[3]["W"][:, off].any()


def test_dropout_twin_is_the_identity_in_evaluation_mode(device):
    net = lc.Sequential([lc.Linear(3, 4), lc.ReLU(), lc.Dropout(0.5), lc.Linear(4, 1)])
    thetas = net.init(0)
    x = np.random.default_rng(2).normal(size=(5, 3))
    module = tb.twin(net, thetas, device)
    assert not module.training
    assert_allclose(tb.to_numpy(module(tb.to_torch(x, device))), net.forward(x, thetas), rtol=1e-12, atol=1e-14)
    masked = net.for_update(np.random.default_rng(1), x.shape)
    assert_allclose(tb.to_numpy(tb.twin(masked, thetas, device)(tb.to_torch(x, device))), masked.forward(x, thetas),
                    rtol=1e-12, atol=1e-14)


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


@pytest.mark.parametrize("p", [0.0, 0.5])
def test_the_batch_order_comes_from_the_seed_alone_whatever_the_network_draws(p, device):
    """Dropout draws its masks from a generator of its own: train(rng=s) still visits batch_order(rng=s)."""
    X, Y = toy()
    net = lc.Sequential([lc.Linear(3, 8), lc.Tanh(), lc.Dropout(p), lc.Linear(8, 1)])
    start = net.init(2)
    seen = []

    class Spy(lc.Identity):  # records the rows of every batch it sees: the inputs themselves
        def _forward_vjp(self, x, theta):
            seen.append(x.copy())
            return super()._forward_vjp(x, theta)

    spied = lc.Sequential([Spy(), *net.layers])
    ours, _ = training.train(spied, [{}, *start], X, Y, lc.losses.squared_error, batch_size=16, lr=0.1, epochs=3,
                             rng=7)
    order = training.batch_order(80, "minibatch", 16, 3, rng=7)
    assert [b.tolist() for b in seen] == [X[idx].tolist() for epoch in order for idx in epoch]
    if p == 0.0:  # Dropout(0.0) keeps every unit: the PyTorch replay of the order is the same run
        theirs = tb.sgd_reference(net, start, X, Y, lc.losses.squared_error, order, 0.1, device)
        assert_allclose(params.flatten(ours[1:]), params.flatten(theirs), rtol=0, atol=1e-10)


# -- early stopping and cross-validation ---------------------------------------------------------------------


def test_early_stopping_restores_the_best_epoch():
    h = training.History()
    stopper = reg.EarlyStopping(patience=2, min_delta=0.01)
    losses = [1.0, 0.8, 0.7, 0.695, 0.75, 0.9]
    stops = []
    for epoch, loss in enumerate(losses):
        h.record(epoch, loss, loss, epoch, 0.0)
        stops.append(stopper(epoch, f"thetas after {epoch}", h))
        if stops[-1]:
            break
    # 0.695 improves on 0.7 by less than min_delta: the wait starts at epoch 3
    assert stops == [False, False, False, False, True]
    assert stopper.best_epoch == 2 and stopper.best_thetas == "thetas after 2" and stopper.stopped_epoch == 4


def test_early_stopping_keeps_the_start_when_no_epoch_beats_it():
    X, Y = toy(40)
    net = lc.mlp([3, 8, 1])
    start = net.init(0)
    stopper = reg.EarlyStopping(patience=2)
    # a learning rate that only makes things worse: the best parameters are the ones training started from
    _, history = training.train(net, start, X, Y, lc.losses.squared_error, lr=lambda r: 0.5 * r, epochs=10, rng=0,
                                batch_size=40, validation=(X, -50 * Y), on_epoch_end=stopper)
    assert history.val_loss[1] > history.val_loss[0] and history.val_loss[2] > history.val_loss[0]
    assert stopper.best_epoch == 0 and stopper.stopped_epoch == 2
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(params.leaves(stopper.best_thetas), params.leaves(start)))
    # one stopper, a second run: epoch 0 starts it afresh
    training.train(net, start, X, Y, lc.losses.squared_error, lr=0.01, epochs=3, rng=0, validation=(X, Y),
                   on_epoch_end=stopper)
    assert stopper.best_epoch == 3 and stopper.stopped_epoch is None
    with pytest.raises(ValueError, match=r"EarlyStopping expects its first call at epoch 0"):
        reg.EarlyStopping(2)(3, start, history)


def test_early_stopping_with_train():
    X, Y = toy(60)
    Xv, Yv = toy(60, seed=1)
    net = lc.mlp([3, 64, 64, 1])
    stopper = reg.EarlyStopping(patience=3)
    thetas, history = training.train(net, net.init(0), X, Y, lc.losses.squared_error, lr=0.05, epochs=400, rng=0,
                                     validation=(Xv, Yv), on_epoch_end=stopper)
    assert stopper.stopped_epoch == history.epoch[-1] < 400
    best = min(range(len(history)), key=lambda i: history.val_loss[i])
    assert stopper.best_epoch == history.epoch[best]
    assert lc.losses.squared_error.value(net.forward(Xv, stopper.best_thetas), Yv) == pytest.approx(history.val_loss[best])
    with pytest.raises(ValueError, match=r"pass validation=\(X_val, Y_val\) to train"):
        training.train(net, net.init(0), X, Y, lc.losses.squared_error, epochs=2, rng=0,
                       on_epoch_end=reg.EarlyStopping(2))


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


NET1 = lc.mlp([2, 1])


@pytest.mark.parametrize("call,pattern", [
    (lambda: reg.WeightDecay(-0.1), r"WeightDecay expects the penalty strength lambda to be a finite number >= 0, got -0.1"),
    (lambda: reg.L1(float("inf")), r"L1 expects the penalty strength lambda to be a finite number >= 0, got inf"),
    (lambda: reg.WeightDecay(0.1).grad({"W": np.ones((1, 2))}, [{"W": np.ones((1, 2))}]),
     r"WeightDecay.grad expects a lecture_code Layer as net .*got dict"),
    (lambda: reg.L1(0.1).prox(NET1, [{"W": np.ones((1, 2))}], 0.1), r"expects theta as a dict with keys \['W', 'b'\]"),
    (lambda: reg.L1(0.1).prox(NET1, NET1.init(0), -0.1), r"L1.prox expects lr to be a finite number > 0, got -0.1"),
    (lambda: reg.sparsity(NET1, [{}]), r"Linear\(2 -> 1\) expects theta as a dict with keys \[.W., .b.\], got \[\]"),
    (lambda: reg.sparsity(NET1, []), r"expects thetas as a list of 1 entries"),
    (lambda: lc.Dropout(1.0), r"Dropout expects the drop probability p to be a probability in \[0, 1\), got 1.0"),
    (lambda: lc.Dropout(-0.2), r"got -0.2"),
    (lambda: lc.Dropout(True), r"got True"),
    (lambda: lc.Dropout(0.5, mask=np.array([2.0, 0.5, 0.0])), r"mask entries 0 or 1/\(1 - p\) = 2"),
    (lambda: lc.Dropout(0.5, mask=np.array([2.0, 0.0])).forward(np.ones(3)),
     r"Dropout\(p=0.5, mask of shape \(2,\)\) was given x of shape \(3,\): the mask and the input must have the same shape"),
    (lambda: lc.Dropout(0.5).forward(np.ones(3), {"mask": np.ones(3)}), r"Dropout\(p=0.5\) has no parameters"),
    (lambda: lc.Dropout(0.5).draw_mask(0, (0, 3)), r"input shape \(D,\) or \(N, D\), got \(0, 3\)"),
    (lambda: lc.Dropout(0.5).draw_mask(None, (2, 3)), r"draw_mask expects rng to be a numpy.random.Generator"),
    (lambda: reg.EarlyStopping(patience=0), r"EarlyStopping expects patience to be an integer >= 1, got 0"),
    (lambda: reg.EarlyStopping(min_delta=-1), r"EarlyStopping expects min_delta to be a finite number >= 0, got -1"),
    (lambda: reg.kfold_indices(10, 1, rng=0), r"kfold_indices expects k to be an integer with 2 <= k <= 10, got 1"),
    (lambda: reg.kfold_indices(10, 11, rng=0), r"got 11"),
    (lambda: reg.kfold_indices(10, 2, rng=None), r"kfold_indices expects rng"),
    (lambda: reg.cross_validate(3, np.ones((4, 2)), np.ones(4), rng=0), r"cross_validate expects score to be a function"),
    (lambda: reg.cross_validate(lambda *a: 0.0, np.ones((4, 2)), np.ones(3), rng=0), r"Y with N rows"),
    (lambda: training.train(NET1, NET1.init(0), np.ones((4, 2)), np.ones((4, 1)), lc.losses.squared_error,
                            batch_size=2, rng=0, penalty=0.1),
     r"train expects a penalty with value\(net, thetas\) and grad\(net, thetas\)"),
])
def test_regularization_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
