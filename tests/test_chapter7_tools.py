"""Chapter 7's figures (lecture_code.plotting.models) and self-checks (lecture_code.selfcheck.models)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

import lecture_code as lc  # noqa: E402
from lecture_code import metrics  # noqa: E402
from lecture_code.plotting import models as plots  # noqa: E402
from lecture_code.selfcheck import models as checks  # noqa: E402


# -- figures -----------------------------------------------------------------------------------------

def test_regression_losses_draws_the_three_losses():
    ax = plots.plot_regression_losses(delta=0.5, limit=2.0)
    lines = {ln.get_label(): ln for ln in ax.lines if not ln.get_label().startswith("_")}
    assert len(lines) == 3
    (sq,) = [ln for name, ln in lines.items() if "squared" in name]
    (ab,) = [ln for name, ln in lines.items() if "absolute" in name]
    (hu,) = [ln for name, ln in lines.items() if "Huber" in name]
    d = sq.get_xdata()
    assert d.min() == -2.0 and d.max() == 2.0
    assert_allclose(sq.get_ydata(), 0.5 * d**2, rtol=1e-15, err_msg="squared error is 1/2 d^2")
    assert_allclose(ab.get_ydata(), np.abs(d), rtol=1e-15, err_msg="absolute error is |d|")
    want = lc.losses.huber(0.5)._per_example(d[:, None], np.zeros((d.size, 1)))[0]
    assert_allclose(hu.get_ydata(), want, rtol=1e-14, err_msg="Huber curve is not lc.losses.huber(0.5)")
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    ax.figure.canvas.draw()  # renders the TeX labels: a mathtext error would raise here


def test_parity_plot_shows_the_points_and_the_diagonal():
    y, y_hat = np.array([10.0, 20.0, 50.0]), np.array([12.0, 18.0, 45.0])
    ax = plots.plot_parity(y, y_hat, label="MLP")
    assert_array_equal(ax.collections[0].get_offsets(), np.c_[y, y_hat])
    (diag,) = [ln for ln in ax.lines if ln.get_label() == "_diagonal"]
    assert_array_equal(diag.get_xdata(), diag.get_ydata())
    assert ax.get_xlim() == ax.get_ylim()
    assert ax.get_xlim()[0] < 10.0 and ax.get_xlim()[1] > 50.0
    assert "MPa" in ax.get_xlabel() and "MPa" in ax.get_ylabel()
    ax.figure.canvas.draw()


def test_parity_plot_twice_on_one_axes_keeps_one_diagonal_covering_both():
    ax = plots.plot_parity([1.0, 2.0], [1.5, 2.5], label="a")
    plots.plot_parity([0.0, 9.0], [1.0, 8.0], ax=ax, label="b")
    assert len(ax.collections) == 2
    diagonals = [ln for ln in ax.lines if ln.get_label() == "_diagonal"]
    assert len(diagonals) == 1 and diagonals[0].get_xdata()[0] < 0.0 and diagonals[0].get_xdata()[1] > 9.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_confusion_matrix_plot_shows_the_counts():
    counts = np.array([[5, 1, 0], [2, 7, 1], [0, 3, 9]])
    ax = plots.plot_confusion_matrix(counts, ["low", "mid", "high"])
    assert_array_equal(ax.images[0].get_array(), counts)
    texts = [t.get_text() for t in ax.texts]
    assert texts == [str(v) for v in counts.ravel()]  # row by row: true class i, predicted j
    assert [t.get_text() for t in ax.get_xticklabels()] == ["low", "mid", "high"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    ax.figure.canvas.draw()


def test_decision_regions_colour_the_predicted_class():
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [-0.5, 0.5], [0.5, -0.5]])
    y = np.array([0, 1, 0, 1])
    seen = []

    def predict(points):
        seen.append(points.shape)
        return (points[:, 0] > 0).astype(int)  # left: class 0, right: class 1

    fig, ax = plt.subplots()
    assert plots.plot_decision_regions(predict, X, y, ax=ax, resolution=30, class_names=["L", "R"]) is ax
    assert seen == [(900, 2)]
    assert len(ax.collections) >= 2 + 2  # filled regions, boundary, and one scatter per class
    scatters = [c for c in ax.collections if c.get_label() in ("L", "R")]
    assert_array_equal(scatters[0].get_offsets(), X[y == 0])
    assert_array_equal(scatters[1].get_offsets(), X[y == 1])
    fig.canvas.draw()


def test_figures_reject_bad_input():
    with pytest.raises(ValueError, match=r"same shape \(N,\), got \(3,\) and \(2,\)"):
        plots.plot_parity(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"shape \(C, C\), got \(2, 3\)"):
        plots.plot_confusion_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="class_names must have 2 entries"):
        plots.plot_confusion_matrix(np.ones((2, 2)), ["a"])
    with pytest.raises(ValueError, match=r"X of shape \(N, 2\)"):
        plots.plot_decision_regions(lambda p: p[:, 0] > 0, np.ones((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="predict must be a function"):
        plots.plot_decision_regions(None, np.ones((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="delta must be a finite number > 0"):
        plots.plot_regression_losses(delta=-1)


# -- self-checks -------------------------------------------------------------------------------------

def _verdict(capsys):
    return capsys.readouterr().out


def _r2(t, p):
    return 1 - np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2)


def test_r2_check_accepts_a_right_answer(capsys):
    assert checks.r2_function(_r2)
    assert _verdict(capsys).startswith("Correct:")
    assert checks.r2_function(lambda t, p: metrics.r2(t, p))


@pytest.mark.parametrize("wrong, hint", [
    (lambda t, p: np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2), "1 minus that ratio"),
    (lambda t, p: _r2(p, t), "arguments swapped"),
    (lambda t, p: np.corrcoef(t, p)[0, 1] ** 2, "squared correlation"),
    (lambda t, p: 1 - np.mean((t - p) ** 2), "SS_tot"),
    (lambda t, p: np.array([_r2(t, p)] * 2), "one number"),
    (lambda t, p: 1 / 0, "raised ZeroDivisionError"),
])
def test_r2_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.r2_function(wrong)
    out = _verdict(capsys)
    assert out.startswith("Not yet:") and hint in out, out


def _cm(t, p, c):
    m = np.zeros((c, c), dtype=int)
    for i, j in zip(t, p):
        m[i, j] += 1
    return m


def test_confusion_matrix_check(capsys):
    assert checks.confusion_matrix_function(_cm)
    assert checks.confusion_matrix_function(lambda t, p, c: metrics.confusion_matrix(t, p, c))
    capsys.readouterr()
    for wrong, hint in [
        (lambda t, p, c: _cm(t, p, c).T, "transposed"),
        (lambda t, p, c: _cm(t, p, max(t.max(), p.max()) + 1), "never occurs"),
        (lambda t, p, c: 2 * _cm(t, p, c), "add up to the"),
        (lambda t, p, c: _cm(t, p, c) + np.eye(c, dtype=int) - np.roll(np.eye(c, dtype=int), 1, axis=1),
         "C[i, j] counts"),
    ]:
        assert not checks.confusion_matrix_function(wrong)
        out = _verdict(capsys)
        assert out.startswith("Not yet:") and hint in out, out


_RIGHT = {
    "strength": (1, None, "mse"),
    "strength_and_slump": (2, None, "mae"),
    "grade": (5, "softmax", "cross_entropy"),
    "digits": (10, "softmax", "categorical cross-entropy"),
    "noisy_strength": (1, "none", "huber"),
}


def test_output_layers_check(capsys):
    assert set(_RIGHT) == set(checks.OUTPUT_LAYER_TASKS)
    assert checks.output_layers(_RIGHT)
    capsys.readouterr()
    for task, answer, hint in [
        ("digits", (1, "softmax", "cross_entropy"), "one output neuron per class, here 10"),
        ("strength_and_slump", (1, None, "mse"), "one output neuron per predicted quantity, here 2"),
        ("grade", (5, None, "cross_entropy"), "softmax (eq 34)"),
        ("strength", (1, "sigmoid", "mse"), "no output activation"),
        ("grade", (5, "softmax", "mse"), "categorical cross-entropy (eq 35)"),
        ("noisy_strength", (1, None, "mse"), "MAE or Huber"),
        ("strength", (1, None, "cross_entropy"), "a regression loss"),
        ("strength", 1, "triple"),
    ]:
        assert not checks.output_layers({**_RIGHT, task: answer})
        out = _verdict(capsys)
        assert out.startswith("Not yet:") and hint in out, (task, out)
    assert not checks.output_layers({"strength": (1, None, "mse")})
    assert "missing" in _verdict(capsys)
    with pytest.raises(ValueError, match="expected a dict"):
        checks.output_layers([1, None, "mse"])


def _stable(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_stable_softmax_check(capsys):
    assert checks.stable_softmax(_stable)
    capsys.readouterr()
    for wrong, hint in [
        (lambda a: np.exp(a) / np.exp(a).sum(axis=-1, keepdims=True), "e^1000 overflows"),
        (lambda a: np.exp(a - a.max()) / np.exp(a - a.max()).sum(axis=-1, keepdims=True), "of each row"),
        (lambda a: np.exp(a - a.max(axis=-1, keepdims=True)) / np.exp(a - a.max(axis=-1, keepdims=True)).sum(),
         "rows do not sum to 1"),
        (lambda a: np.exp(a - a.max(axis=-1, keepdims=True)), "S(a)_c = e^(a_c)"),
        (lambda a: _stable(a).ravel(), "shape of a"),
    ]:
        assert not checks.stable_softmax(wrong)
        out = _verdict(capsys)
        assert out.startswith("Not yet:") and hint in out, out


def test_self_checks_reject_non_functions():
    for check in (checks.r2_function, checks.confusion_matrix_function, checks.stable_softmax):
        with pytest.raises(ValueError, match="expected your function"):
            check("not a function")
