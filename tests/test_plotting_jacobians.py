"""Chapter 2's figures (lecture_code.plotting.jacobians): the Jacobian heatmaps, what is on the axes."""


import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Rectangle
from numpy.testing import assert_allclose

from figure_checks import saved_width, smallest_font

import lecture_code as lc

TIGHT = dict(rtol=1e-12, atol=1e-14)




def image_of(ax):
    (image,) = ax.get_images()
    return image.get_array()


# -- plotting: jacobian_heatmap ------------------------------------------------------------------


def test_heatmap_shows_the_matrix_with_exact_zeros_masked():
    J = np.array([[0.5, 0.0, -1.0], [0.0, 2.0, 0.0]])
    ax = lc.plotting.jacobian_heatmap(J)
    data = image_of(ax)
    assert_allclose(np.ma.getdata(data), J, **TIGHT, err_msg="the image must hold J itself, rows = outputs")
    assert np.array_equal(np.ma.getmaskarray(data), J == 0), "exactly the zero entries are masked (drawn white)"
    assert ax.get_images()[0].get_clim() == (-2.0, 2.0), "the color scale is symmetric about 0"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"], "ticks count from 1, as eq 5"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2"]
    assert ax.get_xlabel() == "input  j" and ax.get_ylabel() == "output  i"
    assert ax.get_title() == "Jacobian (2 × 3)"
    assert len(ax.figure.axes) == 2, "a color bar by default"


def test_heatmap_annotates_values_and_frames_a_row_and_a_column():
    J = np.array([[0.25, 0.0], [-1.5, 3.0], [1.0, 0.125]])
    ax = lc.plotting.jacobian_heatmap(J, annotate=True, fmt=".1f", highlight_row=1, highlight_col=0,
                                      vmax=5.0, colorbar=False, title="T")
    assert [t.get_text() for t in ax.texts] == ["0.2", "0", "-1.5", "3.0", "1.0", "0.1"]
    frames = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(frames) == 2
    row, col = frames
    assert (row.get_xy(), row.get_width(), row.get_height()) == ((-0.5, 0.5), 2, 1), "row 2 (0-based 1) framed"
    assert (col.get_xy(), col.get_width(), col.get_height()) == ((-0.5, -0.5), 1, 3), "column 1 framed"
    assert ax.get_images()[0].get_clim() == (-5.0, 5.0) and ax.get_title() == "T"
    assert len(ax.figure.axes) == 1


def test_heatmap_of_a_zero_matrix_draws_without_error():
    ax = lc.plotting.jacobian_heatmap(np.zeros((2, 2)))
    assert np.ma.getmaskarray(image_of(ax)).all()
    assert ax.get_images()[0].get_clim() == (-1.0, 1.0)


# -- plotting: jacobian_chain --------------------------------------------------------------------


def test_chain_draws_the_factors_in_eq6_order_and_their_product():
    net = lc.mlp([4, 8, 6, 4, 2])
    thetas = net.init(rng=0)
    x = np.random.default_rng(1).normal(size=4)
    factors = net.layer_jacobians(x, thetas)[::-1]  # eq 6: the last layer's Jacobian first
    axes = lc.plotting.jacobian_chain(factors, names=[f"F{k}" for k in range(7)], title="eq 6")
    assert len(axes) == 8
    for ax, F in zip(axes, factors):
        assert_allclose(np.ma.getdata(image_of(ax)), F, **TIGHT)
    assert_allclose(np.ma.getdata(image_of(axes[-1])), net.jacobian(x, thetas), **TIGHT,
                    err_msg="the last panel is the product J_K ... J_1, the network's Jacobian")
    assert axes[0].get_title() == "F0\n2 × 4" and axes[-1].get_title() == "$\\mathbf{J}$\n2 × 4"
    signs = [t.get_text() for ax in axes for t in ax.texts]
    assert signs == [r"$\cdot$"] * 6 + ["$=$"]
    relu_mask = np.ma.getmaskarray(image_of(axes[1]))  # D_3, the last ReLU's diagonal mask
    assert relu_mask.sum() >= 4 * 4 - 4, "off-diagonal zeros of a ReLU Jacobian are white"
    scales = {ax.get_images()[0].get_clim() for ax in axes[:-1]}
    assert len(scales) == 1, "the factors share one color scale"
    assert axes[0].figure.texts[0].get_text() == "eq 6"


