"""Chapter 2's figures (lecture_code.plotting.jacobians): the Jacobian heatmaps, the local linear map and the
linear regions of a ReLU network: what is on the axes."""


import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.contour import ContourSet
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


# -- plotting: linear_map_grid -------------------------------------------------------------------


def lines_with(ax, gid):
    return [line for line in ax.lines if line.get_gid() == gid]


def xy(line):
    return np.column_stack([line.get_xdata(), line.get_ydata()])


def tanh_layer():
    layer = lc.Sequential([lc.Linear(2, 2), lc.Tanh()])
    theta = [{"W": np.array([[1.5, -1.0], [1.0, 1.0]]), "b": np.array([0.0, -0.5])}, {}]
    return layer, theta


def test_linear_map_grid_draws_the_grid_and_both_images():
    layer, theta = tanh_layer()
    x = np.array([0.3, 0.2])
    J = layer.jacobian(x, theta)
    ax_in, ax_out = lc.plotting.linear_map_grid(lambda p: layer.forward(p, theta), x, J, radius=0.5, lines=5)
    grid, images, linear = lines_with(ax_in, "grid"), lines_with(ax_out, "f"), lines_with(ax_out, "linear")
    assert len(grid) == len(images) == len(linear) == 10, "5 lines in each of the two directions"
    points = np.vstack([xy(line) for line in grid])
    assert_allclose(points.min(axis=0), x - 0.5, **TIGHT)
    assert_allclose(points.max(axis=0), x + 0.5, **TIGHT, err_msg="the grid spans x +- radius")
    f_x = layer.forward(x, theta)
    for g, image, lin in zip(grid, images, linear):
        assert_allclose(xy(image), layer.forward(xy(g), theta), **TIGHT, err_msg="solid: the image under f")
        assert_allclose(xy(lin), f_x + (xy(g) - x) @ J.T, **TIGHT, err_msg="dashed: f(x) + J (x' - x)")
    gap = max(np.abs(xy(image) - xy(lin)).max() for image, lin in zip(images, linear))
    assert gap > 0.05, "a nonlinear f bends the grid away from the linear map"


def test_linear_map_grid_of_an_affine_map_has_identical_images():
    A, c = np.array([[2.0, 1.0], [-1.0, 0.5]]), np.array([0.3, -0.2])
    _, ax_out = lc.plotting.linear_map_grid(lambda p: p @ A.T + c, np.zeros(2), A, radius=1.0, lines=3)
    for image, lin in zip(lines_with(ax_out, "f"), lines_with(ax_out, "linear")):
        assert_allclose(xy(image), xy(lin), **TIGHT, err_msg="an affine map is its own linear approximation")


# -- activation_patterns and linear_regions ------------------------------------------------------


def quadrant_net():
    """relu(x) then a sum: unit 1 is on for x_1 > 0, unit 2 for x_2 > 0, four regions around 0."""
    net = lc.Sequential([lc.Sequential([lc.Linear(2, 2), lc.ReLU()]), lc.Linear(2, 1)])
    thetas = [[{"W": np.eye(2), "b": np.zeros(2)}, {}], {"W": np.ones((1, 2)), "b": np.zeros(1)}]
    return net, thetas


def chapter_net():
    net = lc.Sequential([lc.Sequential([lc.Linear(4, 8), lc.ReLU()]), lc.Sequential([lc.Linear(8, 6), lc.ReLU()]),
                         lc.Sequential([lc.Linear(6, 4), lc.ReLU()]), lc.Linear(4, 2)])
    return net, net.init(rng=0)


def test_activation_patterns_are_the_signs_of_the_hidden_values():
    net, thetas = quadrant_net()
    X = np.array([[1.0, 2.0], [-1.0, 2.0], [1.0, -2.0], [-1.0, -2.0]])
    assert np.array_equal(lc.plotting.activation_patterns(net, thetas, X),
                          [[True, True], [False, True], [True, False], [False, False]])
    assert np.array_equal(lc.plotting.activation_patterns(net, thetas, X[1]), [False, True]), "one x: (H,)"
    net, thetas = chapter_net()
    X = np.random.default_rng(1).normal(size=(6, 4))
    hidden = net.activations(X, thetas)[1:4]
    expected = np.concatenate([h > 0 for h in hidden], axis=1)
    assert np.array_equal(lc.plotting.activation_patterns(net, thetas, X), expected)
    assert expected.shape == (6, 18)


def test_same_pattern_same_jacobian():
    """What the chapter relies on: the pattern fixes every ReLU mask, so it fixes J exactly."""
    net, thetas = chapter_net()
    X = np.random.default_rng(2).normal(size=(60, 4))
    patterns = lc.plotting.activation_patterns(net, thetas, X)
    Js = [net.jacobian(x, thetas) for x in X]
    pairs = [(m, n) for m in range(60) for n in range(m) if np.array_equal(patterns[m], patterns[n])]
    assert pairs, "some of 60 inputs share a pattern"
    assert all(np.array_equal(Js[m], Js[n]) for m, n in pairs)


