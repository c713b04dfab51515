"""lecture_code.numerical.directional_check: a gradient checked along one random direction, two evaluations."""

import numpy as np
import pytest

import lecture_code as lc
from lecture_code.numerical import directional_check
from lecture_code.params import flatten, tree_map, unflatten


def agrees(numeric, analytic, tol):
    return abs(numeric - analytic) <= tol * max(1.0, abs(analytic))


def smooth_problem():
    """A tanh MLP with a squared loss: its loss, parameters and exact gradient (a parameter tree)."""
    rng = np.random.default_rng(7)
    net = lc.mlp([3, 5, 4, 2], activation="tanh")
    thetas = net.init(rng)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    loss = lc.losses.squared_error
    _, grads = lc.backprop(net, thetas, X, Y, loss)
    return (lambda th: loss.value(net.forward(X, th), Y)), thetas, grads


def test_a_right_gradient_passes_for_every_direction_on_an_array():
    x = np.linspace(-1.0, 2.0, 12).reshape(3, 4)
    for seed in range(50):
        numeric, analytic = directional_check(lambda z: np.sum(np.sin(z)), np.cos(x), x, seed)
        assert agrees(numeric, analytic, 1e-8), (seed, numeric, analytic)


def test_a_right_gradient_passes_for_every_direction_on_a_parameter_tree():
    f, thetas, grads = smooth_problem()
    rng = np.random.default_rng(0)
    for _ in range(50):
        numeric, analytic = directional_check(f, grads, thetas, rng)
        assert agrees(numeric, analytic, 1e-7), (numeric, analytic)


@pytest.mark.parametrize("bug", [
    "summed over the batch, not averaged",
    "one layer's weight gradient with the wrong sign",
    "the last bias gradient forgotten",
    "the largest entry of W_1 off by 10 percent",
])
def test_a_wrong_gradient_fails_for_almost_every_direction(bug):
    f, thetas, grads = smooth_problem()
    wrong = tree_map(np.copy, grads)
    if bug == "summed over the batch, not averaged":
        wrong = tree_map(lambda g: 6 * g, grads)
    elif bug == "one layer's weight gradient with the wrong sign":
        wrong[2]["W"] = -wrong[2]["W"]
    elif bug == "the last bias gradient forgotten":
        wrong[-1]["b"] = np.zeros_like(wrong[-1]["b"])
    else:
        W = wrong[0]["W"]
        W[np.unravel_index(np.argmax(np.abs(W)), W.shape)] *= 1.1
    rng = np.random.default_rng(1)
    verdicts = [agrees(*directional_check(f, wrong, thetas, rng), 1e-7) for _ in range(200)]
    assert not any(verdicts), f"{bug}: passed for {sum(verdicts)} of 200 random directions"


def test_the_direction_is_a_unit_gaussian_from_rng_so_a_fixed_one_would_miss_an_error():
    f, thetas, grads = smooth_problem()
    g = flatten(grads)
    v = np.random.default_rng(5).normal(size=g.size)
    v /= np.linalg.norm(v)
    _, analytic = directional_check(f, grads, thetas, 5)
    assert analytic == pytest.approx(g @ v, rel=1e-14)
    # an error orthogonal to the direction drawn is invisible to that one direction, caught by another
    error = np.random.default_rng(9).normal(size=g.size)
    error -= (error @ v) * v
    blind = unflatten(g + error, grads)
    assert agrees(*directional_check(f, blind, thetas, 5), 1e-7)
    assert not agrees(*directional_check(f, blind, thetas, 6), 1e-7)


def test_it_costs_two_evaluations_whatever_the_number_of_parameters():
    calls = []

    def f(z):
        calls.append(1)
        return float(np.sum(z ** 2))

    x = np.linspace(-1.0, 1.0, 1000)
    numeric, analytic = directional_check(f, 2 * x, x, 0)
    assert len(calls) == 2
    assert agrees(numeric, analytic, 1e-6)


def test_it_is_a_central_difference_with_error_of_order_eps_squared():
    x = np.array([0.3, -0.2, 0.5])
    errors = []
    for eps in (1e-2, 1e-3):
        numeric, analytic = directional_check(lambda z: np.sum(np.exp(z)), np.exp(x), x, 3, eps=eps)
        errors.append(abs(numeric - analytic))
    assert 50 < errors[0] / errors[1] < 200, errors  # a one-sided difference would shrink 10-fold


@pytest.mark.parametrize("call,pattern", [
    (lambda: directional_check("loss", np.ones(3), np.ones(3), 0),
     r"directional_check expects a callable f, got str"),
    (lambda: directional_check(np.sum, np.ones(3), np.ones(3), 0, eps=0.0),
     r"directional_check expects eps to be a finite number > 0, got 0.0"),
    (lambda: directional_check(np.sum, np.ones(3), np.ones(3), -1),
     r"directional_check expects rng to be a numpy.random.Generator or a seed >= 0, got -1"),
    (lambda: directional_check(np.sum, np.ones(3), np.ones(3), None),
     r"directional_check expects rng to be a numpy.random.Generator or a seed >= 0, got None"),
    (lambda: directional_check(np.sum, np.ones(4), np.ones(3), 0),
     r"directional_check expects grad of shape \(3,\) \(like x\), got \(4,\)"),
    (lambda: directional_check(np.sum, [{"W": np.ones((2, 2))}], np.ones(4), 0),
     r"directional_check expects grad shaped like x: x is an array, grad is list"),
    (lambda: directional_check(np.sum, [{"W": np.ones(2)}], [{"W": np.ones(2), "b": np.ones(1)}], 0),
     r"directional_check expects grad shaped like x: entries \['0.W', '0.b'\], got \['0.W'\]"),
    (lambda: directional_check(np.sum, [{"W": np.ones(3)}], [{"W": np.ones(2)}], 0),
     r"directional_check expects grad 0.W of shape \(2,\) \(like x\), got \(3,\)"),
    (lambda: directional_check(lambda z: z, np.ones(3), np.ones(3), 0),
     r"directional_check expects f to return a scalar, got shape \(3,\)"),
    (lambda: directional_check(lambda z: np.nan, np.ones(3), np.ones(3), 0),
     r"f\(x \+ eps v\) must be finite"),
    (lambda: directional_check(np.sum, np.ones(2), np.array([1.0, np.inf]), 0), r"x must be finite"),
    (lambda: directional_check(np.sum, [{}], [{}], 0), r"directional_check expects x to have at least one entry"),
])
def test_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
