"""Training: regimes, schedules, divergence, and equality with torch.optim.SGD."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import data, params, training
from lecture_code import torch_bridge as tb


def concrete(n=None):
    X, y = data.load_concrete()
    parts = data.split(X, y, rng=0)
    scaler = data.fit_standardizer(parts.X_train)
    Xtr, Ytr = scaler.transform(parts.X_train), parts.y_train[:, None] / 10.0
    Xva, Yva = scaler.transform(parts.X_val), parts.y_val[:, None] / 10.0
    if n is not None:
        Xtr, Ytr = Xtr[:n], Ytr[:n]
    return Xtr, Ytr, Xva, Yva


def assert_trees_close(a, b, **tol):
    for (name, x), (_, y) in zip(params.leaves(a), params.leaves(b)):
        assert_allclose(x, y, **tol, err_msg=name)


@pytest.mark.parametrize("regime,batch_size,lr,epochs", [
    ("minibatch", 32, 0.05, 4),
    ("minibatch", 50, lc.training.inverse(0.2), 3),
    ("batch", None, 0.1, 6),
    ("stochastic", None, 0.01, 2),
])
def test_lecture_code_sgd_equals_torch_optim_sgd(regime, batch_size, lr, epochs, device):
    X, Y, _, _ = concrete(n=200)
    net = lc.mlp([8, 16, 16, 1])
    start = net.init(3)
    ours, history = training.train(net, start, X, Y, lc.losses.squared_error, regime=regime,
                                   batch_size=batch_size, lr=lr, epochs=epochs, rng=7)
    order = training.batch_order(200, regime, batch_size, epochs, rng=7)
    theirs = tb.sgd_reference(net, start, X, Y, lc.losses.squared_error, order, lr, device)
    assert_trees_close(ours, theirs, rtol=0, atol=1e-10)
    assert history.updates[-1] == epochs * training.updates_per_epoch(200, regime, batch_size)
    assert not np.allclose(params.flatten(ours), params.flatten(start))


def test_sgd_equals_torch_for_cross_entropy(device):
    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(90, 4)), rng.integers(0, 3, size=90)
    net = lc.mlp([4, 10, 3], activation="tanh")
    start = net.init(1)
    ours, _ = training.train(net, start, X, labels, lc.losses.softmax_cross_entropy, batch_size=16, lr=0.3,
                             epochs=3, rng=2)
    order = training.batch_order(90, "minibatch", 16, 3, rng=2)
    theirs = tb.sgd_reference(net, start, X, labels, lc.losses.softmax_cross_entropy, order, 0.3, device)
    assert_trees_close(ours, theirs, rtol=0, atol=1e-10)


def test_updates_per_epoch_of_each_regime():
    assert training.updates_per_epoch(721, "batch") == 1
    assert training.updates_per_epoch(721, "stochastic") == 721
    assert training.updates_per_epoch(721, "minibatch", 32) == 23  # ceil(721 / 32)
    assert training.updates_per_epoch(64, "minibatch", 32) == 2


def test_epoch_batches_cover_every_example_once_and_reshuffle():
    gen = np.random.default_rng(0)
    first = training.epoch_batches(10, "minibatch", 4, rng=gen)
    second = training.epoch_batches(10, "minibatch", 4, rng=gen)
    assert [len(b) for b in first] == [4, 4, 2]
    assert sorted(np.concatenate(first)) == list(range(10)) == sorted(np.concatenate(second))
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    assert [b.tolist() for b in training.epoch_batches(3, "batch", rng=0)] == [[0, 1, 2]]
    assert [len(b) for b in training.epoch_batches(5, "stochastic", rng=1)] == [1] * 5
    replay = training.batch_order(10, "minibatch", 4, 2, rng=0)
    assert all(np.array_equal(a, b) for a, b in zip(replay[0] + replay[1], first + second))


def test_schedules_are_functions_of_the_update_number():
    assert training.constant(0.1)(1) == training.constant(0.1)(500) == 0.1
    inv = training.inverse(0.5)
    assert [inv(r) for r in (1, 2, 4)] == [0.5, 0.25, 0.125]


def test_sgd_step_is_pure_and_exact():
    thetas = lc.mlp([2, 3, 1]).init(0)
    grads = params.tree_map(np.ones_like, thetas)
    new = training.sgd_step(thetas, grads, 0.5)
    assert_allclose(params.flatten(new), params.flatten(thetas) - 0.5, rtol=0, atol=1e-15)
    assert not np.allclose(params.flatten(new), params.flatten(thetas))


def test_history_records_each_epoch_and_the_loss_falls():
    X, Y, Xva, Yva = concrete()
    net = lc.mlp([8, 16, 1])
    _, history = training.train(net, net.init(0), X, Y, lc.losses.squared_error, lr=0.05, epochs=5, rng=0,
                                validation=(Xva, Yva))
    assert history.epoch == [0, 1, 2, 3, 4, 5] and len(history) == 6
    assert history.updates == [0, 23, 46, 69, 92, 115]
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert all(v is not None and math.isfinite(v) for v in history.val_loss)
    assert history.seconds == sorted(history.seconds)


def test_on_epoch_end_can_stop_training():
    X, Y, _, _ = concrete(n=100)
    net = lc.mlp([8, 4, 1])
    calls = []

    def stop_at_3(epoch, thetas, h):
        calls.append((epoch, len(h)))
        return epoch == 3

    _, history = training.train(net, net.init(0), X, Y, lc.losses.squared_error, epochs=10, rng=0,
                                on_epoch_end=stop_at_3)
    assert history.epoch[-1] == 3
    assert calls == [(0, 1), (1, 2), (2, 3), (3, 4)]  # epoch 0 too: the parameters before any update
    start = net.init(0)
    thetas, history = training.train(net, start, X, Y, lc.losses.squared_error, epochs=10, rng=0,
                                     on_epoch_end=lambda epoch, thetas, h: True)
    assert history.epoch == [0]  # stopped at epoch 0: not one update
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(params.leaves(thetas), params.leaves(start)))


def test_divergence_raises_a_clear_error_not_nan_parameters():
    X, y = data.load_concrete()  # raw inputs in the hundreds: a large rate blows up
    net = lc.mlp([8, 16, 1], activation="tanh")
    with pytest.raises(training.TrainingDiverged, match=r"diverged in epoch 4 at update 128: the loss became inf "
                                                        r"with learning rate 1\. Try a smaller learning rate") as info:
        training.train(net, net.init(0), X, y[:, None], lc.losses.squared_error, lr=1.0, epochs=10, rng=0)
    assert (info.value.epoch, info.value.update, len(info.value.history)) == (4, 128, 4)
    assert all(math.isfinite(v) for v in info.value.history.train_loss)


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(batch_size=0), r"train expects batch_size to be an integer >= 1, got 0"),
    (dict(batch_size=1000), r"train expects batch_size between 1 and N = 100 .*got 1000"),
    (dict(lr=0.0), r"train expects lr \(a learning rate\) to be a finite number > 0, got 0.0"),
    (dict(lr=-1), r"got -1"),
    (dict(epochs=0), r"train expects epochs to be an integer >= 1, got 0"),
    (dict(regime="online"), r"train expects regime to be one of \['batch', 'stochastic', 'minibatch'\], got 'online'"),
    (dict(validation=np.ones(3)), r"train expects validation as a pair"),
    (dict(on_epoch_end=3), r"train expects on_epoch_end to be a function"),
    (dict(rng=None), r"train expects rng to be a numpy.random.Generator or a seed >= 0, got None"),
    (dict(rng=-3), r"train expects rng .*got -3"),
    # a schedule is checked at every update: the message names the update where it went wrong
    (dict(lr=lambda r: 0.1 if r < 5 else -0.1), r"learning-rate schedule to return a finite number > 0, got -0.1 at update 5"),
    (dict(lr=lambda r: 0.0), r"got 0.0 at update 1"),
    (dict(lr=lambda r: float("nan") if r == 7 else 0.01), r"got nan at update 7"),
    (dict(lr=lambda r: float("inf")), r"got inf at update 1"),
    (dict(lr=lambda r: "fast"), r"got 'fast' at update 1"),
])
def test_train_bad_input(kwargs, pattern):
    X, Y, _, _ = concrete(n=100)
    net = lc.mlp([8, 4, 1])
    with pytest.raises(ValueError, match=pattern):
        training.train(net, net.init(0), X, Y, lc.losses.squared_error, **{"rng": 0, **kwargs})


def test_rng_has_no_default():
    with pytest.raises(TypeError, match="rng"):
        training.batch_order(10, "minibatch", 4)
    with pytest.raises(ValueError, match=r"epoch_batches expects rng .*got None"):
        training.epoch_batches(10, "minibatch", 4, rng=None)


def test_train_bad_data():
    X, Y, _, _ = concrete(n=100)
    net = lc.mlp([8, 4, 1])
    with pytest.raises(ValueError, match=r"as many rows in Y as in X \(N = 100\), got Y of shape \(99, 1\)"):
        training.train(net, net.init(0), X, Y[:99], lc.losses.squared_error, rng=0)
    with pytest.raises(ValueError, match=r"reshape y to \(100, 1\)"):
        training.train(net, net.init(0), X, Y[:, 0], lc.losses.squared_error, rng=0)
    with pytest.raises(ValueError, match=r"expects X of shape \(8,\) or \(N, 8\)"):
        training.train(net, net.init(0), X[:, :5], Y, lc.losses.squared_error, rng=0)
    with pytest.raises(ValueError, match=r"inverse expects rho0 \(a learning rate\) to be a finite number > 0, got 0"):
        training.inverse(0)
    with pytest.raises(ValueError, match=r"updates_per_epoch expects n to be an integer >= 1, got 0"):
        training.updates_per_epoch(0, "batch")
    with pytest.raises(ValueError, match=r"sgd_step expects lr \(a learning rate\) to be a finite number > 0"):
        training.sgd_step([{}], [{}], float("nan"))


@pytest.mark.parametrize("loss", [lc.losses.squared_error, lc.losses.softmax_cross_entropy])
def test_the_loss_of_a_large_data_set_is_its_mean_over_every_row(loss):
    """train evaluates a data set larger than one block (8192 rows) block by block: the mean over all
    rows, as one pass over the whole set gives it, for a loss of values and one of class labels."""
    rng = np.random.default_rng(7)
    n = 2 * training._EVAL_ROWS + 1234  # two full blocks and a partial one
    X = rng.normal(size=(n, 3))
    Y = rng.normal(size=(n, 2)) if loss is lc.losses.squared_error else rng.integers(0, 2, size=n)
    net = lc.mlp([3, 5, 2])
    thetas = net.init(rng)
    trained, history = training.train(net, thetas, X, Y, loss, batch_size=4096, lr=0.1, epochs=1, rng=rng)
    for loss_in_history, at in zip(history.train_loss, (thetas, trained)):
        whole = loss(net.forward(X, at), Y)[0]
        assert loss_in_history == pytest.approx(whole, rel=1e-12, abs=0)
