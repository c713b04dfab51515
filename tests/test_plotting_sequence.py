"""Chapter 8's figures (lecture_code.plotting.sequence)."""


import numpy as np
import pytest
from matplotlib.colors import LogNorm, to_rgba
from numpy.testing import assert_allclose, assert_array_equal

from figure_checks import saved_width, smallest_font

import lecture_code as lc
from lecture_code.plotting import sequence as plots
from lecture_code.recurrent import gradient_norms_through_time


# -- figures -----------------------------------------------------------------------------------------

def test_jacobian_patterns_show_each_matrix_with_zeros_blank_and_the_block_grid():
    conv = lc.Conv1D(2, 2, 3, 6)
    J_conv = conv.jacobian(np.zeros(12), conv.init(0))
    J_dense = lc.Linear(12, 8).jacobian(np.zeros(12), lc.Linear(12, 8).init(1))
    axes = plots.plot_jacobian_patterns([J_dense, J_conv], titles=["dense", "conv"], blocks=[None, (4, 6)])
    assert len(axes) == 2 and [ax.get_title() for ax in axes] == ["dense", "conv"]
    shown = axes[1].images[0].get_array()
    assert_array_equal(shown.mask, J_conv == 0, err_msg="exact zeros are masked (white)")
    assert_allclose(shown.data[J_conv != 0], J_conv[J_conv != 0], rtol=0, atol=0)
    lines = [ln for ln in axes[1].lines]
    assert len(lines) == 2, "one horizontal and one vertical block boundary for a 2 x 2 grid of blocks"
    assert not axes[0].lines
    assert [t.get_text() for t in axes[1].get_xticklabels()][:2] == ["1", "2"], "1-based ticks"
    largest = max(np.abs(J_conv).max(), np.abs(J_dense).max())
    assert all(ax.images[0].get_clim() == (-largest, largest) for ax in axes), "one color scale for all panels"
    axes[0].figure.canvas.draw()


def test_jacobian_patterns_on_a_log_scale_share_one_norm():
    rnn = lc.RNN(1, 2, 5, outputs="all")
    J = rnn.jacobian(np.ones(5), rnn.init(2))
    axes = plots.plot_jacobian_patterns([J, 2 * J], log=True, title="two")
    norms = [ax.images[0].norm for ax in axes]
    assert all(isinstance(n, LogNorm) for n in norms) and norms[0] is norms[1]
    nonzero = np.abs(np.concatenate([J[J != 0], 2 * J[J != 0]]))
    assert np.isclose(norms[0].vmin, nonzero.min()) and np.isclose(norms[0].vmax, nonzero.max())
    assert_allclose(axes[0].images[0].get_array().compressed(), np.abs(J[J != 0]), rtol=0, atol=0)
    assert axes[0].figure.get_suptitle() == "two"
    axes[0].figure.canvas.draw()


def _arrows(ax, gid):
    """The annotation arrows with this gid: [(tail, head, color)] in data coordinates."""
    found = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None and a.get_gid() == gid]
    return [(np.array(a.xyann), np.array(a.xy), a.arrow_patch.get_edgecolor()) for a in found]


def _texts(ax):
    return [t.get_text() for t in ax.texts if t.get_text()]


