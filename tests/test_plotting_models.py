"""Chapter 7's figures (lecture_code.plotting.models)."""


import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from figure_checks import saved_width, smallest_font

import lecture_code as lc
from lecture_code.plotting import models as plots


# -- figures -----------------------------------------------------------------------------------------

def test_regression_losses_draws_the_three_losses():
    ax = plots.plot_regression_losses(delta=0.5, limit=2.0)
    lines = {ln.get_label(): ln for ln in ax.lines if not ln.get_label().startswith("_")}
    assert len(lines) == 3
    (sq,) = [ln for name, ln in lines.items() if "squared" in name]
    (ab,) = [ln for name, ln in lines.items() if "absolute" in name]
    (hu,) = [ln for name, ln in lines.items() if "Huber" in name]
    d = sq.get_xdata()
    assert d.min() == -2.0 and d.max() == 2.0
    assert_allclose(sq.get_ydata(), 0.5 * d**2, rtol=1e-15, err_msg="squared error is 1/2 d^2")
    assert_allclose(ab.get_ydata(), np.abs(d), rtol=1e-15, err_msg="absolute error is |d|")
    want = lc.losses.huber(0.5)._per_example(d[:, None], np.zeros((d.size, 1)))[0]
    assert_allclose(hu.get_ydata(), want, rtol=1e-14, err_msg="Huber curve is not lc.losses.huber(0.5)")
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    ax.figure.canvas.draw()  # renders the TeX labels: a mathtext error would raise here


def test_loss_gradients_are_the_derivatives_of_the_losses():
    ax = plots.plot_loss_gradients(delta=0.3, limit=3.0)
    lines = {ln.get_label(): ln for ln in ax.lines if not ln.get_label().startswith("_")}
    assert len(lines) == 3
    d = next(iter(lines.values())).get_xdata()
    zeros = np.zeros((d.size, 1))
    want = {"squared": lc.losses.squared_error, "absolute": lc.losses.mae, "Huber": lc.losses.huber(0.3)}
    for key, loss in want.items():
        (line,) = [ln for name, ln in lines.items() if key in name]
        # the loss's own gradient (a mean over the batch, so times N) is what is drawn
        assert_allclose(line.get_ydata(), d.size * loss.grad(d[:, None], zeros)[:, 0], rtol=1e-12,
                        atol=1e-15, err_msg=f"{key}: the curve is not the loss's gradient")
    (hu,) = [ln for name, ln in lines.items() if "Huber" in name]
    assert hu.get_ydata().max() == pytest.approx(0.3) and "0.3" in hu.get_label()
    dotted = sorted(ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == ":")
    assert dotted == pytest.approx([-0.3, 0.3])
    ax.figure.canvas.draw()


def test_losses_and_gradients_stack_two_panels_with_the_same_delta():
    top, bottom = plots.plot_losses_and_gradients(delta=0.3, unit="(SD)")
    assert top.figure is bottom.figure and top.get_position().y0 > bottom.get_position().y0  # stacked
    assert any("0.3" in ln.get_label() for ln in top.lines)
    assert any("0.3" in ln.get_label() for ln in bottom.lines)
    assert bottom.get_xlabel().endswith("(SD)") and top.get_xlabel() == ""  # one label for the shared axis
    assert "gradient" in bottom.get_ylabel()
    _assert_fits_the_column(top.figure)
    with pytest.raises(ValueError, match="plot_losses_and_gradients expects two axes"):
        plots.plot_losses_and_gradients(axes=[top])


def test_fit_1d_draws_samples_fit_truth_and_kinks():
    x, y = np.array([-1.0, 0.0, 1.0]), np.array([0.5, 0.1, 0.7])
    grid = np.linspace(-2, 2, 5)
    fitted, truth = np.abs(grid), grid**2
    ax = plots.plot_fit_1d(x, y, grid, fitted, truth=truth, kinks=[0.0, 5.0])
    by_label = {ln.get_label(): ln for ln in ax.lines}
    assert_array_equal(by_label["noisy samples"].get_xdata(), x)
    assert_array_equal(by_label["noisy samples"].get_ydata(), y)
    assert_array_equal(by_label["MLP fit"].get_ydata(), fitted)
    assert_array_equal(by_label["true function"].get_ydata(), truth)
    kinks = [ln for ln in ax.lines if ln.get_label() in ("a ReLU unit switches", "_kink")]
    assert len(kinks) == 1 and kinks[0].get_xdata()[0] == 0.0  # the kink at 5 lies outside the grid
    _assert_fits_the_column(ax.figure)
    with pytest.raises(ValueError, match=r"plot_fit_1d expects x, y of one shape \(N,\) .*got \(3,\), \(2,\)"):
        plots.plot_fit_1d(x, y[:2], grid, fitted)
    with pytest.raises(ValueError, match=r"plot_fit_1d expects truth of the shape of grid \(5,\), got \(4,\)"):
        plots.plot_fit_1d(x, y, grid, fitted, truth=truth[:4])


