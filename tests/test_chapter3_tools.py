"""Chapter 3's figures and self-checks: what is drawn, and which answers pass."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import lecture_code as lc  # noqa: E402
from lecture_code import selfcheck  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


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
    with pytest.raises(ValueError, match=r"vary_D must map modes from \['forward', 'reverse', 'dense'\]"):
        lc.plotting.plot_sweep_pair(n, {"forward": [1, 2, 3]}, {"backprop": [1, 2, 3]}, ylabel="s")


def test_plot_ratio_draws_markers_a_counted_line_and_the_unit_lines():
    ax = lc.plotting.plot_ratio({"measured": ([0.1, 1, 10], [0.2, 1.1, 8])}, counted=([0.1, 10], [0.1, 10]))
    labels = [l.get_label() for l in ax.get_lines()]
    assert "measured" in labels and "counted multiply-adds" in labels
    assert "M / D" in ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")


@pytest.mark.parametrize("call,pattern", [
    (lambda: lc.plotting.draw_sweep([4], "forward"), r"at least two layer widths"),
    (lambda: lc.plotting.draw_sweep([4, 2], "sideways"), r"mode must be 'forward' or 'reverse', got 'sideways'"),
    (lambda: lc.plotting.draw_sweep([4, 0], "forward"), r"sizes\[1\] must be >= 1, got 0"),
    (lambda: lc.plotting.plot_costs([1, 2], {"a": [1]}, xlabel="x", ylabel="y"), r"series\['a'\]: expected 2 values"),
    (lambda: lc.plotting.plot_costs([1, 2], {"a": [1, 0]}, xlabel="x", ylabel="y"), r"finite values > 0"),
    (lambda: lc.plotting.plot_costs([1, 2], {}, xlabel="x", ylabel="y"), r"non-empty dict"),
    (lambda: lc.plotting.plot_ratio({}), r"non-empty dict"),
    (lambda: lc.plotting.plot_ratio({"a": ([1, 2], [1, -1])}), r"finite values > 0"),
])
def test_chapter3_plotting_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- self-checks ------------------------------------------------------------------------
def test_products_needed(capsys):
    assert selfcheck.products_needed(784, 10, 784, 10, "reverse")
    assert capsys.readouterr().out.startswith("Correct: reverse mode: 10 VJPs instead of 784 JVPs")
    assert selfcheck.products_needed(16, 784, 16, 784, "Forward mode")
    assert selfcheck.products_needed(5, 5, 5, 5, "either")
    assert selfcheck.products_needed(1, 1, 1, 1, "either")
    assert "1 JVP instead of 1 VJP" not in capsys.readouterr().out  # D = M: "either"
    assert not selfcheck.products_needed(784, 10, 10, 784, "reverse")
    assert "lecture's slip" in capsys.readouterr().out
    assert not selfcheck.products_needed(784, 10, 784, 10, "forward")
    assert "fewer of them" in capsys.readouterr().out
    assert not selfcheck.products_needed(5, 5, 5, 5, "forward")
    assert "'either'" in capsys.readouterr().out
    assert not selfcheck.products_needed(784, 10, 784, 784, "reverse")
    assert "one row" in capsys.readouterr().out
    assert not selfcheck.products_needed(784, 10, 784.0, 10, "reverse")
    assert "integers" in capsys.readouterr().out
    assert not selfcheck.products_needed(784, 10, 784, 10, "backprop!")
    assert "'forward', 'reverse' or 'either'" in capsys.readouterr().out


def test_jacobian_cost(capsys):
    sizes = [3, 5, 1]
    assert selfcheck.jacobian_cost(sizes, "forward", 95) and selfcheck.jacobian_cost(sizes, "reverse", 45)
    assert "the forward pass (20) plus 1 VJP of 25 each" in capsys.readouterr().out
    expected_hints = [
        ("forward", 75, "add the forward pass"),
        ("forward", 45, "other mode's count"),
        ("forward", 20 + 3 * 20, "activations cost too"),
        ("forward", 20 + 25, "other mode's count"),  # for [3, 5, 1] "one product" is reverse mode's count
        ("forward", 20 + 3 * (25 + 5), "dense product of eq 6"),  # factors after W_1: diag (25), W_2 (5)
        ("reverse", 20 + 3 * 25, "other mode's count"),
        ("forward", 7, "count per vector"),
        ("forward", 95.0, "integer"),
    ]
    for mode, answer, hint in expected_hints:
        assert not selfcheck.jacobian_cost(sizes, mode, answer)
        assert hint in capsys.readouterr().out, (mode, answer, hint)
    # the lecture's slip (M JVPs) gives exactly reverse mode's count: one JVP costs what one VJP does
    assert not selfcheck.jacobian_cost([4, 8, 6, 4, 2], "jvp", 112 + 2 * 130)
    assert "slip" in capsys.readouterr().out
    assert not selfcheck.jacobian_cost([4, 8, 6, 4, 2], "forward", 112 + 130)
    assert "needs 4 of them" in capsys.readouterr().out


def test_layer_vjp_accepts_right_functions_and_names_the_mistake(capsys):
    assert selfcheck.layer_vjp(lc.Linear(3, 5), lambda x, theta, u: u @ theta["W"])
    softmax = lc.Softmax()
    assert selfcheck.layer_vjp(softmax, lambda x, theta, u: softmax.jvp(x, theta, u))  # J is symmetric
    capsys.readouterr()
    assert not selfcheck.layer_vjp(lc.Linear(4, 4), lambda x, theta, u: theta["W"] @ u)
    assert "that is J u, a JVP" in capsys.readouterr().out
    assert not selfcheck.layer_vjp(lc.Linear(3, 5), lambda x, theta, u: theta["W"] @ u)
    assert "raised ValueError" in capsys.readouterr().out
    assert not selfcheck.layer_vjp(lc.Linear(3, 5), lambda x, theta, u: np.outer(u, x))
    assert "shape (3,), got (5, 3)" in capsys.readouterr().out
    assert not selfcheck.layer_vjp(lc.Tanh(), lambda x, theta, u: u)
    assert "expected" in capsys.readouterr().out


@pytest.mark.parametrize("layer", [lc.Linear(3, 5), lc.Tanh(), lc.Softmax(), lc.mlp([3, 4, 2], activation="sigmoid")],
                         ids=repr)
def test_layer_vjp_accepts_torch_func_vjp(layer, device):
    """A VJP computed by torch.func.vjp on the PyTorch twin passes the self-check (float64, every device)."""
    import torch

    from lecture_code import torch_bridge as tb

    def torch_vjp(x, theta, u):
        model = tb.twin(layer, theta, device)
        _, pullback = torch.func.vjp(model, tb.to_torch(x, device))
        return tb.to_numpy(pullback(tb.to_torch(u, device))[0])

    assert selfcheck.layer_vjp(layer, torch_vjp, seed=3)


@pytest.mark.parametrize("call,pattern", [
    (lambda: selfcheck.products_needed(0, 3, 0, 3, "forward"), r"D must be >= 1, got 0"),
    (lambda: selfcheck.products_needed(3, "M", 3, 3, "forward"), r"M must be an integer >= 1, got 'M'"),
    (lambda: selfcheck.jacobian_cost([4], "forward", 1), r"at least two layer widths"),
    (lambda: selfcheck.jacobian_cost([4, 2], "dense", 1), r"mode must be 'forward' or 'reverse', got 'dense'"),
    (lambda: selfcheck.layer_vjp("Linear", lambda x, t, u: u), r"expected a lecture_code layer .*got str"),
    (lambda: selfcheck.layer_vjp(lc.Tanh(), 3), r"expected your function vjp_fn\(x, theta, u\), got int"),
    (lambda: selfcheck.layer_vjp(lc.Tanh(), lambda x, t, u: u, seed=-1), r"seed must be an integer >= 0, got -1"),
])
def test_chapter3_selfcheck_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
