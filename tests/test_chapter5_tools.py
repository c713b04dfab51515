"""Chapter 5's tools: the training-curve figures (lecture_code.plotting.training) and the self-checks
of its exercises (lecture_code.selfcheck.training)."""

import math
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

import lecture_code as lc  # noqa: E402
from lecture_code import params, training  # noqa: E402
from lecture_code import torch_bridge as tb  # noqa: E402
from lecture_code.plotting import training as plots  # noqa: E402
from lecture_code.selfcheck import training as checks  # noqa: E402


def small_run(regime="minibatch", epochs=3, validation=True, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 3))
    Y = X @ np.array([[1.0], [-0.5], [0.25]]) + 0.1 * rng.normal(size=(40, 1))
    net = lc.mlp([3, 5, 1])
    val = (X[:10], Y[:10]) if validation else None
    return training.train(net, net.init(1), X, Y, lc.losses.squared_error, regime=regime, batch_size=8, lr=0.05,
                          epochs=epochs, rng=2, validation=val)[1]


# -- plot_loss_curves -----------------------------------------------------------------------------------


def test_loss_curves_draw_each_history_against_epochs():
    a, b = small_run("minibatch"), small_run("batch")
    ax = plots.plot_loss_curves({"mini": a, "full": b}, log_y=False)
    assert [line.get_label() for line in ax.lines] == ["mini", "full"]
    for line, h in zip(ax.lines, (a, b)):
        assert_array_equal(line.get_xdata(), h.epoch, err_msg="x must be the epoch numbers, row 0 included")
        assert_allclose(line.get_ydata(), h.train_loss, rtol=1e-15, atol=0, err_msg="y must be the training losses")
    assert ax.get_xlabel().startswith("epoch") and ax.get_ylabel() == "mean training loss" and ax.get_title()


def test_loss_curves_against_updates_on_a_log_axis_drop_row_zero():
    h = small_run("minibatch", epochs=4)  # 40 examples, B = 8: 5 updates per epoch
    ax = plots.plot_loss_curves({"run": h}, x="updates", log_x=True)
    (line,) = ax.lines
    assert_array_equal(line.get_xdata(), [5, 10, 15, 20],
                       err_msg="x must be the update counts, without 0 on a log axis")
    assert_allclose(line.get_ydata(), h.train_loss[1:], rtol=1e-15, atol=0)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and ax.get_xlabel().startswith("number of updates")


def test_loss_curves_validation_and_non_finite_points():
    h = small_run()
    ax = plots.plot_loss_curves({"run": h}, which="val", log_y=False)
    assert_allclose(ax.lines[0].get_ydata(), h.val_loss, rtol=1e-15, atol=0, err_msg="which='val' plots val_loss")
    assert ax.get_ylabel() == "mean validation loss"
    blown = training.History([0, 1, 2, 3], [3.0, 1e30, 1e300, math.inf], [None] * 4, [0, 1, 2, 3], [0.0] * 4)
    ax = plots.plot_loss_curves({"diverged": blown})
    assert_allclose(ax.lines[0].get_ydata(), [3.0, 1e30], rtol=0, atol=0, err_msg="1e300 and inf are left out")
    assert_array_equal(ax.lines[0].get_xdata(), [0, 1])


def test_log_axes_get_plain_tick_labels():
    h = small_run()
    ax = plots.plot_loss_curves({"run": h})
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.yaxis.get_ticklabels(which="both") if t.get_text()]
    assert labels and not any("times" in t or "^" in t for t in labels), labels
    wide = training.History([0, 1, 2], [0.5, 1e13, 2.0], [None] * 3, [0, 1, 2], [0.0] * 3)
    ax = plots.plot_loss_curves({"blown up": wide})
    ax.figure.canvas.draw()
    majors = [t.get_text() for t in ax.yaxis.get_ticklabels() if t.get_text()]
    assert "$10^{12}$" in majors or "$10^{13}$" in majors, majors
    assert all(re.fullmatch(r"\$10\^\{-?\d+\}\$|[0-9.]+", t) for t in majors), majors
    assert not any(t.get_text() for t in ax.yaxis.get_ticklabels(minor=True)), "no minor labels on 14 decades"


@pytest.mark.parametrize("call,pattern", [
    (lambda h: plots.plot_loss_curves([h]), r"histories must be a non-empty dict \{label: \.\.\.\}, got list"),
    (lambda h: plots.plot_loss_curves({}), r"histories must be a non-empty dict"),
    (lambda h: plots.plot_loss_curves({"a": h}, x="time"), r"x must be 'epoch' or 'updates', got 'time'"),
    (lambda h: plots.plot_loss_curves({"a": h}, which="test"), r"which must be 'train' or 'val', got 'test'"),
    (lambda h: plots.plot_loss_curves({"a": [1.0, 0.5]}), r"'a' must be a History from lc.training.train, got list"),
    (lambda h: plots.plot_loss_curves({"a": training.History()}), r"'a' is an empty History"),
])
def test_loss_curves_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(small_run())


def test_loss_curves_without_validation_data_say_so():
    with pytest.raises(ValueError, match=r"'a' has no validation loss: train it with validation=\(X_val, Y_val\)"):
        plots.plot_loss_curves({"a": small_run(validation=False)}, which="val")


# -- plot_schedules -------------------------------------------------------------------------------------