def test_unrolled_rnn_draws_the_shared_weights_and_the_reverse_sweep_right_to_left():
    ax = plots.draw_unrolled_rnn()  # h_0, h_1, h_2, gap, h_{T-1}, h_T
    texts = _texts(ax)
    for symbol in (r"\mathbf{x}", r"\mathcal{L}", r"\bar{\mathbf{y}}", r"\mathbf{u}"):
        assert [t for t in texts if t.startswith(f"${symbol}_")] == [
            f"${symbol}_{{{s}}}$" for s in ("1", "2", "T{-}1", "T")], symbol
    states = [t for t in texts if t.startswith(r"$\mathbf{h}_")]
    assert states == [r"$\mathbf{h}_0$"] + [rf"$\mathbf{{h}}_{{{s}}}$" for s in ("1", "2", "T{-}1", "T")]
    assert texts.count(r"$\mathbf{W}_{hh}$") == 5, "the same W_hh on every one of the 5 transitions drawn"
    assert texts.count(r"$\mathbf{W}_{ih}$") == 4, "the same W_ih at every step drawn"
    assert texts.count("⋯") == 3, "the gap in all three rows"
    forward, backward = _arrows(ax, "forward-h"), _arrows(ax, "backward-h")
    assert len(forward) == 5 and all(head[0] > tail[0] and head[1] == tail[1] for tail, head, _ in forward)
    assert len(backward) == 4, "one arrow back per transition, none into the constant h_0"
    assert all(head[0] < tail[0] for tail, head, _ in backward), "the cotangents flow right to left"
    assert min(head[0] for _, head, _ in backward) > 0.5, "nothing flows back into h_0 (column 0)"
    red = to_rgba(plots._BACKWARD)
    assert all(to_rgba(color) == red for *_, color in backward + _arrows(ax, "backward-loss"))
    assert all(to_rgba(color) != red for *_, color in forward + _arrows(ax, "forward-x"))
    up = _arrows(ax, "forward-x") + _arrows(ax, "forward-loss")
    assert len(up) == 8 and all(head[1] > tail[1] for tail, head, _ in up), "inputs and outputs flow upward"
    down = _arrows(ax, "backward-loss")
    assert len(down) == 4 and all(head[1] < tail[1] for tail, head, _ in down), "y_bar_t comes down into h_t"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["forward pass: values",
                                                                   "reverse sweep: cotangents"]
    short = plots.draw_unrolled_rnn(first=1, last=1)  # h_0, h_1, gap, h_T
    assert len(_arrows(short, "forward-h")) == 3 and len(_arrows(short, "backward-h")) == 2


def test_image_predictions_show_each_image_its_class_and_every_models_guess():
    rng = np.random.default_rng(4)
    images = rng.normal(size=(5, 16))  # flattened 4 x 4 images
    labels = np.array([0, 1, 2, 0, 1])
    guesses = {"CNN": np.array([0, 1, 2, 1, 1]), "MLP": np.array([2, 1, 0, 0, 1])}
    kernels = rng.normal(size=(3, 1, 2, 2))
    names = ["a", "b", "c"]
    image_axes, kernel_axes = plots.plot_image_predictions(images, labels, guesses, names, kernels=kernels,
                                                           ncols=3)
    assert len(image_axes) == 5 and len(kernel_axes) == 3
    for k, ax in enumerate(image_axes):
        assert_array_equal(ax.images[0].get_array(), images[k].reshape(4, 4))
        assert ax.get_title() == names[labels[k]]
        lines = ax.get_xlabel().split("\n")
        assert lines == [f"{m}: {names[g[k]]} {'✓' if g[k] == labels[k] else '✗'}" for m, g in guesses.items()]
    assert image_axes[3].get_xlabel() == "CNN: b ✗\nMLP: a ✓"
    largest = np.abs(kernels).max()
    for k, ax in enumerate(kernel_axes):
        assert_array_equal(ax.images[0].get_array(), kernels[k, 0])
        assert ax.images[0].get_clim() == (-largest, largest), "one symmetric scale: white is 0"
        assert ax.get_title() == f"kernel {k + 1}"
    fig = image_axes[0].figure
    assert len(fig.axes) == 5 + 3 + 1, "images, kernels and a colorbar: the empty slot is removed"
    bare, none = plots.plot_image_predictions(images.reshape(5, 4, 4), labels, {"CNN": labels}, names)
    assert none == [] and len(bare[0].figure.axes) == 5


def test_forecasts_draw_the_series_and_each_prediction():
    y = np.array([0.0, 1.0, 0.5, -0.5])
    ax = plots.plot_forecasts(y, {"model": y + 0.1, "naive": np.r_[0.0, y[:-1]]}, start=10, title="t")
    measured, model, naive = ax.lines
    assert_array_equal(measured.get_xdata(), [10, 11, 12, 13])
    assert_array_equal(measured.get_ydata(), y)
    assert_allclose(model.get_ydata(), y + 0.1)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["measured", "model", "naive"]
    assert ax.get_title() == "t" and ax.get_xlabel() and ax.get_ylabel()


