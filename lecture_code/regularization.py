"""Regularization (eq 33 and the lecture's list): weight decay, L1, early stopping, cross-validation.

A *penalty* adds ``value(thetas)`` to the cost and ``grad(thetas)`` to its
gradient; :func:`lecture_code.training.train` takes one as ``penalty=``.

- :class:`WeightDecay`: C + lambda (sum w^2 + sum b^2) (eq 33), gradient 2 lambda theta; with
  ``biases=False`` only the weights are penalized (common practice; eq 33 includes the biases).
  PyTorch's ``SGD(weight_decay=wd)`` adds wd * theta to every gradient, so wd = 2 lambda.
- :class:`L1`: C + lambda sum |w| over the weights, subgradient lambda sign(w); with
  ``proximal=True`` (the default) training applies the soft-threshold step
  w <- sign(w) max(|w| - rho lambda, 0) after each gradient step, which sets weights exactly to 0.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validate import as_array, positive_int, rng_from, shape_str
from .params import leaves, tree_map


def _strength(lam) -> float:
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or not math.isfinite(lam) or lam < 0:
        raise ValueError(f"the penalty strength lambda must be a finite number >= 0, got {lam!r}")
    return float(lam)


def _is_weight(name: str) -> bool:
    return name == "W" or name.endswith(".W")


class WeightDecay:
    """lambda (sum w^2 + sum b^2) (eq 33); gradient 2 lambda theta (biases left out with ``biases=False``)."""

    def __init__(self, lam: float, biases: bool = True):
        self.lam = _strength(lam)
        self.biases = bool(biases)

    def __repr__(self) -> str:
        return f"WeightDecay(lambda={self.lam:g}, biases={self.biases})"

    def _included(self, name):
        return self.biases or _is_weight(name)

    def value(self, thetas) -> float:
        return self.lam * float(sum(np.sum(a**2) for name, a in leaves(thetas) if self._included(name)))

    def grad(self, thetas):
        return _tree_with_names(lambda name, a: 2 * self.lam * a if self._included(name) else np.zeros_like(a), thetas)


class L1:
    """lambda sum |w| over the weight matrices (biases are not penalized); subgradient lambda sign(w)."""

    def __init__(self, lam: float, proximal: bool = True):
        self.lam = _strength(lam)
        self.proximal = bool(proximal)

    def __repr__(self) -> str:
        return f"L1(lambda={self.lam:g}, proximal={self.proximal})"

    def value(self, thetas) -> float:
        return self.lam * float(sum(np.abs(a).sum() for name, a in leaves(thetas) if _is_weight(name)))

    def grad(self, thetas):
        """The subgradient lambda sign(w) (0 at w = 0); with ``proximal=True`` training uses :meth:`prox` instead."""
        if self.proximal:
            return tree_map(np.zeros_like, thetas)
        return _tree_with_names(lambda name, a: self.lam * np.sign(a) if _is_weight(name) else np.zeros_like(a), thetas)

    def prox(self, thetas, lr: float):
        """Soft-thresholding by lr * lambda: the exact minimizer of lambda |w| + |w - w0|^2 / (2 lr)."""
        t = lr * self.lam
        if not self.proximal:
            return thetas
        return _tree_with_names(
            lambda name, a: np.sign(a) * np.maximum(np.abs(a) - t, 0.0) if _is_weight(name) else a, thetas)


def _tree_with_names(fn, tree, prefix=""):
    if isinstance(tree, dict):
        return {k: _tree_with_names(fn, v, f"{prefix}.{k}" if prefix else k) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_tree_with_names(fn, t, f"{prefix}.{i}" if prefix else str(i)) for i, t in enumerate(tree)]
    return fn(prefix, tree)


def sparsity(thetas) -> float:
    """The fraction of weights (entries of the W matrices) that are exactly 0."""
    weights = [a for name, a in leaves(thetas) if _is_weight(name)]
    total = sum(a.size for a in weights)
    return float(sum((a == 0).sum() for a in weights) / total) if total else 0.0


class EarlyStopping:
    """Stop when the validation loss has not improved by ``min_delta`` for ``patience`` epochs; keep the best.

    Pass it to ``train(..., on_epoch_end=stopper)``; afterwards ``stopper.best_thetas`` are the
    parameters of ``stopper.best_epoch`` (the epoch with the lowest validation loss), and
    ``stopper.stopped_epoch`` is the epoch training stopped at (None if it ran to the end).
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0):
        self.patience = positive_int(patience, "patience")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or not math.isfinite(min_delta) or min_delta < 0:
            raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta!r}")
        self.min_delta = float(min_delta)
        self.best_loss, self.best_epoch, self.best_thetas, self.stopped_epoch = math.inf, None, None, None
        self._wait = 0

    def __call__(self, epoch, thetas, history) -> bool:
        if history.val_loss[-1] is None:
            raise ValueError("EarlyStopping watches the validation loss: pass validation=(X_val, Y_val) to train")
        if self.best_epoch is None and len(history) > 1:  # the parameters before training count too
            self.best_loss, self.best_epoch = history.val_loss[0], 0
        loss = history.val_loss[-1]
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.best_thetas, self._wait = loss, epoch, thetas, 0
            return False
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False


def kfold_indices(n: int, k: int, rng=None) -> list:
    """``[(train_idx, val_idx), ...]`` for k folds of a shuffled range(n); the folds differ in size by at most 1."""
    n = positive_int(n, "n")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 2 or k > n:
        raise ValueError(f"k must be an integer with 2 <= k <= N = {n}, got {k!r}")
    order = rng_from(rng).permutation(n)
    folds = np.array_split(order, int(k))
    return [(np.concatenate(folds[:i] + folds[i + 1:]), fold) for i, fold in enumerate(folds)]


def cross_validate(score, X, Y, k: int = 5, rng=None) -> np.ndarray:
    """The k validation scores ``score(X_train, Y_train, X_val, Y_val)`` of k-fold cross-validation.

    X : (N, D), Y : N rows; ``score`` trains on the first pair and returns a number for the second
    (for example a validation loss). Choose lambda by the lowest mean score over a grid.
    """
    if not callable(score):
        raise ValueError(f"score must be a function (X_train, Y_train, X_val, Y_val) -> float, got {score!r}")
    X = as_array(X, "X")
    Y = np.asarray(Y)
    if X.ndim != 2 or Y.ndim < 1 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"cross_validate expects X of shape (N, D) and Y with N rows, got {shape_str(X.shape)} and {shape_str(Y.shape)}")
    scores = [float(score(X[tr], Y[tr], X[va], Y[va])) for tr, va in kfold_indices(X.shape[0], k, rng)]
    return np.array(scores)
