"""Input checks shared by the package: fail loudly at the boundary.

Every public function converts its arrays with :func:`as_array` and checks
their shapes here, so bad input raises a ``ValueError`` that names what was
expected and what was given instead of turning into NaN further down.
"""

from __future__ import annotations

import numbers

import numpy as np


def shape_str(shape) -> str:
    """``(4,)`` / ``(5, 4)``: a shape written as Python prints a tuple."""
    return str(tuple(int(s) for s in shape))


def as_array(a, name: str) -> np.ndarray:
    """``a`` as a float64 array with only finite entries, else ``ValueError``."""
    if isinstance(a, (str, bytes)) or np.iscomplexobj(a):
        raise ValueError(f"{name} must be an array of real numbers, got {type(a).__name__} {a!r:.60}")
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of real numbers, got {type(a).__name__} {a!r:.60}") from None
    if not np.isfinite(arr).all():
        bad = int(arr.size - np.isfinite(arr).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite entr{'y' if bad == 1 else 'ies'}")
    return arr


def positive_int(n, name: str) -> int:
    """``n`` as an ``int`` >= 1, else ``ValueError``."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= 1, got {n!r}")
    if n < 1:
        raise ValueError(f"{name} must be >= 1, got {n}")
    return int(n)


def positive_float(x, name: str) -> float:
    """``x`` as a finite ``float`` > 0, else ``ValueError``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {x!r}")
    return float(x)


def rng_from(rng) -> np.random.Generator:
    """A NumPy ``Generator`` from a Generator, an integer seed or ``None``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0):
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be a numpy.random.Generator, a seed >= 0 or None, got {rng!r}")


def param_dict(layer, theta, expected: dict) -> dict:
    """``theta`` as a dict of float arrays with exactly the keys and shapes of ``expected``, else ``ValueError``."""
    if not isinstance(theta, dict) or set(theta) != set(expected):
        got = sorted(theta) if isinstance(theta, dict) else type(theta).__name__
        raise ValueError(f"{layer!r} expects theta as a dict with keys {sorted(expected)}, got {got}")
    checked = {}
    for key, shape in expected.items():
        arr = as_array(theta[key], f"theta['{key}']")
        if arr.shape != shape:
            raise ValueError(f"{layer!r} expects theta['{key}'] of shape {shape_str(shape)}, got {shape_str(arr.shape)}")
        checked[key] = arr
    return checked
