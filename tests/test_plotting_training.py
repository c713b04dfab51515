"""Chapter 5's figures (lecture_code.plotting.training): training curves (also on a broken axis), paths on a loss
surface, schedules, rates, work, per-layer values."""

import math
import re

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from numpy.testing import assert_allclose, assert_array_equal

from figure_checks import saved_width, smallest_font

import lecture_code as lc
from lecture_code import training
from lecture_code.plotting import training as plots


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


def test_an_overflowed_loss_is_an_x_at_the_top_in_the_runs_color():
    ok = training.History([0, 1, 2], [3.0, 2.0, 1.0], [None] * 3, [0, 5, 10], [0.0] * 3)
    blown = training.History([0, 1], [3.0, math.inf], [None] * 2, [0, 3], [0.0] * 2)
    ax = plots.plot_loss_curves({"fine": ok, "blown": blown})
    fine, line = ax.lines
    assert_allclose(line.get_ydata(), [3.0], rtol=0, atol=0, err_msg="the line stops before the overflow")
    (marks,) = [c for c in ax.collections if c.get_gid() == "overflow"]
    assert_allclose(marks.get_offsets(), [[1.0, 1.0]], rtol=0, atol=0,
                    err_msg="one x at epoch 1, at the top edge (y = 1 in axes coordinates)")
    assert_allclose(marks.get_edgecolor()[0][:3], to_rgb(line.get_color()), rtol=0, atol=1e-12,
                    err_msg="the x has its run's color")
    assert marks.get_offset_transform() == ax.get_xaxis_transform() and not marks.get_clip_on()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fine", "blown"], "no legend entry for the x"


def test_epochs_get_whole_number_ticks():
    ax = plots.plot_loss_curves({"run": small_run(epochs=3)})
    ax.figure.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_xticks()), ax.get_xticks()


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
    (lambda h: plots.plot_loss_curves([h]),
     r"plot_loss_curves expects histories to be a non-empty dict \{label: \.\.\.\}, got list"),
    (lambda h: plots.plot_loss_curves({}), r"plot_loss_curves expects histories to be a non-empty dict"),
    (lambda h: plots.plot_loss_curves({"a": h}, x="time"),
     r"plot_loss_curves expects x to be one of \['epoch', 'updates'\], got 'time'"),
    (lambda h: plots.plot_loss_curves({"a": h}, which="test"),
     r"plot_loss_curves expects which to be one of \['train', 'val'\], got 'test'"),
    (lambda h: plots.plot_loss_curves({"a": [1.0, 0.5]}),
     r"plot_loss_curves expects histories\['a'\] to be a History from lc.training.train, got list"),
    (lambda h: plots.plot_loss_curves({"a": training.History()}),
     r"plot_loss_curves expects histories\['a'\] to hold at least row 0 .*got an empty History"),
])
def test_loss_curves_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(small_run())


def test_loss_curves_without_validation_data_say_so():
    with pytest.raises(ValueError, match=r"plot_loss_curves expects histories\['a'\] to have a validation loss, "
                                         r"got a History without one: train it with validation=\(X_val, Y_val\)"):
        plots.plot_loss_curves({"a": small_run(validation=False)}, which="val")


# -- plot_loss_curves_broken ---------------------------------------------------------------------------


def _diverging_runs():
    calm = training.History([0, 1, 2, 3], [8.0, 1.0, 0.5, 0.3], [None] * 4, [0, 1, 2, 3], [0.0] * 4)
    wild = training.History([0, 1, 2, 3], [8.0, 1e13, 1e6, 2.0], [None] * 4, [0, 1, 2, 3], [0.0] * 4)
    gone = training.History([0, 1], [4.0, math.inf], [None] * 2, [0, 1], [0.0] * 2)
    return {"calm": calm, "wild": wild, "gone": gone}