def test_gradient_norms_are_drawn_relative_to_the_last_step_on_a_log_axis():
    norms = {"a": np.array([2.0, 1.0, 0.5]), "b": np.array([4.0, 4.0, 2.0])}
    ax = plots.plot_gradient_norms(norms, title="x")
    assert ax.get_yscale() == "log"
    assert_array_equal(ax.lines[0].get_xdata(), [0, 1, 2])
    assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.5, 0.25])
    assert_allclose(ax.lines[1].get_ydata(), [1.0, 1.0, 0.5])
    raw = plots.plot_gradient_norms(norms, normalize=False)
    assert_allclose(raw.lines[1].get_ydata(), norms["b"])
    ax.figure.canvas.draw()  # renders the TeX labels


def test_gradient_norms_plot_takes_what_gradient_norms_through_time_returns():
    net = lc.Sequential([lc.RNN(1, 3, 6), lc.Linear(3, 1)])
    rng = np.random.default_rng(3)
    norms = gradient_norms_through_time(net, net.init(4), rng.normal(size=(5, 6)), rng.normal(size=(5, 1)),
                                        lc.losses.squared_error)
    ax = plots.plot_gradient_norms({"RNN": norms})
    assert_allclose(ax.lines[0].get_ydata(), norms / norms[0])


def test_update_norms_draw_one_line_per_run_on_a_log_axis_and_the_threshold():
    norms = {"plain": np.array([0.2, 3.0, 0.4]), "clipped": np.array([0.3, 0.5, 0.1])}
    ax = plots.plot_update_norms(norms, max_norm=0.5, title="n")
    assert ax.get_yscale() == "log" and ax.get_title() == "n"
    plain, clipped, threshold = ax.lines
    assert_array_equal(plain.get_xdata(), [1, 2, 3])  # updates are counted from 1
    assert_allclose(plain.get_ydata(), norms["plain"])
    assert_allclose(clipped.get_ydata(), norms["clipped"])
    assert_allclose(threshold.get_ydata(), [0.5, 0.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["plain", "clipped", "threshold c = 0.5"]
    assert len(plots.plot_update_norms(norms).lines) == 2, "no threshold line without max_norm"
    ax.figure.canvas.draw()  # renders the TeX label


def test_update_norms_plot_takes_the_norms_clip_grad_norm_returns():
    net = lc.Sequential([lc.RNN(1, 3, 6), lc.Linear(3, 1)])
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(8, 6)), rng.normal(size=(8, 1))
    norms = [lc.optimizers.clip_grad_norm(lc.backprop(net, net.init(s), X, Y, lc.losses.squared_error)[1], 0.1)[1]
             for s in range(3)]
    ax = plots.plot_update_norms({"RNN": norms}, max_norm=0.1)
    assert_allclose(ax.lines[0].get_ydata(), norms)


BAD_PLOTS = [
    (lambda: plots.plot_jacobian_patterns([]),
     r"plot_jacobian_patterns expects jacobians to be a non-empty list of matrices, got list"),
    (lambda: plots.plot_jacobian_patterns([np.ones(3)]),
     r"plot_jacobian_patterns expects jacobians\[0\] to be a matrix of shape \(M, D\).*got \(3,\)"),
    (lambda: plots.plot_jacobian_patterns([np.ones((4, 6))], blocks=[(3, 2)]),
     r"plot_jacobian_patterns expects blocks\[0\] to tile the matrix of shape \(4, 6\), got \(3, 2\)"),
    (lambda: plots.plot_jacobian_patterns([np.ones((2, 2))], titles=["a", "b"]),
     r"plot_jacobian_patterns expects 1 titles and 1 blocks, got 2 and 1"),
    (lambda: plots.draw_unrolled_rnn(first=0), r"draw_unrolled_rnn expects first to be an integer >= 1, got 0"),
    (lambda: plots.draw_unrolled_rnn(first=4, last=3),
     r"draw_unrolled_rnn expects first \+ last <= 6 steps, to fit the column, got first = 4 and last = 3"),
    (lambda: plots.plot_image_predictions(np.ones((2, 15)), [0, 1], {}, ["a", "b"]),
     r"plot_image_predictions expects flattened images of shape \(n, H\*W\) with H = W, got \(2, 15\)"),
    (lambda: plots.plot_image_predictions(np.ones((2, 4, 4)), [0, 2], {}, ["a", "b"]),
     r"plot_image_predictions expects labels to be integer labels in 0..1 of shape \(2,\), got shape \(2,\)"),
    (lambda: plots.plot_image_predictions(np.ones((2, 4, 4)), [0, 1], {"m": [0, 1, 1]}, ["a", "b"]),
     r"plot_image_predictions expects predictions\['m'\] to be integer labels in 0..1 of shape \(2,\), "
     r"got shape \(3,\)"),
    (lambda: plots.plot_image_predictions(np.ones((2, 4, 4)), [0, 1], [0, 1], ["a", "b"]),
     r"plot_image_predictions expects predictions to be a dict model -> \(n,\) labels, got list"),
    (lambda: plots.plot_image_predictions(np.ones((2, 4, 4)), [0, 1], {}, "ab"),
     r"plot_image_predictions expects class_names to be a list of at least two names"),
    (lambda: plots.plot_image_predictions(np.ones((2, 4, 4)), [0, 1], {}, ["a", "b"], kernels=np.ones((2, 2))),
     r"plot_image_predictions expects kernels of shape \(C, Q_H, Q_W\) or \(C, 1, Q_H, Q_W\), got \(2, 2\)"),
    (lambda: plots.plot_forecasts(np.ones(3), {"m": np.ones(4)}),
     r"plot_forecasts expects predictions\['m'\] to have the shape of y, \(3,\), got \(4,\)"),
    (lambda: plots.plot_forecasts(np.ones((3, 1)), {"m": np.ones(3)}),
     r"plot_forecasts expects y to be a series of shape \(T,\), got \(3, 1\)"),
    (lambda: plots.plot_forecasts(np.ones(3), {}), r"plot_forecasts expects predictions to be a non-empty dict"),
    (lambda: plots.plot_gradient_norms({"a": np.array([1.0, 0.0])}),
     r"plot_gradient_norms expects norms\['a'\] to be positive norms of shape \(T,\), got shape \(2,\) "
     r"with smallest entry 0"),
    (lambda: plots.plot_gradient_norms([1.0, 2.0]),
     r"plot_gradient_norms expects norms to be a non-empty dict label -> \(T,\) array, got list"),
    (lambda: plots.plot_update_norms({}), r"plot_update_norms expects norms to be a non-empty dict"),
    (lambda: plots.plot_update_norms({"a": np.array([1.0, -1.0])}),
     r"plot_update_norms expects norms\['a'\] to be positive norms of shape \(R,\), got shape \(2,\)"),
    (lambda: plots.plot_update_norms({"a": np.ones(3)}, max_norm=0.0),
     r"plot_update_norms expects max_norm to be None or a number > 0, got 0.0"),
]


@pytest.mark.parametrize("call, message", BAD_PLOTS)
def test_figures_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- the book's column: figures at most 7 inches (700 px at the inline backend's 100 dpi), fonts >= 9 pt ----


