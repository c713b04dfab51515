"""Chapter 7 self-checks: R^2, the confusion matrix, the output layer for a task, a stable softmax,
the cross-entropy's gradient through the softmax Jacobian."""

from __future__ import annotations

import numpy as np

from .._stable import softmax as _softmax
from ._report import call_array, report as _report, require_callable

__all__ = ["r2_function", "confusion_matrix_function", "OUTPUT_LAYER_TASKS", "output_layers", "stable_softmax",
           "cross_entropy_gradient"]


# -- exercise 1: R^2 ---------------------------------------------------------------------------------

def _r2(y_hat, y):
    return 1.0 - np.sum((y - y_hat) ** 2) / np.sum((y - y.mean()) ** 2)


def r2_function(r2_fn) -> bool:
    """Does ``r2_fn(y_hat, y)`` return 1 - sum (y - y_hat)^2 / sum (y - mean(y))^2 for y_hat, y : (N,)?

    The prediction comes first, as in ``lc.metrics.r2`` and every loss ``loss(y_hat, y)``.
    """
    require_callable(r2_fn, "r2_function", "r2_fn(y_hat, y)")
    rng = np.random.default_rng(70)
    y = rng.normal(30.0, 10.0, size=40)
    cases = [  # (y_hat, y, what it is)
        (y + rng.normal(0.0, 4.0, size=40), y, "a good model"),
        (0.5 * y + 20.0, y, "a shrunk, shifted prediction"),
        (np.full(40, y.mean()), y, "always predicting the mean"),
        (y.copy(), y, "a perfect prediction"),
        (y[::-1].copy(), y, "a prediction worse than the mean"),
    ]
    for p, t, what in cases:
        got, hint = call_array(r2_fn, (p.copy(), t.copy()), "r2_fn(y_hat, y)")
        if hint is not None:
            return _report(False, "", hint)
        if got.size != 1:
            return _report(False, "", f"r2_fn should return one number, got an array of shape {got.shape}")
        got, want = float(got.ravel()[0]), _r2(p, t)
        if np.isclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        if np.isclose(got, 1.0 - want, rtol=1e-9, atol=1e-12):
            hint = f"for {what} you return SS_res / SS_tot; R^2 is 1 minus that ratio"
        elif np.isclose(got, _r2(t, p), rtol=1e-9, atol=1e-12):
            hint = (f"for {what} your value is R^2 with the arguments swapped: SS_tot uses the mean of the "
                    "measured y, so R^2 is not symmetric; take the arguments as (y_hat, y), the prediction "
                    "first, as lc.metrics.r2 and the losses do")
        elif np.isclose(got, np.corrcoef(t, p)[0, 1] ** 2, rtol=1e-9, atol=1e-12):
            hint = (f"for {what} you return the squared correlation; it ignores a shift or scale of the prediction, "
                    "R^2 = 1 - SS_res / SS_tot does not (and can be negative)")
        else:
            hint = (f"for {what} R^2 is {want:.4f}, you return {got:.4f}: "
                    "SS_res = sum (y - y_hat)^2, SS_tot = sum (y - mean(y))^2")
        return _report(False, "", hint)
    return _report(True, "R^2 = 1 - SS_res / SS_tot: 1 when perfect, 0 for the mean, negative when worse", "")


# -- exercise 2: the confusion matrix ----------------------------------------------------------------

def confusion_matrix_function(cm_fn) -> bool:
    """Does ``cm_fn(labels_hat, labels, n_classes)`` return C : (n_classes, n_classes), C[i, j] = #{true i, pred. j}?

    labels_hat, labels : (N,) int; the predicted labels come first, as in ``lc.metrics.confusion_matrix``.
    """
    require_callable(cm_fn, "confusion_matrix_function", "cm_fn(labels_hat, labels, n_classes)")
    rng = np.random.default_rng(71)
    t = rng.integers(0, 3, size=30)
    p = np.where(rng.random(30) < 0.6, t, rng.integers(0, 3, size=30))
    cases = [(p, t, 3, "three classes"), (np.array([0, 1, 1, 1, 0]), np.array([0, 0, 1, 1, 1]), 4,
                                           "four classes of which two never occur")]
    for p, t, c, what in cases:
        got, hint = call_array(cm_fn, (p.copy(), t.copy(), c), "cm_fn(labels_hat, labels, n_classes)")
        if hint is not None:
            return _report(False, "", hint)
        want = np.zeros((c, c))
        np.add.at(want, (t, p), 1)
        if got.shape == want.shape and np.array_equal(got, want):
            continue
        if got.shape != want.shape:
            hint = (f"for {what} the matrix should have shape ({c}, {c}), one row and one column per class "
                    f"(even a class that never occurs), got {got.shape}")
        elif np.array_equal(got, want.T):
            hint = ("the matrix is transposed: rows are the true classes, columns the predicted ones, "
                    "C[labels, labels_hat] += 1 (the predicted labels are the first argument)")
        elif got.sum() != t.size:
            hint = f"the counts should add up to the {t.size} examples, yours add up to {got.sum():g}"
        else:
            hint = "C[i, j] counts the examples whose true class is i and predicted class is j"
        return _report(False, "", hint)
    return _report(True, "rows are true classes, columns predicted ones, every class has its row and column", "")


