"""Chapter 8's figures (lecture_code.plotting.sequence) and self-checks (lecture_code.selfcheck.sequence)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

from cases import banded_matrix  # noqa: E402

import lecture_code as lc  # noqa: E402
from lecture_code.plotting import sequence as plots  # noqa: E402
from lecture_code.recurrent import gradient_norms_through_time  # noqa: E402
from lecture_code.selfcheck import sequence as checks  # noqa: E402


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
    assert all(ax.images[0].get_clim() == (-largest, largest) for ax in axes), "one colour scale for all panels"
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


BAD_PLOTS = [
    (lambda: plots.plot_jacobian_patterns([]), r"non-empty list of matrices"),
    (lambda: plots.plot_jacobian_patterns([np.ones(3)]), r"jacobians\[0\] must be a matrix of shape \(M, D\).*got \(3,\)"),
    (lambda: plots.plot_jacobian_patterns([np.ones((4, 6))], blocks=[(3, 2)]), r"blocks\[0\] = \(3, 2\) does not tile a matrix of shape \(4, 6\)"),
    (lambda: plots.plot_jacobian_patterns([np.ones((2, 2))], titles=["a", "b"]), r"expects 1 titles and 1 blocks, got 2 and 1"),
    (lambda: plots.plot_forecasts(np.ones(3), {"m": np.ones(4)}), r"predictions\['m'\] must have the shape of y, \(3,\), got \(4,\)"),
    (lambda: plots.plot_forecasts(np.ones((3, 1)), {"m": np.ones(3)}), r"y must be a series of shape \(T,\), got \(3, 1\)"),
    (lambda: plots.plot_forecasts(np.ones(3), {}), r"non-empty dict"),
    (lambda: plots.plot_gradient_norms({"a": np.array([1.0, 0.0])}), r"norms\['a'\] must be positive norms"),
    (lambda: plots.plot_gradient_norms([1.0, 2.0]), r"norms must be a non-empty dict"),
]


@pytest.mark.parametrize("call, message", BAD_PLOTS)
def test_figures_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- self-checks -------------------------------------------------------------------------------------


def test_conv_matrix_check_accepts_the_banded_matrix_and_matches_conv1d(capsys):
    assert checks.conv_matrix_function(banded_matrix)
    assert capsys.readouterr().out.startswith("Correct:")
    layer = lc.Conv1D(1, 1, 4, 9)
    theta = layer.init(5)
    assert_allclose(banded_matrix(theta["W"][0, 0], 9), layer.jacobian(np.zeros(9), theta), rtol=0, atol=0)


@pytest.mark.parametrize("wrong, hint", [
    (lambda w, L: banded_matrix(w[::-1], L), "kernel reversed"),
    (lambda w, L: banded_matrix(w, L).T, "transposed"),
    (lambda w, L: np.pad(banded_matrix(w, L), ((0, len(w) - 1), (0, 0))), "should have shape"),
    (lambda w, L: 2 * banded_matrix(w, L), "row t should hold w"),
    (lambda w, L: 1 / 0, "raised ZeroDivisionError"),
])
def test_conv_matrix_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.conv_matrix_function(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out


def scalar_bptt(w, xs):
    h = [0.0]
    for x in xs:
        h.append(w * h[-1] + x)
    T = len(xs)
    return sum(w ** (T - t) * h[t - 1] for t in range(1, T + 1))


def test_scalar_bptt_check_accepts_the_sum_over_steps_and_it_matches_finite_differences(capsys):
    assert checks.scalar_bptt_function(scalar_bptt)
    assert capsys.readouterr().out.startswith("Correct:")
    xs = np.random.default_rng(6).normal(size=7)

    def h_T(w):
        h = 0.0
        for x in xs:
            h = w * h + x
        return h

    numeric = lc.numerical_jacobian(lambda w: np.array([h_T(w[0])]), np.array([0.7]))[0, 0]
    assert np.isclose(scalar_bptt(0.7, xs), numeric, rtol=1e-8)


def _states(w, xs):
    h = [0.0]
    for x in xs:
        h.append(w * h[-1] + x)
    return h


@pytest.mark.parametrize("wrong, hint", [
    (lambda w, xs: _states(w, xs)[-2], "only the last step's term"),
    (lambda w, xs: sum(_states(w, xs)[:-1]), "forget the factor"),
    (lambda w, xs: w * scalar_bptt(w, xs), "one power of w too many"),
    (lambda w, xs: _states(w, xs)[-1], "you return h_T"),
    (lambda w, xs: np.ones(2), "one number"),
    (lambda w, xs: 0.0, "dh_T/dw is"),
])
def test_scalar_bptt_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.scalar_bptt_function(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out


def cotangents(h, W_hh, u_T, transpose=True, shift=1, derivative=True):
    u = np.zeros_like(h)
    u[-1] = u_T
    W = W_hh.T if transpose else W_hh
    for t in range(h.shape[0] - 2, -1, -1):
        d = (1 - h[t + shift] ** 2) if derivative else 1.0
        u[t] = W @ (d * u[t + 1])
    return u


def test_state_cotangent_check_accepts_eq_8_4_which_is_what_lc_rnn_computes(capsys):
    assert checks.rnn_state_cotangents(cotangents)
    assert capsys.readouterr().out.startswith("Correct:")
    rnn = lc.RNN(2, 3, 5)
    theta = rnn.init(7)
    rng = np.random.default_rng(8)
    x, u = rng.normal(size=10), rng.normal(size=3)
    assert_allclose(cotangents(rnn.states(x, theta)["h"], theta["W_hh"], u), rnn.state_cotangents(x, theta, u),
                    rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("wrong, hint", [
    (lambda h, W, u: cotangents(h, W, u)[::-1], "reverse order"),
    (lambda h, W, u: cotangents(h, W, u, derivative=False), "you skip tanh'"),
    (lambda h, W, u: cotangents(h, W, u, shift=0), "belongs to the later step"),
    (lambda h, W, u: cotangents(h, W, u, transpose=False), "transposed matrix"),
    (lambda h, W, u: cotangents(h, W, u)[:-1], "return an array of shape"),
    (lambda h, W, u: np.zeros_like(h), "start from u_T"),
])
def test_state_cotangent_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.rnn_state_cotangents(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out


def test_forget_bias_check(capsys):
    f = checks.FORGET_KEEP ** (1 / checks.FORGET_STEPS)
    b = np.log(f / (1 - f))
    assert checks.forget_bias_answer(b) and checks.forget_bias_answer(round(b, 2))
    assert (1 / (1 + np.exp(-b))) ** checks.FORGET_STEPS == pytest.approx(checks.FORGET_KEEP, rel=1e-12)
    capsys.readouterr()
    for answer, hint in [(f, "gate value f"), (np.log(0.1 / 0.9), f"solve f^{checks.FORGET_STEPS}"),
                         (2.0, "too small"), (3.0, "not the smallest")]:
        assert not checks.forget_bias_answer(answer)
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and hint in out, out


@pytest.mark.parametrize("call, message", [
    (lambda: checks.conv_matrix_function("J"), r"expected your function matrix_fn\(w, L\), got str"),
    (lambda: checks.scalar_bptt_function(None), r"expected your function grad_fn\(w, xs\), got NoneType"),
    (lambda: checks.rnn_state_cotangents(3), r"expected your function cotangents_fn\(h, W_hh, u_T\), got int"),
    (lambda: checks.forget_bias_answer("2.3"), r"expected your answer b as one finite number, got '2.3'"),
    (lambda: checks.forget_bias_answer(np.inf), r"one finite number, got inf"),
    (lambda: checks.forget_bias_answer(True), r"one finite number, got True"),
])
def test_self_checks_reject_what_is_not_an_answer(call, message):
    with pytest.raises(ValueError, match=message):
        call()
