"""Numerically stable sigmoid, softmax and log-softmax (no overflow for logits of +-1000)."""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), written with e^-|x| so that no exponent is ever positive."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def log_softmax(a: np.ndarray) -> np.ndarray:
    """log S(a) over the last axis, shifted by the largest logit (eq 34, in logs)."""
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(a: np.ndarray) -> np.ndarray:
    """S(a)_c = e^{a_c} / sum_c' e^{a_c'} over the last axis (eq 34)."""
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