# -- exercise 3: the output layer for a task -------------------------------------------------------

OUTPUT_LAYER_TASKS = {
    "strength": "predict the compressive strength (MPa) of a concrete mix from its 8 features",
    "strength_and_slump": "predict the strength (MPa) and the slump (mm) of a mix from its features",
    "grade": "assign a mix to one of 5 strength grades",
    "digits": "recognize a handwritten digit 0-9 from its 28 x 28 grey values",
    "noisy_strength": "predict the strength when a few lab records are gross errors (outliers)",
}
_ANSWERS = {  # task: (outputs, output activation, the losses that fit)
    "strength": (1, "none", {"mse", "mae", "huber"}),
    "strength_and_slump": (2, "none", {"mse", "mae", "huber"}),
    "grade": (5, "softmax", {"cross_entropy"}),
    "digits": (10, "softmax", {"cross_entropy"}),
    "noisy_strength": (1, "none", {"mae", "huber"}),
}
_ACTIVATION_ALIASES = {"none": "none", "identity": "none", "linear": "none", "": "none", "softmax": "softmax"}
_LOSS_ALIASES = {
    "mse": "mse", "squared_error": "mse", "squared": "mse", "l2": "mse",
    "mae": "mae", "l1": "mae", "absolute_error": "mae", "huber": "huber",
    "cross_entropy": "cross_entropy", "categorical_cross_entropy": "cross_entropy",
    "softmax_cross_entropy": "cross_entropy", "crossentropy": "cross_entropy", "ce": "cross_entropy",
}


def _word(value, aliases):
    key = "none" if value is None else str(value).strip().lower().replace("-", "_").replace(" ", "_")
    return aliases.get(key, key)


def output_layers(answers) -> bool:
    """Are ``answers = {task: (n_outputs, output_activation, loss)}`` right for every task in OUTPUT_LAYER_TASKS?

    ``output_activation``: None or "softmax"; ``loss``: "mse", "mae", "huber" or "cross_entropy".
    """
    if not isinstance(answers, dict):
        raise ValueError("output_layers expects answers to be a dict {task: (n_outputs, output_activation, loss)}, "
                         f"got {type(answers).__name__}")
    missing = [task for task in OUTPUT_LAYER_TASKS if task not in answers]
    if missing:
        return _report(False, "", f"answer every task: {missing} missing (the keys are those of OUTPUT_LAYER_TASKS)")
    for task, (n_out, activation, losses) in _ANSWERS.items():
        answer = answers[task]
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            return _report(False, "", f"{task}: answer with a triple (n_outputs, output_activation, loss), "
                                      f"got {answer!r}")
        got_n, got_act, got_loss = answer[0], _word(answer[1], _ACTIVATION_ALIASES), _word(answer[2], _LOSS_ALIASES)
        if got_n != n_out:
            if activation == "softmax":
                hint = f"{task}: a classifier has one output neuron per class, here {n_out}, not {got_n}"
            else:
                hint = (f"{task}: a regression MLP has one output neuron per predicted quantity, "
                        f"here {n_out}, not {got_n}")
            return _report(False, "", hint)
        if got_act != activation:
            hint = (f"{task}: the outputs are class probabilities, so the output activation is the softmax (eq 34)"
                    if activation == "softmax" else
                    f"{task}: an unbounded quantity needs no output activation (None); {answer[1]!r} limits its range")
            return _report(False, "", hint)
        if got_loss not in losses:
            if activation == "softmax":
                hint = f"{task}: a softmax output is trained with the categorical cross-entropy (eq 35)"
            elif task == "noisy_strength":
                hint = (f"{task}: with gross outliers the squared error lets a few records dominate; "
                        "a loss that grows linearly for large residuals (MAE or Huber) does not")
            else:
                hint = f"{task}: a regression loss (MSE, MAE or Huber) fits here, not {answer[2]!r}"
            return _report(False, "", hint)
    return _report(True, "one output per quantity or per class; softmax and cross-entropy for classes", "")


# -- exercise 4: a stable softmax ------------------------------------------------------------------