def test_broken_axis_draws_every_run_in_both_panels_split_at_the_given_loss():
    runs = _diverging_runs()
    top, bottom = plots.plot_loss_curves_broken(runs, split=40)
    for ax in (top, bottom):
        assert len(ax.lines) == 3 + 1, "one line per run, then the break marks"
        for line, h in zip(ax.lines, runs.values()):
            finite = [v for v in h.train_loss if math.isfinite(v)]
            assert_allclose(line.get_ydata(), finite, rtol=0, atol=0, err_msg="each run's losses, in both panels")
        assert ax.get_yscale() == "log"
    low, high = bottom.get_ylim()
    assert high == 40 and low < 0.3, "the bottom panel shows every loss up to the split"
    low, high = top.get_ylim()
    assert low == 40 and high >= 1e13, "the top panel shows the blow-up"
    assert top.get_position().height < 0.5 * bottom.get_position().height, "the top panel is the short one"
    assert top.get_legend() is None and [t.get_text() for t in bottom.get_legend().get_texts()] == list(runs)
    assert not top.spines["bottom"].get_visible() and not bottom.spines["top"].get_visible()
    over_top = [c for c in top.collections if c.get_gid() == "overflow"]
    over_bottom = [c for c in bottom.collections if c.get_gid() == "overflow"]
    assert len(over_top) == 1 and not over_bottom, "an overflow is marked once, at the top of the top panel"
    assert top.get_shared_x_axes().joined(top, bottom)


def test_broken_axis_without_a_blow_up_keeps_a_top_panel_above_the_split():
    calm = _diverging_runs()["calm"]
    top, bottom = plots.plot_loss_curves_broken({"calm": calm}, split=10)
    assert top.get_ylim() == (10, 100) and bottom.get_ylim()[1] == 10


@pytest.mark.parametrize("split,axes,pattern", [
    (0.0, None, r"plot_loss_curves_broken expects split to be a finite loss > 0 \(where the axis breaks\), got 0.0"),
    (math.inf, None, r"plot_loss_curves_broken expects split to be a finite loss > 0"),
    ("40", None, r"plot_loss_curves_broken expects split to be a finite loss > 0 .*got '40'"),
    (40, "ax", r"plot_loss_curves_broken expects axes to be a pair \(top, bottom\), got 'ax'"),
])
def test_broken_axis_bad_input(split, axes, pattern):
    with pytest.raises(ValueError, match=pattern):
        plots.plot_loss_curves_broken(_diverging_runs(), split=split, axes=axes)


# -- plot_loss_paths ------------------------------------------------------------------------------------


def _bowl():
    w1, w2 = np.linspace(-2, 2, 41), np.linspace(-1, 3, 31)
    W1, W2 = np.meshgrid(w1, w2)
    return w1, w2, 0.5 * (W1 - 0.5) ** 2 + 2.0 * (W2 - 1.0) ** 2 + 0.1


def test_paths_are_drawn_on_contours_of_the_loss():
    w1, w2, C = _bowl()
    short = np.array([[1.5, -0.5], [1.2, 0.2], [0.9, 0.6]])
    long = np.column_stack([np.linspace(1.5, 0.5, 600), np.linspace(-0.5, 1.0, 600)])
    ax = plots.plot_loss_paths(w1, w2, C, {"full batch": short, "stochastic": long}, minimum=(0.5, 1.0), levels=6)
    full, sgd, start, star = ax.lines
    assert_allclose(np.column_stack([full.get_xdata(), full.get_ydata()]), short, rtol=0, atol=0)
    assert_allclose(np.column_stack([sgd.get_xdata(), sgd.get_ydata()]), long, rtol=0, atol=0)
    assert full.get_marker() == "o" and sgd.get_marker() in ("None", None, ""), "markers only on a short path"
    assert sgd.get_linewidth() < full.get_linewidth(), "a long, busy path is drawn thinner"
    assert_allclose([start.get_xdata()[0], start.get_ydata()[0]], short[0], rtol=0, atol=0, err_msg="start: a dot")
    assert_allclose([star.get_xdata()[0], star.get_ydata()[0]], [0.5, 1.0], rtol=0, atol=0)
    assert star.get_marker() == "*"
    (contours,) = [c for c in ax.collections if hasattr(c, "levels")]
    low, high = C.min(), C.max()
    assert_allclose(contours.levels, low + (high - low) * (np.arange(1, 7) / 6) ** 2, rtol=1e-12, atol=0,
                    err_msg="levels at min + (max - min)(k / levels)^2")
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 3) and ax.get_aspect() == 1.0
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["full batch", "stochastic", "start", "minimum"], labels


