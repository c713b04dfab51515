"""Baselines a trained model has to beat (chapter 7): least squares in closed form, the majority class.

- :func:`linear_baseline`: y_hat = X w + b with (w, b) minimizing the squared error on the
  training data, solved in closed form; the regression MLP must do better than this.
- :func:`majority_baseline`: always the most frequent training class; a classifier's
  accuracy means little until it is compared with this one's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_array, positive_int, shape_str
from .metrics import _labels, class_counts

__all__ = ["LinearBaseline", "linear_baseline", "MajorityBaseline", "majority_baseline"]


@dataclass(frozen=True)
class LinearBaseline:
    """y_hat = X w + b, fit by least squares. w : (D,) for a 1-d target, (D, M) for targets (N, M); b : () or (M,)."""

    w: np.ndarray
    b: np.ndarray

    def predict(self, X) -> np.ndarray:
        """X : (N, D) -> (N,) or (N, M), shaped like the targets it was fit on."""
        X = as_array(X, "X")
        d = self.w.shape[0]
        if X.ndim != 2 or X.shape[1] != d:
            raise ValueError(f"LinearBaseline fit on {d} features expects X of shape (N, {d}), "
                             f"got {shape_str(X.shape)}")
        return X @ self.w + self.b


def linear_baseline(X, y) -> LinearBaseline:
    """Least squares with an intercept, in closed form: min over (w, b) of ||y - X w - b||^2.

    X : (N, D), y : (N,) or (N, M). Solved by ``numpy.linalg.lstsq`` on [1, X]
    (the minimum-norm solution if columns are collinear).
    """
    X, y = as_array(X, "X"), as_array(y, "y")
    if X.ndim != 2 or y.ndim not in (1, 2) or y.shape[0] != X.shape[0] or X.shape[0] == 0:
        raise ValueError(f"linear_baseline expects X of shape (N, D) and y of shape (N,) or (N, M) with the same "
                         f"N >= 1, got {shape_str(X.shape)} and {shape_str(y.shape)}")
    A = np.concatenate([np.ones((X.shape[0], 1)), X], axis=1)
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    return LinearBaseline(w=coef[1:], b=np.asarray(coef[0]))


@dataclass(frozen=True)
class MajorityBaseline:
    """Predicts ``label``, the most frequent class of the labels it was fit on, for every example.

    ``counts : (n_classes,)`` holds how often each class occurred in those labels.
    """

    label: int
    counts: np.ndarray

    def predict(self, X) -> np.ndarray:
        """(N,) int, all equal to ``label``, for X with N rows (X : (N, ...); its values are not used)."""
        n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
        if n == 0:
            raise ValueError(f"MajorityBaseline.predict expects X with N >= 1 rows, got shape {shape_str(np.shape(X))}")
        return np.full(n, self.label, dtype=np.int64)


def majority_baseline(labels, n_classes: int) -> MajorityBaseline:
    """The majority-class classifier of labels : (N,) in [0, n_classes); a tie goes to the smaller label."""
    n_classes = positive_int(n_classes, "majority_baseline", "n_classes")
    labels = _labels(labels, "majority_baseline", "labels", n_classes)
    counts = class_counts(labels, n_classes)
    return MajorityBaseline(label=int(np.argmax(counts)), counts=counts)
