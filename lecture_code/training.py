"""Training by gradient descent (eqs 29-32) as plain functions of explicit parameters.

Three regimes differ only in how many examples each update averages over:

- ``"batch"``: all N (eq 29): one update per epoch;
- ``"stochastic"``: one example (eq 30): N updates per epoch;
- ``"minibatch"``: B examples (eq 32): ceil(N / B) updates per epoch.

An *epoch* is one pass over the training set. In the stochastic and mini-batch
regimes every epoch visits the examples in a fresh random order (a new
permutation drawn from the seeded generator), so each example is used exactly
once per epoch.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_array, positive_int, rng_from, shape_str
from .layers import Dropout, Layer
from .losses import Loss
from .params import tree_map
from .sequential import Sequential

REGIMES = ("batch", "stochastic", "minibatch")


# -- which examples each update uses -----------------------------------------------------------------


def _check_regime(n: int, regime: str, batch_size) -> int:
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {list(REGIMES)}, got {regime!r}")
    if regime == "batch":
        return n
    if regime == "stochastic":
        return 1
    b = positive_int(batch_size, "batch_size")
    if b > n:
        raise ValueError(f"batch_size must be between 1 and N = {n} (the number of training examples), got {b}")
    return b


def updates_per_epoch(n: int, regime: str, batch_size=None) -> int:
    """1 for ``"batch"``, N for ``"stochastic"``, ceil(N / B) for ``"minibatch"``."""
    n = positive_int(n, "n")
    return math.ceil(n / _check_regime(n, regime, batch_size))


def epoch_batches(n: int, regime: str, batch_size=None, rng=None) -> list:
    """The index arrays of one epoch, in the order of the updates (see the module docstring)."""
    n = positive_int(n, "n")
    b = _check_regime(n, regime, batch_size)
    if regime == "batch":
        return [np.arange(n)]
    order = rng_from(rng).permutation(n)
    return [order[i:i + b] for i in range(0, n, b)]


def batch_order(n: int, regime: str, batch_size=None, epochs: int = 1, rng=None) -> list:
    """``[epoch_1_batches, epoch_2_batches, ...]``: every epoch reshuffled by one generator seeded by ``rng``.

    This is the order :func:`train` uses, so another implementation can replay it.
    """
    epochs = positive_int(epochs, "epochs")
    gen = rng_from(rng)
    return [epoch_batches(n, regime, batch_size, gen) for _ in range(epochs)]


# -- learning-rate schedules: plain functions of the update number r = 1, 2, 3, ... -----------------


@dataclass(frozen=True)
class Constant:
    """rho_r = rho0 for every update r."""

    rho0: float

    def __call__(self, r: int) -> float:
        return self.rho0


@dataclass(frozen=True)
class Inverse:
    """rho_r = rho0 / r, where r counts the updates made so far including this one (1, 2, 3, ...)."""

    rho0: float

    def __call__(self, r: int) -> float:
        return self.rho0 / r


def constant(rho0: float) -> Constant:
    """The constant learning rate rho0 > 0."""
    return Constant(_rate(rho0, "rho0"))


def inverse(rho0: float) -> Inverse:
    """The decaying rate rho_r = rho0 / r of the lecture (rho0 = 1 gives its 1 / r); r counts updates."""
    return Inverse(_rate(rho0, "rho0"))


def _rate(value, name) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} (a learning rate) must be a finite number > 0, got {value!r}")
    return float(value)


def _schedule(lr):
    if callable(lr):
        return lr
    return constant(_rate(lr, "lr"))


# -- one update and the loop ----------------------------------------------------------------------------


def sgd_step(thetas, grads, lr: float):
    """theta - lr * grad for every parameter (eqs 29, 30, 32): a new tree; the inputs are not changed."""
    lr = _rate(lr, "lr")
    return tree_map(lambda t, g: t - lr * g, thetas, grads)


@dataclass
class History:
    """Per epoch (row 0 is the start, before any update): losses, updates made so far, seconds since the start."""

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)  # None where no validation data was given
    updates: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def record(self, epoch, train_loss, val_loss, updates, seconds):
        self.epoch.append(epoch)
        self.train_loss.append(train_loss)
        self.val_loss.append(val_loss)
        self.updates.append(updates)
        self.seconds.append(seconds)

    def __len__(self) -> int:
        return len(self.epoch)


class TrainingDiverged(ArithmeticError):
    """The loss became NaN or infinite; ``epoch``, ``update`` and the ``history`` so far are attached."""

    def __init__(self, message, epoch, update, history):
        super().__init__(message)
        self.epoch, self.update, self.history = epoch, update, history


def train(net: Layer, thetas, X, Y, loss: Loss, *, regime: str = "minibatch", batch_size: int = 32,
          lr=0.01, epochs: int = 10, rng=0, validation=None, on_epoch_end=None, penalty=None):
    """Gradient descent on the mean ``loss`` of ``net`` over (X, Y); returns ``(thetas, history)``.

    X : (N, D); Y : N targets for ``loss``; ``lr`` is a number or a schedule ``r -> rho_r``
    (:func:`constant`, :func:`inverse`); ``validation = (X_val, Y_val)`` adds a validation
    loss per epoch; ``on_epoch_end(epoch, thetas, history)`` may return True to stop early;
    ``penalty`` (see :mod:`lecture_code.regularization`) adds its gradient to every update
    (and, if it has one, applies its proximal step after it). The history records the data
    loss without the penalty. Dropout layers get a fresh mask for every update (drawn from
    ``rng``) and are off when the losses are evaluated. A loss that becomes NaN or infinite
    raises :class:`TrainingDiverged`.
    """
    if not isinstance(net, Layer):
        raise ValueError(f"train expects a lecture_code Layer as net, got {type(net).__name__}")
    if not isinstance(loss, Loss):
        raise ValueError(f"train expects a lecture_code loss, got {loss!r:.60}")
    thetas = net._check_theta(thetas)
    X, T = _data(net, X, Y, loss, "X", "Y")
    n = X.shape[0]
    _check_regime(n, regime, batch_size)
    epochs = positive_int(epochs, "epochs")
    schedule = _schedule(lr)
    val = None
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise ValueError(f"validation must be a pair (X_val, Y_val), got {type(validation).__name__}")
        val = _data(net, validation[0], validation[1], loss, "X_val", "Y_val")
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise ValueError(f"on_epoch_end must be a function (epoch, thetas, history) -> bool, got {on_epoch_end!r}")
    if penalty is not None and not (callable(getattr(penalty, "grad", None)) and callable(getattr(penalty, "value", None))):
        raise ValueError(f"penalty must have value(thetas) and grad(thetas), like regularization.WeightDecay, got {penalty!r}")
    dropout = _has_dropout(net)

    gen = rng_from(rng)
    n_in = X.shape[1]
    history = History()
    start = time.perf_counter()
    update = 0

    def evaluate(epoch):
        train_loss = _mean_loss(net, thetas, X, T, loss)
        val_loss = None if val is None else _mean_loss(net, thetas, *val, loss)
        history.record(epoch, train_loss, val_loss, update, time.perf_counter() - start)
        if not math.isfinite(train_loss):
            _diverged(epoch, update, train_loss, schedule(max(update, 1)), history)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence is reported, not warned
        evaluate(0)
        for epoch in range(1, epochs + 1):
            for idx in epoch_batches(n, regime, batch_size, gen):
                update += 1
                rate = schedule(update)
                run = _with_masks(net, thetas, (len(idx), n_in), gen)[0] if dropout else thetas
                y_hat, vjp_fn = net._forward_vjp(X[idx], run)
                value, u = loss._batch(y_hat, T[idx])
                if not math.isfinite(value):
                    _diverged(epoch, update, value, rate, history)
                _, grads = vjp_fn(u)
                if penalty is not None:
                    grads = tree_map(np.add, grads, penalty.grad(thetas))
                thetas = tree_map(lambda t, g: t - rate * g, thetas, grads)
                if penalty is not None and hasattr(penalty, "prox"):
                    thetas = penalty.prox(thetas, rate)
            evaluate(epoch)
            if on_epoch_end is not None and on_epoch_end(epoch, thetas, history):
                break
    return thetas, history


def _has_dropout(layer) -> bool:
    if isinstance(layer, Sequential):
        return any(_has_dropout(sub) for sub in layer.layers)
    return isinstance(layer, Dropout)


def _with_masks(layer, theta, shape, gen):
    """``(theta with a fresh mask for every Dropout layer, output shape)`` for inputs of ``shape``."""
    if isinstance(layer, Sequential):
        out = []
        for sub, th in zip(layer.layers, theta):
            th, shape = _with_masks(sub, th, shape, gen)
            out.append(th)
        return out, shape
    if isinstance(layer, Dropout):
        return layer.mask(gen, shape), shape
    return theta, (shape[0], layer.output_size(shape[1]))


def _data(net, X, Y, loss, x_name, y_name):
    X = net._check_x(X, x_name)
    if X.ndim != 2:
        raise ValueError(f"{x_name} must be a batch of shape (N, {X.shape[-1]}), got {shape_str(X.shape)}")
    y_shape = np.shape(Y)
    if len(y_shape) == 0 or y_shape[0] != X.shape[0]:
        raise ValueError(f"{x_name} has N = {X.shape[0]} rows but {y_name} has shape {shape_str(y_shape)}")
    as_array(Y, y_name)
    return X, loss.targets(Y, net.output_size(X.shape[1]))


def _mean_loss(net, thetas, X, T, loss) -> float:
    return loss._batch(net._forward(X, thetas), T)[0]


def _diverged(epoch, update, value, rate, history):
    raise TrainingDiverged(
        f"training diverged in epoch {epoch} at update {update}: the loss became {value} "
        f"with learning rate {rate:g}. Try a smaller learning rate (for example {rate / 10:g}), "
        f"and standardize the inputs if they are not",
        epoch, update, history,
    )