@pytest.mark.parametrize("change,pattern", [
    (dict(w1=[0.0]), r"plot_loss_paths expects w1 to be an increasing 1-d grid of at least 2 finite numbers, "
                     r"got shape \(1,\)"),
    (dict(w2=[1.0, 0.0]), r"plot_loss_paths expects w2 to be an increasing 1-d grid"),
    (dict(losses=np.ones((41, 31))), r"plot_loss_paths expects losses to be finite, of shape \(len\(w2\), "
                                     r"len\(w1\)\) = \(31, 41\), got shape \(41, 31\)"),
    (dict(paths={"a": np.ones((5, 3))}), r"plot_loss_paths expects paths\['a'\] to be finite points of shape "
                                          r"\(K, 2\), got shape \(5, 3\)"),
    (dict(paths=[np.ones((5, 2))]), r"plot_loss_paths expects paths to be a non-empty dict"),
    (dict(minimum=(1.0, 2.0, 3.0)), r"plot_loss_paths expects minimum to be a point \(w1, w2\)"),
    (dict(levels=0), r"plot_loss_paths expects levels to be an integer >= 1, got 0"),
    (dict(labels="w"), r"plot_loss_paths expects labels to be a pair of axis labels \(str, str\), got 'w'"),
])
def test_paths_bad_input(change, pattern):
    w1, w2, C = _bowl()
    args = dict(w1=w1, w2=w2, losses=C, paths={"a": np.zeros((3, 2))}) | change
    with pytest.raises(ValueError, match=pattern):
        plots.plot_loss_paths(args.pop("w1"), args.pop("w2"), args.pop("losses"), args.pop("paths"), **args)


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
    ({"a": 0.1}, 10, r"plot_schedules expects schedules\['a'\] to be a function r -> rho_r, got float"),
    ({"a": lambda r: 1.0 - r / 5}, 10, r"plot_schedules \(schedules\['a'\]\) expects the learning-rate schedule "
                                       r"to return a finite number > 0, got 0\.0 at update 5"),
    ({"a": lambda r: math.nan}, 3, r"schedules\['a'\]\) expects .* a finite number > 0, got nan at update 1"),
    ({"a": training.inverse(1.0)}, 0, r"plot_schedules expects n_updates to be an integer >= 1, got 0"),
    ([training.inverse(1.0)], 5, r"plot_schedules expects schedules to be a non-empty dict"),
])
def test_schedules_bad_input(schedules, n, pattern):
    with pytest.raises(ValueError, match=pattern):
        plots.plot_schedules(schedules, n)


# -- plot_evaluations -----------------------------------------------------------------------------------


def test_evaluations_draw_only_the_lowest_loss_so_far():
    cg = [5.0, 3.0, 40.0, 2.0, 2.5, 1.0]
    gd = [5.0, 4.0, 3.5, 3.2]
    ax = plots.plot_evaluations({"CG": cg, "GD": gd})
    assert len(ax.lines) == 2, "one line per optimizer: the points a line search rejected are not drawn"
    best_cg, best_gd = ax.lines
    assert_array_equal(best_cg.get_xdata(), np.arange(1, 7), err_msg="evaluation k = 1, 2, ...")
    assert_allclose(best_cg.get_ydata(), [5.0, 3.0, 3.0, 2.0, 2.0, 1.0], rtol=0, atol=0, err_msg="running minimum")
    assert_allclose(best_gd.get_ydata(), gd, rtol=0, atol=0)
    assert best_gd.get_color() != best_cg.get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["CG", "GD"]
    assert ax.get_yscale() == "log" and "lowest" in ax.get_ylabel()


