"""Regularization (eq 33 and the lecture's list): weight decay, L1, early stopping, cross-validation.

A *penalty* adds ``value(net, thetas)`` to the cost and ``grad(net, thetas)`` to its
gradient; :func:`lecture_code.training.train` takes one as ``penalty=``. It takes the
network as well as its parameters because the layers say which of their parameters are
weights and which are biases (``layer.param_spec()``); a penalty never guesses it from a
name.

- :class:`WeightDecay`: C + lambda (sum w^2 + sum b^2) (eq 33), gradient 2 lambda theta; with
  ``biases=False`` only the weights are penalized (common practice; eq 33 includes the biases).
  PyTorch's ``SGD(weight_decay=wd)`` adds wd * theta to every gradient, so wd = 2 lambda.
- :class:`L1`: C + lambda sum |w| over the weights, subgradient lambda sign(w); with
  ``proximal=True`` (the default) training applies the soft-threshold step
  w <- sign(w) max(|w| - rho lambda, 0) after each gradient step, which sets weights exactly to 0.
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import as_array, int_between, nonneg_float, positive_float, positive_int, rng_from, shape_str
from .layers import Layer
from .params import tree_map


def _roles(net, thetas, caller):
    """``(thetas, roles)``: the checked parameters and, shaped like them, each array's role."""
    if not isinstance(net, Layer):
        raise ValueError(f"{caller} expects a lecture_code Layer as net (it says which parameters are "
                         f"weights), got {type(net).__name__}")
    thetas = net._check_theta(thetas)
    return thetas, tree_map(lambda p: p.role, net.param_spec())


class WeightDecay:
    """lambda (sum w^2 + sum b^2) (eq 33); gradient 2 lambda theta (biases left out with ``biases=False``).

    Which arrays are weights and which are biases is what each layer declares in
    ``param_spec()``: ``W`` of a Linear or a convolution, ``W_ih`` and ``W_hh`` of an RNN or
    LSTM are weights; ``b``, ``b_ih``, ``b_hh`` are biases.
    """

    def __init__(self, lam: float, biases: bool = True):
        self.lam = nonneg_float(lam, "WeightDecay", "the penalty strength lambda")
        self.biases = bool(biases)

    def __repr__(self) -> str:
        return f"WeightDecay(lambda={self.lam:g}, biases={self.biases})"

    def _included(self, role):
        return self.biases or role == "weight"

    def value(self, net, thetas) -> float:
        """lambda times the sum of the squares of the penalized parameters of ``net``."""
        thetas, roles = _roles(net, thetas, "WeightDecay.value")
        terms = tree_map(lambda a, role: float(np.sum(a**2)) if self._included(role) else 0.0, thetas, roles)
        return self.lam * _total(terms)

    def grad(self, net, thetas):
        """2 lambda theta for the penalized parameters, 0 for the others; shaped like ``thetas``."""
        thetas, roles = _roles(net, thetas, "WeightDecay.grad")
        return tree_map(lambda a, role: 2 * self.lam * a if self._included(role) else np.zeros_like(a), thetas, roles)


class L1:
    """lambda sum |w| over the weights (biases are not penalized); subgradient lambda sign(w)."""

    def __init__(self, lam: float, proximal: bool = True):
        self.lam = nonneg_float(lam, "L1", "the penalty strength lambda")
        self.proximal = bool(proximal)

    def __repr__(self) -> str:
        return f"L1(lambda={self.lam:g}, proximal={self.proximal})"

    def value(self, net, thetas) -> float:
        """lambda times the sum of |w| over the weights of ``net``."""
        thetas, roles = _roles(net, thetas, "L1.value")
        return self.lam * _total(tree_map(lambda a, role: float(np.abs(a).sum()) if role == "weight" else 0.0,
                                          thetas, roles))

    def grad(self, net, thetas):
        """The subgradient lambda sign(w) (0 at w = 0); with ``proximal=True`` training uses :meth:`prox` instead."""
        thetas, roles = _roles(net, thetas, "L1.grad")
        if self.proximal:
            return tree_map(np.zeros_like, thetas)
        return tree_map(lambda a, role: self.lam * np.sign(a) if role == "weight" else np.zeros_like(a), thetas, roles)

    def prox(self, net, thetas, lr: float):
        """Soft-thresholding of the weights by lr * lambda: the minimizer of lambda |w| + |w - w0|^2 / (2 lr)."""
        thetas, roles = _roles(net, thetas, "L1.prox")
        t = positive_float(lr, "L1.prox", "lr") * self.lam
        if not self.proximal:
            return thetas
        return tree_map(lambda a, role: np.sign(a) * np.maximum(np.abs(a) - t, 0.0) if role == "weight" else a,
                        thetas, roles)


