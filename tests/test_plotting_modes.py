"""Chapter 3's figures (lecture_code.plotting.modes): the two sweeps and their costs, what is drawn."""


import pytest
from matplotlib.patches import Rectangle

from figure_checks import saved_width, smallest_font

import lecture_code as lc




# -- figures ----------------------------------------------------------------------------
@pytest.mark.parametrize("sizes", [[4, 8, 6, 4, 2], [1, 1], [3, 1, 5]], ids=str)
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_draw_sweep_draws_every_factor_to_scale(sizes, mode):
    ax = lc.plotting.draw_sweep(sizes, mode, scale=0.5)
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    K = len(sizes) - 1
    assert len(boxes) == K + 1  # K Jacobians and the vector
    shapes = [(round(b.get_height() / 0.5), round(b.get_width() / 0.5)) for b in boxes]
    jacobians = [(sizes[l], sizes[l - 1]) for l in range(K, 0, -1)]
    assert shapes == (jacobians + [(sizes[0], 1)] if mode == "forward" else [(1, sizes[-1])] + jacobians)
    texts = [t.get_text() for t in ax.texts]
    assert r"$\mathbf{J}_1$" in texts and rf"$\mathbf{{J}}_{K}$" in texts
    assert (r"$\mathbf{v}$" in texts) == (mode == "forward") and (r"$\mathbf{u}^\top$" in texts) == (mode == "reverse")
    bold = [t.get_text() for t in ax.texts if t.get_fontweight() == "bold"]
    assert bold == [str(sizes[-1] if mode == "forward" else sizes[0])]  # J v has M entries, u^T J has D
    assert ("eq 13" if mode == "forward" else "eq 14") in ax.get_title()


def test_draw_sweep_labels_the_vector_lengths_between_factors():
    texts = [t.get_text() for t in lc.plotting.draw_sweep([4, 8, 6, 4, 2], "forward").texts]
    assert [t for t in texts if t.isdigit()] == ["4", "6", "8", "4", "2"]
    texts = [t.get_text() for t in lc.plotting.draw_sweep([4, 8, 6, 4, 2], "reverse").texts]
    assert [t for t in texts if t.isdigit()] == ["2", "4", "6", "8", "4"]


def test_plot_costs_draws_one_line_per_series_on_log_axes():
    x = [1, 10, 100]
    ax = lc.plotting.plot_costs(x, {"forward mode": [5, 5, 6], "reverse mode": [1, 4, 60]},
                                xlabel="M", ylabel="multiply-adds", title="sweep", crossover=10)
    lines = [l for l in ax.get_lines() if l.get_label() in ("forward mode", "reverse mode")]
    assert [list(l.get_ydata()) for l in lines] == [[5, 5, 6], [1, 4, 60]]
    assert lines[0].get_color() != lines[1].get_color()
    assert any(l.get_label() == "D = M" and list(l.get_xdata()) == [10, 10] for l in ax.get_lines())
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("M", "multiply-adds", "sweep")


def test_plot_sweep_pair_stacks_both_sweeps_with_the_strategies_named():
    n = [1, 10, 100]
    top, bottom = lc.plotting.plot_sweep_pair(n, {"forward": [5, 5, 6], "reverse": [1, 4, 60]},
                                              {"forward": [1, 2, 3], "dense": [2, 3, 4]}, fixed=10,
                                              ylabel="seconds", title="timings")
    assert "M varies" in top.get_title() and "D varies" in bottom.get_title() and "D = 10" in top.get_title()
    assert top.get_xlabel().startswith("M") and bottom.get_xlabel().startswith("D")
    labels = [l.get_label() for l in top.get_lines()]
    assert "forward mode (D JVPs)" in labels and "reverse mode (M VJPs)" in labels
    assert "dense product, eq 6 (right to left)" in [l.get_label() for l in bottom.get_lines()]
    assert top.figure._suptitle.get_text() == "timings"
    with pytest.raises(ValueError, match=r"plot_sweep_pair expects vary_D to map modes from "
                                         r"\['forward', 'reverse', 'dense'\] to costs, got \{'backprop'"):
        lc.plotting.plot_sweep_pair(n, {"forward": [1, 2, 3]}, {"backprop": [1, 2, 3]}, ylabel="s")


def test_plot_ratio_draws_markers_a_counted_line_and_the_unit_lines():
    ax = lc.plotting.plot_ratio({"measured": ([0.1, 1, 10], [0.2, 1.1, 8])}, counted=([0.1, 10], [0.1, 10]))
    labels = [l.get_label() for l in ax.get_lines()]
    assert "measured" in labels and "counted multiply-adds" in labels
    assert "M / D" in ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")


def _stacks(ax):
    """``{x position: [(kind, height), ...] bottom to top}`` of the stacked bars of a memory panel."""
    stacks = {}
    for p in sorted((p for p in ax.patches if p.get_gid()), key=lambda p: (p.get_x(), p.get_y())):
        stacks.setdefault(round(p.get_x() + p.get_width() / 2), []).append((p.get_gid(), round(p.get_height())))
    return stacks


