"""Losses L(y_hat, y): the value and its gradient wrt the prediction ``y_hat``.

Shapes: ``y_hat : (M,)`` for one example or ``(N, M)`` for a batch. Each
loss is summed over the M outputs of an example and averaged over the N
examples of a batch, so ``grad`` carries the factor 1/N and is the
cotangent ``u`` that starts the reverse sweep (eq 26).

- ``squared_error``: 1/2 ||y - y_hat||^2 (eq 20), gradient y_hat - y (eq 26)
- ``mae``: ||y - y_hat||_1, gradient sign(y_hat - y) (0 where they agree)
- ``huber(delta)``: 1/2 d^2 where |d| <= delta, else delta (|d| - delta/2)
- ``softmax_cross_entropy``: -sum_c y_c log S(a)_c from logits a (eqs 34-35),
  gradient S(a) - y; y as integer labels ``(N,)`` or probability rows ``(N, C)``
- ``loss_by_name(name)``: one of these by the name a hyperparameter table gives it
"""

from __future__ import annotations

import numpy as np

from ._stable import log_softmax
from ._validate import _given, as_array, one_of, positive_float, shape_str


class Loss:
    """Base class: ``loss(y_hat, y) -> (value, grad)``; ``value`` and ``grad`` alone too."""

    name = "loss"

    def __call__(self, y_hat, y):
        """``(L, dL/dy_hat)`` with L averaged over the batch; grad is shaped like ``y_hat``."""
        y_hat, y, single = self._check(y_hat, y)
        value, grad = self._batch(y_hat, y)
        return value, (grad[0] if single else grad)

    def targets(self, y, n_outputs: int) -> np.ndarray:
        """``y`` checked and laid out as this loss computes with it: ``(N, M)`` (one-hot rows for labels)."""
        n = np.shape(y)[0] if np.ndim(y) >= 1 else 1
        return self._check(np.zeros((n, n_outputs)), y)[1]

    def _batch(self, y_hat, y):
        """(mean value, gradient / N) for checked 2-d ``y_hat`` and ``y``: the inner loop of training."""
        values, grads = self._per_example(y_hat, y)
        return float(values.mean()), grads / y_hat.shape[0]

    def grad_tangent(self, y_hat, y, y_hat_dot) -> np.ndarray:
        """The tangent of ``grad`` when y_hat moves along y_hat_dot: H_L y_hat_dot (the loss's Hessian, chapter 10)."""
        y_hat, y, single = self._check(y_hat, y)
        y_hat_dot = as_array(y_hat_dot, "y_hat_dot")
        if np.atleast_2d(y_hat_dot).shape != y_hat.shape:
            raise ValueError(f"{self.name}.grad_tangent expects y_hat_dot shaped like y_hat "
                             f"{shape_str(y_hat[0].shape if single else y_hat.shape)}, got {shape_str(y_hat_dot.shape)}")
        dot = self._grad_tangent(y_hat, y, np.atleast_2d(y_hat_dot))
        return dot[0] if single else dot

    def _grad_tangent(self, y_hat, y, y_hat_dot):
        """H_L y_hat_dot / N for checked 2-d arrays (the tangent of ``_batch``'s gradient)."""
        raise NotImplementedError(f"{self.name} has no second derivative")

    def value(self, y_hat, y) -> float:
        """L averaged over the batch."""
        return self(y_hat, y)[0]

    def grad(self, y_hat, y) -> np.ndarray:
        """dL/dy_hat, shaped like ``y_hat`` (includes the 1/N of the batch mean)."""
        return self(y_hat, y)[1]

    def __repr__(self) -> str:
        return self.name

    # -- checks -------------------------------------------------------------------
    def _check_pred(self, y_hat):
        y_hat = as_array(y_hat, "y_hat")
        if y_hat.ndim not in (1, 2) or 0 in y_hat.shape:
            raise ValueError(f"{self.name} expects y_hat of shape (M,) or (N, M) with N, M >= 1, got {shape_str(y_hat.shape)}")
        return y_hat

    def _check(self, y_hat, y):
        """Regression targets: ``y`` shaped exactly like ``y_hat``."""
        y_hat = self._check_pred(y_hat)
        y = as_array(y, "y")
        if y.shape != y_hat.shape:
            hint = ""
            if y_hat.ndim == 2 and y.shape == y_hat.shape[:1] and y_hat.shape[1] == 1:
                hint = f"; reshape y to {shape_str(y_hat.shape)}"
            elif y_hat.ndim == 2 and y.ndim >= 1 and y.shape[0] != y_hat.shape[0]:
                hint = f" (y_hat has {y_hat.shape[0]} examples, y has {y.shape[0]})"
            raise ValueError(
                f"{self.name} expects y of the same shape as y_hat {shape_str(y_hat.shape)}, got {shape_str(y.shape)}{hint}"
            )
        single = y_hat.ndim == 1
        return np.atleast_2d(y_hat), np.atleast_2d(y), single

    def _per_example(self, y_hat, y):
        """(values (N,), gradients (N, M)) of the per-example loss; inputs already checked."""
        raise NotImplementedError