def stable_softmax(softmax_fn) -> bool:
    """Does ``softmax_fn(a)`` give S(a) (eq 34) over the last axis of a : (C,) or (N, C), finite for +-1000 logits?"""
    require_callable(softmax_fn, "stable_softmax", "softmax_fn(a)")
    cases = [
        (np.array([1.0, 2.0, 0.5]), "ordinary logits"),
        (np.array([[0.0, 1.0, -1.0], [2.0, 2.0, 2.0]]), "a batch of two rows"),
        (np.array([1000.0, 999.0, -1000.0]), "logits of about 1000"),
        (np.array([[1000.0, 999.0], [-1000.0, -1001.0]]), "a batch whose rows differ by 2000"),
    ]
    for a, what in cases:
        got, hint = call_array(softmax_fn, (a.copy(),), "softmax_fn(a)")
        if hint is not None:
            return _report(False, "", hint)
        want = _softmax(a)
        if got.shape == want.shape and np.allclose(got, want, rtol=1e-12, atol=1e-15):
            continue
        if got.shape != want.shape:
            hint = f"for {what} S(a) should have the shape of a, {a.shape}, got {got.shape}"
        elif not np.isfinite(got).all():
            if what.startswith("a batch whose"):  # large logits passed before: the shift is the global max
                hint = (f"for {what} you get NaN: subtract the largest logit of each row "
                        "(a.max(axis=-1, keepdims=True)), not the largest of the whole array")
            else:
                hint = (f"for {what} you get NaN or inf: e^1000 overflows; subtract the largest logit first, "
                        "S(a) = S(a - max a) because the factor e^(-max a) cancels")
        elif a.ndim == 2 and not np.allclose(got.sum(axis=-1), 1.0):
            hint = f"for {what} the rows do not sum to 1: normalize over the last axis, sum(axis=-1, keepdims=True)"
        else:
            hint = (f"for {what} S(a) is {np.round(want, 4)}, you return {np.round(got, 4)}: "
                    "S(a)_c = e^(a_c) / sum_c' e^(a_c')")
        return _report(False, "", hint)
    return _report(True, "S(a) over the last axis, shifted by each row's largest logit, finite for +-1000", "")


# -- exercise 5: the cross-entropy's gradient through the softmax Jacobian ---------------------------

def cross_entropy_gradient(grad_fn) -> bool:
    """Does ``grad_fn(a, y)`` return dL/da for L = -sum_c y_c log S(a)_c, a, y : (C,), y >= 0?

    The chain rule gives J^T g with J = diag(s) - s s^T (the softmax Jacobian, chapter 2) and
    g = -y / s (the gradient of L with respect to s = S(a)): s sum(y) - y, which is s - y when
    y sums to 1. A target that does not sum to 1 is among the cases, so returning s - y
    without the Jacobian is not enough.
    """
    require_callable(grad_fn, "cross_entropy_gradient", "grad_fn(a, y)")
    rng = np.random.default_rng(75)
    a = rng.normal(0.0, 1.5, size=4)
    cases = [  # (a, y, what it is)
        (a, np.eye(4)[2], "a one-hot target"),
        (rng.normal(0.0, 1.5, size=3), np.array([0.2, 0.5, 0.3]), "a soft target (it sums to 1)"),
        (a, np.array([0.0, 2.0, 0.0, 1.0]), "a target that sums to 3"),
    ]
    for logits, y, what in cases:
        got, hint = call_array(grad_fn, (logits.copy(), y.copy()), "grad_fn(a, y)")
        if hint is not None:
            return _report(False, "", hint)
        s = _softmax(logits)
        want = s * y.sum() - y
        if got.shape == want.shape and np.allclose(got, want, rtol=1e-10, atol=1e-12):
            continue
        jac = np.diag(s) - np.outer(s, s)
        if got.shape != want.shape:
            hint = (f"for {what} dL/da should have the shape of a, {logits.shape}, got {got.shape}: "
                    "multiply the (C, C) Jacobian by the vector g = dL/ds with @, not elementwise")
        elif np.allclose(got, -want, rtol=1e-10, atol=1e-12):
            hint = f"for {what} your gradient has the wrong sign: dL/ds = -y / s, since L = -sum y log s"
        elif np.allclose(got, s - y, rtol=1e-10, atol=1e-12):
            hint = (f"for {what} you return s - y, which holds only when y sums to 1; "
                    "compute J^T g with J = diag(s) - s s^T and g = -y / s, and see what it gives")
        elif np.allclose(got, -y, rtol=1e-10, atol=1e-12):
            hint = (f"for {what} you used only diag(s): the softmax Jacobian is diag(s) - s s^T, "
                    "every output depends on every logit")
        elif np.allclose(got, -(1.0 - s) * y, rtol=1e-10, atol=1e-12):
            hint = (f"for {what} you kept only the diagonal of J, s (1 - s): the off-diagonal entries "
                    "-s_i s_j matter too")
        elif np.allclose(got, jac @ (-1.0 / s), rtol=1e-10, atol=1e-12):
            hint = f"for {what} g = dL/ds is -y / s (y_c log s_c differentiates to y_c / s_c), not -1 / s"
        else:
            hint = (f"for {what} dL/da is {np.round(want, 4)}, you return {np.round(got, 4)}: "
                    "J^T g with J = diag(s) - s s^T, g = -y / s")
        return _report(False, "", hint)
    return _report(True, "J^T (-y / s) = s sum(y) - y: s - y whenever the target sums to 1", "")
