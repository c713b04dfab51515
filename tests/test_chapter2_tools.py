"""Chapter 2's tools: the Jacobian heatmaps and the self-checks of its exercises."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

import lecture_code as lc  # noqa: E402
from lecture_code import selfcheck  # noqa: E402
from lecture_code import torch_bridge as tb  # noqa: E402

TIGHT = dict(rtol=1e-12, atol=1e-14)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


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
    assert ax.get_images()[0].get_clim() == (-2.0, 2.0), "the colour scale is symmetric about 0"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"], "ticks count from 1, as eq 5"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2"]
    assert ax.get_xlabel() == "input  j" and ax.get_ylabel() == "output  i"
    assert ax.get_title() == "Jacobian (2 × 3)"
    assert len(ax.figure.axes) == 2, "a colour bar by default"


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
    assert len(scales) == 1, "the factors share one colour scale"
    assert axes[0].figure.texts[0].get_text() == "eq 6"


def test_chain_uses_given_axes_and_a_given_product():
    _, given = plt.subplots(1, 3)
    A, B = np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]])
    axes = lc.plotting.jacobian_chain([A, B], product=A @ B, axes=given)
    assert list(axes) == list(given)
    assert_allclose(np.ma.getdata(image_of(axes[2])), B, **TIGHT)


# -- self-checks ---------------------------------------------------------------------------------


def stable_softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def test_softmax_jacobian_accepts_the_formula_and_names_the_usual_mistakes(capsys):
    def right(x):
        s = stable_softmax(x)
        return np.diag(s) - np.outer(s, s)

    assert selfcheck.softmax_jacobian(right)
    assert capsys.readouterr().out.startswith("Correct:")
    mistakes = {
        "diag(s) only": lambda x: np.diag(stable_softmax(x)),
        "off-diagonal entries are not zero": lambda x: np.diag(stable_softmax(x) * (1 - stable_softmax(x))),
        "sign is flipped": lambda x: -right(x),
        "is only its diagonal": lambda x: stable_softmax(x) * (1 - stable_softmax(x)),
        "subtract max(x)": lambda x: right(x) if x.max() < 100 else np.full((3, 3), np.nan),
        "raised ZeroDivisionError": lambda x: 1 / 0,
    }
    for hint, wrong in mistakes.items():
        assert not selfcheck.softmax_jacobian(wrong), hint
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and hint in out, out


def test_softmax_jacobian_reports_overflow_without_a_warning(capsys):
    def naive(x):  # overflows at x = 1000: must give a hint, not a RuntimeWarning (an error under pytest)
        e = np.exp(x)
        s = e / e.sum()
        return np.diag(s) - np.outer(s, s)

    assert not selfcheck.softmax_jacobian(naive)
    assert "subtract max(x)" in capsys.readouterr().out


def test_softmax_jacobian_agrees_with_torch(device, capsys):
    def from_torch(x):
        return tb.to_numpy(torch.func.jacrev(lambda t: torch.softmax(t, dim=-1))(tb.to_torch(x, device)))

    assert selfcheck.softmax_jacobian(from_torch), capsys.readouterr().out


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_activation_jacobian_agrees_with_torch_and_with_the_layers(activation, device, capsys):
    fn = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
    layer = {"tanh": lc.Tanh(), "sigmoid": lc.Sigmoid(), "relu": lc.ReLU()}[activation]

    def from_torch(x):
        return tb.to_numpy(torch.func.jacfwd(fn)(tb.to_torch(x, device)))

    assert selfcheck.activation_jacobian(from_torch, activation), capsys.readouterr().out
    assert selfcheck.activation_jacobian(lambda x: layer.jacobian(x), activation)
    assert selfcheck.activation_jacobian(lambda x: lc.numerical_jacobian(layer.forward, x), activation)


def test_activation_jacobian_names_the_usual_mistakes(capsys):
    mistakes = {
        "np.diag": lambda x: 1 - np.tanh(x) ** 2,
        "not with x itself": lambda x: np.diag(1 - x**2),
        "the square is missing": lambda x: np.diag(1 - np.tanh(x)),
        "the activation itself": lambda x: np.diag(np.tanh(x)),
        "every off-diagonal entry is 0": lambda x: np.diag(1 - np.tanh(x) ** 2) + 0.1 * (1 - np.eye(x.size)),
        "the Jacobian is (4, 4), got (2, 2)": lambda x: np.eye(2),
    }
    for hint, wrong in mistakes.items():
        assert not selfcheck.activation_jacobian(wrong, "tanh"), hint
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and hint in out, out
    assert not selfcheck.activation_jacobian(lambda x: np.diag(x * (1 - x)), "sigmoid")
    assert "not with x itself" in capsys.readouterr().out
    assert not selfcheck.activation_jacobian(lambda x: np.diag(1 - np.tanh(x) ** 2), "relu")
    assert "1 where x > 0" in capsys.readouterr().out


W = np.array([[1.0, 2.0], [-3.0, 1.0], [0.5, -1.0]])
B = np.array([2.0, 2.0, 0.0])
X = np.array([1.0, -1.0])
J_RIGHT = np.array([[1.0, 2.0], [0.0, 0.0], [0.5, -1.0]])  # z = (1, -2, 1.5): unit 2 is off


def test_linear_relu_jacobian_accepts_the_hand_answer_and_matches_torch(device, capsys):
    assert selfcheck.linear_relu_jacobian(W, B, X, J_RIGHT.tolist())
    assert "units [1, 3] are on, so J keeps rows [1, 3] of W" in capsys.readouterr().out

    W_t, B_t = tb.to_torch(W, device), tb.to_torch(B, device)  # outside f: jacrev forbids requires_grad_ inside

    def f(t):
        return torch.relu(t @ W_t.T + B_t)

    J_torch = tb.to_numpy(torch.func.jacrev(f)(tb.to_torch(X, device)))
    assert_allclose(J_torch, J_RIGHT, **TIGHT, err_msg="the hand answer is torch's Jacobian")
    assert selfcheck.linear_relu_jacobian(W, B, X, J_torch)


def test_linear_relu_jacobian_names_the_usual_mistakes(capsys):
    mistakes = {
        "that is J^T": J_RIGHT.T,
        "Jacobian of the linear part alone": W,
        "you zeroed columns": W * (X > 0)[None, :],
        "the bias is missing": (W @ X > 0)[:, None] * W,
        "the pattern is inverted": (W @ X + B <= 0)[:, None] * W,
        "shape (3, 2)": np.zeros((2, 2)),
        "first compute z": J_RIGHT + 1.0,
        "give J as a matrix": "no idea",
    }
    for hint, wrong in mistakes.items():
        assert not selfcheck.linear_relu_jacobian(W, B, X, wrong), hint
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and hint in out, out


def test_chain_jacobian_accepts_eq6_and_rejects_a_reversed_order(capsys):
    def right(Js):
        J = Js[0]
        for Jk in Js[1:]:
            J = Jk @ J
        return J

    def reversed_order(Js):
        J = Js[0]
        for Jk in Js[1:]:
            J = J @ Jk
        return J

    def square(Js):
        return all(J.shape[0] == J.shape[1] for J in Js)

    def reversed_but_fitting(Js):  # wrong only where no shape error can reveal it: square factors
        return reversed_order(Js) if square(Js) else right(Js)

    assert selfcheck.chain_jacobian(right)
    assert capsys.readouterr().out.startswith("Correct:")
    assert not selfcheck.chain_jacobian(reversed_order)
    assert "check the order" in capsys.readouterr().out
    assert not selfcheck.chain_jacobian(reversed_but_fitting)
    assert "the order is reversed" in capsys.readouterr().out
    assert not selfcheck.chain_jacobian(lambda Js: np.prod(Js, axis=0) if square(Js) else right(Js))
    assert "entry by entry" in capsys.readouterr().out
    assert not selfcheck.chain_jacobian(lambda Js: right(Js).T)
    assert "outputs x inputs" in capsys.readouterr().out


def test_chain_jacobian_matches_the_networks_jacobian():
    net = lc.mlp([4, 8, 6, 4, 2], activation="tanh")
    thetas = net.init(rng=3)
    x = np.random.default_rng(4).normal(size=4)
    Js = net.layer_jacobians(x, thetas)
    product = Js[0]
    for Jk in Js[1:]:
        product = Jk @ product
    assert_allclose(product, net.jacobian(x, thetas), **TIGHT)
    assert selfcheck.chain_jacobian(lambda factors: np.linalg.multi_dot(factors[::-1]) if len(factors) > 1
                                    else factors[0])


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("call,pattern", [
    (lambda: lc.plotting.jacobian_heatmap(np.ones(3)), r"J must be a matrix of shape \(M, D\).*got \(3,\)"),
    (lambda: lc.plotting.jacobian_heatmap(np.ones((2, 2)), highlight_row=2),
     r"highlight_row must be an integer in 0..1"),
    (lambda: lc.plotting.jacobian_heatmap(np.ones((2, 3)), highlight_col=-1), r"highlight_col .* got -1"),
    (lambda: lc.plotting.jacobian_heatmap(np.ones((2, 2)), vmax=0), r"vmax must be a finite number > 0, got 0"),
    (lambda: lc.plotting.jacobian_heatmap([[1.0, np.nan]]), r"J must be finite"),
    (lambda: lc.plotting.jacobian_chain([]), r"non-empty list of matrices"),
    (lambda: lc.plotting.jacobian_chain([np.ones((2, 3)), np.ones((2, 3))]),
     r"factors\[0\] has shape \(2, 3\) and factors\[1\] \(2, 3\)"),
    (lambda: lc.plotting.jacobian_chain([np.ones((2, 3))], names=["a", "b"]),
     r"expects 1 names, one per factor, got 2"),
    (lambda: lc.plotting.jacobian_chain([np.ones((2, 3))], product=np.ones((3, 2))),
     r"product must have shape \(2, 3\), got \(3, 2\)"),
    (lambda: lc.plotting.jacobian_chain([np.ones((2, 3))], axes=[plt.gca()]), r"needs 2 axes .* got 1"),
    (lambda: selfcheck.softmax_jacobian(3), r"expected your softmax Jacobian function, got int"),
    (lambda: selfcheck.activation_jacobian(np.tanh, "gelu"), r"activation must be one of .* got 'gelu'"),
    (lambda: selfcheck.activation_jacobian(None), r"expected your 'tanh' Jacobian function, got NoneType"),
    (lambda: selfcheck.linear_relu_jacobian(W, B, np.ones(3), J_RIGHT), r"got W \(3, 2\), b \(3,\), x \(3,\)"),
    (lambda: selfcheck.linear_relu_jacobian(W, np.zeros(3), np.zeros(2), J_RIGHT), r"entry exactly 0"),
    (lambda: selfcheck.chain_jacobian("J"), r"expected your chain-rule product function, got str"),
])
def test_chapter2_tools_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