def test_evaluations_raw_only():
    ax = plots.plot_evaluations({"CG": [3.0, 4.0, 1.0]}, best_so_far=False, log_y=False)
    (line,) = ax.lines
    assert_allclose(line.get_ydata(), [3.0, 4.0, 1.0], rtol=0, atol=0)
    assert ax.get_yscale() == "linear" and "lowest" not in ax.get_ylabel()


@pytest.mark.parametrize("curves,pattern", [
    ({"a": []}, r"plot_evaluations expects curves\['a'\] to be a non-empty 1-d sequence of finite losses, "
                  r"got shape \(0,\)"),
    ({"a": [1.0, math.nan]}, r"plot_evaluations expects curves\['a'\] to be a non-empty 1-d sequence of finite losses"),
    ({"a": [[1.0, 2.0]]}, r"got shape \(1, 2\)"),
    ({"a": ["x", 1.0]}, r"plot_evaluations expects curves\['a'\] to be a sequence of losses, got list"),
    ({}, r"plot_evaluations expects curves to be a non-empty dict"),
])
def test_evaluations_bad_input(curves, pattern):
    with pytest.raises(ValueError, match=pattern):
        plots.plot_evaluations(curves)


# -- plot_rates ----------------------------------------------------------------------------------------


def test_rates_draw_a_schedule_as_one_line_and_per_parameter_rates_as_median_and_band():
    r = np.arange(1, 41)
    schedule = 1.0 / r
    per_parameter = np.random.default_rng(0).lognormal(size=(40, 25))  # 40 updates, 25 parameters
    ax = plots.plot_rates({"1 / r": schedule, "Adam": per_parameter}, band=(10, 90))
    line, median = ax.lines
    assert_array_equal(line.get_xdata(), r, err_msg="r counts updates from 1")
    assert_allclose(line.get_ydata(), schedule, rtol=0, atol=0)
    assert_allclose(median.get_ydata(), np.median(per_parameter, axis=1), rtol=1e-15, atol=0,
                    err_msg="a 2-d array is drawn as its median over the parameters")
    (shaded,) = ax.collections
    vertices = shaded.get_paths()[0].vertices
    low, high = np.percentile(per_parameter, [10, 90], axis=1)
    for x, lo, hi in zip(r, low, high):  # the band's outline runs through (r, low) and (r, high)
        at = vertices[np.isclose(vertices[:, 0], x)][:, 1]
        assert np.isclose(at, lo).any() and np.isclose(at, hi).any(), x
    assert_allclose(shaded.get_facecolor()[0][:3], to_rgb(median.get_color()), rtol=0, atol=1e-12,
                    err_msg="the band has its median's color")
    assert shaded.get_alpha() < 0.5, "the band is faint"
    assert ax.get_xscale() == ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["1 / r", "Adam: median", "Adam: 10th to 90th percentile"], labels


@pytest.mark.parametrize("rates,band,pattern", [
    ({"a": np.ones((3, 2, 2))}, (10, 90), r"plot_rates expects rates\['a'\] to be a non-empty 1-d or 2-d array, "
                                          r"got shape \(3, 2, 2\)"),
    ({"a": [0.1, 0.0]}, (10, 90), r"plot_rates expects rates\['a'\] to hold numbers > 0 \(drawn on a log axis\)"),
    ({"a": [0.1, math.inf]}, (10, 90), r"rates\['a'\] to hold finite numbers > 0, got a NaN or an infinity"),
    ({"a": ["x"]}, (10, 90), r"plot_rates expects rates\['a'\] to be an array of numbers, got list"),
    ({"a": [0.1]}, (90, 10), r"plot_rates expects band to be a pair of percentiles \(low, high\) with "
                             r"0 <= low < high <= 100, got \(90, 10\)"),
    ({"a": [0.1]}, 80, r"plot_rates expects band to be a pair of percentiles"),
    ([0.1], (10, 90), r"plot_rates expects rates to be a non-empty dict"),
])
def test_rates_bad_input(rates, band, pattern):
    with pytest.raises(ValueError, match=pattern):
        plots.plot_rates(rates, band=band)