@pytest.mark.parametrize("sizes", [[4, 8, 6, 4, 2], [1, 1], [3, 1, 5], [7, 2, 9, 3]], ids=str)
def test_plot_sweep_memory_stacks_what_each_mode_holds_after_each_step(sizes):
    fwd, rev = lc.plotting.plot_sweep_memory(sizes)
    K = len(sizes) - 1
    # forward mode: after f_j only x_(j+1) and its tangent, of the same length; done after K steps
    assert _stacks(fwd) == {j: [("value", sizes[j]), ("vector", sizes[j])] for j in range(K + 1)}
    # reverse mode: the forward pass keeps x_1 .. x_(j+1) ...
    stacks = _stacks(rev)
    assert sorted(stacks) == list(range(2 * K + 1))
    for j in range(K):
        assert stacks[j] == [("kept", n) for n in sizes[:j + 1]]
    assert stacks[K] == [("kept", n) for n in sizes[:K]] + [("value", sizes[K])]
    # ... and the pullback through f_l frees x_l and leaves the cotangent u_l, as long as x_l
    for i, l in enumerate(range(K, 0, -1), start=K + 1):
        assert stacks[i] == [("kept", n) for n in sizes[:l - 1]] + [("vector", sizes[l - 1])]
    assert f"at most {2 * max(sizes)} numbers" in fwd.get_title()
    assert f"at most {sum(sizes)} numbers" in rev.get_title()
    totals = [t.get_text() for t in rev.texts if t.get_text().isdigit()]
    assert totals == [str(sum(h for _, h in stacks[i])) for i in range(2 * K + 1)]


def test_plot_sweep_memory_labels_the_vectors_and_names_the_kinds_in_a_legend():
    fwd, rev = lc.plotting.plot_sweep_memory([4, 8, 6, 4, 2])
    assert r"$\dot{\mathbf{x}}_1$" in [t.get_text() for t in fwd.texts]
    assert r"$\mathbf{u}_4$" in [t.get_text() for t in rev.texts]
    assert [t.get_text() for t in rev.get_xticklabels()][:2] == ["start", r"$\mathbf{f}_1$"]
    assert rev.get_xticklabels()[-1].get_text() == r"back $\mathbf{f}_1$"
    legend = rev.figure.legends[0]
    assert len(legend.get_texts()) == 4 and "kept for the backward sweep" in legend.get_texts()[1].get_text()


@pytest.mark.parametrize("draw", [
    lambda: lc.plotting.draw_sweep([4, 8, 6, 4, 2], "forward").figure,
    lambda: lc.plotting.draw_sweep([4, 8, 6, 4, 2], "reverse").figure,
    lambda: lc.plotting.draw_sweep([20, 10, 30, 5, 8, 12, 2], "reverse").figure,
    lambda: lc.plotting.plot_sweep_memory([4, 8, 6, 4, 2])[0].figure,
    lambda: lc.plotting.plot_sweep_memory([784, 256, 256, 10])[0].figure,
    lambda: lc.plotting.plot_sweep_pair([1, 10, 100], {"forward": [5, 5, 6], "reverse": [1, 4, 60]},
                                        {"dense": [2, 3, 4]}, fixed=10, ylabel="s", title="timings")[0].figure,
    lambda: lc.plotting.plot_costs([1, 10], {"forward mode": [1, 2]}, xlabel="M", ylabel="y").figure,
    lambda: lc.plotting.plot_ratio({"measured": ([0.1, 10], [0.2, 8])}, counted=([0.1, 10], [0.1, 10])).figure,
], ids=["forward sweep", "reverse sweep", "deep sweep", "memory", "wide memory", "sweep pair", "costs", "ratio"])
def test_default_figures_fit_the_book_column(draw):
    """The book's column is about 700 px wide: 7 inches at the inline backend's 100 dpi."""
    fig = draw()
    assert fig.get_size_inches()[0] <= 7.0
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9


def test_sweep_pair_stacks_its_panels():
    top, bottom = lc.plotting.plot_sweep_pair([1, 10], {"forward": [1, 2]}, {"reverse": [1, 2]}, fixed=10,
                                              ylabel="s")
    assert top.get_position().y0 > bottom.get_position().y1, "one panel under the other, not side by side"
    assert top.get_position().width == bottom.get_position().width


@pytest.mark.parametrize("call,pattern", [
    (lambda: lc.plotting.draw_sweep([4], "forward"),
     r"draw_sweep expects sizes to be a list of at least two layer widths"),
    (lambda: lc.plotting.draw_sweep([4, 2], "sideways"),
     r"draw_sweep expects mode to be one of \['forward', 'reverse'\], got 'sideways'"),
    (lambda: lc.plotting.draw_sweep([4, 0], "forward"), r"draw_sweep expects sizes\[1\] to be an integer >= 1, got 0"),
    (lambda: lc.plotting.plot_sweep_memory([4]),
     r"plot_sweep_memory expects sizes to be a list of at least two layer widths \[D, \.\.\., M\], got \[4\]"),
    (lambda: lc.plotting.plot_sweep_memory([4, 2.5]),
     r"plot_sweep_memory expects sizes\[1\] to be an integer >= 1, got 2.5"),
    (lambda: lc.plotting.plot_costs([1, 2], {"a": [1]}, xlabel="x", ylabel="y"),
     r"plot_costs expects series\['a'\] to be 2 values, got shape \(1,\)"),
    (lambda: lc.plotting.plot_costs([1, 2], {"a": [1, 0]}, xlabel="x", ylabel="y"),
     r"plot_costs expects series\['a'\] to be finite values > 0 \(a log axis\), got 0.0"),
    (lambda: lc.plotting.plot_costs([1, 2], {}, xlabel="x", ylabel="y"),
     r"plot_costs expects series to be a non-empty dict label -> values, got dict"),
    (lambda: lc.plotting.plot_ratio({}), r"plot_ratio expects points to be a non-empty dict"),
    (lambda: lc.plotting.plot_ratio({"a": ([1, 2], [1, -1])}),
     r"plot_ratio expects points\['a'\] ratio to be finite values > 0 \(a log axis\), got -1.0"),
])
def test_plotting_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
