"""Numerically stable sigmoid, softmax and log-softmax (no overflow warning or NaN for logits of +-1000)."""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) for any real x.

    Where e^-x overflows (x < -709.78) the result is 0, within 2.3e-308 of sigmoid(x);
    the overflow is expected there and not warned about.
    Everywhere else the formula has no cancellation: the relative error is a few ulp.
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def log_softmax(a: np.ndarray) -> np.ndarray:
    """log S(a) over the last axis, shifted by the largest logit (eq 34, in logs)."""
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(a: np.ndarray) -> np.ndarray:
    """S(a)_c = e^{a_c} / sum_c' e^{a_c'} over the last axis (eq 34)."""
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