# -- plot_work -----------------------------------------------------------------------------------------


def test_work_per_epoch_draws_only_the_lowest_loss_so_far_at_the_given_work():
    cg = ([1, 2, 3, 4], [5.0, 6.0, 2.0, 3.0])
    mini = ([0, 1, 2], [5.0, 1.0, 1.5])
    ax = plots.plot_work({"CG": cg, "mini-batch": mini})
    assert len(ax.lines) == 2, "one line per optimizer, no faint traces of the raw losses"
    best_cg, best_mini = ax.lines
    assert_array_equal(best_cg.get_xdata(), [1, 2, 3, 4])
    assert_allclose(best_cg.get_ydata(), [5.0, 5.0, 2.0, 2.0], rtol=0, atol=0, err_msg="running minimum")
    assert_array_equal(best_mini.get_xdata(), [0, 1, 2], err_msg="per epoch, work 0 (the start) is drawn")
    assert_allclose(best_mini.get_ydata(), [5.0, 1.0, 1.0], rtol=0, atol=0)
    assert best_mini.get_color() != best_cg.get_color()
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "log"
    assert ax.get_xlabel().startswith("epochs of gradient work") and "lowest" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["CG", "mini-batch"]


def test_work_per_evaluation_is_on_a_log_axis_without_work_zero():
    ax = plots.plot_work({"mini-batch": ([0, 23, 46], [5.0, 1.0, 0.8])}, per="evaluation", best_so_far=False)
    (line,) = ax.lines
    assert_array_equal(line.get_xdata(), [23, 46], err_msg="work 0 cannot be drawn on a log axis")
    assert_allclose(line.get_ydata(), [1.0, 0.8], rtol=0, atol=0)
    assert ax.get_xscale() == "log" and ax.get_xlabel().startswith("gradient evaluations")
    assert "lowest" not in ax.get_ylabel()


@pytest.mark.parametrize("curves,per,pattern", [
    ({"a": [1.0, 2.0, 3.0]}, "epoch", r"plot_work expects curves\['a'\] to be a pair \(work, losses\), got list"),
    ({"a": ([1, 2], [1.0])}, "epoch", r"plot_work expects curves\['a'\] to be two non-empty 1-d sequences of one "
                                      r"length, got shapes \(2,\) and \(1,\)"),
    ({"a": ([1, 2], [1.0, math.nan])}, "epoch", r"curves\['a'\] to hold finite work and finite losses > 0"),
    ({"a": ([2, 1], [1.0, 0.5])}, "epoch", r"plot_work expects the work of curves\['a'\] to be >= 0 and increasing"),
    ({"a": ([0], [1.0])}, "evaluation", r"plot_work expects curves\['a'\] to have some work > 0 on a log axis"),
    ({"a": (["x"], [1.0])}, "epoch", r"plot_work expects curves\['a'\] to hold two sequences of numbers"),
    ({"a": ([1], [1.0])}, "time", r"plot_work expects per to be one of \['epoch', 'evaluation'\], got 'time'"),
    ({}, "epoch", r"plot_work expects curves to be a non-empty dict"),
])
def test_work_bad_input(curves, per, pattern):
    with pytest.raises(ValueError, match=pattern):
        plots.plot_work(curves, per=per)


# -- plot_layer_curves ---------------------------------------------------------------------------------


def test_layer_curves_draw_values_at_layers_or_given_depths_and_a_threshold():
    ax = plots.plot_layer_curves({"He": [2.0, 1.9, 2.1], "small": ([2, 4, 6], [1e-2, 1e-5, 0.0])},
                                 x_label="depth", y_label="ratio", threshold=1e-3, threshold_label="1e-3")
    he, small, line = ax.lines
    assert_array_equal(he.get_xdata(), [1, 2, 3], err_msg="plain values are drawn at layers 1, 2, ...")
    assert_allclose(he.get_ydata(), [2.0, 1.9, 2.1], rtol=0, atol=0)
    assert_array_equal(small.get_xdata(), [2, 4], err_msg="a value 0 cannot be drawn on a log axis")
    assert_allclose(small.get_ydata(), [1e-2, 1e-5], rtol=0, atol=0)
    assert_allclose(line.get_ydata(), [1e-3, 1e-3], rtol=0, atol=0)
    assert line.get_linestyle() == ":" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "depth" and ax.get_ylabel() == "ratio"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["He", "small", "1e-3"]
    ax.figure.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_xticks()), "layers and depths are whole numbers"


