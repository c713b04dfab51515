"""What every self-check shares: one printed verdict line, a checked list of widths, safe calls of the answer."""

from __future__ import annotations

import numpy as np

from .._validate import positive_int


def report(ok: bool, good: str, hint: str) -> bool:
    """Print ``Correct: <good>`` or ``Not yet: <hint>`` and return ``ok``."""
    print(f"Correct: {good}" if ok else f"Not yet: {hint}")
    return ok


def sizes(widths, caller: str) -> list:
    """``widths`` (the argument ``sizes`` of ``caller``) as a list of at least two ints >= 1, else ``ValueError``."""
    if not isinstance(widths, (list, tuple)) or len(widths) < 2:
        raise ValueError(f"{caller} expects sizes to be a list of at least two layer widths, got {widths!r}")
    return [positive_int(s, caller, f"sizes[{i}]") for i, s in enumerate(widths)]


def require_callable(fn, caller: str, what: str) -> None:
    """``ValueError`` unless ``fn`` (the student's answer) is a function; ``what`` says which, e.g. ``f(x, u)``."""
    if not callable(fn):
        raise ValueError(f"{caller} expects your function {what}, got {type(fn).__name__}")


def call(fn, args, what: str):
    """``(result, None)``, or ``(None, hint)`` when the student's function raised.

    Floating-point warnings are silenced: a naive answer that overflows is reported by
    the check that follows, not warned about.
    """
    try:
        with np.errstate(all="ignore"):
            return fn(*args), None
    except Exception as error:  # a student's function may fail in any way: report it
        return None, f"calling {what} raised {type(error).__name__}: {error}"


def call_array(fn, args, what: str):
    """``(result as a float array, None)``, or ``(None, hint)`` when the function raised or gave no array."""
    result, hint = call(fn, args, what)
    if hint is not None:
        return None, hint
    try:
        return np.asarray(result, dtype=np.float64), None
    except (TypeError, ValueError):
        return None, f"{what} should return a number or an array, got {type(result).__name__}"
