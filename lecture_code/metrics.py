"""How good is a model on held-out data: regression errors, R^2, accuracy, the confusion matrix.

Arguments come in the order ``(y_true, y_pred)``, as in scikit-learn, because
R^2 and the confusion matrix are not symmetric in them.

- ``rmse``: sqrt(mean (y - y_hat)^2), in the units of y
- ``mean_absolute_error``: mean |y - y_hat|, in the units of y
- ``r2``: 1 - sum (y - y_hat)^2 / sum (y - mean y)^2: 1 is perfect, 0 is "predict the mean"
- ``accuracy``: the fraction of labels predicted right
- ``confusion_matrix``: ``C[i, j]`` counts the examples of true class i predicted as class j
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validate import as_array, shape_str

__all__ = ["rmse", "mean_absolute_error", "r2", "accuracy", "confusion_matrix", "class_counts"]


def _pair(y_true, y_pred, what: str):
    """Two float arrays of the same shape (N,) or (N, M), N >= 1, else ``ValueError``."""
    y_true, y_pred = as_array(y_true, "y_true"), as_array(y_pred, "y_pred")
    if y_true.shape != y_pred.shape or y_true.ndim not in (1, 2) or y_true.shape[0] == 0:
        raise ValueError(f"{what} expects y_true and y_pred of the same shape (N,) or (N, M) with N >= 1, "
                         f"got {shape_str(y_true.shape)} and {shape_str(y_pred.shape)}")
    return y_true, y_pred


def rmse(y_true, y_pred) -> float:
    """Root mean squared error sqrt(mean (y - y_hat)^2) over all entries; y_true, y_pred : (N,) or (N, M)."""
    y_true, y_pred = _pair(y_true, y_pred, "rmse")
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mean_absolute_error(y_true, y_pred) -> float:
    """Mean absolute error mean |y - y_hat| over all entries; y_true, y_pred : (N,) or (N, M)."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_error")
    return float(np.mean(np.abs(y_true - y_pred)))


def r2(y_true, y_pred) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot; y_true, y_pred : (N,) (or (N, M), pooled).

    SS_res = sum (y - y_hat)^2, SS_tot = sum (y - mean(y))^2 with the mean of ``y_true``
    (per column). It is 1 for a perfect fit, 0 for predicting the mean, negative for worse.
    """
    y_true, y_pred = _pair(y_true, y_pred, "r2")
    ss_tot = float(np.sum((y_true - y_true.mean(axis=0)) ** 2))
    if ss_tot == 0.0:
        raise ValueError(f"r2 needs y_true that varies: all {y_true.shape[0]} targets are equal, so R^2 is undefined")
    return 1.0 - float(np.sum((y_true - y_pred) ** 2)) / ss_tot


def _labels(y, name: str, n_classes=None) -> np.ndarray:
    """``y`` as an int array (N,) of labels in [0, n_classes), else ``ValueError``."""
    arr = as_array(y, name)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be integer class labels of shape (N,) with N >= 1, "
                         f"got shape {shape_str(arr.shape)}")
    bad = (arr != np.round(arr)) | (arr < 0)
    if n_classes is not None:
        bad |= arr >= n_classes
    if bad.any():
        allowed = "integers >= 0" if n_classes is None else f"integers in [0, {n_classes})"
        raise ValueError(f"{name} must hold class labels, {allowed}, got {np.unique(arr[bad])[:5]}")
    return arr.astype(np.int64)


def _n_classes(n_classes) -> int:
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) or n_classes < 1:
        raise ValueError(f"n_classes must be an integer >= 1, got {n_classes!r}")
    return int(n_classes)


def accuracy(y_true, y_pred) -> float:
    """The fraction of examples with ``y_pred == y_true``; both (N,) integer labels."""
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"accuracy expects y_true and y_pred of the same shape, got {shape_str(y_true.shape)} "
                         f"and {shape_str(y_pred.shape)}")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``C : (n_classes, n_classes)`` of int counts: ``C[i, j]`` = #{n : y_true[n] = i and y_pred[n] = j}.

    Rows are true classes, columns predicted ones: the diagonal holds the right
    answers, ``C.sum(axis=1)`` the class counts, ``trace(C) / N`` the accuracy.
    A class that never occurs still gets its row and column of zeros.
    """
    n_classes = _n_classes(n_classes)
    y_true, y_pred = _labels(y_true, "y_true", n_classes), _labels(y_pred, "y_pred", n_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix expects y_true and y_pred of the same shape, got "
                         f"{shape_str(y_true.shape)} and {shape_str(y_pred.shape)}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def class_counts(y, n_classes: int) -> np.ndarray:
    """``(n_classes,)`` int: how many labels in ``y`` : (N,) fall in each class (0 for an absent class)."""
    n_classes = _n_classes(n_classes)
    return np.bincount(_labels(y, "y", n_classes), minlength=n_classes).astype(np.int64)