def test_chain_uses_given_axes_and_a_given_product():
    _, given = plt.subplots(1, 3)
    A, B = np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]])
    axes = lc.plotting.jacobian_chain([A, B], product=A @ B, axes=given)
    assert list(axes) == list(given)
    assert_allclose(np.ma.getdata(image_of(axes[2])), B, **TIGHT)


# -- figure size: the book's column is about 700 px, 7 inches at the inline backend's 100 dpi ------


def _network_factors():
    net = lc.mlp([4, 8, 6, 4, 2])
    return net.layer_jacobians(np.random.default_rng(1).normal(size=4), net.init(rng=0))[::-1]


@pytest.mark.parametrize("draw", [
    lambda: lc.plotting.jacobian_heatmap(np.ones((2, 4)), annotate=True).figure,
    lambda: lc.plotting.jacobian_heatmap(np.ones((20, 30))).figure,
    lambda: lc.plotting.jacobian_chain(_network_factors(), title="eq 6")[0].figure,
    lambda: lc.plotting.jacobian_chain([np.eye(8), np.ones((8, 4))], title="one layer")[0].figure,
], ids=["heatmap", "wide heatmap", "chain of 7", "chain of 2"])
def test_default_figures_fit_the_book_column(draw):
    fig = draw()
    assert fig.get_size_inches()[0] <= 7.0
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9, "no text below 9 pt: tick labels, color bars and annotations included"


def test_chain_titles_stay_clear_of_the_suptitle():
    """Equal-aspect panels that filled their height would push their titles up into the suptitle."""
    net = lc.mlp([4, 8, 6, 4, 2])
    x, thetas = np.random.default_rng(1).normal(size=4), net.init(rng=0)
    W1, D1 = net.layers[0].jacobian(x, thetas[0]), np.diag([0.0, 1, 1, 1, 1, 0, 0, 1])
    axes = lc.plotting.jacobian_chain([D1, W1], title="The first layer's Jacobian")
    fig = axes[0].figure
    saved_width(fig)  # draws the figure as the notebook does, once
    renderer = fig.canvas.get_renderer()
    bottom = fig._suptitle.get_window_extent(renderer).y0
    assert all(ax.title.get_window_extent(renderer).y1 < bottom for ax in axes)


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("call,pattern", [
    (lambda: lc.plotting.jacobian_heatmap(np.ones(3)),
     r"jacobian_heatmap expects J to be a matrix of shape \(M, D\).*got \(3,\)"),
    (lambda: lc.plotting.jacobian_heatmap(np.ones((2, 2)), highlight_row=2),
     r"jacobian_heatmap expects highlight_row to be an integer with 0 <= highlight_row <= 1, got 2"),
    (lambda: lc.plotting.jacobian_heatmap(np.ones((2, 3)), highlight_col=-1),
     r"jacobian_heatmap expects highlight_col to be an integer with 0 <= highlight_col <= 2, got -1"),
    (lambda: lc.plotting.jacobian_heatmap(np.ones((2, 2)), vmax=0),
     r"jacobian_heatmap expects vmax to be a finite number > 0, got 0"),
    (lambda: lc.plotting.jacobian_heatmap([[1.0, np.nan]]), r"J must be finite"),
    (lambda: lc.plotting.jacobian_chain([]),
     r"jacobian_chain expects factors to be a non-empty list of matrices, got \[\]"),
    (lambda: lc.plotting.jacobian_chain([np.ones((2, 3)), np.ones((2, 3))]),
     r"jacobian_chain expects factors whose shapes chain .*got factors\[0\] of shape \(2, 3\) and factors\[1\] "
     r"of shape \(2, 3\)"),
    (lambda: lc.plotting.jacobian_chain([np.ones((2, 3))], names=["a", "b"]),
     r"jacobian_chain expects 1 names, one per factor, got 2"),
    (lambda: lc.plotting.jacobian_chain([np.ones((2, 3))], product=np.ones((3, 2))),
     r"jacobian_chain expects product of shape \(2, 3\) .*got \(3, 2\)"),
    (lambda: lc.plotting.jacobian_chain([np.ones((2, 3))], axes=[plt.gca()]),
     r"jacobian_chain expects 2 axes .* got 1"),
])
def test_plotting_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
