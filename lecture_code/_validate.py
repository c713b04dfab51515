"""Input checks shared by the package: fail loudly at the boundary.

Every public function converts its arrays with :func:`as_array` and checks
its numbers and choices here, so bad input raises a ``ValueError`` that names
the caller, what it expected and what it was given,

    Linear expects d_in to be an integer >= 1, got 0

instead of turning into NaN further down. Each check takes the value, the
caller (``"Linear"``, ``"train"``) and the argument's name, and returns the
value converted (an ``int``, a ``float``, a ``Generator``).

Randomness: every function that draws random numbers takes ``rng`` (a NumPy
``Generator`` or a seed >= 0) and has no default, so a result never depends
on a hidden seed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def shape_str(shape) -> str:
    """``(4,)`` / ``(5, 4)``: a shape written as Python prints a tuple."""
    return str(tuple(int(s) for s in shape))


def _given(a) -> str:
    """A short description of a value for an error message."""
    if a is None:
        return "None"
    text = repr(a)
    return f"{type(a).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def as_array(a, name: str) -> np.ndarray:
    """``a`` as a float array with only finite entries, else ``ValueError`` naming what was given.

    float32 stays float32, so that a computation on float32 parameters and data runs in
    float32 end to end; every other real type (integers, booleans, float16, float64) becomes
    float64, the package's default precision.

    Refused: ``None``, strings, complex numbers, objects that are not numbers, and
    masked arrays (their mask would be dropped silently: fill or drop the masked
    entries first).
    """
    if a is None or isinstance(a, (str, bytes)):
        raise ValueError(f"{name} must be an array of real numbers, got {_given(a)}")
    if np.ma.isMaskedArray(a):
        raise ValueError(
            f"{name} must be a plain array, got a masked array with {int(np.ma.count_masked(a))} masked "
            f"entr{'y' if np.ma.count_masked(a) == 1 else 'ies'}: fill them (a.filled(value)) or drop them first"
        )
    raw = a if isinstance(a, np.ndarray) else np.asarray(a)
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be an array of real numbers, got {_given(a)} (dtype {raw.dtype})")
    arr = raw if raw.dtype == np.float32 else raw.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        bad = int(arr.size - np.isfinite(arr).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite entr{'y' if bad == 1 else 'ies'}")
    return arr


def _fail(caller, name, what, value):
    raise ValueError(f"{caller} expects {name} to be {what}, got {value!r}")


def _is_int(n) -> bool:
    return isinstance(n, numbers.Integral) and not isinstance(n, bool)


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def positive_int(n, caller: str, name: str) -> int:
    """``n`` as an ``int`` >= 1."""
    if not _is_int(n) or n < 1:
        _fail(caller, name, "an integer >= 1", n)
    return int(n)


def nonneg_int(n, caller: str, name: str) -> int:
    """``n`` as an ``int`` >= 0."""
    if not _is_int(n) or n < 0:
        _fail(caller, name, "an integer >= 0", n)
    return int(n)


def int_between(n, low: int, high: int, caller: str, name: str) -> int:
    """``n`` as an ``int`` with ``low <= n <= high``."""
    if not _is_int(n) or not low <= n <= high:
        raise ValueError(f"{caller} expects {name} to be an integer with {low} <= {name} <= {high}, got {n!r}")
    return int(n)


def finite_float(x, caller: str, name: str) -> float:
    """``x`` as a finite ``float``."""
    if not _is_real(x) or not math.isfinite(x):
        _fail(caller, name, "a finite number", x)
    return float(x)


def positive_float(x, caller: str, name: str) -> float:
    """``x`` as a finite ``float`` > 0."""
    if not _is_real(x) or not math.isfinite(x) or x <= 0:
        _fail(caller, name, "a finite number > 0", x)
    return float(x)


def nonneg_float(x, caller: str, name: str) -> float:
    """``x`` as a finite ``float`` >= 0."""
    if not _is_real(x) or not math.isfinite(x) or x < 0:
        _fail(caller, name, "a finite number >= 0", x)
    return float(x)


def probability(p, caller: str, name: str, *, one: bool = True) -> float:
    """``p`` as a ``float`` in [0, 1] (in [0, 1) with ``one=False``)."""
    if not _is_real(p) or not (0.0 <= p <= 1.0 if one else 0.0 <= p < 1.0):
        interval = "[0, 1]" if one else "[0, 1)"
        raise ValueError(f"{caller} expects {name} to be a probability in {interval}, got {p!r}")
    return float(p)


def one_of(value, choices, caller: str, name: str):
    """``value`` if it is one of ``choices``."""
    if not any(value is c or (type(value) is type(c) and value == c) for c in choices):
        raise ValueError(f"{caller} expects {name} to be one of {list(choices)}, got {value!r}")
    return value


def labelled(d, caller: str, name: str, what: str) -> dict:
    """``d`` if it is a non-empty dict ``label -> what`` (a figure's curves, one per label)."""
    if not isinstance(d, dict) or not d:
        raise ValueError(f"{caller} expects {name} to be a non-empty dict label -> {what}, got {type(d).__name__}")
    return d


def rng_from(rng, caller: str) -> np.random.Generator:
    """A NumPy ``Generator`` from a Generator or an integer seed >= 0 (``rng`` has no default anywhere)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if _is_int(rng) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ValueError(f"{caller} expects rng to be a numpy.random.Generator or a seed >= 0, got {rng!r}")


def param_dict(layer, theta, expected: dict) -> dict:
    """``theta`` as a dict of float arrays with exactly the keys and shapes of ``expected``."""
    if not isinstance(theta, dict) or set(theta) != set(expected):
        got = sorted(theta) if isinstance(theta, dict) else _given(theta)
        raise ValueError(f"{layer!r} expects theta as a dict with keys {sorted(expected)}, got {got}")
    checked = {}
    for key, shape in expected.items():
        arr = as_array(theta[key], f"theta['{key}']")
        if arr.shape != shape:
            raise ValueError(f"{layer!r} expects theta['{key}'] of shape {shape_str(shape)}, got {shape_str(arr.shape)}")
        checked[key] = arr
    return checked
