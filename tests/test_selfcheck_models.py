"""Chapter 7's self-checks (lecture_code.selfcheck.models)."""

import numpy as np
import pytest

from lecture_code import metrics
from lecture_code.selfcheck import models as checks


# -- self-checks -------------------------------------------------------------------------------------

def _verdict(capsys):
    return capsys.readouterr().out


def _r2(y_hat, y):
    return 1 - np.sum((y - y_hat) ** 2) / np.sum((y - y.mean()) ** 2)


def test_r2_check_accepts_a_right_answer(capsys):
    assert checks.r2_function(_r2)
    assert _verdict(capsys).startswith("Correct:")
    assert checks.r2_function(lambda y_hat, y: metrics.r2(y_hat, y))


@pytest.mark.parametrize("wrong, hint", [
    (lambda p, t: np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2), "1 minus that ratio"),
    (lambda p, t: _r2(t, p), "arguments swapped"),
    (lambda p, t: np.corrcoef(t, p)[0, 1] ** 2, "squared correlation"),
    (lambda p, t: 1 - np.mean((t - p) ** 2), "SS_tot"),
    (lambda p, t: np.array([_r2(p, t)] * 2), "one number"),
    (lambda p, t: 1 / 0, "raised ZeroDivisionError"),
])
def test_r2_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.r2_function(wrong)
    out = _verdict(capsys)
    assert out.startswith("Not yet:") and hint in out, out


def test_r2_check_wants_the_prediction_first_as_lc_metrics():
    """The sklearn order (y_true, y_pred) is the swapped one here: the check must reject it."""
    def sklearn_order(y_true, y_pred):
        return 1 - np.sum((y_true - y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2)

    assert not checks.r2_function(sklearn_order)


def _cm(p, t, c):
    m = np.zeros((c, c), dtype=int)
    for i, j in zip(t, p):
        m[i, j] += 1
    return m


def test_confusion_matrix_check(capsys):
    assert checks.confusion_matrix_function(_cm)
    assert checks.confusion_matrix_function(lambda p, t, c: metrics.confusion_matrix(p, t, c))
    capsys.readouterr()
    for wrong, hint in [
        (lambda p, t, c: _cm(p, t, c).T, "transposed"),
        (lambda p, t, c: _cm(t, p, c), "transposed"),  # the arguments taken in the sklearn order (true first)
        (lambda p, t, c: _cm(p, t, max(t.max(), p.max()) + 1), "never occurs"),
        (lambda p, t, c: 2 * _cm(p, t, c), "add up to the"),
        (lambda p, t, c: _cm(p, t, c) + np.eye(c, dtype=int) - np.roll(np.eye(c, dtype=int), 1, axis=1),
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
    with pytest.raises(ValueError, match=r"output_layers expects answers to be a dict .*got list"):
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
        with pytest.raises(ValueError, match=rf"{check.__name__} expects your function .*, got str"):
            check("not a function")


def _ce_grad_by_jacobian(a, y):
    s = _stable(a)
    return (np.diag(s) - np.outer(s, s)).T @ (-y / s)


def test_cross_entropy_gradient_check_accepts_the_chain_rule(capsys):
    assert checks.cross_entropy_gradient(_ce_grad_by_jacobian)
    assert _verdict(capsys).startswith("Correct:")
    # the library's own Jacobian, and the closed form s * sum(y) - y, are right too
    import lecture_code as lc
    assert checks.cross_entropy_gradient(lambda a, y: lc.Softmax().jacobian(a, {}).T @ (-y / _stable(a)))
    assert checks.cross_entropy_gradient(lambda a, y: _stable(a) * y.sum() - y)


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, y: _stable(a) - y, "only when y sums to 1"),
    (lambda a, y: -_ce_grad_by_jacobian(a, y), "wrong sign"),
    (lambda a, y: np.diag(_stable(a)) @ (-y / _stable(a)), "only diag(s)"),
    (lambda a, y: np.diag(_stable(a) * (1 - _stable(a))) @ (-y / _stable(a)), "only the diagonal of J"),
    (lambda a, y: (np.diag(_stable(a)) - np.outer(_stable(a), _stable(a))) @ (-1 / _stable(a)), "not -1 / s"),
    (lambda a, y: (np.diag(_stable(a)) - np.outer(_stable(a), _stable(a))) * (-y / _stable(a)), "with @"),
    (lambda a, y: -y / _stable(a), "you return"),
    (lambda a, y: 1 / 0, "raised ZeroDivisionError"),
])
def test_cross_entropy_gradient_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.cross_entropy_gradient(wrong)
    out = _verdict(capsys)
    assert out.startswith("Not yet:") and hint in out, out


def test_cross_entropy_gradient_check_rejects_a_non_function():
    with pytest.raises(ValueError, match=r"cross_entropy_gradient expects your function grad_fn\(a, y\), got int"):
        checks.cross_entropy_gradient(3)
