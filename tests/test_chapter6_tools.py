"""Chapter 6's figures (lecture_code.plotting.regularization) and self-checks (selfcheck.regularization)."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from lecture_code import torch_bridge as tb  # noqa: E402
from lecture_code.plotting import regularization as plots  # noqa: E402
from lecture_code.selfcheck import regularization as checks  # noqa: E402
from lecture_code.training import History  # noqa: E402


def history(train, val=None):
    h = History()
    for epoch, t in enumerate(train):
        h.record(epoch, t, None if val is None else val[epoch], 5 * epoch, 0.1 * epoch)
    return h


TRAIN = [0.6, 0.3, 0.2, 0.12, 0.08, 0.05, 0.03]
VAL = [0.65, 0.4, 0.33, 0.35, 0.38, 0.42, 0.5]


# -- plot_curves --------------------------------------------------------------------------------------

def _lines(ax):
    return {line.get_label(): line for line in ax.lines}


def test_curves_draw_training_dashed_and_validation_solid_per_run():
    runs = {"plain": history(TRAIN, VAL), "decay": history([0.5, 0.4], [0.5, 0.45])}
    ax = plots.plot_curves(runs)
    lines = _lines(ax)
    assert set(lines) == {"plain: training", "plain: validation", "decay: training", "decay: validation"}
    assert_allclose(lines["plain: training"].get_ydata(), TRAIN, rtol=0, atol=0, err_msg="training curve")
    assert_allclose(lines["plain: validation"].get_ydata(), VAL, rtol=0, atol=0, err_msg="validation curve")
    assert_allclose(lines["plain: validation"].get_xdata(), range(len(VAL)), rtol=0, atol=0)
    assert lines["plain: training"].get_linestyle() == "--" and lines["plain: validation"].get_linestyle() == "-"
    assert lines["plain: training"].get_color() == lines["plain: validation"].get_color()
    assert lines["plain: training"].get_color() != lines["decay: training"].get_color()
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"


def test_curves_can_show_validation_only_on_a_linear_axis_on_a_given_axes():
    _, given = plt.subplots()
    ax = plots.plot_curves({"plain": history(TRAIN, VAL)}, ax=given, which=("val",), log=False)
    assert ax is given and list(_lines(ax)) == ["plain: validation"] and ax.get_yscale() == "linear"


# -- plot_early_stopping -------------------------------------------------------------------------------

def test_early_stopping_marks_the_restored_epoch_and_the_stop():
    stopped = history(TRAIN[:6], VAL[:6])
    full = history(TRAIN, VAL)
    ax = plots.plot_early_stopping(stopped, best_epoch=2, stopped_epoch=5, full=full, patience=3)
    lines = _lines(ax)
    marker = lines["restored: epoch 2"]
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (2, VAL[2])
    assert_allclose(lines["stopped after epoch 5"].get_xdata(), [5, 5], rtol=0, atol=0)
    assert_allclose(lines["without stopping: validation"].get_ydata(), VAL, rtol=0, atol=0)
    assert_allclose(lines["validation"].get_ydata(), VAL[:6], rtol=0, atol=0)
    span = [p for p in ax.patches if p.get_label() == "patience = 3 epochs"]
    assert len(span) == 1
    patch = span[0]  # a Rectangle in matplotlib >= 3.9, a Polygon before
    xs = [patch.get_x(), patch.get_x() + patch.get_width()] if hasattr(patch, "get_width") else patch.get_xy()[:, 0]
    assert (min(xs), max(xs)) == (2, 5)


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.plot_early_stopping(history(TRAIN, VAL), 9, 9), r"best_epoch must be one of the .* 0..6, got 9"),
    (lambda: plots.plot_early_stopping(history(TRAIN, VAL), 4, 2), r"stopped_epoch \(2\) cannot come before .*\(4\)"),
    (lambda: plots.plot_early_stopping(history(TRAIN), 1, 2), r"has no validation loss: train with validation="),
    (lambda: plots.plot_curves({}), r"runs must be a non-empty dict label -> History"),
    (lambda: plots.plot_curves({"a": [0.1, 0.2]}), r"runs\['a'\] must be a training History"),
    (lambda: plots.plot_curves({"a": history(TRAIN)}), r"runs\['a'\] has no validation loss"),
    (lambda: plots.plot_curves({"a": history(TRAIN, VAL)}, which=("test",)), r"which must name curves from \['train'"),
])
def test_curve_plots_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- plot_cv_curve ------------------------------------------------------------------------------------

def test_cv_curve_shows_mean_and_sd_of_the_folds_and_the_chosen_lambda():
    lams = [0.001, 0.01, 0.1]
    scores = np.array([[0.4, 0.5, 0.3, 0.6], [0.2, 0.3, 0.25, 0.35], [0.3, 0.3, 0.4, 0.5]])
    ax = plots.plot_cv_curve(lams, scores, chosen=0.01)
    errorbar = ax.containers[0]
    assert errorbar.get_label() == "mean ± SD over 4 folds"
    assert_allclose(errorbar.lines[0].get_ydata(), scores.mean(axis=1), rtol=1e-15, err_msg="the means")
    bars = errorbar.lines[2][0].get_segments()  # the error bars: one segment per lambda
    assert_allclose([seg[1, 1] - seg[0, 1] for seg in bars], 2 * scores.std(axis=1), rtol=1e-12, err_msg="± SD")
    dots = [line for line in ax.lines if line.get_marker() == "."]
    assert len(dots) == 4 and sorted(np.concatenate([d.get_ydata() for d in dots])) == sorted(scores.ravel())
    star = _lines(ax)["chosen λ = 0.01"]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (0.01, pytest.approx(scores[1].mean()))
    assert ax.get_xscale() == "log"


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.plot_cv_curve([0.1, 1.0], np.ones((3, 4))), r"shape \(L, k\) = \(2, k >= 2\), .* got \(3, 4\)"),
    (lambda: plots.plot_cv_curve([0.1, 1.0], np.ones((2, 1))), r"got \(2, 1\)"),
    (lambda: plots.plot_cv_curve([0.0, 1.0], np.ones((2, 3))), r"lams must be a non-empty list of values > 0"),
    (lambda: plots.plot_cv_curve([0.1, 1.0], np.ones((2, 3)), chosen=0.5), r"chosen must be one of lams .*got 0.5"),
])
def test_cv_curve_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- plot_weight_pattern and plot_sparsity ---------------------------------------------------------------

def test_weight_pattern_masks_exact_zeros_only_on_a_symmetric_scale():
    W = np.array([[0.0, 1e-12, -0.5], [2.0, 0.0, 0.0]])
    ax = plots.plot_weight_pattern(W, colorbar=False)
    image = ax.images[0].get_array()
    assert_allclose(image.filled(np.nan), np.where(W == 0, np.nan, W), rtol=0, atol=0, err_msg="the image is not W")
    assert image.mask.tolist() == (W == 0).tolist()  # 1e-12 is small, not zero: it stays coloured
    assert ax.images[0].get_clim() == (-2.0, 2.0)
    assert ax.get_title() == "50% of the weights are exactly 0 (white)"


def test_sparsity_plot_draws_the_fractions_against_lambda():
    ax = plots.plot_sparsity([0.001, 0.01, 0.1], [0.0, 0.25, 0.9])
    assert_allclose(ax.lines[0].get_ydata(), [0.0, 0.25, 0.9], rtol=0, atol=0)
    assert [t.get_text() for t in ax.texts] == ["0%", "25%", "90%"] and ax.get_xscale() == "log"


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.plot_weight_pattern(np.ones(3)), r"W must be a weight matrix of shape \(out, in\), got \(3,\)"),
    (lambda: plots.plot_weight_pattern([[np.nan]]), r"W must be finite"),
    (lambda: plots.plot_sparsity([0.1, 1.0], [0.2, 1.5]), r"zero_fractions must be 2 values in \[0, 1\]"),
    (lambda: plots.plot_sparsity([0.1, 1.0], [0.2]), r"zero_fractions must be 2 values"),
    (lambda: plots.plot_sparsity([-0.1, 1.0], [0.2, 0.3]), r"lams must be a non-empty list of values > 0"),
])
def test_weight_plots_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- draw_dropout and plot_dropout_outputs ---------------------------------------------------------------

@pytest.mark.parametrize("sizes,dropped", [
    ([4, 6, 6, 1], [[0] * 4, [1, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0], [0]]),
    ([2, 3, 1], [[0, 0], [0, 0, 0], [0]]),
    ([3, 2, 2], [[0, 1, 0], [1, 1], [0, 0]]),
])
def test_dropout_drawing_removes_every_connection_of_a_dropped_unit(sizes, dropped):
    ax = plots.draw_dropout(sizes, dropped)
    on = [len(d) - sum(d) for d in dropped]
    units = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(units) == sum(sizes)
    assert sum(p.get_facecolor()[:3] == (1.0, 1.0, 1.0) for p in units) == sum(map(sum, dropped))  # hollow
    kept = sum(a * b for a, b in zip(on[:-1], on[1:]))
    assert len(ax.lines) == kept + 2 * sum(map(sum, dropped))  # connections, plus two strokes per cross
    assert [t.get_text() for t in ax.texts][1] == f"Hidden 1\n({on[1]} of {sizes[1]} on)"


def test_dropout_outputs_histogram_holds_every_sample_and_both_lines():
    samples = np.random.default_rng(0).normal(1.0, 0.5, size=500)
    ax = plots.plot_dropout_outputs(samples, 0.8, bins=20)
    assert sum(p.get_height() for p in ax.patches) == 500 and len(ax.patches) == 20
    lines = {line.get_label().split(":")[0]: line.get_xdata()[0] for line in ax.lines}
    assert lines["mean over the masks"] == pytest.approx(samples.mean(), rel=1e-15)
    assert lines["evaluation mode"] == 0.8


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.draw_dropout([4], [[0] * 4]), r"at least two layer widths, got \[4\]"),
    (lambda: plots.draw_dropout([4, 2], [[0] * 4]), r"dropped must hold one boolean list per layer \(2\)"),
    (lambda: plots.draw_dropout([4, 2], [[0] * 4, [0] * 3]), r"dropped\[1\] must have 2 entries .*, got 3"),
    (lambda: plots.draw_dropout([4, 0], [[0] * 4, []]), r"sizes\[1\] must be >= 1, got 0"),
    (lambda: plots.plot_dropout_outputs(np.ones((2, 2)), 0.0), r"samples must be a 1-D array .*, got shape \(2, 2\)"),
    (lambda: plots.plot_dropout_outputs(np.ones(4), [0.0, 1.0]), r"eval_output must be one number, got shape \(2,\)"),
    (lambda: plots.plot_dropout_outputs(np.ones(4), 0.0, bins=0), r"bins must be >= 1, got 0"),
])
def test_dropout_plots_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- weight_decay_gradient -------------------------------------------------------------------------------

W = np.array([[0.5, -1.0, 0.3], [2.0, 0.0, -0.7]])
B = np.array([0.1, -0.3])


def test_weight_decay_check_accepts_the_autograd_gradient(device, capsys):
    lam = 0.05
    Wt, bt = tb.to_torch(W, device, requires_grad=True), tb.to_torch(B, device, requires_grad=True)
    (lam * (Wt.pow(2).sum() + bt.pow(2).sum())).backward()  # eq 33
    assert checks.weight_decay_gradient(W, B, lam, tb.to_numpy(Wt.grad), tb.to_numpy(bt.grad))
    assert capsys.readouterr().out.startswith("Correct:")
    Wt.grad = None
    (lam * Wt.pow(2).sum()).backward()  # weights only
    assert checks.weight_decay_gradient(W, B, lam, tb.to_numpy(Wt.grad), np.zeros(2), biases=False)
    assert not checks.weight_decay_gradient(W, B, lam, tb.to_numpy(Wt.grad), np.zeros(2))  # eq 33 needs db


@pytest.mark.parametrize("dW,db,biases,hint", [
    (0.05 * W, 0.05 * B, True, "you have lambda w"),
    (2 * W, 2 * B, True, "you left out lambda"),
    (-0.1 * W, -0.1 * B, True, "the sign is flipped"),
    (0.1 * W, np.zeros(2), True, "eq 33 penalizes the biases too"),
    (0.1 * W, 0.1 * B, False, "with biases=False the biases are not in the penalty, so db = 0"),
    (0.1 * W, 0.2 * B, True, "db should be 2 lambda b"),
    (0.1 * W.T, 0.1 * B, True, r"dW should have shape \(2, 3\)"),
    ("a", 0.1 * B, True, "give dW as an array of numbers"),
])
def test_weight_decay_check_names_the_mistake(dW, db, biases, hint, capsys):
    assert checks.weight_decay_gradient(W, B, 0.05, dW, db, biases=biases) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and re.search(hint, out), out


# -- soft_threshold ---------------------------------------------------------------------------------------

def test_soft_threshold_check_accepts_the_proximal_minimizer(capsys):
    # the soft-threshold is argmin_w lam |w| + (w - w0)^2 / (2 lr): find it on a fine grid, independently
    w0, lr, lam = np.array([0.5, -0.05, 0.02, -0.3, 0.0, 0.12]), 0.1, 1.0
    grid = np.linspace(-1, 1, 200_001)
    argmin = np.array([grid[np.argmin(lam * np.abs(grid) + (grid - w) ** 2 / (2 * lr))] for w in w0])
    assert_allclose(argmin, [0.4, 0.0, 0.0, -0.2, 0.0, 0.02], atol=1e-5)
    assert checks.soft_threshold(w0, lr, lam, [0.4, 0.0, 0.0, -0.2, 0.0, 0.02])
    assert "3 of 6 weights land exactly on 0" in capsys.readouterr().out
    assert checks.soft_threshold(w0.reshape(2, 3), lr, lam, np.array([0.4, 0.0, 0.0, -0.2, 0.0, 0.02]).reshape(2, 3))


W0 = np.array([0.5, -0.05, 0.02, -0.3, 0.0, 0.12])


@pytest.mark.parametrize("answer,hint", [
    (W0 - 0.1 * np.sign(W0), "must stop at 0, not cross it"),
    (W0 * (np.abs(W0) > 0.1), "soft, not hard, thresholding"),
    (np.sign(W0) * np.maximum(np.abs(W0) - 0.5, 0.0), "the step size times lambda, lr \\* lam, not lam alone"),
    (np.maximum(np.abs(W0) - 0.1, 0.0), "keep the sign of each weight"),
    (2 * W0, "shrink every \\|w\\| by lr \\* lam = 0.1"),
    (np.zeros(5), r"should have shape \(6,\)"),
])
def test_soft_threshold_check_names_the_mistake(answer, hint, capsys):
    assert checks.soft_threshold(W0, 0.2, 0.5, answer) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and re.search(hint, out), out


# -- dropout_unit -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("h,p", [(3.0, 0.25), (-1.5, 0.5), (2.0, 0.0)])
def test_dropout_unit_check_accepts_what_torch_dropout_does(h, p, device, capsys):
    torch.manual_seed(0)
    out = F.dropout(tb.to_torch(np.full(100_000, h), device), p=p, training=True)
    values = torch.unique(out).tolist()
    kept = [v for v in values if v != 0.0]
    assert len(kept) == 1 and kept[0] == pytest.approx(h / (1 - p), rel=1e-15)
    assert float(out.mean()) == pytest.approx(h, abs=0.03)  # its mean over many units is h
    assert checks.dropout_unit(h, p, kept[0], h)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize("kept,mean,hint", [
    (3.0 * 0.75, 3.0, "divides the kept unit by the keep probability 1 - p"),
    (3.0 / 0.25, 3.0, "p is the probability of dropping"),
    (3.0, 3.0, "without scaling the mean would shrink"),
    (5.0, 3.0, "a kept unit is scaled by 1 / \\(1 - p\\)"),
    (4.0, 2.25, "the mean is \\(1 - p\\) times the kept value"),
    (4.0, 4.0, "the mean is P\\(kept\\)"),
    ("four", 3.0, "give two numbers"),
])
def test_dropout_unit_check_names_the_mistake(kept, mean, hint, capsys):
    assert checks.dropout_unit(3.0, 0.25, kept, mean) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and re.search(hint, out), out


# -- early_stopping_epochs ---------------------------------------------------------------------------------

def independent_early_stopping(losses, patience, min_delta):
    """(stopped, restored) written out directly from the rule, not with lc.regularization.EarlyStopping."""
    best, best_epoch, wait = losses[0], 0, 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < best - min_delta:
            best, best_epoch, wait = losses[epoch], epoch, 0
        else:
            wait += 1
            if wait == patience:
                return epoch, best_epoch
    return None, best_epoch


@pytest.mark.parametrize("seed", range(8))
def test_early_stopping_check_agrees_with_the_rule_written_out(seed, capsys):
    rng = np.random.default_rng(seed)
    losses = list(1.0 / np.arange(1, 31) + 0.05 * np.arange(30) / 30 + 0.02 * rng.random(30))
    patience, min_delta = int(rng.integers(1, 6)), float(rng.choice([0.0, 0.005, 0.02]))
    stopped, restored = independent_early_stopping(losses, patience, min_delta)
    assert checks.early_stopping_epochs(losses, patience, min_delta, stopped, restored)
    assert capsys.readouterr().out.startswith("Correct:")


LOSSES = [1.00, 0.80, 0.70, 0.69, 0.72, 0.695, 0.71, 0.73, 0.68, 0.75]  # P = 3, min_delta 0.02: stop 5, restore 2


@pytest.mark.parametrize("losses,stopped,restored,hint", [
    (LOSSES, 5, 5, "restored are those of the best epoch"),
    (LOSSES, 6, 3, "more than min_delta = 0.02"),
    (LOSSES, 4, 2, "off by one"),
    (LOSSES, 5, 3, "the stopping epoch is right"),
    (LOSSES, None, 2, "it reaches patience = 3 before the list ends"),
    ([1.0, 0.9, 0.8, 0.7], 3, 3, "training runs to the end: stopped = None"),
    (LOSSES, 5.0, 2, "give stopped as an epoch number"),
    (LOSSES, 8, 1, "keeping the best loss so far"),
])
def test_early_stopping_check_names_the_mistake(losses, stopped, restored, hint, capsys):
    assert checks.early_stopping_epochs(losses, 3, 0.02, stopped, restored) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and re.search(hint, out), out


@pytest.mark.parametrize("call,pattern", [
    (lambda: checks.weight_decay_gradient(np.ones(3), np.ones(3), 0.1, 0, 0), r"expected W of shape \(M, D\) .*\(3,\)"),
    (lambda: checks.weight_decay_gradient(W, B, -1.0, W, B), r"lambda must be a finite number >= 0, got -1.0"),
    (lambda: checks.soft_threshold(W0, 0.0, 1.0, W0), r"lr must be > 0, got 0.0"),
    (lambda: checks.soft_threshold(W0, 0.1, "big", W0), r"lam must be a finite number, got 'big'"),
    (lambda: checks.dropout_unit(1.0, 1.0, 0.0, 1.0), r"p \(the drop probability\) must be in \[0, 1\), got 1.0"),
    (lambda: checks.dropout_unit(float("nan"), 0.5, 0.0, 1.0), r"h must be a finite number, got nan"),
    (lambda: checks.early_stopping_epochs([1.0], 2, 0.0, None, 0), r"at least 2 losses .*, got shape \(1,\)"),
    (lambda: checks.early_stopping_epochs(LOSSES, 0, 0.0, None, 0), r"patience must be >= 1, got 0"),
    (lambda: checks.early_stopping_epochs(LOSSES, 2, -0.1, None, 0), r"min_delta must be .* >= 0, got -0.1"),
])
def test_selfchecks_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