def test_linear_regions_colors_the_plane_by_pattern():
    net, thetas = quadrant_net()
    marks = {"P": np.array([0.5, -0.5])}
    ax = lc.plotting.linear_regions(net, thetas, np.zeros(2), extent=1.0, resolution=20, marks=marks,
                                    hidden_names=["h"])
    ids = np.asarray(image_of(ax))
    assert ids.shape == (20, 20) and len(np.unique(ids)) == 4, "four quadrants, four patterns"
    corners = {ids[-1, -1], ids[-1, 0], ids[0, -1], ids[0, 0]}  # rows: input 2 upward, columns: input 1
    assert len(corners) == 4, "each quadrant its own pattern"
    assert ids[-1, -1] == ids[-5, -5] and ids[0, 0] == ids[4, 4], "a quadrant is one pattern throughout"
    assert ax.get_images()[0].get_extent() == [-1.0, 1.0, -1.0, 1.0]
    assert ax.get_title() == "4 activation patterns in this window"
    assert len([c for c in ax.collections if isinstance(c, ContourSet)]) == 2, "one boundary per unit"
    assert [t.get_text() for t in ax.texts] == ["P"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a unit of h switches"]
    assert ax.get_xlabel() == "input 1" and ax.get_ylabel() == "input 2"


def test_linear_regions_in_a_plane_of_a_wider_input():
    net, thetas = chapter_net()
    x = np.random.default_rng(1).normal(size=4)
    ax = lc.plotting.linear_regions(net, thetas, x, dims=(1, 3), extent=2.0, resolution=40)
    ids = np.asarray(image_of(ax))
    s, t = np.linspace(x[1] - 2, x[1] + 2, 40), np.linspace(x[3] - 2, x[3] + 2, 40)
    S, T = np.meshgrid(s, t)
    X = np.tile(x, (S.size, 1))
    X[:, 1], X[:, 3] = S.ravel(), T.ravel()
    patterns = lc.plotting.activation_patterns(net, thetas, X)
    n = len(np.unique(patterns, axis=0))
    assert len(np.unique(ids)) == n and ax.get_title() == f"{n} activation patterns in this window"
    flat = ids.ravel()
    for m in np.random.default_rng(0).choice(S.size, 50, replace=False):  # same color exactly when same pattern
        assert np.array_equal(flat == flat[m], (patterns == patterns[m]).all(axis=1))
    assert ax.get_xlabel() == "input 2" and ax.get_ylabel() == "input 4"


def test_linear_regions_draws_a_switch_where_it_is_not_on_the_pixel_staircase():
    """A unit on for 0.1 x_1 - x_2 + 0.03 > 0: its boundary is a shallow straight line, drawn within a
    small fraction of a pixel of the truth (a contour of the 0/1 mask would step by half a pixel)."""
    net = lc.Sequential([lc.Sequential([lc.Linear(2, 1), lc.ReLU()]), lc.Linear(1, 1)])
    thetas = [[{"W": np.array([[0.1, -1.0]]), "b": np.array([0.03])}, {}], {"W": np.ones((1, 1)), "b": np.zeros(1)}]
    ax = lc.plotting.linear_regions(net, thetas, np.zeros(2), extent=1.0, resolution=51)
    (contours,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    points = np.vstack([path.vertices for path in contours.get_paths()])
    assert len(points) > 20 and np.ptp(points[:, 0]) > 1.9, "the line crosses the whole window"
    pixel = 2.0 / 50
    distance = np.abs(0.1 * points[:, 0] - points[:, 1] + 0.03) / np.hypot(0.1, 1.0)
    assert distance.max() < 0.01 * pixel, f"largest distance from the true boundary {distance.max() / pixel:.3f} px"


@pytest.mark.parametrize("width", [5, 18, 70], ids=["one byte", "three bytes", "more than 64 units"])
def test_pattern_ids_number_the_distinct_patterns(width):
    from lecture_code.plotting.jacobians import _pattern_ids
    rng = np.random.default_rng(width)
    P = rng.random((60, width)) < 0.5
    P[30:] = P[rng.integers(0, 30, size=30)]  # repeats
    n, ids = _pattern_ids(P)
    assert n == len(np.unique(P, axis=0)) and ids.shape == (60,) and set(ids) == set(range(n))
    for m in range(60):
        assert np.array_equal(ids == ids[m], (P == P[m]).all(axis=1)), "the same id exactly when the same pattern"


# -- figure size: the book's column is about 700 px, 7 inches at the inline backend's 100 dpi ------


def _network_factors():
    net = lc.mlp([4, 8, 6, 4, 2])
    return net.layer_jacobians(np.random.default_rng(1).normal(size=4), net.init(rng=0))[::-1]


@pytest.mark.parametrize("draw", [
    lambda: lc.plotting.jacobian_heatmap(np.ones((2, 4)), annotate=True).figure,
    lambda: lc.plotting.jacobian_heatmap(np.ones((20, 30))).figure,
    lambda: lc.plotting.jacobian_chain(_network_factors(), title="eq 6")[0].figure,
    lambda: lc.plotting.jacobian_chain([np.eye(8), np.ones((8, 4))], title="one layer")[0].figure,
    lambda: lc.plotting.linear_map_grid(lambda p: np.tanh(p), np.zeros(2), np.eye(2))[0].figure,
    lambda: lc.plotting.linear_regions(*chapter_net(), np.zeros(4), resolution=50,
                                       marks={"x": np.zeros(4)}).figure,
], ids=["heatmap", "wide heatmap", "chain of 7", "chain of 2", "linear map", "linear regions"])
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
    (lambda: lc.plotting.linear_map_grid(np.tanh, np.zeros(3), np.eye(2)),
     r"linear_map_grid expects x of shape \(2,\) \(a point of the input plane\), got \(3,\)"),
    (lambda: lc.plotting.linear_map_grid(np.tanh, np.zeros(2), np.ones((2, 3))),
     r"linear_map_grid expects J of shape \(2, 2\) \(two outputs, two inputs\), got \(2, 3\)"),
    (lambda: lc.plotting.linear_map_grid(lambda p: p[:, :1], np.zeros(2), np.eye(2)),
     r"linear_map_grid expects f to map points of shape \(1, 2\) .* to the same shape, got \(1, 1\)"),
    (lambda: lc.plotting.linear_map_grid("tanh", np.zeros(2), np.eye(2)),
     r"linear_map_grid expects f to be a function of points \(N, 2\), got str"),
    (lambda: lc.plotting.linear_map_grid(np.tanh, np.zeros(2), np.eye(2), radius=0),
     r"linear_map_grid expects radius to be a finite number > 0, got 0"),
    (lambda: lc.plotting.linear_map_grid(np.tanh, np.zeros(2), np.eye(2), lines=1),
     r"linear_map_grid expects lines to be an integer with 2 <= lines <= 101, got 1"),
    (lambda: lc.plotting.linear_map_grid(np.tanh, np.zeros(2), np.eye(2), axes=[plt.gca()]),
     r"linear_map_grid expects 2 axes \(the input plane, the output plane\), got 1"),
    (lambda: lc.plotting.activation_patterns(*quadrant_net(), np.zeros((2, 2, 2))),
     r"activation_patterns expects X of shape \(D,\) or \(N, D\), got \(2, 2, 2\)"),
    (lambda: lc.plotting.activation_patterns(lc.Linear(2, 1), lc.Linear(2, 1).init(rng=0), np.zeros(2)),
     r"activation_patterns expects net to be a network with activations\(x, thetas\) \(a Sequential\), got Linear"),
    (lambda: lc.plotting.activation_patterns(lc.Sequential([lc.Linear(2, 1)]), [lc.Linear(2, 1).init(rng=0)],
                                             np.zeros(2)),
     r"activation_patterns expects a network with at least one hidden layer"),
    (lambda: lc.plotting.linear_regions(*quadrant_net(), np.zeros(2), dims=(0, 0)),
     r"linear_regions expects dims to be two different input indices in 0..1, got \(0, 0\)"),
    (lambda: lc.plotting.linear_regions(*quadrant_net(), np.zeros(2), dims=(0, 2)),
     r"linear_regions expects dims to be two different input indices in 0..1, got \(0, 2\)"),
    (lambda: lc.plotting.linear_regions(*quadrant_net(), np.zeros(2), extent=-1.0),
     r"linear_regions expects extent to be a finite number > 0, got -1.0"),
    (lambda: lc.plotting.linear_regions(*quadrant_net(), np.zeros(2), resolution=1),
     r"linear_regions expects resolution to be an integer >= 2, got 1"),
    (lambda: lc.plotting.linear_regions(*quadrant_net(), np.zeros(2), hidden_names=["a", "b"]),
     r"linear_regions expects 1 hidden_names, one per hidden value, got 2"),
    (lambda: lc.plotting.linear_regions(*chapter_net(), np.zeros(4), marks={"A": np.ones(4)}),
     r"linear_regions expects marks\['A'\] to be a point of the plane: shape \(4,\) and inputs \[3, 4\] equal"),
])
def test_plotting_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