def test_unit_contributions_draws_one_line_per_unit():
    grid = np.linspace(-2, 2, 9)
    contributions = np.stack([np.maximum(0, grid), -0.5 * np.maximum(0, 1 - grid), 0 * grid], axis=1)
    ax = plots.plot_unit_contributions(grid, contributions)
    units = [ln for ln in ax.lines if ln.get_label() in ("one unit each", "_unit")]
    assert len(units) == 3
    for line, column in zip(units, contributions.T):
        assert_array_equal(line.get_xdata(), grid)
        assert_array_equal(line.get_ydata(), column)
    assert "3 hidden units" in ax.get_title()
    _assert_fits_the_column(ax.figure)
    ax.figure.canvas.draw()  # renders the TeX label
    with pytest.raises(ValueError, match=r"plot_unit_contributions expects grid \(G,\) and contributions "
                                         r"\(G, H\), got \(9,\) and \(8, 3\)"):
        plots.plot_unit_contributions(grid, contributions[:8])


def test_architecture_sweep_writes_every_cell():
    errors = np.array([[7.6, 6.4, 6.3], [7.5, 5.5, 5.6]])
    ax = plots.plot_architecture_sweep(errors, depths=(1, 3), widths=(10, 30, 100))
    assert_array_equal(ax.images[0].get_array(), errors)
    assert [t.get_text() for t in ax.texts] == ["7.60", "6.40", "6.30", "7.50", "5.50", "5.60"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "30", "100"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "3"]
    assert "hidden layers" in ax.get_ylabel() and "units" in ax.get_xlabel()
    _assert_fits_the_column(ax.figure)
    with pytest.raises(ValueError, match=r"plot_architecture_sweep expects errors of shape .* = \(3, 3\), "
                                         r"got \(2, 3\)"):
        plots.plot_architecture_sweep(errors, depths=(1, 3, 5), widths=(10, 30, 100))


def test_parity_plot_shows_the_points_and_the_diagonal():
    y, y_hat = np.array([10.0, 20.0, 50.0]), np.array([12.0, 18.0, 45.0])
    ax = plots.plot_parity(y_hat, y, label="MLP")  # the prediction first, as in the metrics
    assert_array_equal(ax.collections[0].get_offsets(), np.c_[y, y_hat],
                       err_msg="measured y across, predicted y_hat up")
    (diag,) = [ln for ln in ax.lines if ln.get_label() == "_diagonal"]
    assert_array_equal(diag.get_xdata(), diag.get_ydata())
    assert ax.get_xlim() == ax.get_ylim()
    assert ax.get_xlim()[0] < 10.0 and ax.get_xlim()[1] > 50.0
    assert "MPa" in ax.get_xlabel() and "MPa" in ax.get_ylabel()
    ax.figure.canvas.draw()


def test_parity_plot_twice_on_one_axes_keeps_one_diagonal_covering_both():
    ax = plots.plot_parity([1.5, 2.5], [1.0, 2.0], label="a")
    plots.plot_parity([1.0, 8.0], [0.0, 9.0], ax=ax, label="b")
    assert len(ax.collections) == 2
    diagonals = [ln for ln in ax.lines if ln.get_label() == "_diagonal"]
    assert len(diagonals) == 1 and diagonals[0].get_xdata()[0] < 0.0 and diagonals[0].get_xdata()[1] > 9.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_confusion_matrix_plot_shows_the_counts():
    counts = np.array([[5, 1, 0], [2, 7, 1], [0, 3, 9]])
    ax = plots.plot_confusion_matrix(counts, ["low", "mid", "high"])
    assert_array_equal(ax.images[0].get_array(), counts)
    texts = [t.get_text() for t in ax.texts]
    assert texts == [str(v) for v in counts.ravel()]  # row by row: true class i, predicted j
    assert [t.get_text() for t in ax.get_xticklabels()] == ["low", "mid", "high"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    ax.figure.canvas.draw()


def test_decision_regions_color_the_predicted_class():
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [-0.5, 0.5], [0.5, -0.5]])
    y = np.array([0, 1, 0, 1])
    seen = []

    def predict(points):
        seen.append(points.shape)
        return (points[:, 0] > 0).astype(int)  # left: class 0, right: class 1

    fig, ax = plt.subplots()
    assert plots.plot_decision_regions(predict, X, y, ax=ax, resolution=30, class_names=["L", "R"]) is ax
    assert seen == [(900, 2)]
    assert len(ax.collections) >= 2 + 2  # filled regions, boundary, and one scatter per class
    scatters = [c for c in ax.collections if c.get_label() in ("L", "R")]
    assert_array_equal(scatters[0].get_offsets(), X[y == 0])
    assert_array_equal(scatters[1].get_offsets(), X[y == 1])
    fig.canvas.draw()


