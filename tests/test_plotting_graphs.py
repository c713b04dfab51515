"""Chapter 9's figures (lecture_code.plotting.graphs): what is drawn is what the engine computed."""

from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose

from figure_checks import saved_width, smallest_font

import lecture_code as lc
from lecture_code import graph as G
from lecture_code.plotting import graphs as plots




def hand_example():
    """The chapter's example: h = x w, s = h + w, L = h s with x = 2, w = 3."""
    tape = G.Tape("hand")
    x, w = tape.leaf(2.0, "x"), tape.leaf(3.0, "w")
    h = x * w
    s = h + w
    L = h * s
    h.name, s.name, L.name = "h", "s", "L"
    return L, G.backward(L, retain_graph=True)


def penalty_graph():
    """A Linear layer's loss plus lambda (sum W^2 + sum b^2) (eq 33): W and b feed the loss and the penalty."""
    rng = np.random.default_rng(0)
    layer = lc.Linear(2, 1)
    theta = layer.init(rng)
    tape = G.Tape("penalty")
    W, b = tape.leaf(theta["W"], "W"), tape.leaf(theta["b"], "b")
    y_hat = G.apply(layer, tape.constant(rng.normal(size=(5, 2)), "X"), {"W": W, "b": b})
    L = G.loss(lc.losses.squared_error, y_hat, rng.normal(size=(5, 1)))
    C = L + tape.constant(0.1, "λ") * ((W * W).sum() + (b * b).sum())
    return C, G.backward(C, retain_graph=True)


def chain(n):
    tape = G.Tape()
    x = tape.leaf([0.5, -1.0])
    y = x
    for _ in range(n):
        y = y * 0.9
    return y.sum()


def by_gid(ax, gid):
    return [t for t in ax.texts if t.get_gid() == gid]


# -- draw_graph -----------------------------------------------------------------------------------------------

def test_every_value_is_one_node_and_each_edge_is_labelled_with_its_cotangent():
    L, grads = hand_example()
    ax = plots.draw_graph(L, grads)
    nodes = [t.get_bbox_patch() for t in by_gid(ax, "node label") if t.get_bbox_patch().get_gid() == "node"]
    assert len(nodes) == len(G.topological_order(L)) == 5
    labels = [t.get_text() for t in by_gid(ax, "cotangent")]
    assert Counter(labels) == Counter(plots.format_cotangent(c) for _, _, c in grads.edges)
    assert sorted(float(t) for t in labels) == [6.0, 6.0, 6.0, 9.0, 30.0, 45.0]  # worked out by hand
    texts = [t.get_text() for t in ax.texts]
    assert "x = 2" in texts and "w = 3" in texts and "h = 6\n×" in texts and "L = 54\n×" in texts


def test_a_fan_out_node_shows_the_sum_of_what_its_consumers_sent():
    L, grads = hand_example()
    sums = sorted(t.get_text() for t in by_gid(plots.draw_graph(L, grads), "sum"))
    assert sums == ["6 + 30 = 36", "9 + 6 = 15"]  # w (to s, then to h) and h (from L, then s): eq 9.1
    every = [t.get_text() for t in by_gid(plots.draw_graph(L, grads, sums="all"), "sum")]
    assert len(every) == 4 and "45" in every and "6" in every  # x and s received one cotangent each
    assert not by_gid(plots.draw_graph(L, grads, sums="none"), "sum")


def test_edges_carrying_arrays_are_labelled_with_the_norm_of_their_cotangent():
    C, grads = penalty_graph()
    ax = plots.draw_graph(C, grads)
    labels = by_gid(ax, "cotangent")
    sent = [c for _, _, c in grads.edges]
    assert len(labels) == len(sent)  # constants receive nothing, so their edges carry no label
    arrays = sorted(float(t.get_text().split()[-1]) for t in labels if t.get_text().startswith("‖·‖"))
    assert_allclose(arrays, sorted(np.linalg.norm(c) for c in sent if np.size(c) > 1), rtol=5e-3)
    W = next(v for v in G.topological_order(C) if v.name == "W")
    into_W = [c for _, parent, c in grads.edges if parent is W]
    assert len(into_W) == 3  # the layer, and W * W twice
    total = [t.get_text() for t in by_gid(ax, "sum") if t.get_text().startswith("sum of 3")]
    assert total == [f"sum of 3: {plots.format_cotangent(grads[W])}"]