@pytest.mark.parametrize("curves,threshold,pattern", [
    ({"a": [[1.0, 2.0]]}, None, r"plot_layer_curves expects curves\['a'\] to be a non-empty 1-d sequence"),
    ({"a": ([1, 2, 3], [1.0, 2.0])}, None, r"got shapes \(3,\) and \(2,\)"),
    ({"a": [1.0, math.inf]}, None, r"plot_layer_curves expects curves\['a'\] to hold finite numbers"),
    ({"a": ["x"]}, None, r"plot_layer_curves expects curves\['a'\] to be a sequence of numbers or a pair"),
    ({"a": [1.0]}, 0.0, r"plot_layer_curves expects threshold to be a finite number > 0, got 0.0"),
    ({}, None, r"plot_layer_curves expects curves to be a non-empty dict"),
])
def test_layer_curves_bad_input(curves, threshold, pattern):
    with pytest.raises(ValueError, match=pattern):
        plots.plot_layer_curves(curves, threshold=threshold)


# -- the book's column: figures at most 7 inches (700 px at the inline backend's 100 dpi), fonts >= 9 pt ----


def _assert_fits_the_column(fig):
    assert fig.get_figwidth() <= 7.0, f"a {fig.get_figwidth():.2f}-inch figure is wider than the column"
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9


@pytest.mark.parametrize("draw", [
    lambda: plots.plot_loss_curves({"mini-batch, B = 8": small_run(), "full batch": small_run("batch")}),
    lambda: plots.plot_loss_curves({"run": small_run()}, x="updates", log_x=True, which="val"),
    lambda: plots.plot_schedules({"constant": training.constant(0.05), "1 / r": training.inverse(1.0)}, 500),
    lambda: plots.plot_evaluations({"gradient descent": [3.0, 2.0, 1.5, 1.2], "L-BFGS": [3.0, 9.0, 1.0, 0.5]}),
    lambda: plots.plot_rates({"ρ_r = 1 / r (every parameter)": 1.0 / np.arange(1, 691),
                              "Adam, ρ = 0.02": np.random.default_rng(0).lognormal(size=(690, 433))}),
    lambda: plots.plot_work({"L-BFGS": (np.arange(1, 101), np.geomspace(8, 0.09, 100)),
                             "mini-batch SGD": (np.arange(0, 2301, 23), np.geomspace(8, 0.15, 101))},
                            per="evaluation"),
    lambda: plots.plot_layer_curves({"He": np.geomspace(1, 0.1, 19), "Glorot": np.geomspace(1, 1e-6, 19)},
                                    x_label="depth (weight layers)", y_label="first / last layer",
                                    threshold=1e-3, threshold_label="1e-3"),
    lambda: plots.plot_loss_paths(*_bowl(), {"mini-batch, B = 32, 4 epochs": np.zeros((93, 2)),
                                             "full batch, 4 epochs": np.ones((5, 2))}, minimum=(0.5, 1.0),
                                  labels=("$w_1$ (water)", "$w_2$ (superplasticizer)")),
], ids=["loss_curves", "loss_per_update", "schedules", "evaluations", "rates", "work", "layer_curves", "paths"])
def test_default_figures_fit_the_books_column(draw):
    _assert_fits_the_column(draw().figure)


def test_the_broken_axis_figure_fits_the_books_column():
    top, bottom = plots.plot_loss_curves_broken(_diverging_runs(), split=40)
    assert top.figure is bottom.figure
    _assert_fits_the_column(top.figure)
