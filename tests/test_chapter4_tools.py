"""Chapter 4's figures (lecture_code.plotting.backprop) and self-checks (lecture_code.selfcheck.backprop)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Rectangle  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

import lecture_code as lc  # noqa: E402
from lecture_code import selfcheck  # noqa: E402
from lecture_code import torch_bridge as tb  # noqa: E402
from lecture_code.plotting import backprop as plots  # noqa: E402
from lecture_code.selfcheck import backprop as checks  # noqa: E402


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
    assert all(im.get_clim() == (-vmax, vmax) for im in ax.images)  # one symmetric colour scale
    assert "row of" in ax.get_ylabel() and "column of" in ax.get_xlabel()


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
    colours = [to_hex(b.get_facecolor()) for b in bars]
    assert colours == [plots._DISAGREE.lower(), plots._AGREE.lower(), plots._AGREE.lower(), plots._AGREE.lower()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.W", "0.b", "2.W", "2.b"]
    assert ax.get_yscale() == "log" and "disagree" in ax.get_title()


# -- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("call,pattern", [
    (lambda: plots.draw_reverse_sweep(0), r"n_functions must be >= 1, got 0"),
    (lambda: plots.draw_reverse_sweep(3, parameters={4: "W"}),
     r"parameters must be a dict \{l: label\} with l in 1..3"),
    (lambda: plots.draw_reverse_sweep(3, parameters=["W"]), r"parameters must be a dict"),
    (lambda: plots.draw_reverse_sweep(3, parameters={1: "W"}, gradients={2: "g"}),
     r"gradients names functions without parameters: \[2\]"),
    (lambda: plots.plot_outer_product(np.ones((2, 2)), np.ones(3)),
     r"u must be a vector of shape \(n,\).*got \(2, 2\)"),
    (lambda: plots.plot_outer_product(np.ones(2), np.ones(0)), r"x must be a vector of shape \(n,\).*got \(0,\)"),
    (lambda: plots.plot_outer_product([1.0, np.nan], [1.0]), r"u must be finite"),
    (lambda: plots.plot_gradient_check("report"), r"expects the result of lc.check_gradients, got str"),
    (lambda: plots.plot_gradient_check(lc.GradientCheck([], True, 1e-5, 1e-8)), r"at least one parameter row"),
])
def test_plotting_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# -- selfcheck: eq15_gradients -----------------------------------------------------------------------

def _eq15_right(W1, W2, x, y):
    x2 = W1 @ x
    x3 = np.maximum(x2, 0.0)
    u4 = W2 @ x3 - y
    u2 = (x2 > 0) * (W2.T @ u4)
    return np.outer(u2, x), np.outer(u4, x3)


def test_eq15_cases_have_units_on_and_off():
    for W1, W2, x, y in checks._eq15_cases():
        x2 = W1 @ x
        assert (x2 < 0).any() and (x2 > 0).any() and not (x2 == 0).any()


def test_eq15_reference_matches_torch_autograd(device):
    for W1, W2, x, y in checks._eq15_cases():
        net = lc.mlp([W1.shape[1], W1.shape[0], W2.shape[0]])
        thetas = [{"W": W1, "b": np.zeros(W1.shape[0])}, {}, {"W": W2, "b": np.zeros(W2.shape[0])}]
        model = tb.twin(net, thetas, device)
        tb.loss_fn(lc.losses.squared_error)(model(tb.to_torch(x, device)), tb.to_torch(y, device)).backward()
        t_grads = tb.thetas_of(net, model, grad=True)
        dW1, dW2 = checks._eq15_reference(W1, W2, x, y)
        assert_allclose(dW1, t_grads[0]["W"], rtol=1e-12, atol=1e-14, err_msg="dL/dW1 against torch")
        assert_allclose(dW2, t_grads[2]["W"], rtol=1e-12, atol=1e-14, err_msg="dL/dW2 against torch")


def test_eq15_reference_matches_finite_differences():
    for W1, W2, x, y in checks._eq15_cases():
        def loss(w1, w2):
            return 0.5 * np.sum((y - w2 @ np.maximum(w1 @ x, 0.0)) ** 2)

        dW1, dW2 = checks._eq15_reference(W1, W2, x, y)
        assert_allclose(dW1, lc.numerical_jacobian(lambda w: loss(w, W2), W1), rtol=1e-6, atol=1e-8, err_msg="dW1")
        assert_allclose(dW2, lc.numerical_jacobian(lambda w: loss(W1, w), W2), rtol=1e-6, atol=1e-8, err_msg="dW2")


def test_eq15_gradients_accepts_right_answers(capsys):
    assert selfcheck.eq15_gradients(_eq15_right)
    assert capsys.readouterr().out.startswith("Correct:")

    def via_backprop(W1, W2, x, y):
        net = lc.mlp([W1.shape[1], W1.shape[0], W2.shape[0]])
        thetas = [{"W": W1, "b": np.zeros(W1.shape[0])}, {}, {"W": W2, "b": np.zeros(W2.shape[0])}]
        grads = lc.backprop(net, thetas, x, y, lc.losses.squared_error)[1]
        return grads[0]["W"], grads[2]["W"]

    assert selfcheck.eq15_gradients(via_backprop)


def _no_mask(W1, W2, x, y):
    x3 = np.maximum(W1 @ x, 0.0)
    u4 = W2 @ x3 - y
    return np.outer(W2.T @ u4, x), np.outer(u4, x3)


def _wrong_dw1(W1, W2, x, y):
    dW1, dW2 = _eq15_right(W1, W2, x, y)
    return 2 * dW1, dW2


@pytest.mark.parametrize("fn,hint", [
    (lambda *a: _eq15_right(*a)[::-1], "in this order"),
    (lambda *a: tuple(g.T for g in _eq15_right(*a)), "transposed"),
    (lambda *a: tuple(-g for g in _eq15_right(*a)), "sign is flipped"),
    (_no_mask, "forgot the ReLU mask"),
    (lambda *a: (_eq15_right(*a)[0], 2 * _eq15_right(*a)[1]), "dW2 is off"),
    (_wrong_dw1, "go back through W2"),
    (lambda *a: (_eq15_right(*a)[0][:, :1], _eq15_right(*a)[1]), "should have shape"),
    (lambda *a: _eq15_right(*a)[0], "should return 2 arrays"),
    (lambda *a: 3.0, "should return 2 arrays, got float"),
    (lambda *a: 1 / 0, "ZeroDivisionError"),
])
def test_eq15_gradients_rejects_wrong_answers_with_a_hint(fn, hint, capsys):
    assert not selfcheck.eq15_gradients(fn)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


# -- selfcheck: activation_vjp -----------------------------------------------------------------------

def _tanh_vjp(x, u):
    return (1.0 - np.tanh(x) ** 2) * u


def _sigmoid_vjp(x, u):
    s = 1.0 / (1.0 + np.exp(-x))
    return s * (1.0 - s) * u


def test_activation_vjp_accepts_right_answers(capsys):
    assert selfcheck.activation_vjp(_tanh_vjp, "tanh")
    assert selfcheck.activation_vjp(_sigmoid_vjp, "sigmoid")
    assert selfcheck.activation_vjp(lambda x, u: lc.Tanh().vjp(x, {}, u)[0])  # tanh is the default
    assert capsys.readouterr().out.count("Correct:") == 3


@pytest.mark.parametrize("name,fn", [("tanh", torch.tanh), ("sigmoid", torch.sigmoid)])
def test_activation_vjp_accepts_torch_func_vjp(name, fn, device):
    """The reference inside the self-check agrees with torch.func.vjp (float64) on every device."""
    def torch_vjp(x, u):
        _, pullback = torch.func.vjp(fn, tb.to_torch(x, device))
        return tb.to_numpy(pullback(tb.to_torch(u, device))[0])

    assert selfcheck.activation_vjp(torch_vjp, name)


@pytest.mark.parametrize("name,fn,hint", [
    ("tanh", lambda x, u: 1.0 - np.tanh(x) ** 2, "phi'(x) alone"),
    ("tanh", lambda x, u: np.tanh(x) * u, "tanh(x) itself"),
    ("tanh", lambda x, u: (1.0 - x**2) * u, "1 - x^2"),
    ("tanh", lambda x, u: np.sum(_tanh_vjp(x, u), axis=-1), "shaped like u"),
    ("tanh", lambda x, u: 0.5 * _tanh_vjp(x, u), "compare with lc.Tanh().vjp"),
    ("sigmoid", lambda x, u: x * (1.0 - x) * u, "x (1 - x)"),
    ("sigmoid", lambda x, u: _sigmoid_vjp(x, u) / (1.0 - 1.0 / (1.0 + np.exp(-x))), "sigmoid(x) itself"),
    ("sigmoid", lambda x, u: None, "shaped like u"),
    ("sigmoid", lambda x, u: {}["missing"], "KeyError"),
])
def test_activation_vjp_rejects_wrong_answers_with_a_hint(name, fn, hint, capsys):
    assert not selfcheck.activation_vjp(fn, name)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


def test_activation_vjp_checks_a_batch_too(capsys):
    def single_only(x, u):
        if x.ndim == 2:
            return u
        return _tanh_vjp(x, u)

    assert not selfcheck.activation_vjp(single_only, "tanh")


# -- selfcheck: batch_linear_vjp ---------------------------------------------------------------------

def _linear_right(X, W, U):
    return U @ W, U.T @ X, U.sum(axis=0)


def test_batch_linear_vjp_accepts_right_answers(capsys):
    assert selfcheck.batch_linear_vjp(_linear_right)

    def via_layer(X, W, U):
        layer = lc.Linear(W.shape[1], W.shape[0])
        U_in, g = layer.vjp(X, {"W": W, "b": np.zeros(W.shape[0])}, U)
        return U_in, g["W"], g["b"]

    assert selfcheck.batch_linear_vjp(via_layer)
    assert capsys.readouterr().out.count("Correct:") == 2


def test_batch_linear_vjp_accepts_torch_autograd(device):
    """The self-check's expectation is what torch.autograd computes for X W^T + b with cotangent U."""
    def torch_vjp(X, W, U):
        X_t, W_t = tb.to_torch(X, device, requires_grad=True), tb.to_torch(W, device, requires_grad=True)
        b_t = tb.to_torch(np.zeros(W.shape[0]), device, requires_grad=True)
        (X_t @ W_t.T + b_t).backward(tb.to_torch(U, device))
        return tb.to_numpy(X_t.grad), tb.to_numpy(W_t.grad), tb.to_numpy(b_t.grad)

    assert selfcheck.batch_linear_vjp(torch_vjp)