def _assert_fits_the_column(fig):
    assert fig.get_figwidth() <= 7.0, f"a {fig.get_figwidth():.2f}-inch figure is wider than the column"
    assert saved_width(fig) <= 700
    assert smallest_font(fig) >= 9


def _chapter_jacobians():
    """The three matrices of chapter 8's first figure: dense 10 x 12, banded 10 x 12, two channels 8 x 12."""
    conv, conv2 = lc.Conv1D(1, 1, kernel_size=3, length=12), lc.Conv1D(2, 2, kernel_size=3, length=6)
    dense = lc.Linear(12, 10)
    x = np.random.default_rng(0).normal(size=12)
    return [layer.jacobian(x, layer.init(k)) for k, layer in enumerate([dense, conv, conv2])]


@pytest.mark.parametrize("draw", [
    lambda: plots.plot_jacobian_patterns(_chapter_jacobians()[:2], titles=["Linear(12 -> 10): dense",
                                                                           "Conv1D, 1 channel, Q = 3: banded"]),
    lambda: plots.plot_jacobian_patterns(_chapter_jacobians(), blocks=[None, None, (4, 6)]),
    lambda: plots.plot_jacobian_patterns([np.tril(np.ones((20, 10)))], log=True, title="one"),
    lambda: plots.plot_jacobian_patterns([np.ones((30, 40))]),
    lambda: plots.plot_forecasts(np.sin(np.arange(60)), {"RNN": np.sin(np.arange(60)), "LSTM": np.zeros(60),
                                                         "persistence": np.ones(60)}, start=660),
    lambda: plots.plot_gradient_norms({"RNN": 0.6 ** np.arange(24), "LSTM": 0.9 ** np.arange(24)}),
    lambda: plots.plot_update_norms({"no clipping": np.exp(np.sin(np.arange(600.0))),
                                     "clipped (norm before clipping)": np.exp(np.cos(np.arange(600.0)))},
                                    max_norm=0.5),
    lambda: plots.draw_unrolled_rnn(),
    lambda: plots.draw_unrolled_rnn(first=3, last=3),
    lambda: plots.plot_image_predictions(  # chapter 8: 8 test images of 8 x 8, two models, 4 kernels 3 x 3
        np.random.default_rng(0).normal(size=(8, 64)), np.arange(8) % 4,
        {"CNN": np.arange(8) % 4, "MLP": np.zeros(8, dtype=int)},
        ["horizontal", "vertical", "diagonal", "anti-diagonal"],
        kernels=np.random.default_rng(1).normal(size=(4, 1, 3, 3)))[0],
], ids=["two_jacobians", "three_jacobians", "rnn_jacobian", "large_jacobian", "forecasts", "gradient_norms",
        "update_norms", "unrolled_rnn", "unrolled_rnn_long", "image_predictions"])
