"""Chapter 4's figures (lecture_code.plotting.backprop)."""


import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import FancyBboxPatch, Rectangle
from numpy.testing import assert_allclose

from figure_checks import saved_width, smallest_font

import lecture_code as lc
from lecture_code.plotting import backprop as plots




# -- draw_reverse_sweep ------------------------------------------------------------------------------

def _texts(ax):
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("k", [1, 4, 6])
def test_reverse_sweep_has_every_variable_cotangent_and_gradient(k):
    ax = plots.draw_reverse_sweep(k)
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 2 * k + 1  # x_1..x_K, f_1..f_K and the loss
    texts = _texts(ax)
    assert [t for t in texts if t.startswith(r"$\mathbf{u}_")] == [rf"$\mathbf{{u}}_{i}$" for i in range(1, k + 1)]
    assert rf"$u_{{{k + 1}}} = 1$" in texts  # eq 25: u_{K+1} = 1
    assert sum(t.startswith(r"$\theta_") for t in texts) == k
    assert sum(t.startswith(r"$\partial\mathcal{L}/\partial\theta_") for t in texts) == k
    assert r"$\mathcal{L}$" in texts


def test_reverse_sweep_draws_gradients_only_where_there_are_parameters():
    ax = plots.draw_reverse_sweep(4, parameters={1: "W1", 3: "W2"}, gradients={3: "G3"})
    texts = _texts(ax)
    assert "W1" in texts and "W2" in texts and r"$\theta_2$" not in texts
    assert "G3" in texts and r"$\partial\mathcal{L}/\partial\theta_1$" in texts  # default label for f_1
    assert not any("theta_2" in t or "theta_4" in t for t in texts)
    bare = plots.draw_reverse_sweep(3, parameters={})
    assert not any(t.startswith(r"$\partial") or t.startswith(r"$\theta") for t in _texts(bare))


def test_reverse_sweep_draws_on_a_given_axes():
    fig, ax = plt.subplots()
    assert plots.draw_reverse_sweep(2, ax=ax) is ax


# -- plot_outer_product ------------------------------------------------------------------------------

def test_outer_product_image_is_u_x_transposed_with_its_factors():
    u, x = np.array([-1.5, 2.5]), np.array([0.0, 1.5, 0.5, 1.0])
    ax = plots.plot_outer_product(u, x, colorbar=False)
    product, left, top = (im.get_array() for im in ax.images)
    assert_allclose(product.filled(0.0), np.outer(u, x), rtol=0, atol=0, err_msg="the heatmap is not u x^T")
    assert_allclose(left.filled(0.0), u[:, None], rtol=0, atol=0, err_msg="the left column is not u")
    assert_allclose(top.filled(0.0), x[None, :], rtol=0, atol=0, err_msg="the top row is not x^T")
    assert product.mask[:, 0].all() and not product.mask[:, 1:].any()  # exact zeros are masked (white)
    vmax = np.abs(np.outer(u, x)).max()
    assert all(im.get_clim() == (-vmax, vmax) for im in ax.images)  # one symmetric color scale
    assert "row of" in ax.get_ylabel() and "column of" in ax.get_xlabel()


def test_outer_product_of_zeros_and_colorbar():
    ax = plots.plot_outer_product(np.zeros(3), np.ones(2))
    assert ax.images[0].get_clim() == (-1.0, 1.0) and len(ax.figure.axes) == 2  # the colorbar


# -- plot_gradient_check -----------------------------------------------------------------------------