class SquaredError(Loss):
    """1/2 ||y - y_hat||^2 per example (eq 20); gradient y_hat - y (eq 26)."""

    name = "squared_error"

    def _per_example(self, y_hat, y):
        d = y_hat - y
        return 0.5 * (d**2).sum(axis=1), d

    def _grad_tangent(self, y_hat, y, y_hat_dot):
        return y_hat_dot / y_hat.shape[0]  # the Hessian of 1/2 ||d||^2 is the identity


class MAE(Loss):
    """||y - y_hat||_1 per example; gradient sign(y_hat - y), 0 where they are equal."""

    name = "mae"

    def _per_example(self, y_hat, y):
        d = y_hat - y
        return np.abs(d).sum(axis=1), np.sign(d)

    def _grad_tangent(self, y_hat, y, y_hat_dot):
        return np.zeros_like(y_hat_dot)  # |d| is piecewise linear: its second derivative is 0 (away from d = 0)


class Huber(Loss):
    """Quadratic for residuals |d| <= delta, linear beyond: sum of 1/2 d^2 or delta (|d| - delta/2)."""

    def __init__(self, delta: float = 1.0):
        self.delta = positive_float(delta, "huber", "delta")
        self.name = f"huber(delta={self.delta:g})"

    def _per_example(self, y_hat, y):
        d = y_hat - y
        small = np.abs(d) <= self.delta
        values = np.where(small, 0.5 * d**2, self.delta * (np.abs(d) - 0.5 * self.delta))
        return values.sum(axis=1), np.where(small, d, self.delta * np.sign(d))

    def _grad_tangent(self, y_hat, y, y_hat_dot):
        return np.where(np.abs(y_hat - y) <= self.delta, y_hat_dot, 0.0) / y_hat.shape[0]


def huber(delta: float = 1.0) -> Huber:
    """The Huber loss with threshold ``delta > 0``."""
    return Huber(delta)


