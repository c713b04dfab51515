"""Chapter 1's figures (lecture_code.plotting.composition): the network diagram, each f_l marked, and the graph."""


import pytest
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

from figure_checks import saved_width, smallest_font

import lecture_code as lc


def by_gid(items, gid):
    return [a for a in items if a.get_gid() == gid]


@pytest.mark.parametrize("sizes", [[4, 8, 6, 4, 2], [1, 1], [3, 5, 1]])
def test_network_diagram_has_every_unit_and_every_weight(sizes):
    ax = lc.plotting.draw_network(sizes)
    units = [p for p in ax.patches if isinstance(p, Circle)]
    hidden = sizes[1:-1]
    assert len(units) == sum(sizes) + sum(hidden), "every unit, and the affine outputs before each ReLU"
    assert len(ax.lines) == sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(hidden)
    labels = [t.get_text() for t in ax.texts]
    assert f"Input ({sizes[0]})\n$\\mathbf{{x}}_{{1}}$" in labels
    assert f"Output ({sizes[-1]})\n$\\mathbf{{o}}$" in labels


def test_network_diagram_marks_each_function_and_its_parameter_shapes():
    """Eq 2 read off the picture: which lines are f_l's, and the shapes of W_l and b_l."""
    sizes = [4, 8, 6, 4, 2]
    ax = lc.plotting.draw_network(sizes)
    texts = [t.get_text() for t in ax.texts]
    for ell, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        linear = by_gid(ax.lines, f"f{ell} linear")
        relu = by_gid(ax.lines, f"f{ell} ReLU")
        assert len(linear) == d_in * d_out, f"f_{ell}: one line per weight of W_{ell}"
        assert len(relu) == (d_out if ell < 4 else 0), f"f_{ell}: one line per unit for its ReLU (none for f_4)"
        (band,) = by_gid(ax.patches, f"f{ell}")
        assert isinstance(band, Rectangle)
        left, right = band.get_x(), band.get_x() + band.get_width()
        xs = [x for line in linear + relu for x in line.get_xdata()]
        assert left <= min(xs) and max(xs) <= right, f"f_{ell}'s lines lie in its band"
        others = [x for line in ax.lines if not line.get_gid().startswith(f"f{ell} ") for x in line.get_xdata()]
        assert not any(left < x < right for x in others), f"no other function's line enters f_{ell}'s band"
        inputs = {round(c.center[0], 9) for c in by_gid(ax.patches, f"x{ell}")}
        assert {round(min(line.get_xdata()), 9) for line in linear} == {round(x + 0.17, 9) for x in inputs}, \
            f"f_{ell}'s weights start at the units of x_{ell}"
        assert f"$\\mathbf{{f}}_{{{ell}}}$" in texts
        assert f"$\\mathbf{{W}}_{{{ell}}}$: {d_out} × {d_in}\n$\\mathbf{{b}}_{{{ell}}}$: {d_out}" in texts
        assert len(by_gid(ax.patches, f"x{ell}")) == d_in
    assert len(by_gid(ax.patches, "z1")) == 8 and not by_gid(ax.patches, "z4"), "f_4 is affine only"
    assert texts.count("ReLU") == 3 and texts.count("Linear") == 4


def test_network_diagram_draws_the_activations_it_is_given():
    ax = lc.plotting.draw_network([3, 5, 2], activation=None, output_activation="softmax")
    assert not by_gid(ax.lines, "f1 ReLU") and not by_gid(ax.patches, "z1"), "no activation: affine f_1"
    assert len(by_gid(ax.lines, "f2 softmax")) == 2 and len(by_gid(ax.patches, "z2")) == 2
    assert "softmax" in [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("figsize", [None, (6.8, 4.3)], ids=["default size", "chapter's size"])
def test_network_diagram_labels_do_not_overlap(figsize):
    """Crowded labels (f_l beside a column's name, W_l's shape beside the next) would be unreadable."""
    import matplotlib.pyplot as plt

    ax = None if figsize is None else plt.subplots(figsize=figsize, layout="constrained")[1]
    ax = lc.plotting.draw_network([4, 8, 6, 4, 2], ax=ax)
    renderer = ax.figure.canvas.get_renderer()
    ax.figure.canvas.draw()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts]
    clashes = [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:]
               if box_a.overlaps(box_b)]
    assert not clashes, f"labels drawn on top of each other: {clashes}"
    plt.close(ax.figure)


def test_computational_graph_has_variables_functions_and_parameters():
    ax = lc.plotting.draw_computational_graph(4)
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 9  # x_1..x_4, f_1..f_4, o
    texts = [t.get_text() for t in ax.texts]
    assert texts.count(r"$\theta_1$") == 1 and r"$\theta_4$" in texts and r"$\mathbf{o}$" in texts


@pytest.mark.parametrize("draw", [
    lambda: lc.plotting.draw_network([4, 8, 6, 4, 2]),
    lambda: lc.plotting.draw_network([3, 5, 5, 5, 5, 5, 5, 2]),
    lambda: lc.plotting.draw_computational_graph(4),
    lambda: lc.plotting.draw_computational_graph(8),
], ids=["network", "deep network", "graph", "long graph"])
def test_default_figures_fit_the_book_column(draw):
    """The book's column is about 700 px wide: 7 inches at the inline backend's 100 dpi."""
    fig = draw().figure
    assert fig.get_size_inches()[0] <= 7.0
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9


@pytest.mark.parametrize("call,pattern", [
    (lambda: lc.plotting.draw_network([4]),
     r"draw_network expects sizes to be a list of at least two layer widths, got \[4\]"),
    (lambda: lc.plotting.draw_network([4, 0]), r"draw_network expects sizes\[1\] to be an integer >= 1, got 0"),
    (lambda: lc.plotting.draw_network([4, 2], names=["in"]), r"expects 2 names, one per layer, got 1"),
    (lambda: lc.plotting.draw_network([4, 2], activation=""),
     r"draw_network expects activation to be an activation's name \(a non-empty str\) or None, got ''"),
    (lambda: lc.plotting.draw_network([4, 2], output_activation=3),
     r"draw_network expects output_activation to be .* or None, got 3"),
    (lambda: lc.plotting.layer_names(1), r"layer_names expects n_layers to be an integer >= 2 .*got 1"),
    (lambda: lc.plotting.layer_names(3.0), r"layer_names expects n_layers to be an integer >= 1, got 3.0"),
    (lambda: lc.plotting.draw_computational_graph(0),
     r"draw_computational_graph expects n_functions to be an integer >= 1, got 0"),
])
def test_plotting_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
