"""How good is a model on held-out data: regression errors, R^2, accuracy, the confusion matrix.

Every metric takes the prediction first and the target second, ``metric(y_hat, y)``, in
the order of the losses ``loss(y_hat, y)`` (:mod:`lecture_code.losses`): the number a
model is trained on and the numbers it is judged by are called the same way. The order
matters, because R^2 and the confusion matrix are not symmetric in their two arguments.
(scikit-learn's metrics take ``(y_true, y_pred)``, the other way round: swap the
arguments when comparing with it.)

- ``rmse(y_hat, y)``: sqrt(mean (y - y_hat)^2), in the units of y
- ``mean_absolute_error(y_hat, y)``: mean |y - y_hat|, in the units of y
- ``r2(y_hat, y)``: 1 - sum (y - y_hat)^2 / sum (y - mean y)^2, the mean of the target y:
  1 is perfect, 0 is "predict the mean"
- ``accuracy(labels_hat, labels)``: the fraction of labels predicted right
- ``confusion_matrix(labels_hat, labels, n_classes)``: ``C[i, j]`` counts the examples of
  true class i predicted as class j
"""

from __future__ import annotations

import numpy as np

from ._validate import as_array, positive_int, shape_str

__all__ = ["rmse", "mean_absolute_error", "r2", "accuracy", "confusion_matrix", "class_counts"]


def _pair(y_hat, y, caller: str):
    """Two float arrays of the same shape (N,) or (N, M), N >= 1, else ``ValueError``."""
    y_hat, y = as_array(y_hat, "y_hat"), as_array(y, "y")
    if y_hat.shape != y.shape or y.ndim not in (1, 2) or y.shape[0] == 0:
        raise ValueError(f"{caller} expects y_hat and y of the same shape (N,) or (N, M) with N >= 1, "
                         f"got {shape_str(y_hat.shape)} and {shape_str(y.shape)}")
    return y_hat, y


def rmse(y_hat, y) -> float:
    """Root mean squared error sqrt(mean (y - y_hat)^2) over all entries; y_hat, y : (N,) or (N, M)."""
    y_hat, y = _pair(y_hat, y, "rmse")
    return float(np.sqrt(np.mean((y - y_hat) ** 2)))


def mean_absolute_error(y_hat, y) -> float:
    """Mean absolute error mean |y - y_hat| over all entries; y_hat, y : (N,) or (N, M)."""
    y_hat, y = _pair(y_hat, y, "mean_absolute_error")
    return float(np.mean(np.abs(y - y_hat)))


def r2(y_hat, y) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot; y_hat, y : (N,) (or (N, M), pooled).

    SS_res = sum (y - y_hat)^2, SS_tot = sum (y - mean(y))^2 with the mean of the target ``y``
    (per column). It is 1 for a perfect fit, 0 for predicting the mean, negative for worse.
    """
    y_hat, y = _pair(y_hat, y, "r2")
    ss_tot = float(np.sum((y - y.mean(axis=0)) ** 2))
    if ss_tot == 0.0:
        raise ValueError(f"r2 expects targets y that vary, got {y.shape[0]} targets that are all equal "
                         f"(so R^2 is undefined)")
    return 1.0 - float(np.sum((y - y_hat) ** 2)) / ss_tot


def _labels(labels, caller: str, name: str, n_classes=None) -> np.ndarray:
    """``labels`` as an int array (N,) of class labels in [0, n_classes) (n_classes checked by the caller)."""
    arr = as_array(labels, name)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(f"{caller} expects {name} to be integer class labels of shape (N,) with N >= 1, "
                         f"got shape {shape_str(arr.shape)}")
    bad = (arr != np.round(arr)) | (arr < 0)
    if n_classes is not None:
        bad |= arr >= n_classes
    if bad.any():
        allowed = "integers >= 0" if n_classes is None else f"integers in [0, {n_classes})"
        raise ValueError(f"{caller} expects {name} to hold class labels, {allowed}, got {np.unique(arr[bad])[:5]}")
    return arr.astype(np.int64)


def _same_shape(labels_hat, labels, caller: str):
    if labels_hat.shape != labels.shape:
        raise ValueError(f"{caller} expects labels_hat and labels of the same shape, got "
                         f"{shape_str(labels_hat.shape)} and {shape_str(labels.shape)}")


def accuracy(labels_hat, labels) -> float:
    """The fraction of examples with ``labels_hat == labels``; both (N,) integer labels, the prediction first."""
    labels_hat = _labels(labels_hat, "accuracy", "labels_hat")
    labels = _labels(labels, "accuracy", "labels")
    _same_shape(labels_hat, labels, "accuracy")
    return float(np.mean(labels_hat == labels))


def confusion_matrix(labels_hat, labels, n_classes: int) -> np.ndarray:
    """``C : (n_classes, n_classes)`` of int counts: ``C[i, j]`` = #{n : labels[n] = i and labels_hat[n] = j}.

    labels_hat, labels : (N,), the predicted classes first, as in every metric here. Rows
    are true classes, columns predicted ones: the diagonal holds the right answers,
    ``C.sum(axis=1)`` the class counts, ``trace(C) / N`` the accuracy. A class that never
    occurs still gets its row and column of zeros.
    """
    n_classes = positive_int(n_classes, "confusion_matrix", "n_classes")
    labels_hat = _labels(labels_hat, "confusion_matrix", "labels_hat", n_classes)
    labels = _labels(labels, "confusion_matrix", "labels", n_classes)
    _same_shape(labels_hat, labels, "confusion_matrix")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (labels, labels_hat), 1)
    return counts


def class_counts(labels, n_classes: int) -> np.ndarray:
    """``(n_classes,)`` int: how many of ``labels`` : (N,) fall in each class (0 for an absent class)."""
    n_classes = positive_int(n_classes, "class_counts", "n_classes")
    return np.bincount(_labels(labels, "class_counts", "labels", n_classes), minlength=n_classes).astype(np.int64)
