"""Chapter 5's self-checks of its exercises (lecture_code.selfcheck.training)."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import params, training
from lecture_code import torch_bridge as tb
from lecture_code.selfcheck import training as checks


# -- self-check: updates per epoch ----------------------------------------------------------------------


def right_count(n, regime, batch_size):
    return {"batch": 1, "stochastic": n}.get(regime) or math.ceil(n / batch_size)


@pytest.mark.parametrize("wrong,hint", [
    (lambda n, regime, b: {"batch": 1, "stochastic": n}.get(regime) or n // b, "floor(N / B)"),
    (lambda n, regime, b: n if regime != "minibatch" else math.ceil(n / b), "one update per epoch, not N"),
    (lambda n, regime, b: 1 if regime != "minibatch" else math.ceil(n / b), "N updates per epoch"),
    (lambda n, regime, b: {"batch": 1, "stochastic": n}.get(regime) or n / b, "should return an integer"),
    (lambda n, regime, b: float(right_count(n, regime, b)), "right value, but return an int"),
    (lambda n, regime, b: 1 / 0, "ZeroDivisionError"),
])
def test_updates_count(wrong, hint, capsys):
    assert checks.updates_count(right_count)
    assert capsys.readouterr().out.startswith("Correct:")
    assert not checks.updates_count(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


def test_updates_count_agrees_with_the_training_loop():
    for n, regime, b in checks._UPDATE_CASES:
        X, Y = np.zeros((n, 2)), np.zeros((n, 1))
        net = lc.mlp([2, 1])
        _, h = training.train(net, net.init(0), X, Y, lc.losses.squared_error, regime=regime,
                              batch_size=b or 1, epochs=1, rng=0)
        assert h.updates[-1] == right_count(n, regime, b), (n, regime, b)


def test_updates_count_bad_input():
    with pytest.raises(ValueError, match=r"updates_count expects your function "
                                         r"count_fn\(n, regime, batch_size\), got int"):
        checks.updates_count(3)


# -- self-check: the rate of a 1/r schedule -------------------------------------------------------------

EXERCISE = dict(rho0=0.5, n=722, batch_size=32, epoch=5, step=3)


@pytest.mark.parametrize("answer,hint", [
    (0.5 / 5, "r counts updates, not epochs"),
    (0.5 / 94, "r starts at 1"),
    (0.5 / 91, "not floor(N / B) = 22"),
    (0.5 / (5 * 23 + 3), "only 4 full epochs come before it"),
    (0.01, "find r, the number of this update"),
    ("0.005", "give the rate as a number"),
])
def test_inverse_rate(answer, hint, capsys):
    assert checks.inverse_rate(0.5 / 95, **EXERCISE)
    out = capsys.readouterr().out
    assert out.startswith("Correct:") and "= 95" in out
    assert checks.inverse_rate(training.inverse(0.5)(95), **EXERCISE)
    capsys.readouterr()
    assert not checks.inverse_rate(answer, **EXERCISE)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


def test_inverse_rate_matches_the_rate_train_uses():
    seen = []

    def spy(r):
        seen.append(r)
        return 0.5 / r

    X, Y = np.zeros((10, 2)), np.zeros((10, 1))
    net = lc.mlp([2, 1])
    training.train(net, net.init(0), X, Y, lc.losses.squared_error, regime="minibatch", batch_size=4, lr=spy,
                   epochs=3, rng=0)
    assert seen == list(range(1, 10))  # 3 updates per epoch, r = 1 .. 9 across epochs
    assert checks.inverse_rate(0.5 / seen[3 + 1], rho0=0.5, n=10, batch_size=4, epoch=2, step=2)


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(EXERCISE, rho0=0), r"inverse_rate expects rho0 to be a finite number > 0, got 0"),
    (dict(EXERCISE, step=24),
     r"inverse_rate expects step to be at most the ceil\(722 / 32\) = 23 updates of an epoch, got 24"),
    (dict(EXERCISE, epoch=0), r"inverse_rate expects epoch to be an integer >= 1, got 0"),
    (dict(EXERCISE, batch_size=1000),
     r"inverse_rate expects batch_size to be an integer with 1 <= batch_size <= 722, got 1000"),
])
def test_inverse_rate_bad_input(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        checks.inverse_rate(0.01, **kwargs)


# -- self-check: one SGD step ---------------------------------------------------------------------------


def right_update(thetas, grads, lr):
    return [{k: t[k] - lr * g[k] for k in t} for t, g in zip(thetas, grads)]


def in_place(thetas, grads, lr):
    for t, g in zip(thetas, grads):
        for k in t:
            t[k] -= lr * g[k]
    return thetas


@pytest.mark.parametrize("wrong,hint", [
    (lambda th, gr, lr: [{k: t[k] + lr * g[k] for k in t} for t, g in zip(th, gr)], "the sign is flipped"),
    (lambda th, gr, lr: [{k: t[k] - g[k] for k in t} for t, g in zip(th, gr)], "the learning rate is missing"),
    (lambda th, gr, lr: [{k: t[k] - (lr * g[k] if k == "W" else 0) for k in t} for t, g in zip(th, gr)],
     "['0.b', '2.b']"),
    (in_place, "changed its input arrays in place"),
    (lambda th, gr, lr: [t["W"] - lr * g["W"] for t, g in zip(th, gr) if t], "return a tree shaped like thetas"),
    (lambda th, gr, lr: None, "return a tree shaped like thetas"),
    (lambda th, gr, lr: th.missing, "AttributeError"),
])
def test_sgd_update(wrong, hint, capsys):
    assert checks.sgd_update(right_update)
    assert capsys.readouterr().out.startswith("Correct:")
    assert checks.sgd_update(training.sgd_step)
    capsys.readouterr()
    assert not checks.sgd_update(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


def test_sgd_update_accepts_a_torch_optim_sgd_step(device):
    """A right answer written with torch.optim.SGD passes: the check's reference is PyTorch's SGD step."""

    def torch_update(thetas, grads, lr):
        tensors = params.tree_map(lambda a: tb.to_torch(a, device, requires_grad=True), thetas)
        flat = [t for _, t in params.leaves(tensors)]
        for t, (_, g) in zip(flat, params.leaves(grads)):
            t.grad = tb.to_torch(g, device)
        optimizer = torch.optim.SGD(flat, lr=lr)
        optimizer.step()
        return params.tree_map(tb.to_numpy, tensors)

    assert checks.sgd_update(torch_update)
    thetas, grads = checks._step_case(0)
    assert_allclose(params.flatten(torch_update(thetas, grads, 0.1)),
                    params.flatten(training.sgd_step(thetas, grads, 0.1)), rtol=1e-15, atol=1e-15,
                    err_msg="torch.optim.SGD and lc.training.sgd_step must take the same step")


def test_sgd_update_bad_input():
    with pytest.raises(ValueError, match=r"sgd_update expects your function update_fn\(thetas, grads, lr\), "
                                         r"got NoneType"):
        checks.sgd_update(None)


# -- self-check: standardization ------------------------------------------------------------------------


def right_standardize(X_train, X_other):
    mean, sd = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / sd, (X_other - mean) / sd


def own_statistics(X_train, X_other):
    return ((X_train - X_train.mean(0)) / X_train.std(0), (X_other - X_other.mean(0)) / X_other.std(0))


def pooled(X_train, X_other):
    both = np.vstack([X_train, X_other])
    return (X_train - both.mean(0)) / both.std(0), (X_other - both.mean(0)) / both.std(0)


def pooled_other_only(X_train, X_other):
    both = np.vstack([X_train, X_other])
    return right_standardize(X_train, X_other)[0], (X_other - both.mean(0)) / both.std(0)


@pytest.mark.parametrize("wrong,hint", [
    (own_statistics, "X_other was standardized with its own mean and SD"),
    (pooled, "mean and SD of all the data pooled"),
    (pooled_other_only, "mean and SD of all the data pooled"),
    (lambda A, O: ((A - A.mean(0)) / A.std(0, ddof=1), (O - A.mean(0)) / A.std(0, ddof=1)), "sample SD (ddof=1)"),
    (lambda A, O: ((A - A.mean(1, keepdims=True)) / A.std(1, keepdims=True), O), "not each row"),
    (lambda A, O: (A / A.std(0), O / A.std(0)), "subtract the training mean"),
    (lambda A, O: right_standardize(A, O)[0], "return the pair (Z_train, Z_other)"),
    (lambda A, O: (right_standardize(A, O)[0], O.T), "should keep the shapes (40, 4) and (15, 4)"),
    (lambda A, O: (right_standardize(A, O)[0], O), "transform X_other with the same training mean and SD"),
    (lambda A, O: (A - A.mean(0), O - A.mean(0)), "Z_train's columns should have mean 0 and SD 1"),
])
def test_standardization(wrong, hint, capsys):
    assert checks.standardization(right_standardize)
    assert capsys.readouterr().out.startswith("Correct:")
    assert checks.standardization(lambda A, O: tuple(lc.data.fit_standardizer(A).transform(Z) for Z in (A, O)))
    capsys.readouterr()
    assert not checks.standardization(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


def test_standardization_case_tells_the_mistakes_apart():
    X_train, X_other = checks._standardization_case()
    assert not np.allclose(X_other.mean(0), X_train.mean(0), rtol=0.05), "other split must have its own statistics"
    right = right_standardize(X_train, X_other)
    assert_allclose(right[0].mean(0), 0, atol=1e-12, err_msg="training columns get mean 0")
    assert_allclose(right[0].std(0), 1, rtol=1e-12, err_msg="training columns get SD 1")
    for wrong in (own_statistics, pooled):
        assert not np.allclose(wrong(X_train, X_other)[1], right[1], rtol=1e-6)


def test_standardization_bad_input():
    with pytest.raises(ValueError, match=r"standardization expects your function "
                                         r"standardize_fn\(X_train, X_other\), got str"):
        checks.standardization("z-score")


# -- self-check: Adam's first update --------------------------------------------------------------------

ADAM = dict(theta0=[0.5, -1.2, 2.0, 0.3], grad=[4.0, -0.003, 250.0, 0.0], lr=0.01)
THETA0, GRAD = np.array(ADAM["theta0"]), np.array(ADAM["grad"])
SIGN = np.sign(GRAD)


def test_adam_first_step_reference_is_torch_adam():
    """The check's reference, lc.optimizers.Adam, is torch.optim.Adam's first step."""
    theta = torch.tensor(THETA0, requires_grad=True)
    theta.grad = torch.tensor(GRAD)
    torch.optim.Adam([theta], lr=0.01).step()
    assert checks.adam_first_step(theta.detach().numpy(), **ADAM)
    assert_allclose(theta.detach().numpy(), THETA0 - 0.01 * GRAD / (np.abs(GRAD) + 1e-8), rtol=0, atol=1e-15)


@pytest.mark.parametrize("wrong,hint", [
    (THETA0 - 0.01 * GRAD, "plain gradient descent"),
    (THETA0 + 0.01 * SIGN, "the sign is flipped"),
    (-0.01 * SIGN, "that is the step theta1 - theta0"),
    (THETA0 - 0.01 * math.sqrt(1000) / 10 * SIGN, "the bias corrections are missing"),
    (THETA0 - 0.01 * math.sqrt(1000) * SIGN, "m is bias-corrected but v is not"),
    (THETA0 - 0.001 * SIGN, "v is bias-corrected but m is not"),
    (THETA0 - 0.01 * np.divide(1.0, GRAD, out=np.zeros(4), where=GRAD != 0), "not by v_hat itself"),
    (THETA0 - 0.02 * SIGN, "find m and v after one step from 0"),
    ([0.49, -1.19, 1.99, math.nan], "a gradient of 0 gives 0 / (0 + eps) = 0"),
    ([0.49, -1.19], "give theta1 shaped like theta0, (4,), got (2,)"),
    ("about 0.49", "give theta1 as numbers"),
])
def test_adam_first_step(wrong, hint, capsys):
    assert checks.adam_first_step([0.49, -1.19, 1.99, 0.3], **ADAM), "by hand, without eps, is right"
    out = capsys.readouterr().out
    assert out.startswith("Correct:") and "moves by lr" in out
    assert not checks.adam_first_step(wrong, **ADAM)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


def test_adam_first_step_other_betas():
    b1, b2 = 0.5, 0.9
    m, v = (1 - b1) * GRAD, (1 - b2) * GRAD**2
    right = THETA0 - 0.1 * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + 1e-8)
    assert checks.adam_first_step(right, **dict(ADAM, lr=0.1), betas=(b1, b2))
    assert not checks.adam_first_step(THETA0 - 0.1 * m / (np.sqrt(v) + 1e-8), **dict(ADAM, lr=0.1), betas=(b1, b2))


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(ADAM, grad=[1.0, 2.0]), r"adam_first_step expects grad shaped like theta0 \(4,\), got \(2,\)"),
    (dict(ADAM, theta0=[[1.0]]), r"adam_first_step expects theta0 as a non-empty 1-d sequence of finite numbers"),
    (dict(ADAM, grad=["a", 1.0, 2.0, 3.0]), r"adam_first_step expects grad as numbers"),
    (dict(ADAM, lr=0), r"adam_first_step expects lr to be a finite number > 0, got 0"),
    (dict(ADAM, betas=(0.9, 1.0)), r"Adam expects beta2"),
])
def test_adam_first_step_bad_input(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        checks.adam_first_step([0.0] * 4, **kwargs)


# -- self-check: the variance that keeps the signal ------------------------------------------------------


@pytest.mark.parametrize("wrong,hint", [
    (1 / 256, "the ReLU before it sets half of its inputs to 0"),
    (math.sqrt(2 / 256), "that is the standard deviation sqrt(2 / 256)"),
    (256 / 2, "inverted"),
    (2 / 256**2, "the fan-in enters once"),
    (0.5, "write E[z'^2] = fan_in Var(w) E[x^2]"),
    ("2/256", "give Var(w) as a number"),
])
def test_preserving_variance_relu(wrong, hint, capsys):
    assert checks.preserving_variance(2 / 256, fan_in=256)
    out = capsys.readouterr().out
    assert out.startswith("Correct:") and "ReLU halves the second moment" in out
    assert checks.preserving_variance(0.0078, fan_in=256), "a value rounded by hand passes"
    capsys.readouterr()
    assert not checks.preserving_variance(wrong, fan_in=256)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


@pytest.mark.parametrize("activation", ["linear", "tanh"])
def test_preserving_variance_without_relu(activation, capsys):
    assert checks.preserving_variance(1 / 100, fan_in=100, activation=activation)
    capsys.readouterr()
    assert not checks.preserving_variance(2 / 100, fan_in=100, activation=activation)
    out = capsys.readouterr().out
    assert "halves nothing" in out, out
    assert not checks.preserving_variance(0.1, fan_in=100, activation=activation)
    assert "standard deviation" in capsys.readouterr().out


def test_preserving_variance_is_what_a_deep_relu_stack_measures():
    """Through 10 ReLU layers of 256 units, Var(w) = 2 / 256 keeps E[z^2]; 1 / 256 halves it per layer."""
    rng = np.random.default_rng(0)
    for var, per_layer in ((2 / 256, 1.0), (1 / 256, 0.5)):
        z = rng.normal(size=(2000, 256))
        for _ in range(10):
            z = np.maximum(z, 0) @ rng.normal(0.0, math.sqrt(var), size=(256, 256))
        assert abs(math.log(np.mean(z**2) / per_layer**10)) < math.log(4), (var, np.mean(z**2))  # one draw


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(fan_in=0), r"preserving_variance expects fan_in to be an integer >= 1, got 0"),
    (dict(fan_in=256, activation="sigmoid"),
     r"preserving_variance expects activation to be one of \['linear', 'relu', 'tanh'\], got 'sigmoid'"),
])
def test_preserving_variance_bad_input(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        checks.preserving_variance(0.01, **kwargs)
