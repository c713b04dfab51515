"""Optimizers as pure update rules, with PyTorch's conventions, and gradient clipping.

Each optimizer is a small frozen object holding its hyperparameters. It never holds
the state of a run: ``state = opt.init(thetas)`` makes it, and one update is

    thetas, state = opt.step(thetas, grads, state, lr)

with ``lr`` the learning rate of this update (so any schedule of
:mod:`lecture_code.training` drives it). The formulas are those of ``torch.optim``, in
the same order, so that a run here and the same run in PyTorch agree to rounding. For a
parameter array theta with gradient g, at update t = 1, 2, ...:

- :class:`SGD`, with momentum mu, dampening tau and weight decay wd:
  g <- g + wd theta;  b <- g (t = 1) or mu b + (1 - tau) g;  theta <- theta - lr (g + mu b if Nesterov, else b)
- :class:`RMSprop`: s <- alpha s + (1 - alpha) g^2;  theta <- theta - lr g / (sqrt(s) + eps)
  (with momentum mu: b <- mu b + g / (sqrt(s) + eps), theta <- theta - lr b)
- :class:`Adam`: m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2,
  theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps);
  its ``weight_decay`` adds wd theta to g (an L2 penalty, like eq 33 with wd = 2 lambda)
- :class:`AdamW`: Adam whose weight decay is decoupled: theta <- theta (1 - lr wd) first, then Adam on g.

Weight decay acts on every parameter, as in a single PyTorch parameter group.
:func:`clip_grad_norm` and :func:`clip_grad_value` are ``torch.nn.utils.clip_grad_norm_``
and ``clip_grad_value_`` on a parameter tree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import nonneg_float, positive_float, probability
from .params import leaves, tree_map

__all__ = ["SGD", "RMSprop", "Adam", "AdamW", "clip_grad_norm", "clip_grad_value", "global_norm"]


def _lr(lr, caller):
    return positive_float(lr, caller, "lr (the learning rate of this update)")


def _check_trees(thetas, grads, caller):
    names, grad_names = [n for n, _ in leaves(thetas)], [n for n, _ in leaves(grads)]
    if names != grad_names:
        raise ValueError(f"{caller} expects grads shaped like thetas: entries {names}, got {grad_names}")
    for (name, a), (_, g) in zip(leaves(thetas), leaves(grads)):
        if np.shape(a) != np.shape(g):
            raise ValueError(f"{caller} expects grads shaped like thetas: {name} is {np.shape(a)}, "
                             f"its gradient {np.shape(g)}")


def _zeros(thetas):
    return tree_map(np.zeros_like, thetas)


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent with momentum (heavy ball, or Nesterov), as ``torch.optim.SGD``."""

    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0

    def __post_init__(self):
        nonneg_float(self.momentum, "SGD", "momentum")
        probability(self.dampening, "SGD", "dampening")
        nonneg_float(self.weight_decay, "SGD", "weight_decay")
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(f"SGD expects nesterov=True with momentum > 0 and dampening 0 (as PyTorch), "
                             f"got momentum={self.momentum!r}, dampening={self.dampening!r}")

    def init(self, thetas) -> dict:
        """The state before the first update: no momentum buffer yet."""
        return {"step": 0, "buffer": None}

    def step(self, thetas, grads, state, lr):
        lr = _lr(lr, "SGD.step")
        _check_trees(thetas, grads, "SGD.step")
        mu, tau, wd = self.momentum, self.dampening, self.weight_decay
        if wd:
            grads = tree_map(lambda g, t: g + wd * t, grads, thetas)
        buffer = state["buffer"]
        if mu:
            buffer = (tree_map(np.copy, grads) if buffer is None
                      else tree_map(lambda b, g: mu * b + (1 - tau) * g, buffer, grads))
            direction = tree_map(lambda g, b: g + mu * b, grads, buffer) if self.nesterov else buffer
        else:
            direction = grads
        thetas = tree_map(lambda t, d: t - lr * d, thetas, direction)
        return thetas, {"step": state["step"] + 1, "buffer": buffer}


