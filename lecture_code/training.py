"""Training by gradient descent (eqs 29-32) as plain functions of explicit parameters.

Three regimes differ only in how many examples each update averages over:

- ``"batch"``: all N (eq 29): one update per epoch;
- ``"stochastic"``: one example (eq 30): N updates per epoch;
- ``"minibatch"``: B examples (eq 32): ceil(N / B) updates per epoch.

An *epoch* is one pass over the training set. In the stochastic and mini-batch
regimes every epoch visits the examples in a fresh random order (a new
permutation drawn from the seeded generator), so each example is used exactly
once per epoch. The order depends on the seed alone: what a network draws for
itself in each update (a dropout mask) comes from a second generator spawned
from the first, which draws nothing from the first.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_array, one_of, positive_float, positive_int, rng_from, shape_str
from .layers import Layer
from .losses import Loss, check_loss
from .optimizers import clip_grad_norm, clip_grad_value
from .params import tree_map

REGIMES = ("batch", "stochastic", "minibatch")


# -- which examples each update uses -----------------------------------------------------------------


def _check_regime(n: int, regime: str, batch_size, caller: str) -> int:
    one_of(regime, REGIMES, caller, "regime")
    if regime == "batch":
        return n
    if regime == "stochastic":
        return 1
    b = positive_int(batch_size, caller, "batch_size")
    if b > n:
        raise ValueError(f"{caller} expects batch_size between 1 and N = {n} (the number of training examples), "
                         f"got {b}")
    return b


def updates_per_epoch(n: int, regime: str, batch_size=None) -> int:
    """1 for ``"batch"``, N for ``"stochastic"``, ceil(N / B) for ``"minibatch"``."""
    n = positive_int(n, "updates_per_epoch", "n")
    return math.ceil(n / _check_regime(n, regime, batch_size, "updates_per_epoch"))


def epoch_batches(n: int, regime: str, batch_size=None, *, rng) -> list:
    """The index arrays of one epoch, in the order of the updates (see the module docstring)."""
    n = positive_int(n, "epoch_batches", "n")
    b = _check_regime(n, regime, batch_size, "epoch_batches")
    gen = rng_from(rng, "epoch_batches")
    if regime == "batch":
        return [np.arange(n)]
    order = gen.permutation(n)
    return [order[i:i + b] for i in range(0, n, b)]


def batch_order(n: int, regime: str, batch_size=None, epochs: int = 1, *, rng) -> list:
    """``[epoch_1_batches, epoch_2_batches, ...]``: every epoch reshuffled by one generator seeded by ``rng``.

    This is the order :func:`train` uses with the same ``rng``, whatever the network
    contains, so another implementation can replay it.
    """
    epochs = positive_int(epochs, "batch_order", "epochs")
    gen = rng_from(rng, "batch_order")
    return [epoch_batches(n, regime, batch_size, rng=gen) for _ in range(epochs)]


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
    return Constant(positive_float(rho0, "constant", "rho0 (a learning rate)"))


def inverse(rho0: float) -> Inverse:
    """The decaying rate rho_r = rho0 / r of the lecture (rho0 = 1 gives its 1 / r); r counts updates."""
    return Inverse(positive_float(rho0, "inverse", "rho0 (a learning rate)"))


def _schedule(lr, caller: str):
    """``r -> rho_r`` from a number or a schedule; every rate it returns is checked (:func:`rate_at`)."""
    if callable(lr):
        return lr
    return constant(positive_float(lr, caller, "lr (a learning rate)"))


def rate_at(schedule, r: int, caller: str = "train") -> float:
    """``schedule(r)``, checked: a learning rate must be a finite number > 0 at every update r."""
    rate = schedule(r)
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"{caller} expects the learning-rate schedule to return a finite number > 0, "
                         f"got {rate!r} at update {r}")
    return float(rate)


# -- one update and the loop ----------------------------------------------------------------------------


def sgd_step(thetas, grads, lr: float):
    """theta - lr * grad for every parameter (eqs 29, 30, 32): a new tree; the inputs are not changed."""
    lr = positive_float(lr, "sgd_step", "lr (a learning rate)")
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


def train(net: Layer, thetas, X, Y, loss: Loss, *, rng, regime: str = "minibatch", batch_size: int = 32,
          lr=0.01, epochs: int = 10, validation=None, on_epoch_end=None, penalty=None, optimizer=None,
          clip_norm=None, clip_value=None):
    """Gradient descent on the mean ``loss`` of ``net`` over (X, Y); returns ``(thetas, history)``.

    X : (N, D); Y : N targets for ``loss``; ``rng`` (a seed or a Generator) orders the examples,
    exactly as :func:`batch_order` with the same ``rng``; ``lr`` is a number or a schedule
    ``r -> rho_r`` (:func:`constant`, :func:`inverse`) whose every rate must be a finite number
    > 0; ``validation = (X_val, Y_val)`` adds a validation loss per epoch;
    ``on_epoch_end(epoch, thetas, history)`` is called after each evaluation, epoch 0 (the
    parameters before any update) included, and may return True to stop; ``penalty`` (see
    :mod:`lecture_code.regularization`) adds ``penalty.grad(net, thetas)`` to every update
    (and, if it has one, applies its proximal step ``penalty.prox(net, thetas, rate)`` after
    it). The history records the data loss without the penalty. Each update uses the network
    that ``net.for_update`` returns for its batch (a fresh dropout mask, say), drawn from a
    generator spawned from ``rng``; the losses are evaluated with ``net`` itself (dropout off).
    ``optimizer`` (see :mod:`lecture_code.optimizers`: ``SGD(momentum=0.9)``, ``Adam()``, ...) turns
    each update's gradient into the step, ``optimizer.step(thetas, grads, state, rate)``; without
    one the step is plain gradient descent, theta - rate * grad (eqs 29-32). ``clip_norm`` or
    ``clip_value`` clips each update's gradient first (the penalty's part included), as
    ``clip_grad_norm_`` / ``clip_grad_value_`` do in a PyTorch loop between backward and step.
    A loss that becomes NaN or infinite raises :class:`TrainingDiverged`.
    """
    if not isinstance(net, Layer):
        raise ValueError(f"train expects a lecture_code Layer as net, got {type(net).__name__}")
    check_loss(loss, "train")
    thetas = net._check_theta(thetas)
    X, T = _data(net, X, Y, loss, "X", "Y")
    n = X.shape[0]
    _check_regime(n, regime, batch_size, "train")
    epochs = positive_int(epochs, "train", "epochs")
    schedule = _schedule(lr, "train")
    val = None
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise ValueError(f"train expects validation as a pair (X_val, Y_val), got {type(validation).__name__}")
        val = _data(net, validation[0], validation[1], loss, "X_val", "Y_val")
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise ValueError(f"train expects on_epoch_end to be a function (epoch, thetas, history) -> bool, "
                         f"got {on_epoch_end!r}")
    if penalty is not None and not (callable(getattr(penalty, "grad", None)) and callable(getattr(penalty, "value", None))):
        raise ValueError(f"train expects a penalty with value(net, thetas) and grad(net, thetas), "
                         f"like regularization.WeightDecay, got {penalty!r}")
    prox = getattr(penalty, "prox", None)
    if optimizer is not None and not (callable(getattr(optimizer, "init", None))
                                      and callable(getattr(optimizer, "step", None))):
        raise ValueError(f"train expects an optimizer with init(thetas) and step(thetas, grads, state, lr), "
                         f"like optimizers.Adam(), got {optimizer!r:.80}")
    clip_norm = None if clip_norm is None else positive_float(clip_norm, "train", "clip_norm")
    clip_value = None if clip_value is None else positive_float(clip_value, "train", "clip_value")
    opt_state = None if optimizer is None else optimizer.init(thetas)

    order = rng_from(rng, "train")
    noise = order.spawn(1)[0]  # the network's own randomness: never draws from `order`
    n_in = X.shape[1]
    history = History()
    start = time.perf_counter()
    update = 0

    def evaluate(epoch):
        train_loss = _mean_loss(net, thetas, X, T, loss)
        val_loss = None if val is None else _mean_loss(net, thetas, *val, loss)
        history.record(epoch, train_loss, val_loss, update, time.perf_counter() - start)
        if not math.isfinite(train_loss):
            _diverged(epoch, update, train_loss, rate_at(schedule, max(update, 1)), history)
        return on_epoch_end is not None and on_epoch_end(epoch, thetas, history)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence is reported, not warned
        if evaluate(0):
            return thetas, history
        for epoch in range(1, epochs + 1):
            for idx in epoch_batches(n, regime, batch_size, rng=order):
                update += 1
                rate = rate_at(schedule, update)
                y_hat, pullback = net.for_update(noise, (len(idx), n_in))._forward_vjp(X[idx], thetas)
                value, u = loss._batch(y_hat, T[idx])
                if not math.isfinite(value):
                    _diverged(epoch, update, value, rate, history)
                _, grads = pullback(u)
                if penalty is not None:
                    grads = tree_map(np.add, grads, penalty.grad(net, thetas))
                if clip_norm is not None:
                    grads = clip_grad_norm(grads, clip_norm)[0]
                if clip_value is not None:
                    grads = clip_grad_value(grads, clip_value)
                if optimizer is None:
                    thetas = tree_map(lambda t, g: t - rate * g, thetas, grads)
                else:
                    thetas, opt_state = optimizer.step(thetas, grads, opt_state, rate)
                if prox is not None:
                    thetas = prox(net, thetas, rate)
            if evaluate(epoch):
                break
    return thetas, history


def _data(net, X, Y, loss, x_name, y_name):
    X = net._check_x(X, x_name)
    if X.ndim != 2:
        raise ValueError(f"train expects {x_name} as a batch of shape (N, {X.shape[-1]}), got {shape_str(X.shape)}")
    y_shape = np.shape(Y)
    if len(y_shape) == 0 or y_shape[0] != X.shape[0]:
        raise ValueError(f"train expects as many rows in {y_name} as in {x_name} (N = {X.shape[0]}), "
                         f"got {y_name} of shape {shape_str(y_shape)}")
    as_array(Y, y_name)
    return X, loss.targets(Y, net.output_size(X.shape[1]))


_EVAL_ROWS = 8192  # rows per block when the loss is evaluated on a whole data set


def _mean_loss(net, thetas, X, T, loss) -> float:
    # the mean loss over all rows, in blocks of rows: a large data set's forward pass then reuses
    # memory of a few MB instead of allocating (and page-faulting) arrays of hundreds of MB
    n = X.shape[0]
    if n <= _EVAL_ROWS:
        return float(loss._per_example(net._forward(X, thetas), T)[0].mean())
    total = 0.0
    for start in range(0, n, _EVAL_ROWS):
        rows = slice(start, start + _EVAL_ROWS)
        total += float(loss._per_example(net._forward(X[rows], thetas), T[rows])[0].sum())
    return total / n


def _diverged(epoch, update, value, rate, history):
    raise TrainingDiverged(
        f"training diverged in epoch {epoch} at update {update}: the loss became {value} "
        f"with learning rate {rate:g}. Try a smaller learning rate (for example {rate / 10:g}), "
        f"and standardize the inputs if they are not",
        epoch, update, history,
    )