def test_a_value_is_drawn_after_all_of_its_inputs():
    for output, direction in [(hand_example()[0], "right"), (penalty_graph()[0], "down")]:
        ax = plots.draw_graph(output, direction=direction)
        order = G.topological_order(output)
        boxes = by_gid(ax, "node label")  # drawn in the topological order
        position = {id(v): box.get_position() for v, box in zip(order, boxes)}
        assert len(boxes) == len(order)
        for v in order:
            for p in v.parents:
                if direction == "right":
                    assert position[id(p)][0] < position[id(v)][0], (p, v)
                else:
                    assert position[id(p)][1] > position[id(v)][1], (p, v)


def test_auto_direction_draws_a_deep_graph_downwards():
    ax = plots.draw_graph(chain(8))
    boxes = by_gid(ax, "node label")
    ys = [t.get_position()[1] for t in boxes]
    assert ys[-1] == min(ys) and len(set(ys)) == 10  # the output at the bottom; x, 8 products, the sum
    assert ax.figure.get_size_inches()[1] > ax.figure.get_size_inches()[0]
    right = plots.draw_graph(hand_example()[0])
    assert right.figure.get_size_inches()[0] > right.figure.get_size_inches()[1]


def test_a_value_used_twice_by_one_consumer_gets_two_labelled_edges():
    tape = G.Tape()
    r = tape.leaf([1.0, -2.0], "r")
    out = (r * r).sum()
    grads = G.backward(out, retain_graph=True)
    labels = [t.get_text() for t in by_gid(plots.draw_graph(out, grads), "cotangent")]
    # r * r sends u r back along each of its two edges; the sum sends ones
    assert Counter(labels) == Counter([plots.format_cotangent(r.data)] * 2 + [plots.format_cotangent(np.ones(2))])


def test_cotangent_labels_do_not_cover_each_other():
    for output, grads in (hand_example(), penalty_graph()):
        ax = plots.draw_graph(output, grads)
        renderer = ax.figure.canvas.get_renderer()
        extents = [t.get_window_extent(renderer) for t in by_gid(ax, "cotangent") + by_gid(ax, "sum")]
        assert not [(i, j) for i, a in enumerate(extents) for j, b in enumerate(extents[:i]) if a.overlaps(b)]


def test_format_cotangent():
    assert plots.format_cotangent(9.0) == "9" and plots.format_cotangent(np.array([[-0.0]])) == "0"
    assert plots.format_cotangent(np.array([3.0, 4.0])) == "‖·‖ 5"
    assert plots.format_cotangent(1 / 3) == "0.333"


def test_draw_graph_draws_on_a_given_axes():
    fig, ax = plt.subplots(figsize=(6, 3))
    L, grads = hand_example()
    assert plots.draw_graph(L, grads, ax=ax, title="t") is ax and ax.get_title() == "t"


# -- measured curves ------------------------------------------------------------------------------------------

def test_gradient_norm_by_depth_draws_each_curve_on_log_axes():
    depths = [2, 4, 8]
    ax = plots.plot_gradient_norm_by_depth(depths, {"plain": [1e-1, 1e-3, 1e-7], "residual": [0.5, 0.6, 0.9]})
    plain, residual = ax.lines
    assert list(plain.get_xdata()) == depths
    assert_allclose(residual.get_ydata(), [0.5, 0.6, 0.9], rtol=0, atol=0)
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["plain", "residual"]