def _total(tree) -> float:
    if isinstance(tree, dict):
        return sum(_total(v) for v in tree.values())
    if isinstance(tree, list):
        return sum(_total(v) for v in tree)
    return tree


def sparsity(net, thetas) -> float:
    """The fraction of the weights of ``net`` (as its layers declare them) that are exactly 0."""
    thetas, roles = _roles(net, thetas, "sparsity")
    zeros = _total(tree_map(lambda a, role: int((a == 0).sum()) if role == "weight" else 0, thetas, roles))
    total = _total(tree_map(lambda a, role: a.size if role == "weight" else 0, thetas, roles))
    return float(zeros / total) if total else 0.0


class EarlyStopping:
    """Stop when the validation loss has not improved by ``min_delta`` for ``patience`` epochs; keep the best.

    Pass it to ``train(..., on_epoch_end=stopper)``, which calls it after every epoch and
    first at epoch 0, with the starting parameters. Afterwards ``stopper.best_thetas`` are
    the parameters of ``stopper.best_epoch`` (the epoch with the lowest validation loss, 0
    if no epoch beat the start: then they are the starting parameters), and
    ``stopper.stopped_epoch`` is the epoch training stopped at (None if it ran to the end).
    A call at epoch 0 starts a new run, so one stopper can watch several runs in turn.
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0):
        self.patience = positive_int(patience, "EarlyStopping", "patience")
        self.min_delta = nonneg_float(min_delta, "EarlyStopping", "min_delta")
        self.best_loss, self.best_epoch, self.best_thetas, self.stopped_epoch = math.inf, None, None, None
        self._wait = 0

    def __call__(self, epoch, thetas, history) -> bool:
        if history.val_loss[-1] is None:
            raise ValueError("EarlyStopping expects a validation loss: pass validation=(X_val, Y_val) to train")
        if epoch == 0:
            self.best_loss, self.best_epoch, self.best_thetas, self.stopped_epoch = math.inf, None, None, None
            self._wait = 0
        elif self.best_epoch is None:
            raise ValueError(f"EarlyStopping expects its first call at epoch 0 (the starting parameters), "
                             f"as train makes it, got epoch {epoch!r}")
        loss = history.val_loss[-1]
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.best_thetas, self._wait = loss, epoch, thetas, 0
            return False
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False


def kfold_indices(n: int, k: int, *, rng) -> list:
    """``[(train_idx, val_idx), ...]`` for k folds of a shuffled range(n); the folds differ in size by at most 1."""
    n = positive_int(n, "kfold_indices", "n")
    k = int_between(k, 2, n, "kfold_indices", "k")
    order = rng_from(rng, "kfold_indices").permutation(n)
    folds = np.array_split(order, k)
    return [(np.concatenate(folds[:i] + folds[i + 1:]), fold) for i, fold in enumerate(folds)]


def cross_validate(score, X, Y, k: int = 5, *, rng) -> np.ndarray:
    """The k validation scores ``score(X_train, Y_train, X_val, Y_val)`` of k-fold cross-validation.

    X : (N, D), Y : N rows; ``score`` trains on the first pair and returns a number for the second
    (for example a validation loss); ``rng`` shuffles the rows into folds. Choose lambda by the
    lowest mean score over a grid.
    """
    if not callable(score):
        raise ValueError(f"cross_validate expects score to be a function (X_train, Y_train, X_val, Y_val) -> float, "
                         f"got {score!r}")
    X = as_array(X, "X")
    Y = np.asarray(Y)
    if X.ndim != 2 or Y.ndim < 1 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"cross_validate expects X of shape (N, D) and Y with N rows, got {shape_str(X.shape)} and {shape_str(Y.shape)}")
    scores = [float(score(X[tr], Y[tr], X[va], Y[va])) for tr, va in kfold_indices(X.shape[0], k, rng=rng)]
    return np.array(scores)