def test_figures_reject_bad_input():
    with pytest.raises(ValueError, match=r"plot_parity expects y_hat and y of the same shape \(N,\), "
                                         r"got \(3,\) and \(2,\)"):
        plots.plot_parity(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"shape \(C, C\), got \(2, 3\)"):
        plots.plot_confusion_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="plot_confusion_matrix expects class_names to have 2 entries, one per "
                                         "class, got 1"):
        plots.plot_confusion_matrix(np.ones((2, 2)), ["a"])
    with pytest.raises(ValueError, match=r"X of shape \(N, 2\)"):
        plots.plot_decision_regions(lambda p: p[:, 0] > 0, np.ones((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"plot_decision_regions expects y to hold class labels, integers >= 0, "
                                         r"got \[0.5\]"):
        plots.plot_decision_regions(lambda p: p[:, 0] > 0, np.ones((3, 2)), np.array([0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match="plot_decision_regions expects predict to be a function"):
        plots.plot_decision_regions(None, np.ones((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="plot_regression_losses expects delta to be a finite number > 0, got -1"):
        plots.plot_regression_losses(delta=-1)
    with pytest.raises(ValueError, match="plot_loss_gradients expects delta to be a finite number > 0, got 0"):
        plots.plot_loss_gradients(delta=0)
    with pytest.raises(ValueError, match="plot_decision_regions expects resolution to be an integer >= 1, got 0"):
        plots.plot_decision_regions(lambda p: p[:, 0] > 0, np.ones((3, 2)), np.zeros(3), resolution=0)
    with pytest.raises(ValueError, match="plot_decision_regions expects margin to be a finite number >= 0, got -0.1"):
        plots.plot_decision_regions(lambda p: p[:, 0] > 0, np.ones((3, 2)), np.zeros(3), margin=-0.1)


# -- the book's column: figures at most 7 inches (700 px at the inline backend's 100 dpi), fonts >= 9 pt ----


def _assert_fits_the_column(fig):
    assert fig.get_figwidth() <= 7.0, f"a {fig.get_figwidth():.2f}-inch figure is wider than the column"
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9


@pytest.mark.parametrize("draw", [
    lambda: plots.plot_regression_losses(delta=1.0),
    lambda: plots.plot_parity([12.0, 18.0, 45.0], [10.0, 20.0, 50.0], label="MLP"),
    lambda: plots.plot_confusion_matrix(np.array([[27, 3, 0], [4, 57, 4], [0, 9, 50]]), ["< 20", "20-40", ">= 40"]),
    lambda: plots.plot_confusion_matrix(np.arange(36).reshape(6, 6)),  # 9.8 inches before it shrinks
    lambda: plots.plot_decision_regions(lambda p: (p[:, 0] > 0).astype(int), np.array([[-1.0, 0.0], [1.0, 0.5]]),
                                        np.array([0, 1]), resolution=20, class_names=["arm 0", "arm 1"]),
], ids=["regression_losses", "parity", "confusion_3", "confusion_6", "decision_regions"])
def test_default_figures_fit_the_books_column(draw):
    _assert_fits_the_column(draw().figure)


def test_a_large_confusion_matrix_keeps_its_proportions():
    assert plots.plot_confusion_matrix(np.eye(3)).figure.get_size_inches() == pytest.approx((5.9, 5.1))
    fig = plots.plot_confusion_matrix(np.eye(6)).figure
    assert fig.get_size_inches() == pytest.approx((7.0, 7.0 * (1.2 * 6 + 1.5) / (1.3 * 6 + 2)))