def test_schedules_draw_rho_r_for_r_from_1():
    ax = plots.plot_schedules({"1/r": training.inverse(1.0), "flat": training.constant(0.05),
                               "capped": lambda r: 0.05 * min(1.0, 10 / r)}, 50)
    inverse, flat, capped = ax.lines
    r = np.arange(1, 51)
    assert_array_equal(inverse.get_xdata(), r, err_msg="r counts updates from 1")
    assert_allclose(inverse.get_ydata(), 1.0 / r, rtol=1e-15, atol=0, err_msg="rho_r = rho0 / r")
    assert_allclose(flat.get_ydata(), np.full(50, 0.05), rtol=0, atol=0)
    assert_allclose(capped.get_ydata(), 0.05 * np.minimum(1.0, 10 / r), rtol=1e-15, atol=0)
    assert ax.get_xscale() == ax.get_yscale() == "log" and [line.get_label() for line in ax.lines] == ["1/r", "flat",
                                                                                                      "capped"]


@pytest.mark.parametrize("schedules,n,pattern", [
    ({"a": 0.1}, 10, r"schedule 'a' must be a function r -> rho_r, got float"),
    ({"a": lambda r: 1.0 - r / 5}, 10, r"schedule 'a' must give finite rates > 0, got 0\.0 at r = 5"),
    ({"a": lambda r: math.nan}, 3, r"finite rates > 0, got nan at r = 1"),
    ({"a": training.inverse(1.0)}, 0, r"n_updates must be >= 1, got 0"),
    ([training.inverse(1.0)], 5, r"schedules must be a non-empty dict"),
])
def test_schedules_bad_input(schedules, n, pattern):
    with pytest.raises(ValueError, match=pattern):
        plots.plot_schedules(schedules, n)


# -- plot_evaluations -----------------------------------------------------------------------------------


def test_evaluations_draw_the_lowest_loss_so_far_and_the_raw_losses_faintly():
    cg = [5.0, 3.0, 40.0, 2.0, 2.5, 1.0]
    gd = [5.0, 4.0, 3.5, 3.2]
    ax = plots.plot_evaluations({"CG": cg, "GD": gd})
    best_cg, best_gd, raw_cg, raw_gd = ax.lines
    assert_array_equal(best_cg.get_xdata(), np.arange(1, 7), err_msg="evaluation k = 1, 2, ...")
    assert_allclose(best_cg.get_ydata(), [5.0, 3.0, 3.0, 2.0, 2.0, 1.0], rtol=0, atol=0, err_msg="running minimum")
    assert_allclose(best_gd.get_ydata(), gd, rtol=0, atol=0)
    assert_allclose(raw_cg.get_ydata(), cg, rtol=0, atol=0)
    assert raw_cg.get_alpha() < 0.5 and raw_cg.get_color() == best_cg.get_color()
    assert raw_gd.get_color() == best_gd.get_color() != best_cg.get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["CG", "GD"]
    low, high = ax.get_ylim()
    assert low < 1.0 and 5.0 < high < 40.0, "a line-search spike must not squash the bold lines"


def test_evaluations_raw_only():
    ax = plots.plot_evaluations({"CG": [3.0, 4.0, 1.0]}, best_so_far=False, log_y=False)
    (line,) = ax.lines
    assert_allclose(line.get_ydata(), [3.0, 4.0, 1.0], rtol=0, atol=0)
    assert ax.get_yscale() == "linear" and "lowest" not in ax.get_ylabel()


@pytest.mark.parametrize("curves,pattern", [
    ({"a": []}, r"curve 'a' must be a non-empty 1-d sequence of finite losses, got shape \(0,\)"),
    ({"a": [1.0, math.nan]}, r"curve 'a' must be a non-empty 1-d sequence of finite losses"),
    ({"a": [[1.0, 2.0]]}, r"got shape \(1, 2\)"),
    ({"a": ["x", 1.0]}, r"curve 'a' must be a sequence of losses, got list"),
    ({}, r"curves must be a non-empty dict"),
])
def test_evaluations_bad_input(curves, pattern):
    with pytest.raises(ValueError, match=pattern):
        plots.plot_evaluations(curves)


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
                              batch_size=b or 1, epochs=1)
        assert h.updates[-1] == right_count(n, regime, b), (n, regime, b)


def test_updates_count_bad_input():
    with pytest.raises(ValueError, match=r"expected your function count_fn\(n, regime, batch_size\), got int"):
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
                   epochs=3)
    assert seen == list(range(1, 10))  # 3 updates per epoch, r = 1 .. 9 across epochs
    assert checks.inverse_rate(0.5 / seen[3 + 1], rho0=0.5, n=10, batch_size=4, epoch=2, step=2)


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(EXERCISE, rho0=0), r"rho0 must be a finite number > 0, got 0"),
    (dict(EXERCISE, step=24), r"an epoch of ceil\(722 / 32\) = 23 updates has no step 24"),
    (dict(EXERCISE, epoch=0), r"epoch must be >= 1, got 0"),
    (dict(EXERCISE, batch_size=1000), r"batch_size must be between 1 and N = 722"),
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
    with pytest.raises(ValueError, match=r"expected your function update_fn\(thetas, grads, lr\), got NoneType"):
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
    with pytest.raises(ValueError, match=r"expected your function standardize_fn\(X_train, X_other\), got str"):
        checks.standardization("z-score")
