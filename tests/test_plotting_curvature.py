"""Chapter 10's figures (lecture_code.plotting.curvature): what is drawn is what was measured."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_checks import saved_width, smallest_font
from numpy.testing import assert_allclose

from lecture_code.plotting import curvature as plots


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# -- plot_spectra ---------------------------------------------------------------------------------------------

def test_spectra_are_drawn_largest_first_against_their_rank():
    ax = plots.plot_spectra({"start": [1.0, 5.0, 3.0], "trained": np.array([-2.0, 9.0, 0.5, 4.0])},
                            lines={"2/ρ": 10.0})
    start, trained = ax.lines[:2]
    assert list(start.get_xdata()) == [1, 2, 3] and list(start.get_ydata()) == [5.0, 3.0, 1.0]
    assert list(trained.get_ydata()) == [9.0, 4.0, 0.5, -2.0]
    assert [t for t in legend_texts(ax)] == ["start", "trained", "2/ρ"]
    ref = [ln for ln in ax.lines if list(ln.get_ydata()) == [10.0, 10.0]]
    zero = [ln for ln in ax.lines if list(ln.get_ydata()) == [0.0, 0.0]]
    assert ref and zero, "the reference line and, with a negative eigenvalue, the zero line"
    assert ax.get_yscale() == "linear"


def test_spectra_on_a_symmetric_log_scale_show_negative_and_small_eigenvalues():
    ax = plots.plot_spectra({"H": [3.0, 1e-4, -2.0]}, symlog=1e-3, ylabel="eigenvalue")
    assert ax.get_yscale() == "symlog" and ax.get_ylabel() == "eigenvalue"
    assert_allclose(ax.lines[0].get_ydata(), [3.0, 1e-4, -2.0])


# -- plot_loss_by_rate ----------------------------------------------------------------------------------------

def test_loss_by_rate_marks_two_over_lambda_max_and_the_runs_that_diverged():
    rates = [0.1, 0.5, 0.8, 1.0, 1.2]
    losses = [0.9, 0.6, 0.55, 1e12, np.inf]
    ax = plots.plot_loss_by_rate(rates, losses, 0.88, epochs=200)
    finite, diverged = ax.lines[:2]
    assert list(finite.get_xdata()) == [0.1, 0.5, 0.8] and list(finite.get_ydata()) == [0.9, 0.6, 0.55]
    assert list(diverged.get_xdata()) == [1.0, 1.2] and list(diverged.get_ydata()) == [1e6, 1e6]
    boundary = [ln for ln in ax.lines if list(ln.get_xdata()) == [0.88, 0.88]]
    assert boundary and any("0.88" in t for t in legend_texts(ax))
    assert ax.get_yscale() == "log" and "200 epochs" in ax.get_xlabel()


def test_loss_by_rate_draws_the_excess_over_the_minimum():
    ax = plots.plot_loss_by_rate([0.1, 0.5, 0.9], [0.7, 0.5 + 1e-6, 0.5], 1.0, minimum=0.5)
    assert_allclose(ax.lines[0].get_ydata(), [0.2, 1e-6, 0.5e-16], rtol=1e-9)  # the last floored
    assert "L*" in ax.get_ylabel()


# -- plot_losses and plot_sharpness ---------------------------------------------------------------------------

def test_losses_stop_at_the_last_finite_value_and_take_their_own_x():
    ax = plots.plot_losses({"diverged": [3.0, 10.0, np.inf], "run": ([0, 5, 10], [2.0, 1.0, 0.5])})
    diverged, run = ax.lines
    assert list(diverged.get_xdata()) == [0.0, 1.0] and list(diverged.get_ydata()) == [3.0, 10.0]
    assert list(run.get_xdata()) == [0, 5, 10] and ax.get_yscale() == "log"


def test_sharpness_draws_each_run_with_its_own_two_over_rho():
    epochs = [0, 25, 50]
    ax = plots.plot_sharpness({"ρ = 0.05": (epochs, [5.0, 8.0, 9.0], 0.05), "ρ = 0.2": (epochs, [5.0, 10.5, 9.9], 0.2)})
    slow, fast, line_slow, line_fast = ax.lines
    assert list(fast.get_ydata()) == [5.0, 10.5, 9.9]
    assert list(line_slow.get_ydata()) == [40.0, 40.0] and list(line_fast.get_ydata()) == [10.0, 10.0]
    assert line_fast.get_color() == fast.get_color() and line_slow.get_color() == slow.get_color()
    assert legend_texts(ax)[2:] == ["2/ρ = 40", "2/ρ = 10"]


# -- plot_optimizer_costs -------------------------------------------------------------------------------------

def test_optimizer_costs_draw_the_lowest_loss_so_far_as_steps_over_every_point_tried():
    curves = {"Newton-CG": ([1, 6, 11, 12], [8.0, 9.0, 2.0, 3.0]), "L-BFGS": ([1, 2, 3], [8.0, 4.0, 1.0])}
    ax = plots.plot_optimizer_costs(curves)
    newton, lbfgs, raw_newton, raw_lbfgs = ax.lines
    assert list(newton.get_ydata()) == [8.0, 8.0, 2.0, 2.0] and newton.get_drawstyle() == "steps-post"
    assert list(raw_newton.get_ydata()) == [8.0, 9.0, 2.0, 3.0] and raw_newton.get_alpha() < 1
    assert list(lbfgs.get_xdata()) == [1, 2, 3]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert legend_texts(ax) == ["Newton-CG", "L-BFGS"]
    plain = plots.plot_optimizer_costs(curves, best_so_far=False)
    assert len(plain.lines) == 2 and list(plain.lines[0].get_ydata()) == [8.0, 9.0, 2.0, 3.0]


# -- size: the book's column is about 700 px, 7 inches at the inline backend's 100 dpi ------------------------

@pytest.mark.parametrize("draw", [
    lambda: plots.plot_spectra({"a": np.linspace(10, 0, 20), "b": np.linspace(5, -1, 20)}, lines={"2/ρ": 8.0}),
    lambda: plots.plot_spectra({"H": np.linspace(60, -1, 433)}, symlog=1e-3),
    lambda: plots.plot_loss_by_rate(np.linspace(0.1, 1.2, 24), np.r_[np.linspace(1, 0.5, 18), [np.inf] * 6], 0.88,
                                    epochs=200),
    lambda: plots.plot_losses({"a": np.geomspace(7, 0.1, 300), "b": np.geomspace(7, 1e23, 300)}),
    lambda: plots.plot_sharpness({"ρ = 0.05": ([0, 25], [5.0, 9.0], 0.05), "ρ = 0.2": ([0, 25], [5.0, 10.0], 0.2)}),
    lambda: plots.plot_optimizer_costs({"a": (np.arange(1, 301), np.geomspace(8, 0.05, 300)),
                                        "b": (np.arange(23, 300, 23), np.geomspace(1, 0.3, 13))}),
], ids=["spectra", "symlog spectra", "loss by rate", "losses", "sharpness", "optimizers"])
def test_default_figures_fit_the_book_column(draw):
    fig = draw().figure
    assert fig.get_size_inches()[0] <= 7.0
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9, "no text below 9 pt"


def test_a_given_axes_is_drawn_on_and_returned():
    fig, axes = plt.subplots(2, 1)
    assert plots.plot_losses({"a": [1.0, 0.5]}, ax=axes[1]) is axes[1]
    assert plots.plot_spectra({"a": [1.0]}, ax=axes[0]) is axes[0]
    assert len(fig.axes) == 2


# -- bad input ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: plots.plot_spectra([1.0, 2.0]), r"plot_spectra expects spectra to be a non-empty dict \{label: \.\.\.\}, "
                                             r"got list"),
    (lambda: plots.plot_spectra({"a": [1.0, np.nan]}), r"plot_spectra expects spectra\['a'\] to hold finite numbers"),
    (lambda: plots.plot_spectra({"a": np.ones((2, 2))}), r"expects spectra\['a'\] to be a non-empty 1-d array, got "
                                                        r"shape \(2, 2\)"),
    (lambda: plots.plot_spectra({"a": [1.0]}, symlog=0), r"plot_spectra expects symlog .* to be a finite number > 0"),
    (lambda: plots.plot_loss_by_rate([0.1, 0.2], [1.0], 0.5), r"plot_loss_by_rate expects losses to be a 2-entry "
                                                              r"1-d array, got shape \(1,\)"),
    (lambda: plots.plot_loss_by_rate([0.1, -0.2], [1.0, 2.0], 0.5), r"expects rates to hold numbers > 0"),
    (lambda: plots.plot_loss_by_rate([0.1], [1.0], 0.0), r"expects critical \(2 / lambda_max\) to be a finite "
                                                         r"number > 0, got 0.0"),
    (lambda: plots.plot_loss_by_rate([0.1], [np.inf], 0.5), r"expects at least one run that ends below the ceiling"),
    (lambda: plots.plot_loss_by_rate([0.1], [0.3], 0.5, minimum=0.5), r"expects every loss to be at least "
                                                                      r"minimum = 0.5, got 0.3"),
    (lambda: plots.plot_losses({"a": [1.0, 0.0]}), r"plot_losses expects curves\['a'\] to hold numbers > 0"),
    (lambda: plots.plot_losses({"a": ([0, 1, 2], [1.0, 0.5])}), r"expects curves\['a'\] y to be a 3-entry 1-d array"),
    (lambda: plots.plot_sharpness({"a": ([0, 1], [1.0, 2.0])}), r"plot_sharpness expects curves\['a'\] to be a "
                                                                r"triple \(epochs, lambdas, rate\), got tuple"),
    (lambda: plots.plot_sharpness({"a": ([0, 1], [1.0, 2.0], -0.1)}), r"expects the rate of curves\['a'\] to be a "
                                                                      r"finite number > 0, got -0.1"),
    (lambda: plots.plot_optimizer_costs({"a": [1.0, 0.5]}), r"plot_optimizer_costs expects curves\['a'\] to be a "
                                                            r"pair \(costs, losses\), got list"),
    (lambda: plots.plot_optimizer_costs({"a": ([2, 1], [1.0, 0.5])}), r"expects the costs of curves\['a'\] to be > 0 "
                                                                      r"and increasing"),
    (lambda: plots.plot_optimizer_costs({"a": ([0, 1], [1.0, 0.5])}), r"expects the costs of curves\['a'\] to be > 0"),
])
def test_plotting_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