def test_default_figures_fit_the_books_column(draw):
    drawn = draw()
    _assert_fits_the_column((drawn[0] if isinstance(drawn, list) else drawn).figure)


def test_the_chapters_clipping_and_seed_figures_fit_the_books_column():
    """Chapter 8 stacks the loss curves over the update norms in a 7 x 7.2 figure, and the seeds in 7 x 3.4."""
    import matplotlib.pyplot as plt

    history = lc.training.History()
    for epoch in range(41):
        history.record(epoch, 0.1 + 0.3 / (1 + epoch), 0.12 + 0.3 / (1 + epoch), 15 * epoch, 0.01 * epoch)
    fig, axes = plt.subplots(2, 1, figsize=(7, 7.2))
    lc.plotting.plot_curves({"no clipping": history, "clipped, c = 0.5": history}, ax=axes[0], title="t")
    plots.plot_update_norms({"no clipping": np.linspace(0.1, 3, 600),
                             "clipped (norm before clipping)": np.linspace(3, 0.1, 600)}, max_norm=0.5, ax=axes[1])
    fig.tight_layout()
    _assert_fits_the_column(fig)
    fig, ax = plt.subplots(figsize=(7, 3.4))
    lc.plotting.plot_seed_comparison({"RNN": np.full(5, 0.46), "LSTM": np.full(5, 0.52)},
                                     {"persistence": 0.74, "seasonal naive": 0.73, "linear AR(24)": 0.46},
                                     ax=ax, xlabel="test RMSE", title="t")
    fig.tight_layout()
    _assert_fits_the_column(fig)


def test_jacobian_panels_wrap_onto_a_second_row_rather_than_shrink():
    two = plots.plot_jacobian_patterns(_chapter_jacobians()[:2])
    assert two[0].get_position().y0 == pytest.approx(two[1].get_position().y0), "two panels fit side by side"
    axes = plots.plot_jacobian_patterns(_chapter_jacobians(), titles=["a", "b", "c"], blocks=[None, None, (4, 6)])
    fig = axes[0].figure
    assert [ax.get_title() for ax in axes] == ["a", "b", "c"]
    top, bottom = axes[0].get_position(), axes[2].get_position()
    assert axes[1].get_position().y0 == pytest.approx(top.y0) and bottom.y1 < top.y0, "the third panel goes below"
    assert len(fig.axes) == 4, "three panels and the colorbar: the empty fourth slot is removed"
    fig.canvas.draw()
    for ax in axes:  # every entry gets at least 0.18 inches
        width = ax.get_window_extent().width / fig.dpi
        assert width / ax.images[0].get_array().shape[1] >= 0.18
