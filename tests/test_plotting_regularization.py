"""Chapter 6's figures (lecture_code.plotting.regularization)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Circle
from figure_checks import saved_width, smallest_font
from numpy.testing import assert_allclose

from lecture_code.plotting import regularization as plots
from lecture_code.training import History


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


# -- plot_function_fit -----------------------------------------------------------------------------------

X_FEW = np.array([-0.8, -0.3, 0.1, 0.6])
Y_FEW = np.array([0.2, -0.5, 0.4, 0.9])
GRID = np.linspace(-1, 1, 21)


def test_function_fit_draws_each_fit_the_truth_and_both_sets_of_points():
    wiggly, smooth = np.sin(9 * GRID) * 50, 0.5 * GRID
    test = (np.array([[-0.5], [0.0], [0.5]]), np.array([[0.1], [0.0], [-0.1]]))  # columns (n, 1) are fine
    ax = plots.plot_function_fit(X_FEW[:, None], Y_FEW, GRID[:, None], {"none": wiggly, "decay": smooth},
                                 truth=np.sin(GRID), test=test)
    lines = _lines(ax)
    assert_allclose(lines["none"].get_ydata(), wiggly, rtol=0, atol=0, err_msg="the first fit")
    assert_allclose(lines["decay"].get_xdata(), GRID, rtol=0, atol=0, err_msg="fits are drawn over the grid")
    assert_allclose(lines["the function sampled"].get_ydata(), np.sin(GRID), rtol=0, atol=0)
    assert lines["none"].get_color() != lines["decay"].get_color()
    train = lines["training points (4)"]
    assert_allclose(train.get_ydata(), Y_FEW, rtol=0, atol=0, err_msg="the training points")
    assert train.get_linestyle() == "None" and train.get_markerfacecolor() == "black"
    hollow = lines["test points (3)"]
    assert_allclose(hollow.get_xdata(), [-0.5, 0.0, 0.5], rtol=0, atol=0, err_msg="the test points")
    assert hollow.get_markerfacecolor() == "none", "test points are hollow"
    low, high = ax.get_ylim()
    assert low < -1.0 and high > 1.0, "every point and the truth are inside the plot"
    assert high < 5, "a fit that shoots off does not flatten the plot: the axis follows the points, not the fit"
    assert _below_the_axes(ax)


def test_function_fit_without_truth_or_test_points_on_a_given_axes():
    _, given = plt.subplots()
    ax = plots.plot_function_fit(X_FEW, Y_FEW, GRID, {"fit": GRID}, ax=given, title="t")
    assert ax is given and set(_lines(ax)) == {"fit", "training points (4)"} and ax.get_title() == "t"


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.plot_function_fit(X_FEW, Y_FEW[:3], GRID, {"a": GRID}),
     r"plot_function_fit expects the training points as x and y of shape \(n,\) or \(n, 1\), the same n >= 1, "
     r"got \(4,\) and \(3,\)"),
    (lambda: plots.plot_function_fit(X_FEW, Y_FEW, GRID[::-1], {"a": GRID}),
     r"plot_function_fit expects grid to be an increasing array of shape \(G,\) or \(G, 1\)"),
    (lambda: plots.plot_function_fit(X_FEW, Y_FEW, GRID, {}),
     r"plot_function_fit expects fits to be a non-empty dict label -> predictions on the grid, got dict"),
    (lambda: plots.plot_function_fit(X_FEW, Y_FEW, GRID, {"a": GRID[:5]}),
     r"plot_function_fit expects fits\['a'\] to hold one prediction per grid point \(21,\), got \(5,\)"),
    (lambda: plots.plot_function_fit(X_FEW, Y_FEW, GRID, {"a": GRID}, truth=GRID[:3]),
     r"plot_function_fit expects truth to hold one value per grid point \(21,\), got \(3,\)"),
    (lambda: plots.plot_function_fit(X_FEW, Y_FEW, GRID, {"a": GRID}, test=X_FEW),
     r"plot_function_fit expects test to be a pair \(x, y\) of points, got ndarray"),
    (lambda: plots.plot_function_fit(X_FEW, Y_FEW, GRID, {"a": GRID}, test=(X_FEW, Y_FEW[:2])),
     r"plot_function_fit expects the test points as x and y .* got \(4,\) and \(2,\)"),
    (lambda: plots.plot_function_fit(X_FEW, Y_FEW, GRID, {"a": np.full(21, np.nan)}),
     r"fits\['a'\] must be finite"),
])
def test_function_fit_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


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


def _below_the_axes(ax):
    """Is the legend entirely below the axes (where it covers no curve)?"""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return ax.get_legend().get_window_extent(renderer).y1 <= ax.get_window_extent(renderer).y0


def test_early_stopping_legend_sits_below_the_curves():
    ax = plots.plot_early_stopping(history(TRAIN[:6], VAL[:6]), 2, 5, full=history(TRAIN, VAL), patience=3)
    assert _below_the_axes(ax), "the legend covers the curves"
    assert len(ax.get_legend().get_texts()) == 7


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.plot_early_stopping(history(TRAIN, VAL), 9, 9),
     r"plot_early_stopping expects best_epoch to be one of the recorded epochs 0..6, got 9"),
    (lambda: plots.plot_early_stopping(history(TRAIN, VAL), 4, 2),
     r"plot_early_stopping expects stopped_epoch >= best_epoch .*got stopped_epoch 2 and best_epoch 4"),
    (lambda: plots.plot_early_stopping(history(TRAIN), 1, 2),
     r"plot_early_stopping expects history to have a validation loss, got a History without one: "
     r"train with validation="),
    (lambda: plots.plot_curves({}), r"plot_curves expects runs to be a non-empty dict label -> History, got dict"),
    (lambda: plots.plot_curves({"a": [0.1, 0.2]}),
     r"plot_curves expects runs\['a'\] to be a training History .*got list"),
    (lambda: plots.plot_curves({"a": history(TRAIN)}), r"plot_curves expects runs\['a'\] to have a validation loss"),
    (lambda: plots.plot_curves({"a": history(TRAIN, VAL)}, which=("test",)),
     r"plot_curves expects which to name curves from \['train', 'val'\], got \('test',\)"),
])
def test_curve_plots_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- plot_cv_curve ------------------------------------------------------------------------------------

CV_SCORES = np.array([[0.4, 0.5, 0.3, 0.6], [0.2, 0.3, 0.25, 0.35], [0.3, 0.3, 0.4, 0.5]])


def _bar_lengths(errorbar):
    return [seg[1, 1] - seg[0, 1] for seg in errorbar.lines[2][0].get_segments()]  # one segment per lambda


def test_cv_curve_shows_the_mean_with_its_standard_error_and_the_chosen_lambda():
    lams = [0.001, 0.01, 0.1]
    scores = CV_SCORES
    ax = plots.plot_cv_curve(lams, scores, chosen=0.01)
    errorbar = ax.containers[0]
    assert errorbar.get_label() == "mean ± standard error (SD/√4)"
    assert_allclose(errorbar.lines[0].get_ydata(), scores.mean(axis=1), rtol=1e-15, err_msg="the means")
    se = scores.std(axis=1, ddof=1) / np.sqrt(4)
    assert_allclose(_bar_lengths(errorbar), 2 * se, rtol=1e-12, err_msg="± the standard error")
    assert _below_the_axes(ax)
    dots = [line for line in ax.lines if line.get_marker() == "."]
    assert len(dots) == 4 and sorted(np.concatenate([d.get_ydata() for d in dots])) == sorted(scores.ravel())
    star = _lines(ax)["chosen λ = 0.01"]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (0.01, pytest.approx(scores[1].mean()))
    assert ax.get_xscale() == "log"


def test_cv_curve_can_show_the_spread_of_single_folds_instead():
    ax = plots.plot_cv_curve([0.001, 0.01, 0.1], CV_SCORES, bars="sd")
    assert ax.containers[0].get_label() == "mean ± SD over 4 folds"
    assert_allclose(_bar_lengths(ax.containers[0]), 2 * CV_SCORES.std(axis=1, ddof=1), rtol=1e-12,
                    err_msg="± the sample SD (ddof = 1)")


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.plot_cv_curve([0.1, 1.0], np.ones((2, 3)), bars="sem"),
     r"plot_cv_curve expects bars to be one of \['se', 'sd'\], got 'sem'"),
    (lambda: plots.plot_cv_curve([0.1, 1.0], np.ones((3, 4))),
     r"plot_cv_curve expects scores of shape \(L, k\) = \(2, k >= 2\), .* got \(3, 4\)"),
    (lambda: plots.plot_cv_curve([0.1, 1.0], np.ones((2, 1))), r"got \(2, 1\)"),
    (lambda: plots.plot_cv_curve([0.0, 1.0], np.ones((2, 3))),
     r"plot_cv_curve expects lams to be a non-empty list of values > 0"),
    (lambda: plots.plot_cv_curve([0.1, 1.0], np.ones((2, 3)), chosen=0.5),
     r"plot_cv_curve expects chosen to be one of lams \[0.1, 1.0\], got 0.5"),
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
    assert image.mask.tolist() == (W == 0).tolist()  # 1e-12 is small, not zero: it stays colored
    assert ax.images[0].get_clim() == (-2.0, 2.0)
    assert ax.get_title() == "50% of the weights are exactly 0 (white)"


SPARSE = np.array([[0.0, 0.0, 0.0, 0.0],
                   [0.3, 0.0, 1e-9, 0.0],
                   [0.0, 0.0, 0.0, 0.0],
                   [-0.1, 0.0, 0.2, 0.5]])


def test_unit_order_puts_the_units_with_most_nonzero_weights_first():
    rows, cols = plots.unit_order(SPARSE)
    assert rows.tolist()[:2] == [3, 1] and set(rows.tolist()[2:]) == {0, 2}, "rows by non-zero count, zeros last"
    assert cols.tolist() == [0, 2, 3, 1], "columns: 2 non-zero (0 before 2 by norm), then 1, then none"
    ties = np.array([[0.1, 0.0], [0.0, -0.7]])
    assert plots.unit_order(ties)[0].tolist() == [1, 0], "equal counts: the larger norm first"


def test_sorted_weight_pattern_gathers_the_all_zero_rows_and_columns():
    ax = plots.plot_weight_pattern(SPARSE, sort=True, colorbar=False)
    rows, cols = plots.unit_order(SPARSE)
    image = ax.images[0].get_array()
    assert_allclose(image.filled(np.nan), np.where(SPARSE == 0, np.nan, SPARSE)[rows][:, cols], rtol=0, atol=0,
                    err_msg="the image is W with its rows and columns sorted")
    assert image.mask[2:].all() and image.mask[:, 3].all(), "two zero rows at the bottom, one zero column right"
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert sorted(tuple(line.get_xydata()[0]) for line in dashed) == [(0, 1.5), (2.5, 0)]
    assert "2 all-zero rows" in ax.get_ylabel() and "1 all-zero columns" in ax.get_xlabel()


def test_sign_pattern_colors_every_nonzero_weight_however_small():
    ax = plots.plot_weight_pattern(SPARSE, signs=True)
    image = ax.images[0].get_array()
    assert_allclose(image.filled(0), np.sign(SPARSE), rtol=0, atol=0, err_msg="the image is the sign of W")
    assert not image.mask[1, 2], "1e-9 is not 0: it is drawn in full color"
    cmap = ax.images[0].get_cmap()
    assert cmap(0.0)[:3] != cmap(1.0)[:3] and all(c < 0.9 for c in cmap(1.0)[:3] + cmap(0.0)[:3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["positive", "negative", "exactly 0"]
    assert len(ax.figure.axes) == 1, "a legend, no colorbar"


def test_sparsity_plot_draws_the_fractions_against_lambda():
    ax = plots.plot_sparsity([0.001, 0.01, 0.1], [0.0, 0.25, 0.9])
    assert_allclose(ax.lines[0].get_ydata(), [0.0, 0.25, 0.9], rtol=0, atol=0)
    assert [t.get_text() for t in ax.texts] == ["0%", "25%", "90%"] and ax.get_xscale() == "log"


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.plot_weight_pattern(np.ones(3)),
     r"plot_weight_pattern expects W to be a weight matrix of shape \(out, in\), got \(3,\)"),
    (lambda: plots.plot_weight_pattern([[np.nan]]), r"W must be finite"),
    (lambda: plots.plot_weight_pattern(SPARSE, sort="yes"),
     r"plot_weight_pattern expects sort to be True or False, got 'yes'"),
    (lambda: plots.plot_weight_pattern(SPARSE, signs=1), r"plot_weight_pattern expects signs to be True or False"),
    (lambda: plots.unit_order(np.ones((2, 2, 2))),
     r"unit_order expects W to be a weight matrix of shape \(out, in\), got \(2, 2, 2\)"),
    (lambda: plots.plot_sparsity([0.1, 1.0], [0.2, 1.5]),
     r"plot_sparsity expects zero_fractions to be 2 values in \[0, 1\]"),
    (lambda: plots.plot_sparsity([0.1, 1.0], [0.2]), r"plot_sparsity expects zero_fractions to be 2 values"),
    (lambda: plots.plot_sparsity([-0.1, 1.0], [0.2, 0.3]),
     r"plot_sparsity expects lams to be a non-empty list of values > 0"),
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
    (lambda: plots.draw_dropout([4], [[0] * 4]),
     r"draw_dropout expects sizes to be a list of at least two layer widths, got \[4\]"),
    (lambda: plots.draw_dropout([4, 2], [[0] * 4]),
     r"draw_dropout expects dropped to hold one boolean list per layer \(2\)"),
    (lambda: plots.draw_dropout([4, 2], [[0] * 4, [0] * 3]),
     r"draw_dropout expects dropped\[1\] to have 2 entries .*, got 3"),
    (lambda: plots.draw_dropout([4, 0], [[0] * 4, []]),
     r"draw_dropout expects sizes\[1\] to be an integer >= 1, got 0"),
    (lambda: plots.plot_dropout_outputs(np.ones((2, 2)), 0.0),
     r"plot_dropout_outputs expects samples to be a 1-D array .*, got shape \(2, 2\)"),
    (lambda: plots.plot_dropout_outputs(np.ones(4), [0.0, 1.0]),
     r"plot_dropout_outputs expects eval_output to be one number, got shape \(2,\)"),
    (lambda: plots.plot_dropout_outputs(np.ones(4), 0.0, bins=0),
     r"plot_dropout_outputs expects bins to be an integer >= 1, got 0"),
])
def test_dropout_plots_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- plot_decay_by_gradient ---------------------------------------------------------------------------

def test_decay_by_gradient_draws_a_cloud_and_the_median_of_each_quartile():
    rms = np.array([1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2])
    adam = np.array([0.01, 0.02, 0.03, 0.04, 0.1, 0.2, 0.3, 0.5])
    ax = plots.plot_decay_by_gradient(rms, {"Adam": adam, "AdamW": np.full(8, 0.95)},
                                      expected=("(1 - ρ wd)^T = 0.950", 0.95))
    lines = _lines(ax)
    medians = lines["Adam: median per quartile"]
    assert_allclose(medians.get_ydata(), [0.015, 0.035, 0.15, 0.4], rtol=1e-12, err_msg="median of each pair")
    assert_allclose(medians.get_xdata(), [1.5e-4, 7.5e-4, 3.5e-3, 1.5e-2], rtol=1e-12, err_msg="their rms")
    assert_allclose(lines["AdamW: median per quartile"].get_ydata(), [0.95] * 4, rtol=0, atol=0)
    assert_allclose(lines["(1 - ρ wd)^T = 0.950"].get_ydata(), [0.95, 0.95], rtol=0, atol=0)
    assert [len(c.get_offsets()) for c in ax.collections] == [8, 8], "one dot per weight and label"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_decay_by_gradient_names_other_groups_and_draws_on_a_given_axes():
    _, given = plt.subplots()
    rms = np.geomspace(1e-4, 1e-1, 9)
    ax = plots.plot_decay_by_gradient(rms, {"L2": np.geomspace(0.01, 0.5, 9)}, ax=given, groups=3)
    assert ax is given and len(_lines(ax)["L2: median per group"].get_xdata()) == 3


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.plot_decay_by_gradient([0.0, 0.1], {"a": [0.5, 0.5]}),
     r"plot_decay_by_gradient expects rms to be a 1-D array of at least 2 gradient RMS values > 0"),
    (lambda: plots.plot_decay_by_gradient([0.1], {"a": [0.5]}), r"at least 2 gradient RMS values"),
    (lambda: plots.plot_decay_by_gradient([0.1, 0.2], {}),
     r"plot_decay_by_gradient expects ratios to be a non-empty dict label -> array of ratios, got dict"),
    (lambda: plots.plot_decay_by_gradient([0.1, 0.2], {"a": [0.5]}),
     r"plot_decay_by_gradient expects ratios\['a'\] to be 2 values > 0, one per weight"),
    (lambda: plots.plot_decay_by_gradient([0.1, 0.2], {"a": [0.5, 0.0]}), r"to be 2 values > 0"),
    (lambda: plots.plot_decay_by_gradient([0.1, 0.2], {"a": [0.5, 0.4]}, groups=3),
     r"plot_decay_by_gradient expects groups between 1 and the number of weights \(2\), got 3"),
    (lambda: plots.plot_decay_by_gradient([0.1, 0.2], {"a": [0.5, 0.4]}, expected=0.9),
     r"plot_decay_by_gradient expects expected to be a pair \(label, ratio\), got 0.9"),
])
def test_decay_by_gradient_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- plot_seed_comparison ------------------------------------------------------------------------------

SEED_LOSSES = {"none": [0.5, 0.3, 0.4], "decay": [0.2, 0.18, 0.22]}


def test_seed_comparison_draws_every_seed_and_the_mean_with_its_sd():
    ax = plots.plot_seed_comparison(SEED_LOSSES, {"always the mean": 0.44, "a baseline": 0.6},
                                    xlabel="test RMSE", title="t")
    lines = _lines(ax)
    for s in range(3):
        assert_allclose(lines[f"seed {s}"].get_xdata(), [SEED_LOSSES["none"][s], SEED_LOSSES["decay"][s]],
                        rtol=0, atol=0, err_msg=f"the dots of seed {s}")
    errorbar = ax.containers[0]
    assert errorbar.get_label() == "mean ± SD over 3 seeds"
    assert_allclose(errorbar.lines[0].get_xdata(), [0.4, 0.2], rtol=1e-12, err_msg="the means")
    bars = errorbar.lines[2][0].get_segments()
    sd = [np.std(v, ddof=1) for v in SEED_LOSSES.values()]
    assert_allclose([seg[1, 0] - seg[0, 0] for seg in bars], 2 * np.array(sd), rtol=1e-12, err_msg="± SD")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ticks = ax.get_yticks()
    assert dict(zip(labels, ticks))["none"] > dict(zip(labels, ticks))["decay"], "the first method on top"
    assert_allclose(lines["always the mean"].get_xdata(), [0.44, 0.44], rtol=0, atol=0)
    assert_allclose(lines["a baseline"].get_xdata(), [0.6, 0.6], rtol=0, atol=0)
    assert lines["always the mean"].get_linestyle() != lines["a baseline"].get_linestyle(), \
        "each reference has its own line style"
    assert ax.get_xlabel() == "test RMSE" and ax.get_title() == "t"
    named = plots.plot_seed_comparison(SEED_LOSSES, seeds=(1, 2, 3))
    assert [line.get_label() for line in named.lines if line.get_label().startswith("seed")] == \
        ["seed 1", "seed 2", "seed 3"], "the legend names the seeds given"


@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.plot_seed_comparison({}),
     r"plot_seed_comparison expects results to be a non-empty dict label -> scores, one per seed"),
    (lambda: plots.plot_seed_comparison({"a": [0.1, 0.2], "b": [0.1, 0.2, 0.3]}),
     r"plot_seed_comparison expects every entry of results to hold the same number \(>= 2\) of scores"),
    (lambda: plots.plot_seed_comparison({"a": [0.1]}), r"the same number \(>= 2\) of scores"),
    (lambda: plots.plot_seed_comparison({"a": [0.1, np.nan]}), r"results\['a'\] must be finite"),
    (lambda: plots.plot_seed_comparison(SEED_LOSSES, ("always the mean", 0.44)),
     r"plot_seed_comparison expects references to be a dict label -> value, got \('always the mean', 0.44\)"),
    (lambda: plots.plot_seed_comparison(SEED_LOSSES, seeds=(1, 2)),
     r"plot_seed_comparison expects seeds to be a list of the 3 seeds, one per score, got \(1, 2\)"),
    (lambda: plots.plot_seed_comparison(SEED_LOSSES, {"mean": np.inf}), r"expects references\['mean'\] to be a finite number, got inf"),
])
def test_seed_comparison_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- the book's column: figures at most 7 inches (700 px at the inline backend's 100 dpi), fonts >= 9 pt ----


def _assert_fits_the_column(fig):
    assert fig.get_figwidth() <= 7.0, f"a {fig.get_figwidth():.2f}-inch figure is wider than the column"
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9


@pytest.mark.parametrize("draw", [
    lambda: plots.plot_curves({"no regularization": history(TRAIN, VAL), "weight decay": history(TRAIN, VAL)}),
    lambda: plots.plot_function_fit(X_FEW, Y_FEW, GRID, {"no regularization": GRID, "weight decay, λ = 0.003": GRID},
                                    truth=GRID, test=(X_FEW, Y_FEW)),
    lambda: plots.plot_early_stopping(history(TRAIN[:6], VAL[:6]), 2, 5, full=history(TRAIN, VAL), patience=3),
    lambda: plots.plot_cv_curve([0.001, 0.01, 0.1], [[0.4, 0.5], [0.3, 0.35], [0.45, 0.5]], chosen=0.01),
    lambda: plots.plot_weight_pattern(np.random.default_rng(0).normal(size=(64, 64))),
    lambda: plots.plot_weight_pattern(np.random.default_rng(0).normal(size=(64, 64)) * (np.arange(64) < 20),
                                      sort=True, signs=True),
    lambda: plots.plot_sparsity([0.001, 0.01, 0.1], [0.0, 0.25, 0.9]),
    lambda: plots.draw_dropout([4, 6, 6, 1], [[0] * 4, [1, 0, 0, 1, 0, 0], [0] * 6, [0]]),
    lambda: plots.draw_dropout([8, 10, 10, 10, 10, 1], [[0] * 8] + [[0] * 10] * 4 + [[0]]),  # 12.4 in unshrunk
    lambda: plots.plot_dropout_outputs(np.random.default_rng(0).normal(size=500), 0.1),
    lambda: plots.plot_decay_by_gradient(np.geomspace(1e-5, 0.2, 500),
                                         {"Adam, weight_decay = 0.06": np.geomspace(1e-4, 0.5, 500),
                                          "AdamW, weight_decay = 0.06": np.full(500, 0.956)},
                                         expected=("(1 - ρ wd)^750 = 0.956", 0.956)),
    lambda: plots.plot_seed_comparison({"no regularization": [0.52, 0.31, 0.29, 0.43, 0.47],
                                        "early stopping": [0.26, 0.27, 0.25, 0.28, 0.27],
                                        "weight decay, λ = 0.03": [0.19, 0.19, 0.18, 0.19, 0.18],
                                        "L1, λ = 0.03": [0.18, 0.2, 0.17, 0.2, 0.2],
                                        "dropout, p = 0.2": [0.21, 0.2, 0.21, 0.2, 0.22]},
                                       {"always the training mean": 0.44}),
], ids=["curves", "function_fit", "early_stopping", "cv_curve", "weight_pattern", "sign_pattern", "sparsity",
        "dropout", "dropout_wide", "dropout_outputs", "decay_by_gradient", "seed_comparison"])
def test_default_figures_fit_the_books_column(draw):
    _assert_fits_the_column(draw().figure)


def test_a_wide_dropout_drawing_shrinks_to_the_column_in_proportion():
    narrow = plots.draw_dropout([2, 3, 1], [[0, 0], [0, 0, 0], [0]]).figure
    assert narrow.get_size_inches() == pytest.approx((1.9 * 3 + 1, 0.55 * 3 + 1.5)), "small nets keep their size"
    wide = plots.draw_dropout([4, 8, 8, 8, 8, 1], [[0] * 4] + [[0] * 8] * 4 + [[0]]).figure
    width, height = 1.9 * 6 + 1, 0.55 * 8 + 1.5
    assert wide.get_size_inches() == pytest.approx((7.0, 7.0 * height / width))