def test_gradient_check_bars_follow_the_report():
    net = lc.mlp([3, 4, 2])
    rng = np.random.default_rng(0)
    thetas = net.init(rng)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    _, grads = lc.backprop(net, thetas, X, Y, lc.losses.squared_error)
    wrong = [{"W": grads[0]["W"] * 1.1, "b": grads[0]["b"]}, {}, grads[2]]
    report = lc.check_gradients(net, thetas, X, Y, lc.losses.squared_error, grads=wrong)
    ax = plots.plot_gradient_check(report)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)][:len(report.rows)]
    heights = [b.get_height() for b in bars]
    assert_allclose(heights, [max(r, 1e-12) for _, _, _, r in report.rows], rtol=1e-12, err_msg="bar heights")
    colors = [to_hex(b.get_facecolor()) for b in bars]
    assert colors == [plots._DISAGREE.lower(), plots._AGREE.lower(), plots._AGREE.lower(), plots._AGREE.lower()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.W", "0.b", "2.W", "2.b"]
    assert ax.get_yscale() == "log" and "disagree" in ax.get_title()


# -- figure size: the book's column is about 700 px, 7 inches at the inline backend's 100 dpi --------

def _report(sizes):
    net = lc.mlp(sizes)
    rng = np.random.default_rng(0)
    thetas = net.init(rng)
    X, Y = rng.normal(size=(5, sizes[0])), rng.normal(size=(5, sizes[-1]))
    return lc.check_gradients(net, thetas, X, Y, lc.losses.squared_error)


@pytest.mark.parametrize("draw", [
    lambda: plots.draw_reverse_sweep(1),
    lambda: plots.draw_reverse_sweep(4),
    lambda: plots.draw_reverse_sweep(6),
    lambda: plots.plot_outer_product(np.array([-1.5, 2.5]), np.array([0.0, 1.5, 0.5, 1.0])),
    lambda: plots.plot_outer_product(np.ones(10), np.linspace(-1, 1, 16)),
    lambda: plots.plot_gradient_check(_report([3, 4, 2])),
    lambda: plots.plot_gradient_check(_report([3, 4, 4, 4, 4, 4, 2])),
], ids=["sweep of 1", "sweep of 4", "sweep of 6", "outer product", "wide outer product", "check",
        "check of 12 arrays"])
def test_default_figures_fit_the_book_column(draw):
    fig = draw().figure
    assert fig.get_size_inches()[0] <= 7.0
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9, "no text below 9 pt: tick labels and annotations included"


def test_reverse_sweep_arrows_leave_the_cotangent_labels_clear():
    """Drawn small too (about 0.35 inch per unit here), the wide "u_{K+1} = 1" included: each arrow starts
    left of the label it leaves."""
    fig, ax = plt.subplots(figsize=(7, 2.6))
    plots.draw_reverse_sweep(4, ax=ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text().startswith((r"$\mathbf{u}_", "$u_"))]
    assert labels[-1].get_text() == "$u_{5} = 1$"
    for label in labels[1:]:  # every cotangent but u_1 sends an arrow back to the one before it
        arrow = next(a for a in ax.texts if getattr(a, "anncoords", None) is label)
        assert arrow.arrow_patch.get_window_extent(renderer).x1 <= label.get_window_extent(renderer).x0


# -- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.draw_reverse_sweep(0), r"draw_reverse_sweep expects n_functions to be an integer >= 1, got 0"),
    (lambda: plots.draw_reverse_sweep(3, parameters={4: "W"}),
     r"draw_reverse_sweep expects parameters to be a dict \{l: label\} with l in 1..3, got \{4: 'W'\}"),
    (lambda: plots.draw_reverse_sweep(3, parameters=["W"]),
     r"draw_reverse_sweep expects parameters to be a dict .*, got \['W'\]"),
    (lambda: plots.draw_reverse_sweep(3, parameters={1: "W"}, gradients={2: "g"}),
     r"draw_reverse_sweep expects gradients only for functions with parameters \(drawn for \[1\]\), "
     r"got gradients for functions without parameters: \[2\]"),
    (lambda: plots.plot_outer_product(np.ones((2, 2)), np.ones(3)),
     r"plot_outer_product expects u to be a vector of shape \(n,\).*got \(2, 2\)"),
    (lambda: plots.plot_outer_product(np.ones(2), np.ones(0)),
     r"plot_outer_product expects x to be a vector of shape \(n,\).*got \(0,\)"),
    (lambda: plots.plot_outer_product([1.0, np.nan], [1.0]), r"u must be finite"),
    (lambda: plots.plot_gradient_check("report"), r"expects the result of lc.check_gradients, got str"),
    (lambda: plots.plot_gradient_check(lc.GradientCheck([], True, 1e-5, 1e-8)), r"at least one parameter row"),
])
def test_plotting_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
