"""SciPy's CG and L-BFGS on lecture_code's loss and gradient."""

import numpy as np
import pytest

import lecture_code as lc
from lecture_code import optimize, params


def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    Y = np.tanh(X @ np.array([[1.0], [-2.0], [0.5]])) + 0.05 * rng.normal(size=(60, 1))
    net = lc.mlp([3, 8, 1], activation="tanh")
    return net, net.init(1), X, Y


@pytest.mark.parametrize("method", ["CG", "L-BFGS-B"])
def test_minimize_lowers_the_loss_within_its_budget(method):
    net, start, X, Y = problem()
    before = lc.losses.squared_error.value(net.forward(X, start), Y)
    thetas, history = optimize.minimize(net, start, X, Y, lc.losses.squared_error, method=method, max_evaluations=60)
    after = lc.losses.squared_error.value(net.forward(X, thetas), Y)
    assert history.evaluations <= 60 and history.losses[0] == pytest.approx(before, rel=1e-14)
    assert after < 0.2 * before
    assert params.count(thetas) == params.count(start)


def test_minimize_beats_gradient_descent_per_evaluation():
    net, start, X, Y = problem()
    _, cg = optimize.minimize(net, start, X, Y, lc.losses.squared_error, method="CG", max_evaluations=40)
    _, gd = lc.training.train(net, start, X, Y, lc.losses.squared_error, regime="batch", lr=0.1, epochs=40, rng=0)
    assert min(cg.losses) < gd.train_loss[-1]


def test_minimize_bad_input():
    net, start, X, Y = problem()
    with pytest.raises(ValueError, match=r"minimize expects method to be one of \['CG', 'L-BFGS-B', 'BFGS'\], got 'Adam'"):
        optimize.minimize(net, start, X, Y, lc.losses.squared_error, method="Adam")
    with pytest.raises(ValueError, match=r"minimize expects max_evaluations to be an integer >= 1, got 0"):
        optimize.minimize(net, start, X, Y, lc.losses.squared_error, max_evaluations=0)
    with pytest.raises(ValueError, match=r"as many targets as examples"):
        optimize.minimize(net, start, X, Y[:5], lc.losses.squared_error)