@dataclass(frozen=True)
class RMSprop:
    """A per-parameter rate from a running mean of squared gradients, as ``torch.optim.RMSprop``."""

    alpha: float = 0.99
    eps: float = 1e-8
    momentum: float = 0.0
    weight_decay: float = 0.0

    def __post_init__(self):
        probability(self.alpha, "RMSprop", "alpha", one=False)
        positive_float(self.eps, "RMSprop", "eps")
        nonneg_float(self.momentum, "RMSprop", "momentum")
        nonneg_float(self.weight_decay, "RMSprop", "weight_decay")

    def init(self, thetas) -> dict:
        return {"step": 0, "square_avg": _zeros(thetas), "buffer": _zeros(thetas)}

    def step(self, thetas, grads, state, lr):
        lr = _lr(lr, "RMSprop.step")
        _check_trees(thetas, grads, "RMSprop.step")
        a, eps, mu, wd = self.alpha, self.eps, self.momentum, self.weight_decay
        if wd:
            grads = tree_map(lambda g, t: g + wd * t, grads, thetas)
        square_avg = tree_map(lambda s, g: a * s + (1 - a) * g * g, state["square_avg"], grads)
        scaled = tree_map(lambda g, s: g / (np.sqrt(s) + eps), grads, square_avg)
        buffer = state["buffer"]
        if mu:
            buffer = tree_map(lambda b, d: mu * b + d, buffer, scaled)
            scaled = buffer
        thetas = tree_map(lambda t, d: t - lr * d, thetas, scaled)
        return thetas, {"step": state["step"] + 1, "square_avg": square_avg, "buffer": buffer}


def _betas(betas, caller):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{caller} expects betas as a pair (beta1, beta2) in [0, 1), got {betas!r}")
    return tuple(probability(b, caller, f"beta{i + 1}", one=False) for i, b in enumerate(betas))


@dataclass(frozen=True)
class Adam:
    """Adaptive moment estimation (Kingma and Ba 2015), as ``torch.optim.Adam``; weight decay as an L2 term."""

    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0

    _decoupled = False

    def __post_init__(self):
        name = type(self).__name__
        _betas(self.betas, name)
        positive_float(self.eps, name, "eps")
        nonneg_float(self.weight_decay, name, "weight_decay")

    def init(self, thetas) -> dict:
        return {"step": 0, "m": _zeros(thetas), "v": _zeros(thetas)}

    def step(self, thetas, grads, state, lr):
        name = f"{type(self).__name__}.step"
        lr = _lr(lr, name)
        _check_trees(thetas, grads, name)
        (b1, b2), eps, wd = self.betas, self.eps, self.weight_decay
        t = state["step"] + 1
        if wd and self._decoupled:
            thetas = tree_map(lambda p: p * (1 - lr * wd), thetas)  # AdamW: decay the weights themselves
        elif wd:
            grads = tree_map(lambda g, p: g + wd * p, grads, thetas)  # Adam: an L2 penalty in the gradient
        m = tree_map(lambda m, g: b1 * m + (1 - b1) * g, state["m"], grads)
        v = tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state["v"], grads)
        step_size = lr / (1 - b1**t)
        root_bc2 = math.sqrt(1 - b2**t)
        thetas = tree_map(lambda p, m, v: p - step_size * m / (np.sqrt(v) / root_bc2 + eps), thetas, m, v)
        return thetas, {"step": t, "m": m, "v": v}


@dataclass(frozen=True)
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter 2019), as ``torch.optim.AdamW``."""

    weight_decay: float = 0.01

    _decoupled = True


def global_norm(grads) -> float:
    """sqrt(sum of all squared entries): the norm of the whole gradient as one vector."""
    return float(math.sqrt(sum(float(np.sum(np.square(g))) for _, g in leaves(grads))))


def clip_grad_norm(grads, max_norm: float):
    """``(clipped, norm)``: grads scaled by min(1, max_norm / (norm + 1e-6)), as ``clip_grad_norm_``.

    The direction is kept; only a gradient longer than ``max_norm`` is shortened.
    """
    max_norm = positive_float(max_norm, "clip_grad_norm", "max_norm")
    norm = global_norm(grads)
    coefficient = min(max_norm / (norm + 1e-6), 1.0)
    return tree_map(lambda g: g * coefficient, grads), norm


def clip_grad_value(grads, clip_value: float):
    """Every entry clipped to [-clip_value, clip_value], as ``clip_grad_value_`` (the direction may change)."""
    clip_value = positive_float(clip_value, "clip_grad_value", "clip_value")
    return tree_map(lambda g: np.clip(g, -clip_value, clip_value), grads)