class SoftmaxCrossEntropy(Loss):
    """-sum_c y_c log S(a)_c from logits a (eqs 34-35); gradient S(a) - y.

    Stable for any logits whose spread within a row, max - min, is a finite float64
    (below 1.8e308): the logits are shifted by their row maximum before e^a is taken.
    A wider spread, or a loss too large for float64, raises ``ValueError``.
    """

    name = "softmax_cross_entropy"

    def _check(self, y_hat, y):
        logits = self._check_pred(y_hat)
        n_classes = logits.shape[-1]
        y_arr = np.asarray(y)
        if y_arr.shape == logits.shape:  # probability rows (one-hot or soft targets)
            targets = as_array(y, "y")
            sums = targets.sum(axis=-1)
            if (targets < 0).any() or not np.allclose(sums, 1.0, rtol=0, atol=1e-9):
                raise ValueError(
                    f"{self.name} expects targets y of shape {shape_str(logits.shape)} to be probability rows "
                    f"(non-negative, each summing to 1), got rows summing to {np.atleast_1d(sums)[:5]}"
                    f" and minimum {targets.min():g}"
                )
        elif y_arr.shape == logits.shape[:-1]:  # integer labels
            labels = as_array(y, "y labels")
            if (labels != np.round(labels)).any() or (labels < 0).any() or (labels >= n_classes).any():
                bad = labels[(labels != np.round(labels)) | (labels < 0) | (labels >= n_classes)]
                raise ValueError(
                    f"{self.name} expects integer labels in [0, {n_classes}) for logits with C = {n_classes} "
                    f"classes, got {np.unique(bad)[:5]}"
                )
            targets = np.zeros_like(logits)
            np.put_along_axis(targets, labels.astype(np.int64)[..., None], 1.0, axis=-1)
        else:
            n_hint = f"({logits.shape[0]},)" if logits.ndim == 2 else "()"
            raise ValueError(
                f"{self.name} expects y as integer labels of shape {n_hint} or targets of shape "
                f"{shape_str(logits.shape)} for logits of shape {shape_str(logits.shape)}, got {shape_str(y_arr.shape)}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            spread = logits.max(axis=-1) - logits.min(axis=-1)
        if not np.isfinite(spread).all():
            raise ValueError(
                f"{self.name} expects logits whose spread max - min within a row is a finite float64 "
                f"(below {np.finfo(np.float64).max:.2g}), got a row with max {logits.max():.3g} and min {logits.min():.3g}"
            )
        single = logits.ndim == 1
        return np.atleast_2d(logits), np.atleast_2d(targets), single

    def __call__(self, y_hat, y):
        with np.errstate(over="ignore"):  # a mean beyond float64 is reported below
            value, grad = super().__call__(y_hat, y)
        if not np.isfinite(value):
            raise ValueError(f"{self.name} expects a mean loss that float64 can hold, got {value}: the targets "
                             f"put weight on logits about {np.finfo(np.float64).max:.2g} below their row's maximum")
        return value, grad

    def _per_example(self, y_hat, y):
        log_p = log_softmax(y_hat)  # finite for any finite logits, so y_c log p_c is never 0 * inf
        return -(y * log_p).sum(axis=1), np.exp(log_p) - y  # the rows of y sum to 1

    def _grad_tangent(self, y_hat, y, y_hat_dot):
        # the gradient S(a) - y moves as the softmax does: (diag(s) - s s^T) a_dot
        s = np.exp(log_softmax(y_hat))
        return s * (y_hat_dot - (s * y_hat_dot).sum(axis=1, keepdims=True)) / y_hat.shape[0]


squared_error = SquaredError()
mae = MAE()
softmax_cross_entropy = SoftmaxCrossEntropy()


def check_loss(loss, caller: str) -> Loss:
    """``loss`` if it is a lecture_code loss, else a ``ValueError`` naming ``caller`` and what it was given."""
    if not isinstance(loss, Loss):
        raise ValueError(f"{caller} expects a lecture_code loss, got {_given(loss)}; "
                         "use one of lc.losses (e.g. lc.losses.squared_error)")
    return loss


def loss_by_name(name: str, delta: float = 1.0) -> Loss:
    """The loss a hyperparameter table names (``lc.models``): "mse", "mae", "huber" or "cross_entropy".

    "mse" is ``squared_error``, 1/2 ||y - y_hat||^2 (eq 20): half the squared error, so its
    gradient is y_hat - y, and the 1/2 changes only the scale of the learning rate; "mae" is
    ``mae``; "huber" is ``huber(delta)`` (threshold ``delta > 0``); "cross_entropy" is
    ``softmax_cross_entropy`` from logits (eqs 34-35). ``delta`` is used by "huber" only.
    """
    if name == "huber":
        return huber(positive_float(delta, "loss_by_name", "delta"))
    table = {"mse": squared_error, "mae": mae, "cross_entropy": softmax_cross_entropy}
    return table[one_of(name, sorted([*table, "huber"]), "loss_by_name", "name")]


__all__ = ["Loss", "squared_error", "mae", "huber", "Huber", "softmax_cross_entropy", "loss_by_name"]
