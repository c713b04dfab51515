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


def _arrow_into(ax, gid):
    """The one annotation arrow with this gid: (its tail, its head) in data coordinates."""
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None and a.get_gid() == gid]
    assert len(arrows) == 1, f"expected one {gid} arrow, got {len(arrows)}"
    return arrows[0].xyann, arrows[0].xy


@pytest.mark.parametrize("k", [1, 4])
def test_reverse_sweep_feeds_the_target_into_the_loss_function(k):
    """f_K is the loss (eq 20): the target y is drawn above f_K with an arrow down into f_K's box."""
    ax = plots.draw_reverse_sweep(k, parameters={})
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    f_k = boxes[2 * k - 1].get_bbox()  # boxes: x_1, f_1, ..., x_K, f_K, L
    (x0, y0), (x1, y1) = _arrow_into(ax, "target")
    assert f_k.x0 < x1 < f_k.x1 and f_k.y1 <= y1 < y0, "the arrow ends on top of f_K"
    label = next(t for t in ax.texts if t.get_text() == r"$\mathbf{y}$")
    assert label.get_position() == (x0, pytest.approx(1.15)) and abs(x0 - x1) < 0.5 * f_k.width


def test_reverse_sweep_target_beside_the_loss_parameters_or_left_out():
    ax = plots.draw_reverse_sweep(3, parameters={3: "P"}, target="T")
    (tx, _), (thx, _) = _arrow_into(ax, "target")
    p_text = next(t for t in ax.texts if t.get_text() == "P")
    t_text = next(t for t in ax.texts if t.get_text() == "T")
    assert p_text.get_position()[0] < t_text.get_position()[0] == tx  # side by side, not on top of each other
    bare = plots.draw_reverse_sweep(3, target=None)
    assert not [a for a in bare.texts if a.get_gid() == "target"]
    assert r"$\mathbf{y}$" not in _texts(bare)


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


def test_outer_product_prints_every_entry_of_the_product_and_its_factors():
    u, x = np.array([-1.5, 2.5]), np.array([0.0, 1.5, 0.5, 1.0])
    ax = plots.plot_outer_product(u, x, colorbar=False)
    entries = {t.get_position(): float(t.get_text()) for t in ax.texts if t.get_gid() == "entry"}
    assert len(entries) == u.size * x.size + u.size + x.size
    for i in range(2):
        for j in range(4):
            assert entries[(j + 0.5, i + 0.5)] == u[i] * x[j], f"cell ({i}, {j}) of u x^T"
        assert entries[(-1.0, i + 0.5)] == u[i], f"entry {i} of u"
    assert [entries[(j + 0.5, -1.0)] for j in range(4)] == list(x)
    assert "-0" not in [t.get_text() for t in ax.texts]  # 0 * -1.5 prints as 0
    assert smallest_font(ax.figure) >= 9


def test_outer_product_numbers_can_be_switched_off_and_are_off_for_large_matrices():
    assert not [t for t in plots.plot_outer_product([1.0, 2.0], [3.0], numbers=False).texts if t.get_gid() == "entry"]
    assert not [t for t in plots.plot_outer_product(np.ones(10), np.ones(16)).texts if t.get_gid() == "entry"]
    assert len([t for t in plots.plot_outer_product(np.ones(10), np.ones(3), numbers=True).texts
                if t.get_gid() == "entry"]) == 30 + 10 + 3


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
    assert [t.get_text() for t in ax.get_xticklabels()] == ["f1.W", "f1.b", "f3.W", "f3.b"]  # counted from 1
    assert ax.get_yscale() == "log" and "disagree" in ax.get_title()


@pytest.mark.parametrize("name,label", [("0.W", "f1.W"), ("4.b", "f5.b"), ("12.W", "f13.W"), ("1.0.W", "f2.0.W"),
                                        ("W", "W"), ("x.W", "x.W")])
def test_parameter_label_counts_functions_from_one(name, label):
    assert plots.parameter_label(name) == label


def test_parameter_label_names_what_check_gradients_reports():
    net = lc.mlp([3, 4, 4, 2])
    report = _report([3, 4, 4, 2])
    assert [plots.parameter_label(name) for name, *_ in report.rows] == ["f1.W", "f1.b", "f3.W", "f3.b", "f5.W", "f5.b"]
    assert [type(net.layers[int(label[1]) - 1]).__name__ for label in ["f1.W", "f3.W", "f5.W"]] == ["Linear"] * 3


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
    (lambda: plots.draw_reverse_sweep(3, target=""),
     r"draw_reverse_sweep expects target to be a label \(a non-empty str\) or None, got ''"),
    (lambda: plots.draw_reverse_sweep(3, target=1), r"expects target to be a label .*, got 1"),
    (lambda: plots.plot_outer_product(np.ones(2), np.ones(3), numbers="yes"),
     r"plot_outer_product expects numbers to be True, False or None, got 'yes'"),
    (lambda: plots.parameter_label(4), r"parameter_label expects a parameter name such as '4.W', got int"),
    (lambda: plots.plot_gradient_check("report"), r"expects the result of lc.check_gradients, got str"),
    (lambda: plots.plot_gradient_check(lc.GradientCheck([], True, 1e-5, 1e-8)), r"at least one parameter row"),
])
def test_plotting_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