@pytest.mark.parametrize("fn,hint", [
    (lambda X, W, U: (U @ W.T, U.T @ X, U.sum(0)) if W.shape[0] == W.shape[1] else _linear_right(X, W, U),
     "only runs silently when W is square"),
    (lambda X, W, U: (X, U.T @ X, U.sum(0)), "U_in should be U @ W"),
    (lambda X, W, U: (U @ W, X.T @ U, U.sum(0)), "dW is transposed"),
    (lambda X, W, U: (U @ W, U.T @ X / len(X), U.sum(0)), "divided by N once too often"),
    (lambda X, W, U: (U @ W, 2 * U.T @ X, U.sum(0)), "U.T @ X (eq 28"),
    (lambda X, W, U: (U @ W, U.T @ X, U), "a row per example"),
    (lambda X, W, U: (U @ W, U.T @ X, U.mean(0)), "db is averaged"),
    (lambda X, W, U: (U @ W, U.T @ X, U.sum(1)), "not axis 1"),
    (lambda X, W, U: (U @ W, U.T @ X, 2 * U.sum(0)), "dy/db = I"),
    (lambda X, W, U: (U @ W, U.T @ X), "should return 3 arrays, got 2"),
    (lambda X, W, U: 1 / 0, "ZeroDivisionError"),
])
def test_batch_linear_vjp_rejects_wrong_answers_with_a_hint(fn, hint, capsys):
    assert not selfcheck.batch_linear_vjp(fn)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


# -- selfcheck bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("call,pattern", [
    (lambda: selfcheck.eq15_gradients("dW"), r"expected your gradient function .*got str"),
    (lambda: selfcheck.activation_vjp(_tanh_vjp, "relu"),
     r"activation must be one of \['sigmoid', 'tanh'\], got 'relu'"),
    (lambda: selfcheck.activation_vjp(None, "tanh"), r"expected your VJP function vjp_fn\(x, u\), got NoneType"),
    (lambda: selfcheck.batch_linear_vjp(np.ones(3)), r"expected your VJP function vjp_fn\(X, W, U\), got ndarray"),
])
def test_selfcheck_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
