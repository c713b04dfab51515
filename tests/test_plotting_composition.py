"""Chapter 1's figures (lecture_code.plotting.composition): the network diagram and the computational graph."""


import pytest
from matplotlib.patches import Circle, FancyBboxPatch

from figure_checks import saved_width, smallest_font

import lecture_code as lc




@pytest.mark.parametrize("sizes", [[4, 8, 6, 4, 2], [1, 1], [3, 5, 1]])
def test_network_diagram_has_every_unit_and_every_weight(sizes):
    ax = lc.plotting.draw_network(sizes)
    units = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(units) == sum(sizes)
    assert len(ax.lines) == sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    labels = [t.get_text() for t in ax.texts]
    assert labels[0] == f"Input\n({sizes[0]})" and labels[-1] == f"Output\n({sizes[-1]})"


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
    (lambda: lc.plotting.layer_names(1), r"layer_names expects n_layers to be an integer >= 2 .*got 1"),
    (lambda: lc.plotting.layer_names(3.0), r"layer_names expects n_layers to be an integer >= 1, got 3.0"),
    (lambda: lc.plotting.draw_computational_graph(0),
     r"draw_computational_graph expects n_functions to be an integer >= 1, got 0"),
])
def test_plotting_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