def test_memory_plots_show_kib_and_mark_the_square_root_rule():
    ax = plots.plot_memory_by_depth([4, 8], {"reverse": [2048, 4096], "forward": [1024, 1024]})
    assert_allclose(ax.lines[0].get_ydata(), [2.0, 4.0]) and "KiB" in ax.get_ylabel()
    every, peaks = [1, 2, 4, 8, 16], np.array([9.0, 6.0, 5.0, 6.0, 9.0]) * 1024
    ax = plots.plot_memory_by_segment(every, peaks, 16)
    measured, best = ax.lines[:2]
    assert_allclose(measured.get_ydata(), peaks / 1024)
    assert list(best.get_xdata()) == [4] and list(best.get_ydata()) == [5.0]  # the smallest, starred
    marked = [ln for ln in ax.lines if list(ln.get_xdata()) == [4.0, 4.0]]  # sqrt(16): axvline
    assert marked and "every = 4" in [t.get_text() for t in ax.get_legend().get_texts()][1]


# -- size: the book's column is about 700 px, 7 inches at the inline backend's 100 dpi ------------------------

@pytest.mark.parametrize("draw", [
    lambda: plots.draw_graph(*hand_example()),
    lambda: plots.draw_graph(*penalty_graph()),
    lambda: plots.draw_graph(chain(12)),
    lambda: plots.draw_graph(chain(3), direction="right"),
    lambda: plots.plot_gradient_norm_by_depth([2, 4, 8, 16, 32, 64], {"a": np.ones(6), "b": np.ones(6)}),
    lambda: plots.plot_memory_by_depth([4, 8, 16], {"a": [1.0, 2.0, 3.0]}),
    lambda: plots.plot_memory_by_segment([1, 2, 4, 8, 16, 32, 64, 129], np.arange(1.0, 9.0), 129),
], ids=["hand", "penalty", "deep chain", "chain across", "gradient norms", "memory", "segments"])
def test_default_figures_fit_the_book_column(draw):
    fig = draw().figure
    assert fig.get_size_inches()[0] <= 7.0
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9, "no text below 9 pt"


# -- bad input ------------------------------------------------------------------------------------------------

def _other_grads():
    L, _ = hand_example()
    return L, hand_example()[1]


@pytest.mark.parametrize("call, message", [
    (lambda: plots.draw_graph(np.ones(2)), r"draw_graph expects the Value a computation .* made, got ndarray"),
    (lambda: plots.draw_graph(*_other_grads()), r"draw_graph expects grads = .*of this output, got the gradients "
                                                r"of another output"),
    (lambda: plots.draw_graph(hand_example()[0], {"x": 1}), r"draw_graph expects grads = .*backward\(output\), "
                                                            r"got dict"),
    (lambda: plots.draw_graph(hand_example()[0], sums="some"), r"expects sums to be 'fan-out', 'all' or 'none', "
                                                               r"got 'some'"),
    (lambda: plots.draw_graph(hand_example()[0], direction="up"), r"expects direction to be 'auto', 'right' or "
                                                                  r"'down', got 'up'"),
    (lambda: plots.draw_graph(chain(45)), r"draw_graph expects a graph of at most 40 values .*, got 92"),
    (lambda: plots.plot_gradient_norm_by_depth([2, 4], {"a": [1.0]}),
     r"plot_gradient_norm_by_depth expects norms\['a'\] to be 2 positive values, one per depth, got shape \(1,\)"),
    (lambda: plots.plot_gradient_norm_by_depth([2, 4], {"a": [1.0, 0.0]}), r"with smallest 0"),
    (lambda: plots.plot_gradient_norm_by_depth([], {"a": []}), r"expects depths to be a non-empty list"),
    (lambda: plots.plot_gradient_norm_by_depth([2, 0], {"a": [1.0, 1.0]}),
     r"plot_gradient_norm_by_depth expects depths\[1\] to be an integer >= 1, got 0"),
    (lambda: plots.plot_memory_by_depth([2, 4], [1.0, 2.0]), r"plot_memory_by_depth expects peaks to be a "
                                                             r"non-empty dict label -> array of 2 values, got list"),
    (lambda: plots.plot_memory_by_segment([1, 32], [1.0, 2.0], 16),
     r"plot_memory_by_segment expects segment lengths of at most n_layers = 16, got 32"),
    (lambda: plots.plot_memory_by_segment([1, 2], [1.0, 2.0], 0),
     r"plot_memory_by_segment expects n_layers to be an integer >= 1, got 0"),
])
def test_plotting_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
